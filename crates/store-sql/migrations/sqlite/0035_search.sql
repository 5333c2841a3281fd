-- Issue 16: Chinese full-text search. One row per searchable document (a ticket, a message
-- of its timeline, a booking, a product), written in the same transaction as the document.
-- The tokens are made in Rust (tripdesk_domain::search: folded, jieba's words, characters and
-- character pairs); the database only matches them. No personal data of the vault: bookings
-- are indexed by number and product, customers are found through the blind index.
CREATE TABLE search_docs (
    seq        INTEGER PRIMARY KEY NOT NULL,
    doc_id     TEXT NOT NULL,
    kind       TEXT NOT NULL CHECK (kind IN ('ticket', 'message', 'booking', 'product')),
    -- The ticket a ticket or message document belongs to: its group, state and level decide
    -- who sees it and filter it (read from `tickets` at search time, never copied here).
    ticket_id  TEXT,
    at         INTEGER NOT NULL
);
CREATE UNIQUE INDEX search_docs_doc_key ON search_docs (doc_id);
CREATE INDEX search_docs_ticket_idx ON search_docs (ticket_id) WHERE ticket_id IS NOT NULL;

-- The tokens, by `search_docs.seq` (the rowid). Contentless: the tokens are not stored a
-- second time. `ascii` splits only at ASCII punctuation and spaces, so every token Rust made
-- stays one token (FTS5's trigram tokenizer would miss two-character words such as 退款).
CREATE VIRTUAL TABLE search_fts USING fts5(
    tokens, content = '', contentless_delete = 1, tokenize = 'ascii'
);
-- A deleted document's tokens leave the index's pages at once (an erased customer's words
-- must not stay in the file until the next merge).
INSERT INTO search_fts (search_fts, rank) VALUES ('secure-delete', 1);
