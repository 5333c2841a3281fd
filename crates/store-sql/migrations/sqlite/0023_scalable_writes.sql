-- Writes that scale across nodes (issue 12): the table PostgreSQL queues unlinked audit
-- entries in (see the PostgreSQL migration). SQLite's single writer keeps linking each
-- entry at its commit, so this table stays empty here; it exists so both backends have the
-- same schema and the same linker code.
CREATE TABLE audit_pending (
    pos          INTEGER PRIMARY KEY NOT NULL,
    id           TEXT NOT NULL,
    at           INTEGER NOT NULL,
    actor_id     TEXT,
    actor_name   TEXT NOT NULL,
    action       TEXT NOT NULL,
    entity_type  TEXT NOT NULL,
    entity_id    TEXT,
    summary      TEXT NOT NULL
);
