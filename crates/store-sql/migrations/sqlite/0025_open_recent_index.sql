-- The desk's default queue lists open tickets newest first (`ORDER BY created_at DESC, id
-- DESC`, so a ticket created now is on its first page): an index over open tickets in that
-- order, walked backwards by both planners, so the first page reads a hundred index entries
-- rather than sorting every open ticket.
CREATE INDEX tickets_open_recent_idx ON tickets (created_at, id)
    WHERE state <> 'closed';
