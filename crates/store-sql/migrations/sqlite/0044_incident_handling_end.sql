-- An incident's handling ends (处置结束) before it is closed with its summary, and it counts
-- its update reports (续报) to the authority (issue 15 item 7): the update reports stop at the
-- end of handling and the closing summary's clock starts there.
ALTER TABLE incidents ADD COLUMN handling_ended_at INTEGER;
ALTER TABLE incidents ADD COLUMN update_reports INTEGER NOT NULL DEFAULT 0;
