-- The outbox claims its due messages `ORDER BY due_at, id`. With the index on
-- (channel, due_at) alone, the messages sharing one due instant — every message of a
-- broadcast — were sorted by id at each claim: 100,000 rows sorted to take 50, so a
-- broadcast was delivered at a few hundred a second, faster as its queue shrank
-- (`tripdesk bench broadcast`). With id in the index the claim reads the first rows in order.
DROP INDEX outbox_messages_due_idx;
CREATE INDEX outbox_messages_due_idx ON outbox_messages (channel, due_at, id) WHERE due_at IS NOT NULL;
