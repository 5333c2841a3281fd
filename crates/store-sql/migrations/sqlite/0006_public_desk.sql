-- The customer-facing desk: survey links for complaint follow-ups (回访). A link is signed
-- (HMAC under a key derived from the vault's index key), expires, and is used once: the
-- conditional UPDATE … WHERE used_at IS NULL that records the answer holds that on any
-- number of nodes. Only the SHA-256 of the token is stored. Instants epoch ms; ids UUIDv7.
-- (The public form's rate limit reuses login_throttle's fixed-window counters.)

CREATE TABLE surveys (
    id              TEXT PRIMARY KEY NOT NULL,
    ticket_id       TEXT NOT NULL REFERENCES tickets (id),
    token_hash      TEXT NOT NULL,
    -- The follow-up agent who sent it; the answer is recorded on their behalf.
    agent_id        TEXT NOT NULL REFERENCES users (id),
    created_at      INTEGER NOT NULL,
    expires_at      INTEGER NOT NULL,
    emailed         INTEGER NOT NULL,
    used_at         INTEGER,
    satisfaction    INTEGER CHECK (satisfaction BETWEEN 1 AND 5),
    overall_rating  INTEGER CHECK (overall_rating BETWEEN 1 AND 5),
    suggestions     TEXT,
    reason          TEXT
);
CREATE UNIQUE INDEX surveys_token_hash_key ON surveys (token_hash);
CREATE INDEX surveys_ticket_idx ON surveys (ticket_id, created_at);
