-- Issue 17 item 4: the WeChat official account's messages as conversations on tickets.

-- The followers who wrote to the official account: each OpenID (the follower's id for this
-- account) kept once, only as a keyed hash (a blind index: pushes are matched to it exactly)
-- and sealed by the vault for the row id (the customer-service interface is addressed to
-- it), and the customer it belongs to. Erasing the customer deletes the row.
CREATE TABLE wechat_users (
    id            TEXT PRIMARY KEY NOT NULL,
    openid_key    TEXT NOT NULL,
    openid_sealed TEXT NOT NULL,
    customer_id   TEXT NOT NULL REFERENCES customers (id),
    subscribed    BOOLEAN NOT NULL,
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL
);
CREATE UNIQUE INDEX wechat_users_openid_key ON wechat_users (openid_key);
CREATE INDEX wechat_users_customer_idx ON wechat_users (customer_id);

-- Every message and event a follower pushed, once: `dedupe_key` is `msg:<MsgId>` for a
-- message and a keyed hash of (OpenID, CreateTime, event) for an event, so WeChat's three
-- retries of one push are stored once. The text (or a picture's or voice's MediaId) sealed
-- for the row id; the ticket and timeline entry it went to. `sent_at` is WeChat's
-- CreateTime: the 48-hour reply window runs from the newest one.
CREATE TABLE wechat_messages (
    id          TEXT PRIMARY KEY NOT NULL,
    dedupe_key  TEXT NOT NULL,
    user_id     TEXT NOT NULL REFERENCES wechat_users (id),
    customer_id TEXT NOT NULL,
    ticket_id   TEXT REFERENCES tickets (id),
    event_id    TEXT,
    msg_type    TEXT NOT NULL CHECK (msg_type IN ('text', 'image', 'voice', 'event', 'other')),
    -- The event's name (subscribe, unsubscribe, CLICK, …) or the voice's format.
    detail      TEXT,
    sealed_body TEXT,
    sent_at     INTEGER NOT NULL,
    received_at INTEGER NOT NULL
);
CREATE UNIQUE INDEX wechat_messages_dedupe_key ON wechat_messages (dedupe_key);
CREATE INDEX wechat_messages_customer_idx ON wechat_messages (customer_id, sent_at);
CREATE INDEX wechat_messages_ticket_idx ON wechat_messages (ticket_id, sent_at) WHERE ticket_id IS NOT NULL;
