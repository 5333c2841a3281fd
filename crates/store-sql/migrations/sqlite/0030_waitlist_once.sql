-- Joining a departure's waitlist (issue 14): a customer waits on a departure once. The
-- database holds it, so two agents adding the same customer at once get one entry; once
-- offered seats, the customer may join again (the partial index covers waiting entries only).
CREATE UNIQUE INDEX departure_waitlist_waiting_key ON departure_waitlist (departure_id, customer_id)
    WHERE offered_at IS NULL;
