//! Keeping the search index in step: the document of a ticket, a timeline message, a booking
//! or a product is written by the use case that writes what it indexes, in its transaction
//! (so a search on any node finds it the moment it is committed), rebuilt by
//! [`App::rebuild_search_index`], and remade after an erasure rewrote texts ([`SearchIndex`],
//! registered with the personal-data registry).
//!
//! What is indexed holds no vault data: a ticket's number, subject, description, booking
//! reference and tags (not the customer's name); a message's text; a booking's confirmation
//! number and what it books (package and departure date, property, room type and room); a
//! package's or property's descriptive text.

use crate::personal_data::{Counts, PersonalData, Rewritten, Subject};
use crate::{App, AppError};
use async_trait::async_trait;
use jiff::Timestamp;
use tripdesk_domain::bookings::LineItem;
use tripdesk_domain::search::SearchKind;
use tripdesk_store::{
    Booking, BookingFilter, DataKind, PackageRecord, SearchDoc, TextColumn, Ticket, TicketEvent, Tx,
};
use uuid::Uuid;

/// How many records a rebuild writes per transaction.
const REBUILD_BATCH: u32 = 500;

/// What a rebuild wrote, per kind.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RebuildReport {
    pub tickets: u64,
    pub messages: u64,
    pub bookings: u64,
    pub products: u64,
}

/// The texts of a ticket's document.
pub(crate) fn ticket_texts(t: &Ticket) -> Vec<String> {
    let mut texts = vec![t.number.clone(), t.subject.clone(), t.description.clone()];
    texts.extend(t.booking_ref.clone());
    texts.extend(t.tags.iter().cloned());
    texts
}

/// A package's descriptive text.
pub(crate) fn package_texts(p: &PackageRecord) -> Vec<String> {
    let pk = &p.package;
    let mut texts = vec![pk.name.clone(), pk.destination.clone()];
    texts.extend(pk.keywords.iter().cloned());
    for day in &pk.itinerary {
        texts.push(day.title.clone());
        texts.push(day.description.clone());
    }
    texts.extend(pk.inclusions.iter().cloned());
    texts.extend([
        pk.accommodation.clone(),
        pk.transport.clone(),
        pk.meals.clone(),
    ]);
    texts
}

impl App {
    fn doc(
        &self,
        kind: SearchKind,
        id: Uuid,
        ticket_id: Option<Uuid>,
        at: Timestamp,
        texts: &[String],
    ) -> SearchDoc {
        let texts: Vec<&str> = texts.iter().map(String::as_str).collect();
        SearchDoc {
            kind,
            id,
            ticket_id,
            at,
            tokens: self.analyzer().index_tokens_of(&texts),
        }
    }

    /// A ticket's document.
    fn ticket_doc(&self, t: &Ticket) -> SearchDoc {
        self.doc(
            SearchKind::Ticket,
            t.id,
            Some(t.id),
            t.created_at,
            &ticket_texts(t),
        )
    }

    /// A timeline entry's document: `None` when it has no text.
    fn event_doc(&self, e: &TicketEvent) -> Option<SearchDoc> {
        let body = e.body.as_deref().map(str::trim).filter(|b| !b.is_empty())?;
        Some(self.doc(
            SearchKind::Message,
            e.id,
            Some(e.ticket_id),
            e.at,
            &[body.to_string()],
        ))
    }

    /// Writes a ticket's document (at intake, and after an erasure rewrote its text).
    pub(crate) async fn index_ticket(&self, tx: &mut dyn Tx, t: &Ticket) -> Result<(), AppError> {
        tx.index_search_doc(&self.ticket_doc(t)).await?;
        Ok(())
    }

    /// Writes a new ticket's document from the words of its texts segmented before the
    /// writer was taken (`desk::texts`) and its number: the document [`App::index_ticket`]
    /// writes.
    pub(crate) async fn index_new_ticket(
        &self,
        tx: &mut dyn Tx,
        t: &Ticket,
        words: Vec<String>,
    ) -> Result<(), AppError> {
        let mut tokens = self.analyzer().index_tokens(&t.number);
        tokens.extend(words);
        tx.index_search_doc(&SearchDoc {
            kind: SearchKind::Ticket,
            id: t.id,
            ticket_id: Some(t.id),
            at: t.created_at,
            tokens,
        })
        .await?;
        Ok(())
    }

    /// Writes a new timeline entry's document when it has text: [`App::index_ticket_event`]
    /// without removing a document a new entry cannot have.
    pub(crate) async fn index_new_ticket_event(
        &self,
        tx: &mut dyn Tx,
        e: &TicketEvent,
    ) -> Result<(), AppError> {
        if e.body.as_deref().is_some_and(|b| !b.trim().is_empty()) {
            self.index_ticket_event(tx, e).await?;
        }
        Ok(())
    }

    /// Writes a timeline entry's document when it has text (a reply, a note, a step's remark).
    pub(crate) async fn index_ticket_event(
        &self,
        tx: &mut dyn Tx,
        e: &TicketEvent,
    ) -> Result<(), AppError> {
        match self.event_doc(e) {
            Some(doc) => tx.index_search_doc(&doc).await?,
            None => {
                tx.remove_search_doc(e.id).await?;
            }
        }
        Ok(())
    }

    /// What a booking books, in words: package and departure date, property, room type, room.
    pub(crate) async fn booking_texts(
        &self,
        tx: &mut dyn Tx,
        b: &Booking,
    ) -> Result<Vec<String>, AppError> {
        let mut texts: Vec<String> = b.confirmation_no.iter().cloned().collect();
        for line in &b.lines {
            match &line.item {
                LineItem::Seats { departure_id, .. } => {
                    if let Some(d) = tx.get_departure(*departure_id).await? {
                        texts.push(d.departure.date.to_string());
                        if let Some(p) = tx.get_package(d.departure.package_id).await? {
                            texts.push(p.package.name);
                        }
                    }
                }
                LineItem::Room { room_id, .. } => {
                    if let Some(room) = tx.get_room(*room_id).await? {
                        texts.push(room.label.clone());
                        if let Some(rt) = tx.get_room_type(room.room_type_id).await? {
                            texts.push(rt.name);
                        }
                        if let Some(p) = tx.get_property(room.property_id).await? {
                            texts.push(p.name);
                        }
                    }
                }
            }
        }
        Ok(texts)
    }

    /// Writes a booking's document (made, confirmed, changed).
    pub(crate) async fn index_booking(&self, tx: &mut dyn Tx, b: &Booking) -> Result<(), AppError> {
        let texts = self.booking_texts(tx, b).await?;
        let doc = self.doc(SearchKind::Booking, b.id, None, b.created_at, &texts);
        tx.index_search_doc(&doc).await?;
        Ok(())
    }

    /// Writes a package's document.
    pub(crate) async fn index_package(
        &self,
        tx: &mut dyn Tx,
        p: &PackageRecord,
    ) -> Result<(), AppError> {
        let doc = self.doc(
            SearchKind::Product,
            p.package.id,
            None,
            p.created_at,
            &package_texts(p),
        );
        tx.index_search_doc(&doc).await?;
        Ok(())
    }

    /// A property's descriptive text with its room types.
    pub(crate) async fn property_texts(
        &self,
        tx: &mut dyn Tx,
        id: Uuid,
    ) -> Result<Option<(Timestamp, Vec<String>)>, AppError> {
        let Some(p) = tx.get_property(id).await? else {
            return Ok(None);
        };
        let mut texts = vec![p.name, p.address];
        for rt in tx.list_room_types(id).await? {
            texts.push(rt.name);
            texts.extend(rt.facilities);
        }
        Ok(Some((p.created_at, texts)))
    }

    /// Writes a property's document (with its room types: after either changes).
    pub(crate) async fn index_property(&self, tx: &mut dyn Tx, id: Uuid) -> Result<(), AppError> {
        if let Some((at, texts)) = self.property_texts(tx, id).await? {
            let doc = self.doc(SearchKind::Product, id, None, at, &texts);
            tx.index_search_doc(&doc).await?;
        }
        Ok(())
    }

    /// Writes a ticket's document and its messages' again (after an erasure).
    pub(crate) async fn reindex_ticket(&self, tx: &mut dyn Tx, id: Uuid) -> Result<u64, AppError> {
        let Some(t) = tx.get_ticket(id).await? else {
            return Ok(0);
        };
        self.index_ticket(tx, &t).await?;
        let mut n = 1;
        for e in tx.list_ticket_events(id).await? {
            self.index_ticket_event(tx, &e).await?;
            n += 1;
        }
        Ok(n)
    }

    /// Rebuilds every document from the records (the console's `search-reindex`): after an
    /// upgrade that changed the analysis, or a dictionary change. Documents are replaced
    /// batch by batch, so searches keep answering meanwhile.
    pub async fn rebuild_search_index(&self) -> Result<RebuildReport, AppError> {
        let mut report = RebuildReport::default();
        // Tickets in id order, each batch after the last one written (an offset would read
        // every earlier batch again: quadratic at a million tickets), written in one call.
        let mut after = None;
        loop {
            let mut tx = self.store.write().await?;
            let tickets = tx.tickets_after(after, REBUILD_BATCH).await?;
            let mut docs = Vec::with_capacity(tickets.len() * 2);
            for t in &tickets {
                docs.push(self.ticket_doc(t));
                report.tickets += 1;
                let kept = docs.len();
                docs.extend(
                    tx.list_ticket_events(t.id)
                        .await?
                        .iter()
                        .filter_map(|e| self.event_doc(e)),
                );
                report.messages += (docs.len() - kept) as u64;
                // A document whose text is gone (an entry emptied by an erasure) goes.
                for stale in tx.ticket_search_docs(t.id).await? {
                    if stale != t.id && !docs[kept..].iter().any(|d| d.id == stale) {
                        tx.remove_search_doc(stale).await?;
                    }
                }
            }
            tx.index_search_docs(&docs).await?;
            tx.commit().await?;
            if tickets.len() < REBUILD_BATCH as usize {
                break;
            }
            after = tickets.last().map(|t| t.id);
        }
        let mut offset = 0u64;
        loop {
            let mut tx = self.store.write().await?;
            let bookings = tx
                .list_bookings(&BookingFilter {
                    limit: REBUILD_BATCH,
                    offset,
                    ..Default::default()
                })
                .await?;
            for b in &bookings {
                self.index_booking(&mut *tx, b).await?;
                report.bookings += 1;
            }
            tx.commit().await?;
            if bookings.len() < REBUILD_BATCH as usize {
                break;
            }
            offset += u64::from(REBUILD_BATCH);
        }
        let mut offset = 0u64;
        loop {
            let mut tx = self.store.write().await?;
            let packages = tx.list_packages(false, REBUILD_BATCH, offset).await?;
            let properties = tx.list_properties(REBUILD_BATCH, offset).await?;
            for p in &packages {
                self.index_package(&mut *tx, p).await?;
                report.products += 1;
            }
            for p in &properties {
                self.index_property(&mut *tx, p.id).await?;
                report.products += 1;
            }
            tx.commit().await?;
            if packages.len() < REBUILD_BATCH as usize && properties.len() < REBUILD_BATCH as usize
            {
                break;
            }
            offset += u64::from(REBUILD_BATCH);
        }
        Ok(report)
    }
}

/// The search index as a holder of personal data: its tokens are made from the desk's texts,
/// so when erasure rewrites those texts the index must forget the old words. Registered with
/// the personal-data registry; erasure calls [`PersonalData::after_rewrite`] once every
/// capability has erased and every text has been rewritten, in the same transaction.
pub(crate) struct SearchIndex;

/// The index's one declared field: derived, never searched by erasure (see [`DataKind::Derived`]);
/// declaring it puts the table among those vacuumed after an erasure.
const SEARCH_FIELDS: &[TextColumn] = &[TextColumn {
    table: "search_docs",
    key: "doc_id",
    column: "tokens",
    kind: DataKind::Derived,
    ticket_of: None,
    every_row: false,
    customer_of: None,
}];

#[async_trait]
impl PersonalData for SearchIndex {
    fn name(&self) -> &'static str {
        "search_index"
    }

    fn fields(&self) -> &'static [TextColumn] {
        SEARCH_FIELDS
    }

    /// The index holds no copy for the customer (it is made from the desk's texts).
    async fn export(
        &self,
        _app: &App,
        _tx: &mut dyn Tx,
        _customer: Uuid,
    ) -> Result<Option<serde_json::Value>, AppError> {
        Ok(None)
    }

    /// Nothing of its own to erase: see `after_rewrite`.
    async fn erase(
        &self,
        _app: &App,
        _tx: &mut dyn Tx,
        _subject: &Subject,
    ) -> Result<Counts, AppError> {
        Ok(Counts::new())
    }

    /// Remakes the documents of the customer's tickets (their texts were replaced whole) and
    /// of every ticket or message whose text erasure rewrote.
    async fn after_rewrite(
        &self,
        app: &App,
        tx: &mut dyn Tx,
        subject: &Subject,
        rewritten: &Rewritten,
    ) -> Result<Counts, AppError> {
        let mut tickets: Vec<Uuid> = subject.tickets.clone();
        let mut messages: Vec<Uuid> = Vec::new();
        for (column, key) in rewritten {
            let Ok(id) = Uuid::parse_str(key) else {
                continue;
            };
            match column.table {
                "tickets" => tickets.push(id),
                "ticket_events" => messages.push(id),
                _ => {}
            }
        }
        tickets.sort();
        tickets.dedup();
        let mut n = 0;
        for t in &tickets {
            n += app.reindex_ticket(tx, *t).await?;
        }
        for m in messages {
            if let Some(ticket) = tx.search_doc_ticket(m).await? {
                if tickets.contains(&ticket) {
                    continue;
                }
                if let Some(e) = tx
                    .list_ticket_events(ticket)
                    .await?
                    .into_iter()
                    .find(|e| e.id == m)
                {
                    app.index_ticket_event(tx, &e).await?;
                    n += 1;
                }
            }
        }
        // Nothing of the old words may stay in the index's pages.
        tx.compact_search_index().await?;
        Ok(Counts::from([("documents_remade".to_string(), n)]))
    }
}
