-- Writes that scale across nodes (issue 12).
--
-- Audit entries no longer take the chain head at commit: a write transaction inserts its
-- entries here, unlinked, and the linker (`Store::link_audit`, one node at a time under an
-- advisory lock) moves them into `audit_log` in `pos` order, assigning seq, prev_hash, hash
-- and MAC and advancing `audit_head` in one transaction. See docs/ARCHITECTURE.md, "Writes
-- that scale across nodes".
CREATE TABLE audit_pending (
    pos          BIGSERIAL PRIMARY KEY NOT NULL,
    id           TEXT NOT NULL,
    at           BIGINT NOT NULL,
    actor_id     TEXT,
    actor_name   TEXT NOT NULL,
    action       TEXT NOT NULL,
    entity_type  TEXT NOT NULL,
    entity_id    TEXT,
    summary      TEXT NOT NULL
);

-- Ticket numbers from a sequence instead of the `counters` row every intake locked until its
-- commit. `nextval` is not transactional: a rolled-back intake leaves a gap in the numbers.
CREATE SEQUENCE ticket_number_seq;
SELECT setval('ticket_number_seq',
              COALESCE((SELECT value FROM counters WHERE name = 'ticket'), 0) + 1, false);
DELETE FROM counters WHERE name = 'ticket';
