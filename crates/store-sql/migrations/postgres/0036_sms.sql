-- Issue 15 item 4: SMS through a provider in the style of the Chinese cloud SMS APIs.

-- The handset's delivery status, reported by the provider's signed receipt after it accepted
-- the message (state 'sent'): set once; a redelivered receipt changes nothing.
ALTER TABLE outbox_messages ADD COLUMN handset_state TEXT
    CHECK (handset_state IN ('delivered', 'failed'));
ALTER TABLE outbox_messages ADD COLUMN handset_at BIGINT;
ALTER TABLE outbox_messages ADD COLUMN handset_error TEXT;
-- A broadcast board counts per related id (related_type, related_id) — the existing
-- outbox_messages_related_idx serves it.

-- Text messages customers sent to the agency's number, as the provider posted them. The
-- phone is kept only as the customers' blind index (matched exactly, never decrypted), the
-- text sealed by the vault for the row id. The provider's sequence id is unique, so a
-- redelivered reply is stored once.
CREATE TABLE sms_replies (
    id          TEXT PRIMARY KEY NOT NULL,
    sequence_id TEXT NOT NULL,
    blind_index TEXT NOT NULL,
    -- The customer whose phone it is, when exactly one has it (else NULL).
    customer_id TEXT,
    sealed_text TEXT NOT NULL,
    sent_at     BIGINT,
    received_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX sms_replies_sequence_key ON sms_replies (sequence_id);
CREATE INDEX sms_replies_blind_idx ON sms_replies (blind_index);
CREATE INDEX sms_replies_customer_idx ON sms_replies (customer_id) WHERE customer_id IS NOT NULL;
