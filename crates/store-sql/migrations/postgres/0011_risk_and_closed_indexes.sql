-- The "breaching soon" queue asks which tickets have an open clock past its warning; 0007's
-- index finds the clocks but the ticket id and the columns the query names are in the
-- table, so every at-risk clock cost a heap fetch (at 30 % of 47,000 open tickets at risk,
-- p99 47 ms at 8 agents, measured with `tripdesk bench inbox`). This one carries them: an
-- index-only scan once the table is vacuumed (`Store::settle_after_bulk_load`). It holds
-- open clocks only, so its width costs little. It supersedes 0007's.
CREATE INDEX sla_clocks_risk_cover_idx ON sla_clocks (subject_type, (COALESCE(warn_at, due_at)))
    INCLUDE (subject_id, warn_at, due_at, state, stopped_at)
    WHERE state IN ('running', 'breached') AND stopped_at IS NULL;
DROP INDEX sla_clocks_risk_idx;
-- Closed tickets by assignee or group, in queue order: 0010 dropped the indexes leading
-- with assignee or group, after which a closed-state filter on "mine" or "my group" walked
-- every closed ticket (265 ms on SQLite for an agent with none). Closed tickets are most of
-- the table, so these are partial to closed ones: the open queues have their own (0008).
CREATE INDEX tickets_closed_assignee_idx ON tickets (assignee_id, priority, created_at, id)
    WHERE state = 'closed' AND assignee_id IS NOT NULL;
CREATE INDEX tickets_closed_group_idx ON tickets (group_id, priority, created_at, id)
    WHERE state = 'closed' AND group_id IS NOT NULL;
