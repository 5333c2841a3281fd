-- The desk: tickets (inquiries, complaints, feedback), their timeline, who handled them,
-- and tasks (rectification, improvement). Instants epoch ms; ids UUIDv7 text; money fen.

CREATE TABLE tickets (
    id                         TEXT PRIMARY KEY NOT NULL,
    number                     TEXT NOT NULL,
    kind                       TEXT NOT NULL CHECK (kind IN ('inquiry', 'complaint', 'feedback')),
    channel                    TEXT NOT NULL CHECK (channel IN ('phone', 'email', 'web_form', 'chat', 'on_site', 'social')),
    level                      TEXT NOT NULL CHECK (level IN ('general', 'important', 'urgent')),
    -- 0 urgent, 1 important, 2 general: queues sort on it.
    priority                   BIGINT NOT NULL,
    state                      TEXT NOT NULL,
    subject                    TEXT NOT NULL,
    description                TEXT NOT NULL,
    customer_id                TEXT,
    customer_name              TEXT NOT NULL,
    booking_ref                TEXT,
    business_area              TEXT,
    tags                       TEXT NOT NULL,
    group_id                   TEXT REFERENCES departments (id),
    assignee_id                TEXT REFERENCES users (id),
    compensation_kind          TEXT,
    compensation_amount_fen    BIGINT,
    compensation_approved_by   TEXT REFERENCES users (id),
    compensation_approved_at   BIGINT,
    cause                      TEXT,
    responsible_department_id  TEXT REFERENCES departments (id),
    responsible_person         TEXT,
    last_satisfaction          BIGINT,
    created_by                 TEXT REFERENCES users (id),
    created_at                 BIGINT NOT NULL,
    updated_at                 BIGINT NOT NULL,
    resolved_at                BIGINT,
    closed_at                  BIGINT,
    version                    BIGINT NOT NULL
);
CREATE UNIQUE INDEX tickets_number_key ON tickets (number);
CREATE INDEX tickets_queue_idx ON tickets (state, priority, created_at);
CREATE INDEX tickets_group_idx ON tickets (group_id, state, priority, created_at);
CREATE INDEX tickets_assignee_idx ON tickets (assignee_id, state, priority, created_at);
CREATE INDEX tickets_customer_idx ON tickets (customer_id);

CREATE TABLE ticket_events (
    id          TEXT PRIMARY KEY NOT NULL,
    ticket_id   TEXT NOT NULL REFERENCES tickets (id),
    at          BIGINT NOT NULL,
    actor_id    TEXT REFERENCES users (id),
    actor_name  TEXT NOT NULL,
    kind        TEXT NOT NULL,
    step        TEXT,
    from_state  TEXT,
    to_state    TEXT,
    body        TEXT,
    data        TEXT
);
CREATE INDEX ticket_events_ticket_idx ON ticket_events (ticket_id, at);

-- Everyone who took part in handling a ticket: they may not perform its follow-up.
CREATE TABLE ticket_handlers (
    ticket_id  TEXT NOT NULL REFERENCES tickets (id),
    user_id    TEXT NOT NULL REFERENCES users (id),
    PRIMARY KEY (ticket_id, user_id)
);

CREATE TABLE desk_tasks (
    id             TEXT PRIMARY KEY NOT NULL,
    ticket_id      TEXT NOT NULL REFERENCES tickets (id),
    kind           TEXT NOT NULL CHECK (kind IN ('rectification', 'improvement', 'follow_up')),
    department_id  TEXT REFERENCES departments (id),
    assignee_id    TEXT REFERENCES users (id),
    title          TEXT NOT NULL,
    body           TEXT NOT NULL,
    created_at     BIGINT NOT NULL,
    due_at         BIGINT,
    done_at        BIGINT
);
CREATE INDEX desk_tasks_ticket_idx ON desk_tasks (ticket_id);
CREATE INDEX desk_tasks_open_idx ON desk_tasks (department_id, done_at);

-- Named sequences (ticket numbers). One row per name, bumped inside the writing transaction.
CREATE TABLE counters (
    name   TEXT PRIMARY KEY NOT NULL,
    value  BIGINT NOT NULL
);
