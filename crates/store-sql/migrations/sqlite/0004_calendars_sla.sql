-- Working-day calendars and the SLA engine. Instants are epoch milliseconds, civil dates
-- 'YYYY-MM-DD' text, flags 0/1 integers; ids UUIDv7 text.

-- A calendar: its zone, how it counts (office hours with holidays, or always open) and its
-- working hours per weekday as 'HH:MM-HH:MM,…' ('' = closed). `revision` grows with every
-- change of the calendar or its years, so nodes can cache calendars and notice changes.
CREATE TABLE calendars (
    id             TEXT PRIMARY KEY NOT NULL,
    name           TEXT NOT NULL,
    zone           TEXT NOT NULL,
    mode           TEXT NOT NULL CHECK (mode IN ('office', 'always_open')),
    hours_mon      TEXT NOT NULL,
    hours_tue      TEXT NOT NULL,
    hours_wed      TEXT NOT NULL,
    hours_thu      TEXT NOT NULL,
    hours_fri      TEXT NOT NULL,
    hours_sat      TEXT NOT NULL,
    hours_sun      TEXT NOT NULL,
    hours_make_up  TEXT NOT NULL,
    description    TEXT NOT NULL,
    revision       INTEGER NOT NULL,
    created_at     INTEGER NOT NULL,
    updated_at     INTEGER NOT NULL
);
CREATE UNIQUE INDEX calendars_name_key ON calendars (name);

-- A year of a calendar's public-holiday arrangement (a State Council notice).
CREATE TABLE calendar_years (
    calendar_id  TEXT NOT NULL REFERENCES calendars (id) ON DELETE CASCADE,
    year         INTEGER NOT NULL,
    notice       TEXT,
    updated_at   INTEGER NOT NULL,
    PRIMARY KEY (calendar_id, year)
);

-- Its dates: holidays (放假) and make-up working days (调休上班), with the festival they belong
-- to; `festival_seq` keeps the notice's order of festivals.
CREATE TABLE calendar_days (
    calendar_id   TEXT NOT NULL,
    year          INTEGER NOT NULL,
    day           TEXT NOT NULL,
    kind          TEXT NOT NULL CHECK (kind IN ('holiday', 'make_up')),
    festival_seq  INTEGER NOT NULL,
    festival_zh   TEXT NOT NULL,
    festival_en   TEXT NOT NULL,
    PRIMARY KEY (calendar_id, day),
    FOREIGN KEY (calendar_id, year) REFERENCES calendar_years (calendar_id, year) ON DELETE CASCADE
);

-- SLA targets as the organisation configured them.
CREATE TABLE sla_policies (
    key              TEXT PRIMARY KEY NOT NULL,
    name_zh          TEXT NOT NULL,
    name_en          TEXT NOT NULL,
    kind             TEXT NOT NULL CHECK (kind IN ('calendar_hours', 'working_hours', 'working_days')),
    amount           INTEGER NOT NULL CHECK (amount > 0),
    earliest         INTEGER,
    calendar         TEXT NOT NULL REFERENCES calendars (name),
    warn_at_percent  INTEGER NOT NULL CHECK (warn_at_percent >= 0 AND warn_at_percent < 100),
    pause_when       TEXT NOT NULL,
    notify_warning   TEXT NOT NULL,
    notify_breach    TEXT NOT NULL,
    enabled          INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL
);

-- One clock per target and subject. `next_due_at` is when the engine must look at it next
-- (its warning or deadline while running, NULL otherwise); the partial index is all the
-- scheduler reads. `version` makes every update conditional (fire exactly once).
CREATE TABLE sla_clocks (
    id               TEXT PRIMARY KEY NOT NULL,
    target_key       TEXT NOT NULL,
    subject_type     TEXT NOT NULL,
    subject_id       TEXT NOT NULL,
    channel          TEXT,
    department_id    TEXT,
    agent_id         TEXT,
    kind             TEXT NOT NULL CHECK (kind IN ('calendar_hours', 'working_hours', 'working_days')),
    calendar         TEXT NOT NULL,
    state            TEXT NOT NULL CHECK (state IN ('running', 'paused', 'met', 'breached', 'cancelled')),
    started_at       INTEGER NOT NULL,
    due_at           INTEGER NOT NULL,
    warn_at          INTEGER,
    opens_at         INTEGER,
    paused_at        INTEGER,
    paused_total_ms  INTEGER NOT NULL,
    warned           INTEGER NOT NULL,
    breached_at      INTEGER,
    stopped_at       INTEGER,
    last_change_at   INTEGER NOT NULL,
    next_due_at      INTEGER,
    version          INTEGER NOT NULL,
    created_at       INTEGER NOT NULL
);
CREATE INDEX sla_clocks_next_due_idx ON sla_clocks (next_due_at) WHERE next_due_at IS NOT NULL;
CREATE UNIQUE INDEX sla_clocks_active_key ON sla_clocks (subject_type, subject_id, target_key)
    WHERE state IN ('running', 'paused');
CREATE INDEX sla_clocks_subject_idx ON sla_clocks (subject_type, subject_id);
CREATE INDEX sla_clocks_started_idx ON sla_clocks (started_at);

-- What clocks did. A warning and a breach can be recorded once per clock, whatever the
-- number of nodes: the unique index is the last line of defence behind the version check.
CREATE TABLE sla_events (
    id            TEXT PRIMARY KEY NOT NULL,
    clock_id      TEXT NOT NULL REFERENCES sla_clocks (id) ON DELETE CASCADE,
    kind          TEXT NOT NULL CHECK (kind IN ('started', 'paused', 'resumed', 'warning', 'breach', 'met', 'cancelled')),
    at            INTEGER NOT NULL,
    recorded_at   INTEGER NOT NULL,
    node          TEXT NOT NULL,
    target_key    TEXT NOT NULL,
    subject_type  TEXT NOT NULL,
    subject_id    TEXT NOT NULL
);
CREATE UNIQUE INDEX sla_events_once_key ON sla_events (clock_id, kind) WHERE kind IN ('warning', 'breach');
CREATE INDEX sla_events_clock_idx ON sla_events (clock_id);
CREATE INDEX sla_events_recorded_idx ON sla_events (recorded_at);
