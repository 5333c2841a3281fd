-- Idempotency keys of create requests: the first response per (principal, key), kept 24 h.
-- The unique key makes the database decide between concurrent duplicates; the response is
-- written in the creating transaction. `response_body` may quote a customer (the ticket as
-- created): it is one of the texts PIPL erasure searches.
CREATE TABLE idempotency_keys (
    id            TEXT PRIMARY KEY NOT NULL,
    principal     TEXT NOT NULL,
    idem_key      TEXT NOT NULL,
    digest        TEXT NOT NULL,
    status        BIGINT,
    response_body TEXT,
    created_at    BIGINT NOT NULL,
    expires_at    BIGINT NOT NULL,
    UNIQUE (principal, idem_key)
);
CREATE INDEX idempotency_keys_expiry_idx ON idempotency_keys (principal, expires_at);
