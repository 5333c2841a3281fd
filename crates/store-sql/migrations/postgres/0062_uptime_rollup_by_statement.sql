-- Uptime's rollup (0060) once per statement instead of once per row: a statement writing many
-- heartbeats (the demo's 120 days, 172,800 minutes; an import of another node's history)
-- ran two PL/pgSQL triggers and an upsert per row — 14 s of the demo's start on PostgreSQL,
-- where SQLite took half a second. The statement's rows come in a transition table and are
-- rolled up with one INSERT … SELECT each; a node's own heartbeat (one row a minute) costs
-- what it did. SQLite keeps its row triggers (they run inside the engine, no call out).

DROP TRIGGER heartbeats_quality ON heartbeats;
DROP FUNCTION heartbeats_quality();
DROP TRIGGER uptime_minutes_quality ON uptime_minutes;
DROP FUNCTION uptime_minutes_quality();

-- A minute is up once, whichever node's heartbeat was first (a second node inserting the same
-- minute at once waits on the first's key and skips it).
CREATE FUNCTION heartbeats_inserted_quality() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO uptime_minutes (minute)
        SELECT DISTINCT minute FROM inserted ORDER BY minute
    ON CONFLICT (minute) DO NOTHING;
    RETURN NULL;
END
$$;

CREATE TRIGGER heartbeats_inserted_quality AFTER INSERT ON heartbeats
    REFERENCING NEW TABLE AS inserted FOR EACH STATEMENT
    EXECUTE FUNCTION heartbeats_inserted_quality();

-- A minute stops being up when no node's heartbeat of it is left.
CREATE FUNCTION heartbeats_deleted_quality() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM uptime_minutes u
    WHERE u.minute IN (SELECT DISTINCT minute FROM deleted)
      AND NOT EXISTS (SELECT 1 FROM heartbeats h WHERE h.minute = u.minute);
    RETURN NULL;
END
$$;

CREATE TRIGGER heartbeats_deleted_quality AFTER DELETE ON heartbeats
    REFERENCING OLD TABLE AS deleted FOR EACH STATEMENT
    EXECUTE FUNCTION heartbeats_deleted_quality();

-- The minutes an uptime statement added or took away, counted into their hours (shard 0, as
-- `quality_hours_add` put uptime: one node in a minute writes it). One function for both
-- triggers: each names its transition table `changed`.
CREATE FUNCTION uptime_minutes_changed_quality() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO quality_hours (metric, target, dim, val, hour, shard, n)
        SELECT 'uptime', '', '', '', minute / 3600000, 0,
               CASE WHEN TG_OP = 'INSERT' THEN 1 ELSE -1 END * COUNT(*)
        FROM changed
        GROUP BY minute / 3600000 ORDER BY minute / 3600000
    ON CONFLICT (metric, target, dim, val, hour, shard)
        DO UPDATE SET n = quality_hours.n + EXCLUDED.n;
    RETURN NULL;
END
$$;

CREATE TRIGGER uptime_minutes_inserted_quality AFTER INSERT ON uptime_minutes
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT
    EXECUTE FUNCTION uptime_minutes_changed_quality();

CREATE TRIGGER uptime_minutes_deleted_quality AFTER DELETE ON uptime_minutes
    REFERENCING OLD TABLE AS changed FOR EACH STATEMENT
    EXECUTE FUNCTION uptime_minutes_changed_quality();
