-- The secret-token URLs of iCalendar feeds (issue 14 item 7): one room's, or one room type's,
-- unavailable nights for OTAs to import. Only the token's SHA-256 is kept; the URL is shown
-- once, when the feed is made.
CREATE TABLE ical_feeds (
    id           TEXT PRIMARY KEY NOT NULL,
    room_id      TEXT REFERENCES rooms (id),
    room_type_id TEXT REFERENCES room_types (id),
    token_hash   TEXT NOT NULL UNIQUE,
    created_by   TEXT REFERENCES users (id),
    created_at   BIGINT NOT NULL,
    CHECK ((room_id IS NULL) <> (room_type_id IS NULL))
);
