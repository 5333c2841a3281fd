-- What an incident cost (issue 15 item 9), entered by staff for the post-incident report:
-- a line each (what, how much in fen, who entered it and when), never changed once entered.
-- The refunds its remedies led to are not copied here: the report reads them from
-- incident_remedies. No personal data: staff write what was spent (a coach hired, rooms for
-- a night), the person who entered it is an id.
CREATE TABLE incident_costs (
    id          TEXT PRIMARY KEY NOT NULL,
    incident_id TEXT NOT NULL REFERENCES incidents (id),
    what        TEXT NOT NULL,
    amount_fen  BIGINT NOT NULL CHECK (amount_fen > 0),
    entered_by  TEXT REFERENCES users (id),
    entered_at  BIGINT NOT NULL
);
CREATE INDEX incident_costs_incident_idx ON incident_costs (incident_id, entered_at, id);
-- The drill records list drills newest first and count them by year.
CREATE INDEX incidents_drill_idx ON incidents (declared_at, id) WHERE drill = 1;
