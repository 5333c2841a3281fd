-- Identity: organisation, business units, departments, users, roles, sessions, API tokens,
-- login throttling. Instants are epoch milliseconds (INTEGER); ids are UUIDv7 text.

CREATE TABLE organization (
    id          TEXT PRIMARY KEY NOT NULL,
    name        TEXT NOT NULL,
    timezone    TEXT NOT NULL,
    created_at  BIGINT NOT NULL
);

CREATE TABLE business_units (
    id          TEXT PRIMARY KEY NOT NULL,
    kind        TEXT NOT NULL CHECK (kind IN ('agency', 'hotel', 'homestay')),
    name        TEXT NOT NULL,
    created_at  BIGINT NOT NULL
);

CREATE TABLE departments (
    id               TEXT PRIMARY KEY NOT NULL,
    code             TEXT NOT NULL,
    name_zh          TEXT NOT NULL,
    name_en          TEXT NOT NULL,
    business_unit_id TEXT REFERENCES business_units (id),
    created_at       BIGINT NOT NULL,
    updated_at       BIGINT NOT NULL
);
CREATE UNIQUE INDEX departments_code_key ON departments (code);

CREATE TABLE users (
    id             TEXT PRIMARY KEY NOT NULL,
    username       TEXT NOT NULL,
    display_name   TEXT NOT NULL,
    email          TEXT,
    password_hash  TEXT NOT NULL,
    department_id  TEXT REFERENCES departments (id),
    locale         TEXT NOT NULL,
    disabled_at    BIGINT,
    created_at     BIGINT NOT NULL,
    updated_at     BIGINT NOT NULL
);
CREATE UNIQUE INDEX users_username_key ON users (username);
CREATE INDEX users_department_idx ON users (department_id);

CREATE TABLE user_roles (
    user_id  TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role     TEXT NOT NULL CHECK (role IN ('agent', 'handler', 'follow_up', 'supervisor', 'admin')),
    PRIMARY KEY (user_id, role)
);

CREATE TABLE sessions (
    id          TEXT PRIMARY KEY NOT NULL,
    token_hash  TEXT NOT NULL,
    user_id     TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    csrf_token  TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    expires_at  BIGINT NOT NULL
);
CREATE UNIQUE INDEX sessions_token_hash_key ON sessions (token_hash);
CREATE INDEX sessions_user_idx ON sessions (user_id);
CREATE INDEX sessions_expires_idx ON sessions (expires_at);

CREATE TABLE api_tokens (
    id            TEXT PRIMARY KEY NOT NULL,
    user_id       TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name          TEXT NOT NULL,
    prefix        TEXT NOT NULL,
    token_hash    TEXT NOT NULL,
    created_at    BIGINT NOT NULL,
    expires_at    BIGINT,
    revoked_at    BIGINT,
    last_used_at  BIGINT
);
CREATE UNIQUE INDEX api_tokens_token_hash_key ON api_tokens (token_hash);

CREATE TABLE login_throttle (
    key           TEXT PRIMARY KEY NOT NULL,
    failures      BIGINT NOT NULL,
    window_start  BIGINT NOT NULL
);
