//! One search box: tickets, messages, customers, bookings and products found by what was
//! written in them, in simplified or traditional script (see `tripdesk_domain::search`).
//!
//! Permission-aware: tickets and messages need `view_desk` and keep to the principal's ticket
//! scope (the one visibility rule, applied in the query itself so pages stay full); customers
//! need `view_customers` and are found only by an exact phone number, email address or ID
//! number, through the vault's blind index (never by decrypting, never in the text index);
//! bookings and products need `view_bookings`. Results are ranked together, paged, grouped
//! by kind for display, and carry their title and a snippet with the matched words marked
//! (HTML-escaped first).

mod index;

pub use index::RebuildReport;
pub(crate) use index::SearchIndex;

use crate::customers::CustomerSearch;
use crate::page::Page;
use crate::{App, AppError, Principal};
use jiff::civil::Date;
use jiff::Timestamp;
use std::sync::{Arc, OnceLock};
use tripdesk_domain::desk::{Level, State};
use tripdesk_domain::identity::Permission;
use tripdesk_domain::search::{
    highlight_html, snippet_html, Analyzer, DictionaryError, Query, SearchKind,
};
use tripdesk_store::{SearchFilter, SearchHit, Tx};
use uuid::Uuid;

/// Characters of text shown around the first match.
const SNIPPET_CHARS: usize = 90;

/// The analyzer every application of the process shares unless given its own words (jieba's
/// dictionary takes a moment to load).
pub(crate) fn default_analyzer() -> Arc<Analyzer> {
    static SHARED: OnceLock<Arc<Analyzer>> = OnceLock::new();
    SHARED.get_or_init(|| Arc::new(Analyzer::new())).clone()
}

/// What to search for.
#[derive(Debug, Clone, Default)]
pub struct SearchRequest {
    pub q: String,
    /// Only these kinds (empty: every kind the principal may see).
    pub kinds: Vec<SearchKind>,
    /// Ticket filters (tickets and messages of such tickets only).
    pub state: Option<State>,
    pub level: Option<Level>,
    pub group_id: Option<Uuid>,
    /// Written on or after / on or before these days (China time).
    pub from: Option<Date>,
    pub until: Option<Date>,
    /// The text is being typed: its last word may be the beginning of a word.
    pub typing: bool,
    pub limit: u32,
    pub offset: u32,
}

/// One result.
#[derive(Debug, Clone, PartialEq)]
pub struct SearchItem {
    pub kind: SearchKind,
    pub id: Uuid,
    /// The ticket of a ticket or message.
    pub ticket_id: Option<Uuid>,
    /// Plain text.
    pub title: String,
    /// The title, HTML-escaped, matched words in `<mark>`.
    pub title_html: String,
    /// Text around the first match, HTML-escaped, matched words in `<mark>`.
    pub snippet_html: String,
    /// The page that shows it.
    pub link: String,
    /// A ticket's or booking's state (its domain name).
    pub state: Option<String>,
    pub at: Timestamp,
    /// Higher is better, within this search.
    pub score: f64,
}

/// The results of one kind, best first.
#[derive(Debug, Clone, PartialEq)]
pub struct SearchGroup {
    pub kind: SearchKind,
    pub items: Vec<SearchItem>,
}

/// A page of results, grouped by kind (in [`SearchKind::ALL`]'s order).
#[derive(Debug, Clone, PartialEq)]
pub struct SearchResults {
    pub groups: Vec<SearchGroup>,
    /// Whether another page follows.
    pub more: bool,
    /// The folded words marked in the results.
    pub words: Vec<String>,
}

fn permission_of(kind: SearchKind) -> Permission {
    match kind {
        SearchKind::Ticket | SearchKind::Message => Permission::ViewDesk,
        SearchKind::Customer => Permission::ViewCustomers,
        SearchKind::Booking | SearchKind::Product => Permission::ViewBookings,
    }
}

fn start_of(day: Date) -> Result<Timestamp, AppError> {
    day.to_zoned(tripdesk_domain::calendar::china_time_zone())
        .map(|z| z.timestamp())
        .map_err(|_| AppError::field("from", "invalid", "not a usable date"))
}

impl App {
    /// The same application segmenting with the administrator's words too (jieba's format,
    /// see `tripdesk_domain::search::Analyzer::with_words`).
    pub fn with_search_words(mut self, words: &str) -> Result<Self, DictionaryError> {
        self.search = Arc::new(Analyzer::with_words(words)?);
        Ok(self)
    }

    /// The analyzer the index and the queries share.
    pub fn analyzer(&self) -> &Analyzer {
        &self.search
    }

    /// Searches (see the module). Refused: a query without a word (`q`), longer than 100
    /// characters, a kind or ticket filter the principal may not see.
    pub async fn search(
        &self,
        principal: &Principal,
        req: &SearchRequest,
    ) -> Result<SearchResults, AppError> {
        let kinds: Vec<SearchKind> = if req.kinds.is_empty() {
            SearchKind::ALL
                .into_iter()
                .filter(|k| principal.can(permission_of(*k)))
                .collect()
        } else {
            for k in &req.kinds {
                principal.require(permission_of(*k))?;
            }
            req.kinds.clone()
        };
        if kinds.is_empty() {
            principal.require(Permission::ViewDesk)?;
        }
        let ticket_filter = req.state.is_some() || req.level.is_some() || req.group_id.is_some();
        if ticket_filter {
            principal.require(Permission::ViewDesk)?;
        }
        let query =
            Query::parse(&req.q).map_err(|e| AppError::field("q", e.code(), e.to_string()))?;
        let query = if req.typing {
            query.typing(&req.q)
        } else {
            query
        };
        let from = req.from.map(start_of).transpose()?;
        let until = req
            .until
            .map(|d| {
                d.tomorrow()
                    .map_err(|_| AppError::field("until", "invalid", "not a usable date"))
            })
            .transpose()?
            .map(start_of)
            .transpose()?;
        if let (Some(f), Some(u)) = (from, until) {
            if f >= u {
                return Err(AppError::field(
                    "until",
                    "before_from",
                    "until is before from",
                ));
            }
        }
        let limit = req.limit.clamp(1, 50);
        let mut tx = self.store.read().await?;
        let indexed: Vec<SearchKind> = kinds
            .iter()
            .copied()
            .filter(|k| *k != SearchKind::Customer)
            .collect();
        let mut hits: Vec<SearchHit> = Vec::new();
        if !indexed.is_empty() {
            let scope = principal.ticket_scope();
            let filter = SearchFilter {
                terms: query.terms.clone(),
                kinds: if ticket_filter {
                    indexed.iter().copied().filter(|k| k.of_ticket()).collect()
                } else {
                    indexed.clone()
                },
                ticket_groups: match scope {
                    tripdesk_domain::desk::Scope::All => None,
                    tripdesk_domain::desk::Scope::Groups(ids) => Some(ids),
                },
                state: req.state,
                level: req.level,
                group_id: req.group_id,
                from,
                until,
                limit: Page::<()>::fetch_limit(limit),
                offset: req.offset,
            };
            if !filter.kinds.is_empty() {
                hits = tx.search_docs(&filter).await?;
            }
        }
        let page = Page::of(hits, limit);
        let mut items = Vec::new();
        for hit in &page.items {
            if let Some(item) = self.search_item(&mut *tx, hit, &query.needles).await? {
                items.push(item);
            }
        }
        drop(tx);
        // Customers: an exact identifier, on the first page only.
        if kinds.contains(&SearchKind::Customer) && req.offset == 0 && !ticket_filter {
            items.extend(self.customers_by_identifier(principal, &req.q).await?);
        }
        let mut groups: Vec<SearchGroup> = Vec::new();
        for kind in SearchKind::ALL {
            let of_kind: Vec<SearchItem> =
                items.iter().filter(|i| i.kind == kind).cloned().collect();
            if !of_kind.is_empty() {
                groups.push(SearchGroup {
                    kind,
                    items: of_kind,
                });
            }
        }
        Ok(SearchResults {
            groups,
            more: page.more,
            words: query.needles,
        })
    }

    /// The record behind a hit, with its title and snippet (`None`: gone meanwhile).
    async fn search_item(
        &self,
        tx: &mut dyn Tx,
        hit: &SearchHit,
        needles: &[String],
    ) -> Result<Option<SearchItem>, AppError> {
        let item = |title: String, body: &str, link: String, state: Option<String>| SearchItem {
            kind: hit.kind,
            id: hit.id,
            ticket_id: hit.ticket_id,
            title_html: highlight_html(&title, needles),
            snippet_html: snippet_html(body, needles, SNIPPET_CHARS),
            title,
            link,
            state,
            at: hit.at,
            score: hit.score,
        };
        Ok(match hit.kind {
            SearchKind::Ticket => tx.get_ticket(hit.id).await?.map(|t| {
                let body = format!(
                    "{} {}",
                    t.description,
                    t.booking_ref.clone().unwrap_or_default()
                );
                item(
                    format!("{} {}", t.number, t.subject),
                    body.trim(),
                    format!("/desk/tickets/{}", t.id),
                    Some(t.state.as_str().into()),
                )
            }),
            SearchKind::Message => {
                let Some(ticket_id) = hit.ticket_id else {
                    return Ok(None);
                };
                let Some(t) = tx.get_ticket(ticket_id).await? else {
                    return Ok(None);
                };
                let event = tx
                    .list_ticket_events(ticket_id)
                    .await?
                    .into_iter()
                    .find(|e| e.id == hit.id);
                event.and_then(|e| e.body).map(|body| {
                    item(
                        format!("{} {}", t.number, t.subject),
                        &body,
                        format!("/desk/tickets/{}#event-{}", t.id, hit.id),
                        Some(t.state.as_str().into()),
                    )
                })
            }
            SearchKind::Booking => match tx.get_booking(hit.id).await? {
                None => None,
                Some(b) => {
                    let texts = self.booking_texts(tx, &b).await?;
                    let title = b
                        .confirmation_no
                        .clone()
                        .unwrap_or_else(|| texts.get(1).cloned().unwrap_or_default());
                    Some(item(
                        title,
                        &texts.join(" · "),
                        format!("/bookings/{}", b.id),
                        Some(b.state.as_str().into()),
                    ))
                }
            },
            SearchKind::Product => {
                if let Some(p) = tx.get_package(hit.id).await? {
                    let texts = index::package_texts(&p);
                    Some(item(
                        p.package.name.clone(),
                        &texts[1..].join(" · "),
                        format!("/bookings/packages/{}", p.package.id),
                        None,
                    ))
                } else {
                    self.property_texts(tx, hit.id).await?.map(|(_, texts)| {
                        item(
                            texts[0].clone(),
                            &texts[1..].join(" · "),
                            format!("/bookings/properties/{}", hit.id),
                            None,
                        )
                    })
                }
            }
            SearchKind::Customer => None,
        })
    }

    /// Customers holding exactly this phone number, email address or ID number (blind index).
    async fn customers_by_identifier(
        &self,
        principal: &Principal,
        q: &str,
    ) -> Result<Vec<SearchItem>, AppError> {
        if self.vault().is_err() {
            return Ok(Vec::new());
        }
        let q = q.trim();
        let digits = q.chars().filter(|c| c.is_ascii_digit()).count();
        let mut tries: Vec<CustomerSearch> = Vec::new();
        let base = CustomerSearch {
            limit: 20,
            ..Default::default()
        };
        if q.contains('@') {
            tries.push(CustomerSearch {
                email: Some(q.into()),
                ..base.clone()
            });
        } else if (7..=18).contains(&digits) {
            tries.push(CustomerSearch {
                phone: Some(q.into()),
                ..base.clone()
            });
            tries.push(CustomerSearch {
                resident_id: Some(q.into()),
                ..base.clone()
            });
        }
        let mut out: Vec<SearchItem> = Vec::new();
        for attempt in tries {
            let page = match self.search_customers(principal, &attempt).await {
                Ok(page) => page,
                // Not a valid phone or ID number: nothing to look up.
                Err(AppError::Validation(_)) => continue,
                Err(e) => return Err(e),
            };
            for c in page.items {
                if out.iter().any(|i| i.id == c.customer.id) {
                    continue;
                }
                let masked: Vec<String> = c.identifiers.iter().map(|i| i.masked.clone()).collect();
                let masked = masked.join(" · ");
                out.push(SearchItem {
                    kind: SearchKind::Customer,
                    id: c.customer.id,
                    ticket_id: None,
                    title_html: highlight_html(&c.customer.name, &[]),
                    snippet_html: highlight_html(&masked, &[]),
                    title: c.customer.name.clone(),
                    link: format!("/customers/{}", c.customer.id),
                    state: None,
                    at: c.customer.created_at,
                    // Exact matches, not ranked.
                    score: 0.0,
                });
            }
        }
        Ok(out)
    }
}
