-- The PBX's live call events (issue 17 item 3, the CTI webhook) and the callback tasks of
-- missed calls.
--
-- call_events: each event of a call kept once by (call, kind) — a retried post changes
-- nothing, and the call's row in `calls` (source 'cti') is rebuilt from the set whatever the
-- order they came in. The call id is kept as a blind index; the customer's number sealed for
-- it, with the customers' phone index so erasure finds it.
CREATE TABLE call_events (
    call_key      TEXT NOT NULL,
    kind          TEXT NOT NULL CHECK (kind IN ('ringing', 'answered', 'missed', 'ended')),
    at            BIGINT NOT NULL,
    direction     TEXT NOT NULL CHECK (direction IN ('inbound', 'outbound')),
    line          TEXT NOT NULL,
    agent         TEXT,
    number_sealed TEXT,
    number_index  TEXT,
    received_at   BIGINT NOT NULL,
    PRIMARY KEY (call_key, kind)
);
CREATE INDEX call_events_number_idx ON call_events (number_index);

-- callback_tasks: a missed inbound call to be called back, one open task per number (the
-- partial unique index): the same caller missing three times is one task counting three.
-- Its SLA clock (policy `callback.missed_call`) runs on subject ('callback', id). Done when an
-- agent records the callback (outcome) or an answered outbound call reaches the number.
CREATE TABLE callback_tasks (
    id               TEXT PRIMARY KEY,
    number_index     TEXT,
    number_sealed    TEXT,
    customer_id      TEXT REFERENCES customers (id),
    line             TEXT NOT NULL,
    missed_count     BIGINT NOT NULL,
    first_missed_at  BIGINT NOT NULL,
    last_missed_at   BIGINT NOT NULL,
    created_at       BIGINT NOT NULL,
    done_at          BIGINT,
    done_by          TEXT REFERENCES users (id),
    outcome          TEXT
        CHECK (outcome IN ('reached', 'no_answer', 'voicemail', 'wrong_number', 'withdrawn')),
    note_sealed      TEXT,
    callback_call_id TEXT REFERENCES calls (id)
);
CREATE UNIQUE INDEX callback_tasks_open_key ON callback_tasks (number_index)
    WHERE done_at IS NULL;
CREATE INDEX callback_tasks_list_idx ON callback_tasks (created_at);
CREATE INDEX callback_tasks_customer_idx ON callback_tasks (customer_id);

-- A missed call counted on its callback task (once), and the ticket a call was turned into.
ALTER TABLE calls ADD COLUMN callback_task_id TEXT REFERENCES callback_tasks (id);
ALTER TABLE calls ADD COLUMN ticket_id TEXT REFERENCES tickets (id);
CREATE INDEX calls_ticket_idx ON calls (ticket_id);
