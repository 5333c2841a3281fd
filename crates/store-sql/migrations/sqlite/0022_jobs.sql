-- The job substrate: durable deferred and recurring work (crates/store/src/jobs.rs).
-- A job is claimed under a lease; its handler's effect and its completion commit together,
-- and completion is a conditional update on (state, attempts), so a worker that lost its
-- claim cannot commit the effect a second time.

CREATE TABLE jobs (
    id            TEXT PRIMARY KEY NOT NULL,
    -- the handler's kind, e.g. 'desk.hold_expiry'
    kind          TEXT NOT NULL,
    -- the handler's payload, JSON text
    payload       TEXT NOT NULL,
    state         TEXT NOT NULL CHECK (state IN ('due', 'running', 'succeeded', 'dead')),
    -- due: not before; running: claimed at; succeeded, dead: last tried at
    run_at        INTEGER NOT NULL,
    attempts      INTEGER NOT NULL,
    max_attempts  INTEGER NOT NULL CHECK (max_attempts >= 1),
    -- at most one pending (due or running) job per key; freed when the job ends
    unique_key    TEXT,
    lease_until   INTEGER,
    last_error    TEXT,
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL,
    finished_at   INTEGER
);
CREATE INDEX jobs_due_idx ON jobs (run_at) WHERE state = 'due';
CREATE INDEX jobs_lease_idx ON jobs (lease_until) WHERE state = 'running';
CREATE INDEX jobs_state_idx ON jobs (state, id);
CREATE UNIQUE INDEX jobs_pending_key_idx ON jobs (unique_key)
    WHERE unique_key IS NOT NULL AND state IN ('due', 'running');
