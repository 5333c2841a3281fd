-- OTA calendar subscriptions (issue 14 item 7): a room follows an OTA's .ics address, which
-- the job substrate fetches every `interval_minutes` and imports as blocks of `source`. The
-- last attempt's outcome is kept for the pages (when, what it read, or why it failed), and
-- `last_ok_at` the last import that succeeded. One subscription per room and source: two
-- would replace each other's blocks.
CREATE TABLE ical_subscriptions (
    id               TEXT PRIMARY KEY NOT NULL,
    room_id          TEXT NOT NULL REFERENCES rooms (id),
    source           TEXT NOT NULL,
    url              TEXT NOT NULL,
    interval_minutes BIGINT NOT NULL CHECK (interval_minutes BETWEEN 5 AND 1440),
    next_sync_at     BIGINT NOT NULL,
    created_by       TEXT REFERENCES users (id),
    created_at       BIGINT NOT NULL,
    last_sync_at     BIGINT,
    last_events      BIGINT,
    last_nights      BIGINT,
    last_conflicts   BIGINT,
    last_error_code  TEXT,
    last_error       TEXT,
    last_ok_at       BIGINT,
    UNIQUE (room_id, source)
);
CREATE INDEX ical_subscriptions_due_idx ON ical_subscriptions (next_sync_at);

-- Conflicts between an imported block and a booking that staff were alerted to: one row per
-- (room, source, night, booking) while the conflict lasts, so each new conflict alerts once,
-- not on every poll. The primary key lets one of two concurrent imports note it.
CREATE TABLE ical_conflicts (
    room_id    TEXT NOT NULL REFERENCES rooms (id),
    source     TEXT NOT NULL,
    night      TEXT NOT NULL,
    booking_id TEXT NOT NULL REFERENCES bookings (id),
    noted_at   BIGINT NOT NULL,
    PRIMARY KEY (room_id, source, night, booking_id)
);
