-- A person's open tasks (their follow-up visits): the "mine" and "to follow up" queues ask
-- `id IN (SELECT ticket_id FROM desk_tasks WHERE done_at IS NULL AND assignee_id = $u …)` on
-- every inbox page, which would otherwise read every task. Open tasks only: done ones are
-- never asked for by assignee.
CREATE INDEX desk_tasks_open_assignee_idx ON desk_tasks (assignee_id, kind, ticket_id) WHERE done_at IS NULL;
