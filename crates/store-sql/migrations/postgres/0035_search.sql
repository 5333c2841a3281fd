-- Issue 16: Chinese full-text search. One row per searchable document (a ticket, a message
-- of its timeline, a booking, a product), written in the same transaction as the document.
-- The tokens are made in Rust (tripdesk_domain::search: folded, jieba's words, characters and
-- character pairs) and stored as a `tsvector` literal (no parser, no dictionary: the lexemes
-- are exactly the tokens, like the 'simple' configuration without its splitting); the GIN
-- index matches them. No personal data of the vault: bookings are indexed by number and
-- product, customers are found through the blind index.
CREATE TABLE search_docs (
    seq        BIGSERIAL PRIMARY KEY,
    doc_id     TEXT NOT NULL,
    kind       TEXT NOT NULL CHECK (kind IN ('ticket', 'message', 'booking', 'product')),
    -- The ticket a ticket or message document belongs to: its group, state and level decide
    -- who sees it and filter it (read from `tickets` at search time, never copied here).
    ticket_id  TEXT,
    at         BIGINT NOT NULL,
    tokens     TSVECTOR NOT NULL
);
CREATE UNIQUE INDEX search_docs_doc_key ON search_docs (doc_id);
CREATE INDEX search_docs_ticket_idx ON search_docs (ticket_id) WHERE ticket_id IS NOT NULL;
CREATE INDEX search_docs_tokens_idx ON search_docs USING GIN (tokens);
