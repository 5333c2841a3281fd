-- Issue 14, items 6 and 5.
-- Products' cancellation policies as dated data: a version applies to exactly one product —
-- a tour package, a lodging property, or one of its room types (foreign keys, and a CHECK
-- that exactly one is named) — from its effective date until a later version of the same
-- product. Versions are only added: a booking keeps a copy of the version in force when it
-- was confirmed (`bookings.policy`). `terms` is the domain's JSON (tiers or a lodging preset).
CREATE TABLE cancellation_policies (
    id             TEXT PRIMARY KEY NOT NULL,
    package_id     TEXT REFERENCES tour_packages (id),
    property_id    TEXT REFERENCES properties (id),
    room_type_id   TEXT REFERENCES room_types (id),
    effective_from TEXT NOT NULL,
    name           TEXT NOT NULL,
    terms          TEXT NOT NULL,
    created_by     TEXT REFERENCES users (id),
    created_at     INTEGER NOT NULL,
    CHECK ((CASE WHEN package_id IS NULL THEN 0 ELSE 1 END)
         + (CASE WHEN property_id IS NULL THEN 0 ELSE 1 END)
         + (CASE WHEN room_type_id IS NULL THEN 0 ELSE 1 END) = 1)
);
CREATE INDEX cancellation_policies_package_idx ON cancellation_policies (package_id, effective_from, created_at)
    WHERE package_id IS NOT NULL;
CREATE INDEX cancellation_policies_property_idx ON cancellation_policies (property_id, effective_from, created_at)
    WHERE property_id IS NOT NULL;
CREATE INDEX cancellation_policies_room_type_idx ON cancellation_policies (room_type_id, effective_from, created_at)
    WHERE room_type_id IS NOT NULL;

-- Payment gateways that post signed payment notifications, with the shared secret they sign
-- with (kept as the outgoing webhooks' secrets are: the HMAC needs it; shown once when made).
CREATE TABLE payment_gateways (
    provider    TEXT PRIMARY KEY NOT NULL,
    secret      TEXT NOT NULL,
    description TEXT NOT NULL,
    created_by  TEXT REFERENCES users (id),
    created_at  INTEGER NOT NULL
);

-- Each notification received, once: the primary key (provider, notification_id) is what makes
-- a notification delivered twice — or racing on two nodes — record one payment. No foreign
-- key to the gateway: a deleted gateway's notifications stay with the payments they recorded.
CREATE TABLE payment_notifications (
    provider        TEXT NOT NULL,
    notification_id TEXT NOT NULL,
    body_sha256     TEXT NOT NULL,
    booking_id      TEXT NOT NULL REFERENCES bookings (id),
    payment_id      TEXT REFERENCES booking_payments (id),
    received_at     INTEGER NOT NULL,
    PRIMARY KEY (provider, notification_id)
);
CREATE INDEX payment_notifications_booking_idx ON payment_notifications (booking_id);
