-- The hotline's phone calls (issue 17 item 3), as the PBX reports them: imported from its
-- call-detail records (source 'cdr'), later its live events ('cti'). The customer's number is
-- sealed by the vault for the row's id and kept as its blind index (the customers' phone
-- index, so a call finds its customer and erasure finds the calls); the line, the agent's
-- extension and the times are the agency's own. The same call imported twice is one row.
CREATE TABLE calls (
    id            TEXT PRIMARY KEY,
    source        TEXT NOT NULL CHECK (source IN ('cdr', 'cti')),
    call_key      TEXT NOT NULL,
    direction     TEXT NOT NULL CHECK (direction IN ('inbound', 'outbound')),
    line          TEXT NOT NULL,
    agent         TEXT,
    customer_id   TEXT REFERENCES customers (id),
    number_sealed TEXT,
    number_index  TEXT,
    started_at    INTEGER NOT NULL,
    answered_at   INTEGER,
    ended_at      INTEGER NOT NULL,
    ring_secs     INTEGER NOT NULL,
    talk_secs     INTEGER NOT NULL,
    disposition   TEXT NOT NULL
        CHECK (disposition IN ('answered', 'no_answer', 'busy', 'failed', 'congestion')),
    imported_at   INTEGER NOT NULL,
    imported_by   TEXT REFERENCES users (id),
    UNIQUE (source, call_key)
);
CREATE INDEX calls_started_idx ON calls (started_at);
CREATE INDEX calls_customer_idx ON calls (customer_id, started_at);
CREATE INDEX calls_number_idx ON calls (number_index);
