-- Files attached to tickets (complaint evidence). Name and content are sealed by the vault
-- (XChaCha20-Poly1305, base64url envelope); the SHA-256 of the plaintext proves a file unaltered.

CREATE TABLE ticket_attachments (
    id                TEXT PRIMARY KEY NOT NULL,
    ticket_id         TEXT NOT NULL REFERENCES tickets (id),
    file_name_sealed  TEXT NOT NULL,
    content_type      TEXT NOT NULL,
    size_bytes        BIGINT NOT NULL,
    sha256            TEXT NOT NULL,
    content_sealed    TEXT NOT NULL,
    uploaded_by       TEXT REFERENCES users (id),
    uploaded_by_name  TEXT NOT NULL,
    created_at        BIGINT NOT NULL
);
CREATE INDEX ticket_attachments_ticket_idx ON ticket_attachments (ticket_id, created_at);
