//! The full-text search index: one document per ticket, timeline message, booking and
//! product, with the tokens `tripdesk_domain::search::Analyzer` made of its text. Use cases
//! write a document in the same transaction as what it indexes, so every node finds it as
//! soon as it is committed. SQLite matches the tokens with FTS5, PostgreSQL with a `tsvector`
//! and a GIN index; both rank by how often and how rarely the tokens occur.

pub(crate) mod conformance;

use crate::StoreError;
use async_trait::async_trait;
use jiff::Timestamp;
use tripdesk_domain::desk::{Level, State};
use tripdesk_domain::search::{SearchKind, Term};
use uuid::Uuid;

/// A document of the index.
#[derive(Debug, Clone, PartialEq)]
pub struct SearchDoc {
    /// Never [`SearchKind::Customer`] (customers are not in the text index).
    pub kind: SearchKind,
    /// The id of what is indexed (the ticket, the timeline entry, the booking, the package or
    /// property): one document per id.
    pub id: Uuid,
    /// The ticket a ticket or message document belongs to.
    pub ticket_id: Option<Uuid>,
    /// When it was written (date filters). Among equal ranks the document indexed later
    /// comes first.
    pub at: Timestamp,
    /// Folded tokens, repeats included (see `tripdesk_domain::search`).
    pub tokens: Vec<String>,
}

/// What to look for, and where.
#[derive(Debug, Clone, Default)]
pub struct SearchFilter {
    /// Every result holds every term (at least one term).
    pub terms: Vec<Term>,
    /// Only these kinds (empty: every indexed kind).
    pub kinds: Vec<SearchKind>,
    /// The viewer's ticket scope: `Some(groups)` keeps only ticket and message documents of
    /// tickets handled by these groups (none: no ticket document); `None` keeps them all.
    pub ticket_groups: Option<Vec<Uuid>>,
    /// Ticket filters: when any is set, only ticket and message documents of such tickets.
    pub state: Option<State>,
    pub level: Option<Level>,
    pub group_id: Option<Uuid>,
    /// Written at or after / before.
    pub from: Option<Timestamp>,
    pub until: Option<Timestamp>,
    pub limit: u32,
    pub offset: u32,
}

/// A document found: best first.
#[derive(Debug, Clone, PartialEq)]
pub struct SearchHit {
    pub kind: SearchKind,
    pub id: Uuid,
    pub ticket_id: Option<Uuid>,
    pub at: Timestamp,
    /// Higher is better; comparable within one search only.
    pub score: f64,
}

#[async_trait]
pub trait SearchRepo: Send {
    /// Writes a document, replacing the one of the same id.
    async fn index_search_doc(&mut self, doc: &SearchDoc) -> Result<(), StoreError> {
        self.index_search_docs(std::slice::from_ref(doc)).await
    }
    /// Writes many documents (a rebuild, a seeding), replacing those of the same ids; of one
    /// id given twice, the later stands.
    async fn index_search_docs(&mut self, docs: &[SearchDoc]) -> Result<(), StoreError>;
    /// Removes a document and its tokens; false when there was none.
    async fn remove_search_doc(&mut self, id: Uuid) -> Result<bool, StoreError>;
    /// Removes every document of these kinds (a rebuild); how many.
    async fn clear_search_docs(&mut self, kinds: &[SearchKind]) -> Result<u64, StoreError>;
    /// The documents holding every term, best first (rank, then newest, then id). Only the
    /// newest matches are ranked — 2,000, or as far as the page reaches when further — so a
    /// word in hundreds of thousands of documents costs what 2,000 do; older matches of such
    /// a word are reached by narrowing it (more words, a kind, dates).
    async fn search_docs(&mut self, filter: &SearchFilter) -> Result<Vec<SearchHit>, StoreError>;
    /// How many documents of this kind the index holds.
    async fn count_search_docs(&mut self, kind: SearchKind) -> Result<u64, StoreError>;
    /// Rewrites the index's storage so no removed or replaced token is left in it (after an
    /// erasure). SQLite: FTS5 keeps the words of its index pages as keys of its own index,
    /// which a deletion does not rewrite; merging every segment into one does (a cost in
    /// proportion to the index). PostgreSQL: nothing here (the erasure's VACUUM of
    /// `search_docs` removes dead row versions).
    async fn compact_search_index(&mut self) -> Result<(), StoreError>;
    /// The ticket a document belongs to (`None`: no such document, or not a ticket's).
    async fn search_doc_ticket(&mut self, id: Uuid) -> Result<Option<Uuid>, StoreError>;
    /// The ids of the documents of a ticket (its own and its messages').
    async fn ticket_search_docs(&mut self, ticket_id: Uuid) -> Result<Vec<Uuid>, StoreError>;
}
