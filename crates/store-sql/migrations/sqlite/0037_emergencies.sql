-- Emergencies (issue 15): incidents, the people they affect (found from bookings, or added
-- by hand) with their answers, the team and its checklist, voice-call tasks, and the
-- incident's timeline.
CREATE TABLE incidents (
    id                TEXT PRIMARY KEY NOT NULL,
    kind              TEXT NOT NULL CHECK (kind IN ('natural_disaster', 'safety', 'system_failure', 'other')),
    level             TEXT NOT NULL CHECK (level IN ('general', 'large', 'major', 'extraordinary')),
    title             TEXT NOT NULL,
    description       TEXT NOT NULL,
    warning_colour    TEXT CHECK (warning_colour IN ('blue', 'yellow', 'orange', 'red')),
    scope             TEXT NOT NULL,
    drill             INTEGER NOT NULL,
    state             TEXT NOT NULL CHECK (state IN ('open', 'closed')),
    no_answer_minutes INTEGER NOT NULL CHECK (no_answer_minutes BETWEEN 5 AND 1440),
    ticket_id         TEXT REFERENCES tickets (id),
    declared_by       TEXT REFERENCES users (id),
    declared_at       INTEGER NOT NULL,
    first_message_at  INTEGER,
    reported_at       INTEGER,
    closed_at         INTEGER,
    closing_summary   TEXT,
    version           INTEGER NOT NULL
);
CREATE INDEX incidents_declared_idx ON incidents (declared_at, id);

-- One row per person and incident: the primary key makes a recomputation, a hand-added
-- person and two nodes adding at once meet in one row. `in_scope` drops to 0 when a changed
-- scope no longer reaches the person's booking (their answer stays). `escalated_at` is set
-- by a conditional update, so a person becomes one urgent ticket however many nodes try.
CREATE TABLE incident_people (
    incident_id         TEXT NOT NULL REFERENCES incidents (id),
    customer_id         TEXT NOT NULL REFERENCES customers (id),
    origin              TEXT NOT NULL CHECK (origin IN ('booking', 'manual')),
    booking_id          TEXT REFERENCES bookings (id),
    in_scope            INTEGER NOT NULL,
    status              TEXT NOT NULL CHECK (status IN ('pending', 'safe', 'needs_help')),
    answered_at         INTEGER,
    answered_via        TEXT CHECK (answered_via IN ('link', 'sms', 'staff')),
    escalated_at        INTEGER,
    escalated_ticket_id TEXT REFERENCES tickets (id),
    added_at            INTEGER NOT NULL,
    PRIMARY KEY (incident_id, customer_id)
);
CREATE INDEX incident_people_status_idx ON incident_people (incident_id, status, customer_id);
CREATE INDEX incident_people_customer_idx ON incident_people (customer_id);

-- A traveler the team must phone (no answer after the broadcast, or no number to text).
CREATE TABLE incident_calls (
    incident_id TEXT NOT NULL REFERENCES incidents (id),
    customer_id TEXT NOT NULL REFERENCES customers (id),
    reason      TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    outcome     TEXT CHECK (outcome IN ('reached', 'no_answer', 'wrong_number')),
    called_by   TEXT REFERENCES users (id),
    called_at   INTEGER,
    PRIMARY KEY (incident_id, customer_id)
);
CREATE INDEX incident_calls_open_idx ON incident_calls (incident_id, called_at, created_at);

CREATE TABLE incident_team (
    incident_id TEXT NOT NULL REFERENCES incidents (id),
    role        TEXT NOT NULL CHECK (role IN ('leader', 'cs_manager', 'tech_support', 'logistics')),
    user_id     TEXT NOT NULL REFERENCES users (id),
    PRIMARY KEY (incident_id, role)
);

CREATE TABLE incident_checklist (
    incident_id TEXT NOT NULL REFERENCES incidents (id),
    item_key    TEXT NOT NULL,
    done_by     TEXT REFERENCES users (id),
    done_at     INTEGER NOT NULL,
    PRIMARY KEY (incident_id, item_key)
);

-- Everything that happened, in order: declared, scope changed, broadcast, answers, escalations,
-- reports, closing. `detail` is JSON without personal data (ids and counts).
CREATE TABLE incident_events (
    id          TEXT PRIMARY KEY NOT NULL,
    incident_id TEXT NOT NULL REFERENCES incidents (id),
    at          INTEGER NOT NULL,
    kind        TEXT NOT NULL,
    actor_id    TEXT REFERENCES users (id),
    customer_id TEXT REFERENCES customers (id),
    detail      TEXT NOT NULL
);
CREATE INDEX incident_events_idx ON incident_events (incident_id, at, id);
