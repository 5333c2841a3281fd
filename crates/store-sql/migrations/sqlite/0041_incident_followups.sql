-- A traveler's next channel after one failed (issue 15 item 5: SMS, then a voice call, then
-- email; WeChat after email when it comes): the email sent after a call not answered, once
-- per person and broadcast message (the primary key). Ids only: the message is the outbox's.
CREATE TABLE incident_followups (
    -- The broadcast's message to this person that the follow-up repeats (an outbox id).
    after_message_id TEXT NOT NULL,
    channel          TEXT NOT NULL,
    incident_id      TEXT NOT NULL REFERENCES incidents (id),
    customer_id      TEXT NOT NULL REFERENCES customers (id),
    -- The follow-up's own outbox message.
    message_id       TEXT NOT NULL,
    -- The step whose failure led here (`sms`, `call`, `email`).
    after_step       TEXT NOT NULL,
    created_at       INTEGER NOT NULL,
    PRIMARY KEY (after_message_id, channel)
);
CREATE INDEX incident_followups_person_idx ON incident_followups (incident_id, customer_id);
