-- The desk's settings and the indexes its queues need: routing rules (business area,
-- keywords, channel → handling group) and reply templates from the SOP (greeting, closing,
-- common answers) per language. Instants epoch ms; ids UUIDv7 text.

CREATE TABLE routing_rules (
    id             TEXT PRIMARY KEY NOT NULL,
    name           TEXT NOT NULL,
    -- Lower first; the first matching rule wins.
    priority       INTEGER NOT NULL,
    business_area  TEXT,
    -- Comma-separated; any of them in the subject or description.
    keywords       TEXT NOT NULL,
    channel        TEXT CHECK (channel IN ('phone', 'email', 'web_form', 'chat', 'on_site', 'social')),
    group_id       TEXT NOT NULL REFERENCES departments (id),
    enabled        INTEGER NOT NULL,
    created_at     INTEGER NOT NULL,
    updated_at     INTEGER NOT NULL
);
CREATE INDEX routing_rules_order_idx ON routing_rules (priority, created_at);

CREATE TABLE reply_templates (
    id          TEXT PRIMARY KEY NOT NULL,
    -- Typed as `;key` + Tab in the reply box; unique per language.
    key         TEXT NOT NULL,
    locale      TEXT NOT NULL CHECK (locale IN ('zh-CN', 'en')),
    category    TEXT NOT NULL CHECK (category IN ('greeting', 'closing', 'answer')),
    title       TEXT NOT NULL,
    body        TEXT NOT NULL,
    position    INTEGER NOT NULL,
    updated_by  TEXT REFERENCES users (id),
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);
CREATE UNIQUE INDEX reply_templates_key ON reply_templates (key, locale);

-- Open clocks by the instant they turn risky (the warning, else the deadline): the
-- "breaching soon" queue and the supervisor board read only this.
CREATE INDEX sla_clocks_risk_idx ON sla_clocks (subject_type, (COALESCE(warn_at, due_at)))
    WHERE state IN ('running', 'breached') AND stopped_at IS NULL;
