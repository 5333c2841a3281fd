-- Service quality's hourly rollup (issue 18): the dashboard's large counts — SLA clock
-- outcomes, complaints, minutes the booking system served — kept per hour of their start by
-- triggers, so in the same transaction as every change of the records they count, whatever
-- code path makes it. A month is then about 720 rows per figure however many records the
-- store holds; the store counts the partial hours at a period's edges from the records
-- themselves (any time zone), and running clocks past their deadline live (they turn
-- breached without a write).
--
-- `metric`: `met` or `breached` (a clock's stored outcome; `target` is its target key),
-- `complaint` (a ticket of that kind, by creation), `uptime` (a minute some node served).
-- `dim`/`val`: '' and '' for everything, or `channel`, `group` (department) or `agent` and
-- its value — one row each, so one filter reads its own rows. `shard` is always 0 here
-- (SQLite has one writer); PostgreSQL spreads a busy hour's increments over 8 rows.
CREATE TABLE quality_hours (
    metric  TEXT NOT NULL,
    target  TEXT NOT NULL,
    dim     TEXT NOT NULL,
    val     TEXT NOT NULL,
    hour    INTEGER NOT NULL,
    shard   INTEGER NOT NULL,
    n       INTEGER NOT NULL,
    PRIMARY KEY (metric, target, dim, val, hour, shard)
) WITHOUT ROWID;

-- Each minute in which at least one node recorded a heartbeat, once.
CREATE TABLE uptime_minutes (
    minute  INTEGER PRIMARY KEY NOT NULL
);

-- Running clocks past their deadline are counted live: they are few (open work), and this
-- index holds only them.
CREATE INDEX sla_clocks_running_quality_idx ON sla_clocks
    (target_key, started_at, due_at, channel, department_id, agent_id)
    WHERE state = 'running';

-- What the records hold today.
INSERT INTO uptime_minutes (minute) SELECT DISTINCT minute FROM heartbeats;
INSERT INTO quality_hours (metric, target, dim, val, hour, shard, n)
    SELECT 'uptime', '', '', '', minute / 3600000, 0, COUNT(*) FROM uptime_minutes
    GROUP BY minute / 3600000;
INSERT INTO quality_hours (metric, target, dim, val, hour, shard, n)
    SELECT 'complaint', '', '', '', created_at / 3600000, 0, COUNT(*) FROM tickets
    WHERE kind = 'complaint' GROUP BY created_at / 3600000;
INSERT INTO quality_hours (metric, target, dim, val, hour, shard, n)
    SELECT state, target_key, d.dim, d.val, started_at / 3600000, 0, COUNT(*)
    FROM (
        SELECT state, target_key, started_at, '' AS dim, '' AS val FROM sla_clocks
            WHERE state IN ('met', 'breached')
        UNION ALL SELECT state, target_key, started_at, 'channel', channel FROM sla_clocks
            WHERE state IN ('met', 'breached') AND channel IS NOT NULL
        UNION ALL SELECT state, target_key, started_at, 'group', department_id FROM sla_clocks
            WHERE state IN ('met', 'breached') AND department_id IS NOT NULL
        UNION ALL SELECT state, target_key, started_at, 'agent', agent_id FROM sla_clocks
            WHERE state IN ('met', 'breached') AND agent_id IS NOT NULL
    ) AS d
    GROUP BY state, target_key, d.dim, d.val, started_at / 3600000;

-- Clocks: an outcome leaving a row is taken off its hour, one arriving added.
CREATE TRIGGER sla_clocks_quality_insert AFTER INSERT ON sla_clocks
WHEN NEW.state IN ('met', 'breached')
BEGIN
    INSERT INTO quality_hours (metric, target, dim, val, hour, shard, n)
        SELECT NEW.state, NEW.target_key, d.dim, d.val, NEW.started_at / 3600000, 0, 1
        FROM (SELECT '' AS dim, '' AS val UNION ALL SELECT 'channel', NEW.channel
              UNION ALL SELECT 'group', NEW.department_id
              UNION ALL SELECT 'agent', NEW.agent_id) AS d
        WHERE d.val IS NOT NULL
        ON CONFLICT (metric, target, dim, val, hour, shard) DO UPDATE SET n = n + excluded.n;
END;

CREATE TRIGGER sla_clocks_quality_update AFTER UPDATE ON sla_clocks
WHEN (OLD.state IN ('met', 'breached') OR NEW.state IN ('met', 'breached'))
    AND (OLD.state IS NOT NEW.state OR OLD.target_key IS NOT NEW.target_key
        OR OLD.started_at IS NOT NEW.started_at OR OLD.channel IS NOT NEW.channel
        OR OLD.department_id IS NOT NEW.department_id OR OLD.agent_id IS NOT NEW.agent_id)
BEGIN
    INSERT INTO quality_hours (metric, target, dim, val, hour, shard, n)
        SELECT OLD.state, OLD.target_key, d.dim, d.val, OLD.started_at / 3600000, 0, -1
        FROM (SELECT '' AS dim, '' AS val UNION ALL SELECT 'channel', OLD.channel
              UNION ALL SELECT 'group', OLD.department_id
              UNION ALL SELECT 'agent', OLD.agent_id) AS d
        WHERE d.val IS NOT NULL AND OLD.state IN ('met', 'breached')
        ON CONFLICT (metric, target, dim, val, hour, shard) DO UPDATE SET n = n + excluded.n;
    INSERT INTO quality_hours (metric, target, dim, val, hour, shard, n)
        SELECT NEW.state, NEW.target_key, d.dim, d.val, NEW.started_at / 3600000, 0, 1
        FROM (SELECT '' AS dim, '' AS val UNION ALL SELECT 'channel', NEW.channel
              UNION ALL SELECT 'group', NEW.department_id
              UNION ALL SELECT 'agent', NEW.agent_id) AS d
        WHERE d.val IS NOT NULL AND NEW.state IN ('met', 'breached')
        ON CONFLICT (metric, target, dim, val, hour, shard) DO UPDATE SET n = n + excluded.n;
END;

CREATE TRIGGER sla_clocks_quality_delete AFTER DELETE ON sla_clocks
WHEN OLD.state IN ('met', 'breached')
BEGIN
    INSERT INTO quality_hours (metric, target, dim, val, hour, shard, n)
        SELECT OLD.state, OLD.target_key, d.dim, d.val, OLD.started_at / 3600000, 0, -1
        FROM (SELECT '' AS dim, '' AS val UNION ALL SELECT 'channel', OLD.channel
              UNION ALL SELECT 'group', OLD.department_id
              UNION ALL SELECT 'agent', OLD.agent_id) AS d
        WHERE d.val IS NOT NULL
        ON CONFLICT (metric, target, dim, val, hour, shard) DO UPDATE SET n = n + excluded.n;
END;

-- Complaints, by the hour of their creation.
CREATE TRIGGER tickets_quality_insert AFTER INSERT ON tickets
WHEN NEW.kind = 'complaint'
BEGIN
    INSERT INTO quality_hours (metric, target, dim, val, hour, shard, n)
        VALUES ('complaint', '', '', '', NEW.created_at / 3600000, 0, 1)
        ON CONFLICT (metric, target, dim, val, hour, shard) DO UPDATE SET n = n + excluded.n;
END;

CREATE TRIGGER tickets_quality_update AFTER UPDATE ON tickets
WHEN (OLD.kind = 'complaint' OR NEW.kind = 'complaint')
    AND (OLD.kind IS NOT NEW.kind OR OLD.created_at IS NOT NEW.created_at)
BEGIN
    INSERT INTO quality_hours (metric, target, dim, val, hour, shard, n)
        SELECT 'complaint', '', '', '', OLD.created_at / 3600000, 0, -1
        WHERE OLD.kind = 'complaint'
        ON CONFLICT (metric, target, dim, val, hour, shard) DO UPDATE SET n = n + excluded.n;
    INSERT INTO quality_hours (metric, target, dim, val, hour, shard, n)
        SELECT 'complaint', '', '', '', NEW.created_at / 3600000, 0, 1
        WHERE NEW.kind = 'complaint'
        ON CONFLICT (metric, target, dim, val, hour, shard) DO UPDATE SET n = n + excluded.n;
END;

CREATE TRIGGER tickets_quality_delete AFTER DELETE ON tickets
WHEN OLD.kind = 'complaint'
BEGIN
    INSERT INTO quality_hours (metric, target, dim, val, hour, shard, n)
        VALUES ('complaint', '', '', '', OLD.created_at / 3600000, 0, -1)
        ON CONFLICT (metric, target, dim, val, hour, shard) DO UPDATE SET n = n + excluded.n;
END;

-- Heartbeats: a node's minute makes the minute up once, whichever node was first; it stops
-- being up when no node's heartbeat of it is left.
CREATE TRIGGER heartbeats_quality_insert AFTER INSERT ON heartbeats
BEGIN
    INSERT INTO uptime_minutes (minute) VALUES (NEW.minute) ON CONFLICT (minute) DO NOTHING;
END;

CREATE TRIGGER heartbeats_quality_delete AFTER DELETE ON heartbeats
WHEN NOT EXISTS (SELECT 1 FROM heartbeats h WHERE h.minute = OLD.minute)
BEGIN
    DELETE FROM uptime_minutes WHERE minute = OLD.minute;
END;

CREATE TRIGGER uptime_minutes_quality_insert AFTER INSERT ON uptime_minutes
BEGIN
    INSERT INTO quality_hours (metric, target, dim, val, hour, shard, n)
        VALUES ('uptime', '', '', '', NEW.minute / 3600000, 0, 1)
        ON CONFLICT (metric, target, dim, val, hour, shard) DO UPDATE SET n = n + excluded.n;
END;

CREATE TRIGGER uptime_minutes_quality_delete AFTER DELETE ON uptime_minutes
BEGIN
    INSERT INTO quality_hours (metric, target, dim, val, hour, shard, n)
        VALUES ('uptime', '', '', '', OLD.minute / 3600000, 0, -1)
        ON CONFLICT (metric, target, dim, val, hour, shard) DO UPDATE SET n = n + excluded.n;
END;
