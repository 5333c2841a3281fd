-- Change quotes (issue 14 item 5): a change of dates, room or party priced for the customer
-- to accept, kept so the customer may agree later (by phone) while the quote is good. The
-- quote is the domain's JSON in `body` (the lines as they are and as proposed, each priced,
-- the fee and the totals); it holds prices, not inventory. `accepted_at` is set once, by a
-- conditional UPDATE, in the transaction that applies the change.
CREATE TABLE booking_change_quotes (
    id          TEXT PRIMARY KEY NOT NULL,
    booking_id  TEXT NOT NULL REFERENCES bookings (id),
    body        TEXT NOT NULL,
    created_by  TEXT REFERENCES users (id),
    created_at  BIGINT NOT NULL,
    expires_at  BIGINT NOT NULL,
    accepted_at BIGINT,
    accepted_by TEXT REFERENCES users (id)
);
CREATE INDEX booking_change_quotes_booking_idx ON booking_change_quotes (booking_id, created_at);
