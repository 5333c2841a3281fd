-- Pre-trip documents (issue 14 item 8).
--
-- A departure names its guide or tour leader (导游/领队): a name and a work phone printed on the
-- travelers' documents; both empty until one is assigned.
ALTER TABLE departures ADD COLUMN guide_name TEXT NOT NULL DEFAULT '';
ALTER TABLE departures ADD COLUMN guide_phone TEXT NOT NULL DEFAULT '';

-- Each sending of a booking's pre-trip documents: when and by whom, the channel it went on
-- and the customer's preferred one with the reason it was not used (`not_deliverable`,
-- `no_address`), the SHA-256 of the document's content at that moment (compared with the
-- content the booking gives now, so staff see when a resend is due), the outbox message, and
-- when the traveler confirmed receiving it (set once, by a conditional UPDATE). The link's
-- token is not stored: it is the vault's HMAC of the row's id. No personal data: the address
-- is on the outbox message, which erasure already reaches.
CREATE TABLE booking_document_sends (
    id           TEXT PRIMARY KEY NOT NULL,
    booking_id   TEXT NOT NULL REFERENCES bookings (id),
    sent_at      INTEGER NOT NULL,
    sent_by      TEXT REFERENCES users (id),
    channel      TEXT NOT NULL,
    preferred    TEXT,
    fallback     TEXT,
    content_hash TEXT NOT NULL,
    message_id   TEXT,
    received_at  INTEGER
);
CREATE INDEX booking_document_sends_booking_idx ON booking_document_sends (booking_id, sent_at, id);
