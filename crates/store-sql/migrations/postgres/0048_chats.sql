-- Web chats (issue 17 item 2): a visitor of the agency's site, kept as a customer record (name,
-- phone sealed in the vault), talks with an agent. The chat holds its state, the agent who
-- answered, the ticket it became when no one did, and the number of its last message, which
-- each append bumps by a conditional update so that messages are numbered 1, 2, … per chat
-- on every node. Each message's text is sealed by the vault for the message's id; erasure
-- sets it to NULL and keeps the times.
CREATE TABLE chats (
    id           TEXT PRIMARY KEY,
    customer_id  TEXT NOT NULL REFERENCES customers (id),
    state        TEXT NOT NULL CHECK (state IN ('waiting', 'active', 'ended', 'ticketed')),
    agent_id     TEXT REFERENCES users (id),
    ticket_id    TEXT REFERENCES tickets (id),
    started_at   BIGINT NOT NULL,
    -- The first answer's deadline (the clock's due instant at the start), for the queue.
    due_at       BIGINT,
    answered_at  BIGINT,
    ended_at     BIGINT,
    last_seq     BIGINT NOT NULL,
    last_at      BIGINT NOT NULL,
    version      BIGINT NOT NULL
);
CREATE INDEX chats_state_idx ON chats (state, started_at);
CREATE INDEX chats_agent_idx ON chats (agent_id, state, started_at);
CREATE INDEX chats_customer_idx ON chats (customer_id, started_at);
CREATE TABLE chat_messages (
    id           TEXT PRIMARY KEY,
    chat_id      TEXT NOT NULL REFERENCES chats (id),
    seq          BIGINT NOT NULL,
    author       TEXT NOT NULL CHECK (author IN ('visitor', 'agent', 'system')),
    agent_id     TEXT REFERENCES users (id),
    body_sealed  TEXT,
    at           BIGINT NOT NULL,
    UNIQUE (chat_id, seq)
);
