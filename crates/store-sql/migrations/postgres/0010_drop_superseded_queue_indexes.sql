-- The per-group and per-assignee indexes of 0005 lead with (group_id | assignee_id, state),
-- so for an open queue they must walk every closed ticket of the group or agent as well;
-- 0008's partial indexes serve those queues from open tickets only. Yet SQLite's planner,
-- with no statistics, prefers the 0005 ones (an equality on their first column, and they
-- cover `state`): at 1,000,000 tickets the inbox's badge counts took ~100 ms a page (measured
-- with `tripdesk bench inbox`). Dropping them leaves every queue on its 0008 index
-- and makes each ticket written cheaper by two index entries. tickets_queue_idx stays: it
-- serves a state filter (one state, in queue order), which no 0008 index does.
DROP INDEX tickets_group_idx;
DROP INDEX tickets_assignee_idx;
