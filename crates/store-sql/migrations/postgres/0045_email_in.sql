-- Issue 17 item 1: email by IMAP.

-- The mailboxes an administrator configured. The password is sealed by the vault for the
-- row's id; the rest is the agency's own. `uid_validity` and `last_uid` are where the poll
-- stopped: a new UIDVALIDITY starts the mailbox again from its first message (the
-- Message-ID keeps each mail taken once).
CREATE TABLE email_mailboxes (
    id              TEXT PRIMARY KEY NOT NULL,
    name            TEXT NOT NULL,
    host            TEXT NOT NULL,
    port            BIGINT NOT NULL,
    tls             BOOLEAN NOT NULL,
    username        TEXT NOT NULL,
    password_sealed TEXT NOT NULL,
    folder          TEXT NOT NULL,
    enabled         BOOLEAN NOT NULL,
    uid_validity    BIGINT,
    last_uid        BIGINT NOT NULL,
    last_poll_at    BIGINT,
    last_error      TEXT,
    taken_total     BIGINT NOT NULL,
    created_at      BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL
);
CREATE UNIQUE INDEX email_mailboxes_name_key ON email_mailboxes (name);

-- Every mail of an email ticket, in and out: the Message-ID only as its keyed hash (a
-- blind index: threading matches it exactly) and sealed (the next reply names it in
-- In-Reply-To), the body on the ticket's timeline (`event_id`). A Message-ID is stored once,
-- so a mail seen twice (two polls, two mailboxes) opens one ticket. `auto_kind` says why
-- an automatic mail (auto-reply, bounce, list) is never answered.
CREATE TABLE email_messages (
    id             TEXT PRIMARY KEY NOT NULL,
    direction      TEXT NOT NULL CHECK (direction IN ('in', 'out')),
    mailbox_id     TEXT REFERENCES email_mailboxes (id),
    message_key    TEXT NOT NULL,
    message_sealed TEXT NOT NULL,
    ticket_id      TEXT NOT NULL REFERENCES tickets (id),
    customer_id    TEXT,
    event_id       TEXT,
    outbox_id      TEXT,
    auto_kind      TEXT,
    at             BIGINT NOT NULL
);
CREATE UNIQUE INDEX email_messages_key ON email_messages (message_key);
CREATE INDEX email_messages_ticket_idx ON email_messages (ticket_id, at);
CREATE INDEX email_messages_customer_idx ON email_messages (customer_id) WHERE customer_id IS NOT NULL;

-- The threading headers of an outgoing reply (References, the last one its In-Reply-To),
-- for the email channel to write.
ALTER TABLE outbox_messages ADD COLUMN thread_references TEXT;
