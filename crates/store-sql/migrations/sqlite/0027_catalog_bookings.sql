-- Catalog and bookings (issue 14). Inventory invariants are the database's:
--  * `departures.taken` counts seats held or confirmed; CHECK (taken <= seats) refuses any
--    statement that would oversell, and bookings take seats with a conditional UPDATE.
--  * `room_nights` has one row per occupied room-night, keyed by (room_id, night): a second
--    booking (or an OTA block) of a night cannot be inserted.
-- Catalog content (itinerary, prices, facilities) is kept as the domain's JSON in `body`,
-- with the columns lists and joins need beside it. Travelers are customers: their names,
-- ID numbers and contacts stay sealed in the customer vault.
CREATE TABLE tour_packages (
    id          TEXT PRIMARY KEY NOT NULL,
    name        TEXT NOT NULL,
    destination TEXT NOT NULL,
    scope       TEXT NOT NULL,
    body        TEXT NOT NULL,
    active      INTEGER NOT NULL,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);
CREATE INDEX tour_packages_name_idx ON tour_packages (name, id);

CREATE TABLE departures (
    id          TEXT PRIMARY KEY NOT NULL,
    package_id  TEXT NOT NULL REFERENCES tour_packages (id),
    departs_on  TEXT NOT NULL,
    seats       INTEGER NOT NULL CHECK (seats > 0),
    taken       INTEGER NOT NULL CHECK (taken >= 0 AND taken <= seats),
    min_group   INTEGER NOT NULL,
    go_no_go    TEXT NOT NULL,
    prices      TEXT NOT NULL,
    meeting_time  TEXT NOT NULL,
    meeting_point TEXT NOT NULL,
    cancelled   INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);
CREATE INDEX departures_date_idx ON departures (departs_on, package_id);
CREATE INDEX departures_package_idx ON departures (package_id, departs_on);

CREATE TABLE properties (
    id             TEXT PRIMARY KEY NOT NULL,
    name           TEXT NOT NULL,
    address        TEXT NOT NULL,
    phone          TEXT NOT NULL,
    check_in_time  TEXT NOT NULL,
    check_out_time TEXT NOT NULL,
    created_at     INTEGER NOT NULL
);

CREATE TABLE room_types (
    id          TEXT PRIMARY KEY NOT NULL,
    property_id TEXT NOT NULL REFERENCES properties (id),
    name        TEXT NOT NULL,
    body        TEXT NOT NULL,
    created_at  INTEGER NOT NULL
);
CREATE INDEX room_types_property_idx ON room_types (property_id, name);

CREATE TABLE rooms (
    id           TEXT PRIMARY KEY NOT NULL,
    property_id  TEXT NOT NULL REFERENCES properties (id),
    room_type_id TEXT NOT NULL REFERENCES room_types (id),
    label        TEXT NOT NULL,
    position     INTEGER NOT NULL,
    active       INTEGER NOT NULL,
    UNIQUE (property_id, label)
);
CREATE INDEX rooms_order_idx ON rooms (property_id, position, label);

CREATE TABLE bookings (
    id              TEXT PRIMARY KEY NOT NULL,
    customer_id     TEXT NOT NULL REFERENCES customers (id),
    state           TEXT NOT NULL,
    hold_kind       TEXT,
    hold_expires_at INTEGER,
    confirmation_no TEXT UNIQUE,
    starts_on       TEXT NOT NULL,
    ends_on         TEXT NOT NULL,
    total_fen       INTEGER NOT NULL,
    paid_fen        INTEGER NOT NULL,
    policy          TEXT,
    ticket_id       TEXT REFERENCES tickets (id),
    created_by      TEXT REFERENCES users (id),
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL,
    confirmed_at    INTEGER,
    closed_at       INTEGER,
    arrived_at      INTEGER,
    registered_at   INTEGER,
    version         INTEGER NOT NULL
);
CREATE INDEX bookings_customer_idx ON bookings (customer_id, created_at);
CREATE INDEX bookings_ticket_idx ON bookings (ticket_id) WHERE ticket_id IS NOT NULL;
CREATE INDEX bookings_starts_idx ON bookings (starts_on, id);
CREATE INDEX bookings_created_idx ON bookings (created_at, id);

CREATE TABLE booking_lines (
    booking_id   TEXT NOT NULL REFERENCES bookings (id),
    line_no      INTEGER NOT NULL,
    room_id      TEXT REFERENCES rooms (id),
    check_in     TEXT,
    check_out    TEXT,
    departure_id TEXT REFERENCES departures (id),
    adults       INTEGER,
    children     INTEGER,
    seniors      INTEGER,
    price_fen    INTEGER NOT NULL,
    PRIMARY KEY (booking_id, line_no),
    CHECK ((room_id IS NULL) <> (departure_id IS NULL))
);
CREATE INDEX booking_lines_departure_idx ON booking_lines (departure_id) WHERE departure_id IS NOT NULL;

CREATE TABLE booking_travelers (
    booking_id  TEXT NOT NULL REFERENCES bookings (id),
    position    INTEGER NOT NULL,
    customer_id TEXT NOT NULL REFERENCES customers (id),
    category    TEXT NOT NULL,
    PRIMARY KEY (booking_id, position)
);
CREATE INDEX booking_travelers_customer_idx ON booking_travelers (customer_id);

CREATE TABLE room_nights (
    room_id    TEXT NOT NULL REFERENCES rooms (id),
    night      TEXT NOT NULL,
    kind       TEXT NOT NULL,
    booking_id TEXT REFERENCES bookings (id),
    source     TEXT,
    PRIMARY KEY (room_id, night),
    CHECK ((kind = 'booking') = (booking_id IS NOT NULL))
);
CREATE INDEX room_nights_booking_idx ON room_nights (booking_id) WHERE booking_id IS NOT NULL;

CREATE TABLE booking_payments (
    id          TEXT PRIMARY KEY NOT NULL,
    booking_id  TEXT NOT NULL REFERENCES bookings (id),
    method      TEXT NOT NULL,
    amount_fen  INTEGER NOT NULL,
    reference   TEXT,
    recorded_by TEXT REFERENCES users (id),
    recorded_at INTEGER NOT NULL,
    UNIQUE (method, reference)
);
CREATE INDEX booking_payments_booking_idx ON booking_payments (booking_id, recorded_at);

CREATE TABLE booking_refunds (
    id          TEXT PRIMARY KEY NOT NULL,
    booking_id  TEXT NOT NULL REFERENCES bookings (id),
    cause       TEXT NOT NULL,
    computation TEXT NOT NULL,
    refund_fen  INTEGER NOT NULL,
    due_at      INTEGER NOT NULL,
    created_at  INTEGER NOT NULL,
    paid_at     INTEGER,
    payment_id  TEXT REFERENCES booking_payments (id)
);
CREATE INDEX booking_refunds_booking_idx ON booking_refunds (booking_id, created_at);

CREATE TABLE departure_waitlist (
    id           TEXT PRIMARY KEY NOT NULL,
    departure_id TEXT NOT NULL REFERENCES departures (id),
    customer_id  TEXT NOT NULL REFERENCES customers (id),
    adults       INTEGER NOT NULL,
    children     INTEGER NOT NULL,
    seniors      INTEGER NOT NULL,
    joined_at    INTEGER NOT NULL,
    offered_at   INTEGER
);
CREATE INDEX departure_waitlist_order_idx ON departure_waitlist (departure_id, joined_at, id);
