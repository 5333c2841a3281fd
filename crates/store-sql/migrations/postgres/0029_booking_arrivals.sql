-- Lodging arrival (issue 14 item 9): when the welcome pack was given (recorded with the
-- registration), and the front desk's list of a day's arrivals, found by the check-in date
-- of the booking's room lines.
ALTER TABLE bookings ADD COLUMN welcome_pack_at BIGINT;
CREATE INDEX booking_lines_check_in_idx ON booking_lines (check_in, room_id) WHERE room_id IS NOT NULL;
