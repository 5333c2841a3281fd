-- Issue 16: a search looks for a word's newest matches among the newest documents only
-- (postgres/search.rs, `first_bound`). Bounding that range by `seq` made PostgreSQL build a
-- bitmap of the primary key over the range (393,615 rows: 20 ms) or of every document holding
-- the word (130,965 for 价格: 24 ms), then read each row. Now every document's vector also
-- holds the ranges of `seq` it lies in, as lexemes no token can be (tokens are letters, digits
-- and CJK characters only): `~12.n` for the 4,096 `seq`s from n·4,096, `~16.n` for 65,536,
-- `~20.n` for 1,048,576. A search ORs the few ranges that cover its range into its query, and
-- the GIN index intersects them with the word inside the index: only the matches in the range
-- are read.

-- The range lexemes of a `seq`.
CREATE FUNCTION search_seq_lexemes(seq BIGINT) RETURNS TEXT[]
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    AS $$ SELECT ARRAY['~12.' || (seq >> 12), '~16.' || (seq >> 16), '~20.' || (seq >> 20)] $$;

-- Every new document gets its ranges, whoever writes it (an upsert that keeps an existing
-- row's `seq` swaps them: shared/search.rs).
CREATE FUNCTION search_docs_ranges() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    NEW.tokens := NEW.tokens || array_to_tsvector(search_seq_lexemes(NEW.seq));
    RETURN NEW;
END
$$;
CREATE TRIGGER search_docs_ranges BEFORE INSERT ON search_docs
    FOR EACH ROW EXECUTE FUNCTION search_docs_ranges();

-- The vectors stay in the row (compressed with lz4 where the server has it) rather than in
-- the TOAST table: a search ranks its 2,000 newest matches, and reading each one's vector
-- from TOAST (an index lookup and two or three pages) was a third of PostgreSQL's time.
ALTER TABLE search_docs ALTER COLUMN tokens SET STORAGE MAIN;
DO $$
BEGIN
    ALTER TABLE search_docs ALTER COLUMN tokens SET COMPRESSION lz4;
EXCEPTION WHEN feature_not_supported THEN
    RAISE NOTICE 'this server has no lz4: the search vectors stay compressed with pglz';
END
$$;

-- The documents already indexed, rewritten with their ranges and stored as above, with the
-- GIN index built once afterwards rather than updated row by row.
DROP INDEX search_docs_tokens_idx;
UPDATE search_docs SET tokens = tokens || array_to_tsvector(search_seq_lexemes(seq));
CREATE INDEX search_docs_tokens_idx ON search_docs USING GIN (tokens);
