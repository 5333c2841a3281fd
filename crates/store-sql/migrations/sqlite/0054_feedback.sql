-- Feedback classification (issue 18 item 2).
--
-- feedback_items: what the classifier (or, once corrected, a member of staff) says about a
-- complaint or feedback ticket's text (source 'ticket', item_id = the ticket) or a survey's
-- comment (source 'survey', item_id = the survey). Categories as a comma-separated list of
-- codes, most likely first; the score is the probability the text is positive, in
-- thousandths. No text is copied here: the list shows the ticket's and the survey's own.
-- trained_* hold what a correction taught the model, so that a later correction takes it
-- back first.
CREATE TABLE feedback_items (
    source             TEXT NOT NULL CHECK (source IN ('ticket', 'survey')),
    item_id            TEXT NOT NULL,
    ticket_id          TEXT NOT NULL REFERENCES tickets (id),
    at                 INTEGER NOT NULL,
    categories         TEXT NOT NULL,
    sentiment          TEXT NOT NULL CHECK (sentiment IN ('negative', 'positive')),
    score              INTEGER NOT NULL CHECK (score BETWEEN 0 AND 1000),
    classified_at      INTEGER NOT NULL,
    corrected_by       TEXT REFERENCES users (id),
    corrected_at       INTEGER,
    trained_categories TEXT,
    trained_sentiment  TEXT CHECK (trained_sentiment IN ('negative', 'positive')),
    PRIMARY KEY (source, item_id)
);
CREATE INDEX feedback_items_at_idx ON feedback_items (at);
CREATE INDEX feedback_items_ticket_idx ON feedback_items (ticket_id);

-- feedback_learned: the counts staff corrections added to the shipped naive Bayes models
-- (model 'sentiment' or 'category'; term '#docs' and '#tokens' are the label's totals).
-- Each correction adds to them in its own transaction (count = count + delta).
CREATE TABLE feedback_learned (
    model TEXT NOT NULL CHECK (model IN ('sentiment', 'category')),
    label TEXT NOT NULL,
    term  TEXT NOT NULL,
    count INTEGER NOT NULL,
    PRIMARY KEY (model, term, label)
);
