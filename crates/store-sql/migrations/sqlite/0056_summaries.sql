-- Periodic summaries (issue 18 item 3). One row per cadence and period once its summary was
-- e-mailed to the managers: the primary key holds "exactly once" across job runs and nodes.
CREATE TABLE summaries_sent (
    cadence     TEXT NOT NULL CHECK (cadence IN ('week', 'month')),
    period_from TEXT NOT NULL,
    recipients  INTEGER NOT NULL,
    sent_at     INTEGER NOT NULL,
    PRIMARY KEY (cadence, period_from)
);

-- A summary reads the complaints created in a period through tickets_kind_created_idx
-- (migration 0052), and the tasks of the two kinds it lists through this one.
CREATE INDEX desk_tasks_kind_created_idx ON desk_tasks (kind, created_at);
