-- Service quality's hourly rollup (issue 18): the dashboard's large counts — SLA clock
-- outcomes, complaints, minutes the booking system served — kept per hour of their start by
-- triggers, so in the same transaction as every change of the records they count, whatever
-- code path makes it. A month is then a few thousand rows per figure however many records
-- the store holds; the store counts the partial hours at a period's edges from the records
-- themselves (any time zone), and running clocks past their deadline live (they turn
-- breached without a write).
--
-- `metric`: `met` or `breached` (a clock's stored outcome; `target` is its target key),
-- `complaint` (a ticket of that kind, by creation), `uptime` (a minute some node served).
-- `dim`/`val`: '' and '' for everything, or `channel`, `group` (department) or `agent` and
-- its value — one row each, so one filter reads its own rows. `shard` (0–7, from the last
-- character of the record's id) spreads a busy hour's increments over 8 rows, so writers on
-- several nodes seldom wait for one another's row lock; readers add the shards up.
CREATE TABLE quality_hours (
    metric  TEXT NOT NULL,
    target  TEXT NOT NULL,
    dim     TEXT NOT NULL,
    val     TEXT NOT NULL,
    hour    BIGINT NOT NULL,
    shard   SMALLINT NOT NULL,
    n       BIGINT NOT NULL,
    PRIMARY KEY (metric, target, dim, val, hour, shard)
);

-- Each minute in which at least one node recorded a heartbeat, once.
CREATE TABLE uptime_minutes (
    minute  BIGINT PRIMARY KEY NOT NULL
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
    SELECT c.state, c.target_key, d.dim, d.val, c.started_at / 3600000, 0, COUNT(*)
    FROM sla_clocks c
    CROSS JOIN LATERAL (VALUES ('', ''), ('channel', c.channel), ('group', c.department_id),
                               ('agent', c.agent_id)) AS d (dim, val)
    WHERE c.state IN ('met', 'breached') AND d.val IS NOT NULL
    GROUP BY c.state, c.target_key, d.dim, d.val, c.started_at / 3600000;

-- Adds `n` to a record's hour, for everything and for each dimension it has.
CREATE FUNCTION quality_hours_add(
    p_metric TEXT, p_target TEXT, p_hour BIGINT, p_id TEXT, p_n BIGINT,
    p_channel TEXT, p_group TEXT, p_agent TEXT
) RETURNS void LANGUAGE sql AS $$
    INSERT INTO quality_hours (metric, target, dim, val, hour, shard, n)
        SELECT p_metric, p_target, d.dim, d.val, p_hour, ascii(right(p_id, 1)) % 8, p_n
        FROM (VALUES ('', ''), ('channel', p_channel), ('group', p_group), ('agent', p_agent))
            AS d (dim, val)
        WHERE d.val IS NOT NULL
    ON CONFLICT (metric, target, dim, val, hour, shard)
        DO UPDATE SET n = quality_hours.n + EXCLUDED.n;
$$;

-- Clocks: an outcome leaving a row is taken off its hour, one arriving added.
CREATE FUNCTION sla_clocks_quality() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'INSERT' AND OLD.state IN ('met', 'breached') THEN
        PERFORM quality_hours_add(OLD.state, OLD.target_key, OLD.started_at / 3600000, OLD.id,
            -1, OLD.channel, OLD.department_id, OLD.agent_id);
    END IF;
    IF TG_OP <> 'DELETE' AND NEW.state IN ('met', 'breached') THEN
        PERFORM quality_hours_add(NEW.state, NEW.target_key, NEW.started_at / 3600000, NEW.id,
            1, NEW.channel, NEW.department_id, NEW.agent_id);
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER sla_clocks_quality_insert AFTER INSERT ON sla_clocks FOR EACH ROW
    WHEN (NEW.state IN ('met', 'breached')) EXECUTE FUNCTION sla_clocks_quality();
CREATE TRIGGER sla_clocks_quality_update AFTER UPDATE ON sla_clocks FOR EACH ROW
    WHEN ((OLD.state IN ('met', 'breached') OR NEW.state IN ('met', 'breached'))
        AND (OLD.state, OLD.target_key, OLD.started_at, OLD.channel, OLD.department_id,
             OLD.agent_id)
        IS DISTINCT FROM (NEW.state, NEW.target_key, NEW.started_at, NEW.channel,
             NEW.department_id, NEW.agent_id))
    EXECUTE FUNCTION sla_clocks_quality();
CREATE TRIGGER sla_clocks_quality_delete AFTER DELETE ON sla_clocks FOR EACH ROW
    WHEN (OLD.state IN ('met', 'breached')) EXECUTE FUNCTION sla_clocks_quality();

-- Complaints, by the hour of their creation.
CREATE FUNCTION tickets_quality() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'INSERT' AND OLD.kind = 'complaint' THEN
        PERFORM quality_hours_add('complaint', '', OLD.created_at / 3600000, OLD.id, -1,
            NULL, NULL, NULL);
    END IF;
    IF TG_OP <> 'DELETE' AND NEW.kind = 'complaint' THEN
        PERFORM quality_hours_add('complaint', '', NEW.created_at / 3600000, NEW.id, 1,
            NULL, NULL, NULL);
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER tickets_quality_insert AFTER INSERT ON tickets FOR EACH ROW
    WHEN (NEW.kind = 'complaint') EXECUTE FUNCTION tickets_quality();
CREATE TRIGGER tickets_quality_update AFTER UPDATE ON tickets FOR EACH ROW
    WHEN ((OLD.kind = 'complaint' OR NEW.kind = 'complaint')
        AND (OLD.kind, OLD.created_at) IS DISTINCT FROM (NEW.kind, NEW.created_at))
    EXECUTE FUNCTION tickets_quality();
CREATE TRIGGER tickets_quality_delete AFTER DELETE ON tickets FOR EACH ROW
    WHEN (OLD.kind = 'complaint') EXECUTE FUNCTION tickets_quality();

-- Heartbeats: a node's minute makes the minute up once, whichever node was first (two
-- nodes inserting one minute at once: the second waits on the first's key and skips); it
-- stops being up when no node's heartbeat of it is left.
CREATE FUNCTION heartbeats_quality() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO uptime_minutes (minute) VALUES (NEW.minute) ON CONFLICT (minute) DO NOTHING;
    ELSIF NOT EXISTS (SELECT 1 FROM heartbeats h WHERE h.minute = OLD.minute) THEN
        DELETE FROM uptime_minutes WHERE minute = OLD.minute;
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER heartbeats_quality AFTER INSERT OR DELETE ON heartbeats FOR EACH ROW
    EXECUTE FUNCTION heartbeats_quality();

CREATE FUNCTION uptime_minutes_quality() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM quality_hours_add('uptime', '', NEW.minute / 3600000, '0', 1, NULL, NULL, NULL);
    ELSE
        PERFORM quality_hours_add('uptime', '', OLD.minute / 3600000, '0', -1, NULL, NULL, NULL);
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER uptime_minutes_quality AFTER INSERT OR DELETE ON uptime_minutes FOR EACH ROW
    EXECUTE FUNCTION uptime_minutes_quality();
