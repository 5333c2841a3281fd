-- The guide or tour leader of each departure in an incident's scope is one of its people
-- (issue 15 item 2): a third origin, 'guide'. SQLite cannot change a CHECK in place, so the
-- table is rebuilt with its rows and indexes (no other table refers to it).
CREATE TABLE incident_people_next (
    incident_id         TEXT NOT NULL REFERENCES incidents (id),
    customer_id         TEXT NOT NULL REFERENCES customers (id),
    origin              TEXT NOT NULL CHECK (origin IN ('booking', 'manual', 'guide')),
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
INSERT INTO incident_people_next SELECT incident_id, customer_id, origin, booking_id, in_scope,
    status, answered_at, answered_via, escalated_at, escalated_ticket_id, added_at
    FROM incident_people;
DROP TABLE incident_people;
ALTER TABLE incident_people_next RENAME TO incident_people;
CREATE INDEX incident_people_status_idx ON incident_people (incident_id, status, customer_id);
CREATE INDEX incident_people_customer_idx ON incident_people (customer_id);
