-- Bulk remedies under force majeure (issue 15 item 6): each affected booking of an incident
-- is offered a refund or a postponement once (the primary key: offering again, or two nodes
-- offering at once, adds nothing), and the customer's choice is recorded once — an UPDATE
-- conditional on `state = 'offered'`, so of two choices at once on any number of nodes one
-- lands. What each option meant in money is kept as quoted in the offer. No personal data:
-- the customer and booking are ids.
CREATE TABLE incident_remedies (
    incident_id   TEXT NOT NULL REFERENCES incidents (id),
    booking_id    TEXT NOT NULL REFERENCES bookings (id),
    -- Who booked (and chooses): the one message per customer goes to them.
    customer_id   TEXT NOT NULL REFERENCES customers (id),
    state         TEXT NOT NULL CHECK (state IN ('offered', 'refund', 'postpone', 'withdrawn')),
    paid_fen      INTEGER NOT NULL,
    refund_fen    INTEGER NOT NULL,
    postpone_free INTEGER NOT NULL,
    -- How the offer was sent: 'sms', 'email', or NULL when the customer has neither (staff call).
    notified_via  TEXT CHECK (notified_via IN ('sms', 'email')),
    offered_by    TEXT REFERENCES users (id),
    offered_at    INTEGER NOT NULL,
    chosen_at     INTEGER,
    chosen_via    TEXT CHECK (chosen_via IN ('link', 'staff')),
    chosen_by     TEXT REFERENCES users (id),
    -- A refund chosen: the cancellation's refund record; a postponement: staff's ticket.
    refund_id     TEXT REFERENCES booking_refunds (id),
    ticket_id     TEXT REFERENCES tickets (id),
    withdrawn_at  INTEGER,
    PRIMARY KEY (incident_id, booking_id),
    CHECK ((state IN ('refund', 'postpone')) = (chosen_at IS NOT NULL))
);
CREATE INDEX incident_remedies_state_idx ON incident_remedies (incident_id, state, booking_id);
CREATE INDEX incident_remedies_customer_idx ON incident_remedies (incident_id, customer_id);
CREATE INDEX incident_remedies_booking_idx ON incident_remedies (booking_id, state);
