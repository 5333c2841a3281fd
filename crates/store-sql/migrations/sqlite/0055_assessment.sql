-- Staff assessment (issue 18 item 4): the monthly cycle, the supervisor, peer and self
-- ratings on the seed's five criteria (1–5 each, NULL where not rated), training records,
-- and the rewards and corrections decided on the results. Customers' ratings are read from
-- surveys, drills from incidents: nothing of theirs is copied here.
CREATE TABLE assessment_cycles (
    id        TEXT PRIMARY KEY,
    month     TEXT NOT NULL UNIQUE,
    state     TEXT NOT NULL CHECK (state IN ('open', 'closed')),
    opened_by TEXT NOT NULL REFERENCES users (id),
    opened_at INTEGER NOT NULL,
    closed_by TEXT REFERENCES users (id),
    closed_at INTEGER
);

CREATE TABLE assessment_ratings (
    id                TEXT PRIMARY KEY,
    cycle_id          TEXT NOT NULL REFERENCES assessment_cycles (id),
    ratee_id          TEXT NOT NULL REFERENCES users (id),
    rater_id          TEXT NOT NULL REFERENCES users (id),
    kind              TEXT NOT NULL CHECK (kind IN ('supervisor', 'peer', 'self')),
    satisfaction      INTEGER CHECK (satisfaction BETWEEN 1 AND 5),
    response_time     INTEGER CHECK (response_time BETWEEN 1 AND 5),
    problem_solving   INTEGER CHECK (problem_solving BETWEEN 1 AND 5),
    product_knowledge INTEGER CHECK (product_knowledge BETWEEN 1 AND 5),
    communication     INTEGER CHECK (communication BETWEEN 1 AND 5),
    comment           TEXT,
    at                INTEGER NOT NULL,
    UNIQUE (cycle_id, ratee_id, rater_id, kind)
);

CREATE TABLE training_records (
    id           TEXT PRIMARY KEY,
    user_id      TEXT NOT NULL REFERENCES users (id),
    title        TEXT NOT NULL,
    on_date      TEXT NOT NULL,
    hours_tenths INTEGER NOT NULL CHECK (hours_tenths > 0),
    recorded_by  TEXT NOT NULL REFERENCES users (id),
    recorded_at  INTEGER NOT NULL
);
CREATE INDEX training_records_date_idx ON training_records (on_date);

CREATE TABLE assessment_actions (
    id          TEXT PRIMARY KEY,
    cycle_id    TEXT NOT NULL REFERENCES assessment_cycles (id),
    subject     TEXT NOT NULL CHECK (subject IN ('agent', 'department')),
    subject_id  TEXT NOT NULL,
    kind        TEXT NOT NULL CHECK (kind IN ('reward', 'correction')),
    note        TEXT NOT NULL,
    recorded_by TEXT NOT NULL REFERENCES users (id),
    recorded_at INTEGER NOT NULL
);
CREATE INDEX assessment_actions_cycle_idx ON assessment_actions (cycle_id);
