-- A year without the State Council's holiday arrangement is computed on the provisional
-- calendar (weekends plus the statutory holidays). Each clock records whether its pending
-- instants were computed so (shown as provisional; recomputed when the year's arrangement
-- is imported, which finds them through the partial index).
ALTER TABLE sla_clocks ADD COLUMN provisional INTEGER NOT NULL DEFAULT 0;
CREATE INDEX sla_clocks_provisional_idx ON sla_clocks (calendar, id)
    WHERE provisional = 1 AND stopped_at IS NULL;

-- Administrators are warned once per calendar and year when next year's arrangement is
-- still missing on 1 October: the first node to insert the row sends the warning.
CREATE TABLE calendar_year_warnings (
    calendar_id TEXT NOT NULL REFERENCES calendars (id) ON DELETE CASCADE,
    year        INTEGER NOT NULL,
    warned_at   INTEGER NOT NULL,
    PRIMARY KEY (calendar_id, year)
);
