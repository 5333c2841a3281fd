-- Notifications: the transactional outbox (one row per message to deliver, written in the
-- same transaction as the change that causes it), its delivery attempts and attachments,
-- versioned templates, per-recipient preferences, per-channel rate limits, in-app
-- notifications for staff and outgoing webhook endpoints.

CREATE TABLE outbox_messages (
    id                TEXT PRIMARY KEY NOT NULL,
    -- email, in_app, webhook (later sms, voice, wechat)
    channel           TEXT NOT NULL,
    -- the address on that channel: an email address, a user id (in_app), an endpoint id (webhook)
    recipient         TEXT NOT NULL,
    customer_id       TEXT,
    subject           TEXT NOT NULL,
    body_text         TEXT NOT NULL,
    body_html         TEXT,
    event             TEXT,
    template_key      TEXT,
    template_version  INTEGER,
    locale            TEXT NOT NULL,
    related_type      TEXT,
    related_id        TEXT,
    emergency         BOOLEAN NOT NULL,
    state             TEXT NOT NULL CHECK (state IN ('queued', 'sending', 'retrying', 'sent', 'dead')),
    attempts          INTEGER NOT NULL,
    max_attempts      INTEGER NOT NULL,
    -- while pending: when the next attempt is due (queued, retrying) or the claim's lease
    -- ends (sending); NULL once sent or dead. Claiming is `due_at <= now`.
    due_at            INTEGER,
    locked_by         TEXT,
    last_error        TEXT,
    receipt           TEXT,
    created_by        TEXT,
    created_at        INTEGER NOT NULL,
    updated_at        INTEGER NOT NULL,
    sent_at           INTEGER
);
CREATE INDEX outbox_messages_due_idx ON outbox_messages (channel, due_at) WHERE due_at IS NOT NULL;
CREATE INDEX outbox_messages_state_idx ON outbox_messages (state, id);
CREATE INDEX outbox_messages_recipient_idx ON outbox_messages (recipient, id);
CREATE INDEX outbox_messages_customer_idx ON outbox_messages (customer_id, id) WHERE customer_id IS NOT NULL;
CREATE INDEX outbox_messages_related_idx ON outbox_messages (related_type, related_id, id) WHERE related_id IS NOT NULL;

CREATE TABLE outbox_attachments (
    id            TEXT PRIMARY KEY NOT NULL,
    message_id    TEXT NOT NULL REFERENCES outbox_messages (id) ON DELETE CASCADE,
    position      INTEGER NOT NULL,
    filename      TEXT NOT NULL,
    content_type  TEXT NOT NULL,
    content       BLOB NOT NULL
);
CREATE INDEX outbox_attachments_message_idx ON outbox_attachments (message_id, position);

CREATE TABLE outbox_attempts (
    id           TEXT PRIMARY KEY NOT NULL,
    message_id   TEXT NOT NULL REFERENCES outbox_messages (id) ON DELETE CASCADE,
    attempt      INTEGER NOT NULL,
    -- sent; retry (failed, tried again later); dead (failed, given up); requeued (by an admin)
    outcome      TEXT NOT NULL CHECK (outcome IN ('sent', 'retry', 'dead', 'requeued')),
    worker       TEXT NOT NULL,
    error        TEXT,
    receipt      TEXT,
    started_at   INTEGER NOT NULL,
    finished_at  INTEGER NOT NULL
);
CREATE INDEX outbox_attempts_message_idx ON outbox_attempts (message_id, finished_at);

CREATE TABLE notification_templates (
    id          TEXT PRIMARY KEY NOT NULL,
    key         TEXT NOT NULL,
    locale      TEXT NOT NULL,
    version     INTEGER NOT NULL,
    description TEXT NOT NULL,
    subject     TEXT NOT NULL,
    body_text   TEXT NOT NULL,
    body_html   TEXT,
    created_by  TEXT,
    created_at  INTEGER NOT NULL
);
CREATE UNIQUE INDEX notification_templates_key_locale_version_key
    ON notification_templates (key, locale, version);

CREATE TABLE notification_preferences (
    -- who: `customer:<id>` or `user:<id>`
    recipient_key  TEXT PRIMARY KEY NOT NULL,
    channel        TEXT,
    locale         TEXT,
    -- quiet hours as minutes after local midnight; the window may wrap past midnight
    quiet_start    INTEGER,
    quiet_end      INTEGER,
    timezone       TEXT NOT NULL,
    updated_at     INTEGER NOT NULL
);

CREATE TABLE outbox_rate_limits (
    channel       TEXT PRIMARY KEY NOT NULL,
    per_second    INTEGER NOT NULL,
    burst         INTEGER NOT NULL,
    -- token bucket shared by every node: thousandths of a message
    tokens_milli  INTEGER NOT NULL,
    refilled_at   INTEGER NOT NULL
);

CREATE TABLE inapp_notifications (
    id          TEXT PRIMARY KEY NOT NULL,
    message_id  TEXT NOT NULL,
    user_id     TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    title       TEXT NOT NULL,
    body        TEXT NOT NULL,
    link        TEXT,
    created_at  INTEGER NOT NULL,
    read_at     INTEGER
);
CREATE UNIQUE INDEX inapp_notifications_message_id_key ON inapp_notifications (message_id);
CREATE INDEX inapp_notifications_user_idx ON inapp_notifications (user_id, read_at, id);

CREATE TABLE webhook_endpoints (
    id           TEXT PRIMARY KEY NOT NULL,
    url          TEXT NOT NULL,
    secret       TEXT NOT NULL,
    -- event keys separated by spaces, or `*` for every event
    events       TEXT NOT NULL,
    description  TEXT NOT NULL,
    active       BOOLEAN NOT NULL,
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL
);
