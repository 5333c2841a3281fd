-- Issue 17 item 5: a customer's SMS that is not a safety check-in answer goes into their
-- conversation: the ticket and timeline entry a reply went to.
ALTER TABLE sms_replies ADD COLUMN ticket_id TEXT;
ALTER TABLE sms_replies ADD COLUMN event_id TEXT;
CREATE INDEX sms_replies_ticket_idx ON sms_replies (ticket_id, received_at) WHERE ticket_id IS NOT NULL;
