-- Customers and their personal data, consents, and the hash-chained audit log.
-- Sensitive values are stored only as vault envelopes (`*_sealed`, `sealed`); look-ups go
-- through keyed blind indexes. Instants are epoch milliseconds; ids UUIDv7 text.

CREATE TABLE customers (
    id                    TEXT PRIMARY KEY NOT NULL,
    name                  TEXT NOT NULL,
    birth_date_sealed     TEXT,
    diet_sealed           TEXT,
    allergies_sealed      TEXT,
    accessibility_sealed  TEXT,
    preferred_language    TEXT,
    preferred_channel     TEXT,
    source_channel        TEXT,
    -- ",tag one,tag two," so one tag is found with LIKE '%,tag,%'; tags hold no commas.
    tags                  TEXT NOT NULL,
    notes                 TEXT,
    created_by            TEXT,
    updated_by            TEXT,
    created_at            BIGINT NOT NULL,
    updated_at            BIGINT NOT NULL,
    erased_at             BIGINT,
    merged_into           TEXT REFERENCES customers (id)
);
CREATE INDEX customers_created_idx ON customers (created_at);

CREATE TABLE customer_identifiers (
    id           TEXT PRIMARY KEY NOT NULL,
    customer_id  TEXT NOT NULL REFERENCES customers (id),
    kind         TEXT NOT NULL CHECK (kind IN ('phone', 'email', 'wechat', 'resident_id', 'passport', 'hk_macao_permit', 'taiwan_permit')),
    blind_index  TEXT NOT NULL,
    sealed       TEXT NOT NULL,
    masked       TEXT NOT NULL,
    is_primary   BIGINT NOT NULL,
    created_at   BIGINT NOT NULL
);
CREATE INDEX customer_identifiers_lookup_idx ON customer_identifiers (kind, blind_index);
CREATE UNIQUE INDEX customer_identifiers_customer_id_kind_blind_index_key
    ON customer_identifiers (customer_id, kind, blind_index);

CREATE TABLE customer_consents (
    id            TEXT PRIMARY KEY NOT NULL,
    customer_id   TEXT NOT NULL REFERENCES customers (id),
    purpose       TEXT NOT NULL,
    granted       BIGINT NOT NULL,
    channel       TEXT NOT NULL,
    text_version  TEXT NOT NULL,
    recorded_at   BIGINT NOT NULL,
    recorded_by   TEXT
);
CREATE INDEX customer_consents_customer_idx ON customer_consents (customer_id, recorded_at);

-- Append-only. `hash` covers the entry and `prev_hash` (see tripdesk_domain::audit).
CREATE TABLE audit_log (
    seq          BIGINT PRIMARY KEY NOT NULL,
    id           TEXT NOT NULL,
    at           BIGINT NOT NULL,
    actor_id     TEXT,
    actor_name   TEXT NOT NULL,
    action       TEXT NOT NULL,
    entity_type  TEXT NOT NULL,
    entity_id    TEXT,
    summary      TEXT NOT NULL,
    prev_hash    TEXT NOT NULL,
    hash         TEXT NOT NULL
);
CREATE UNIQUE INDEX audit_log_id_key ON audit_log (id);
CREATE INDEX audit_log_entity_idx ON audit_log (entity_type, entity_id);
CREATE INDEX audit_log_actor_idx ON audit_log (actor_id);
CREATE INDEX audit_log_at_idx ON audit_log (at);

-- The end of the chain: one row, locked by every append so appends from several nodes
-- line up one after another.
CREATE TABLE audit_head (
    id    BIGINT PRIMARY KEY NOT NULL CHECK (id = 1),
    seq   BIGINT NOT NULL,
    hash  TEXT NOT NULL
);
INSERT INTO audit_head (id, seq, hash)
VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');

