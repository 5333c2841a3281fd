-- The guide or tour leader of each departure in an incident's scope is one of its people
-- (issue 15 item 2): a third origin, 'guide'.
ALTER TABLE incident_people DROP CONSTRAINT incident_people_origin_check;
ALTER TABLE incident_people ADD CONSTRAINT incident_people_origin_check
    CHECK (origin IN ('booking', 'manual', 'guide'));
