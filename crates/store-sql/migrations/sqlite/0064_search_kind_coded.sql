-- Issue 16: from now on a search document's `seq` (the FTS5 rowid) holds its kind in its two
-- lowest bits (shared/search.rs, `kind_code`), so a search filtered by kind reads the kind
-- from the rowid the index gives instead of looking up every match's row of `search_docs`.
-- The documents already indexed were numbered one by one: those from `from_seq` on are coded,
-- and a search whose window reaches below it reads the rows as before (sqlite/search.rs). A
-- rebuild (`tripdesk search-reindex`) writes every document again, above `from_seq`. Named
-- `search_fts…` like the FTS5 tables: SQLite's own index storage, outside the schema both
-- backends share.
CREATE TABLE search_fts_kind_coded_from (
    from_seq INTEGER NOT NULL
);
INSERT INTO search_fts_kind_coded_from (from_seq) SELECT COALESCE(MAX(seq), 0) + 1 FROM search_docs;
