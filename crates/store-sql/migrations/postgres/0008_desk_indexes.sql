-- The desk's queues with a million tickets: each queue reads its first page, and its badge
-- counts (capped), from an index in the queue's own order (priority, created_at, id), and
-- the queues of open work only index open tickets (partial indexes: closed tickets, most of
-- the table, cost them nothing). Queries name the same predicates, `state <> 'closed'` as a
-- literal, so both planners can use them.
CREATE INDEX tickets_order_idx ON tickets (priority, created_at, id);
CREATE INDEX tickets_open_idx ON tickets (priority, created_at, id)
    WHERE state <> 'closed';
CREATE INDEX tickets_open_unassigned_idx ON tickets (priority, created_at, id)
    WHERE state <> 'closed' AND assignee_id IS NULL;
CREATE INDEX tickets_open_assignee_idx ON tickets (assignee_id, priority, created_at, id)
    WHERE state <> 'closed' AND assignee_id IS NOT NULL;
CREATE INDEX tickets_open_group_idx ON tickets (group_id, priority, created_at, id)
    WHERE state <> 'closed' AND group_id IS NOT NULL;
