-- The keyed audit chain: each entry carries HMAC-SHA256 of its hash, and the head HMAC of its
-- sequence number and hash, under a key derived from the vault's keys (never stored here), so
-- a chain rewritten by someone who can edit the database but lacks the key file no longer
-- verifies (`tripdesk_domain::audit`). NULL for entries written without the keys (before this
-- migration, or before `keys init`); `serve` appends a keyed entry that covers them.
ALTER TABLE audit_log ADD COLUMN mac TEXT;
ALTER TABLE audit_head ADD COLUMN mac TEXT;
