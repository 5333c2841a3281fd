-- The "breaching soon" queue asks which tickets have an open clock past its warning; 0007's
-- index finds the clocks but the ticket id and the columns the query names are in the
-- table, so every at-risk clock cost a row read. This one carries them all (SQLite has no
-- INCLUDE: they are trailing key columns), so the queue's subquery reads the index alone.
-- It holds open clocks only, so its width costs little. It supersedes 0007's. (The
-- supervisor board looks up each ticket's own clocks through sla_clocks_subject_idx, named
-- with INDEXED BY: given the choice, SQLite walked this index for every ticket.)
CREATE INDEX sla_clocks_risk_cover_idx ON sla_clocks
    (subject_type, (COALESCE(warn_at, due_at)), subject_id, warn_at, due_at, state, stopped_at)
    WHERE state IN ('running', 'breached') AND stopped_at IS NULL;
DROP INDEX sla_clocks_risk_idx;
-- Closed tickets by assignee or group, in queue order: 0010 dropped the indexes leading
-- with assignee or group, after which a closed-state filter on "mine" or "my group" walked
-- every closed ticket (265 ms at 1,000,000 tickets for an agent with none). Closed tickets
-- are most of the table, so these are partial to closed ones: the open queues have their
-- own (0008). Queries name `state = 'closed'` as a literal so the planner can use them.
CREATE INDEX tickets_closed_assignee_idx ON tickets (assignee_id, priority, created_at, id)
    WHERE state = 'closed' AND assignee_id IS NOT NULL;
CREATE INDEX tickets_closed_group_idx ON tickets (group_id, priority, created_at, id)
    WHERE state = 'closed' AND group_id IS NOT NULL;
