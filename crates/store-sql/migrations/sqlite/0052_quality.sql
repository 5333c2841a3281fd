-- Service quality (issue 18): the booking system's heartbeats — a row per node and minute
-- it served, written by the recurring job `quality.heartbeat`; minutes without one are
-- downtime — and the figures the agency publishes on its commitments page. The indexes
-- let each of the dashboard's counts read one range of one index (covering: no table rows).
CREATE TABLE heartbeats (
    minute  INTEGER NOT NULL,
    node    TEXT NOT NULL,
    PRIMARY KEY (minute, node)
);

CREATE TABLE quality_public_kpis (
    kpi         TEXT PRIMARY KEY NOT NULL,
    updated_at  INTEGER NOT NULL
);

CREATE INDEX sla_clocks_quality_idx ON sla_clocks
    (target_key, started_at, state, due_at, channel, department_id, agent_id);
CREATE INDEX tickets_kind_created_idx ON tickets (kind, created_at);
CREATE INDEX calls_direction_started_idx ON calls (direction, started_at, answered_at);
CREATE INDEX surveys_used_idx ON surveys (used_at, satisfaction, ticket_id, agent_id)
    WHERE used_at IS NOT NULL;
CREATE INDEX bookings_created_confirmed_idx ON bookings (created_at, customer_id, confirmed_at);
CREATE INDEX bookings_customer_confirmed_idx ON bookings (customer_id, created_at)
    WHERE confirmed_at IS NOT NULL;
CREATE INDEX customers_created_source_idx ON customers (created_at, source_channel, merged_into);
