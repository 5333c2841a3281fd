-- Issue 16: the search reads the share of documents holding each of the commonest tokens
-- from `pg_stats` (postgres/search.rs, `first_bound`) to look for a common word's newest
-- matches among the newest documents only. The default sample lists 1,000 lexemes, down to
-- those in about 2 % of the documents; 10,000 list those in a few per thousand, so a token
-- left out is rare enough to be looked for everywhere.
ALTER TABLE search_docs ALTER COLUMN tokens SET STATISTICS 1000;
