//! Needs-based matching made reachable (issue 14 scope 4): from what an inquiring customer
//! said — keywords, a date window, a budget per person, the party, preferences, wheelchair
//! access, diets — at most three products on sale now, by the pure rules of
//! `tripdesk_domain::catalog::matching` (hard constraints never broken, within budget first,
//! never ranked by price).
//!
//! This use case only loads the candidates with their availability as the store says now,
//! bounded so one request cannot read the whole catalog:
//!
//! - **Tours**: open departures leaving in the window with seats for the whole party
//!   (`list_departures` with `min_seats_left`), at most [`MAX_DEPARTURES`], with their
//!   packages (active ones only); the domain keeps those whose return day is in the window.
//! - **Stays**: each property's room types (at most [`MAX_PROPERTIES`] properties), with the
//!   rooms free for *every* night of the stay (one `room_nights` read per property, as the
//!   sold-out alternatives do: a party does not change rooms at midnight), priced night by
//!   night on the office calendar as a booking would be. The stay is the whole window unless
//!   `nights` is given; then every check-in day that fits is a candidate and the domain keeps
//!   the best (the earliest among equals) per room type.
//!
//! Properties carry no destination, tags or diets yet: a stay's destination is its
//! property's address, its keywords the room type's facilities, so a stay matches on a place
//! or a facility but never meets a preference, and is never offered when a diet is asked.

use super::catalog::{catalog_error, day_kind};
use crate::{App, AppError, FieldError, Principal};
use jiff::civil::Date;
use std::collections::hash_map::Entry;
use std::collections::{HashMap, HashSet};
use tripdesk_domain::calendar::Calendar;
use tripdesk_domain::catalog::{
    recommend, Candidate, CatalogError, Needs, Recommendation, StayOffer, TourOffer,
};
use tripdesk_domain::identity::Permission;
use tripdesk_store::{DepartureFilter, Tx};
use uuid::Uuid;

/// The longest date window one request may search (latest − earliest, in days): two months,
/// which bounds the departures and the stays read.
pub const MAX_WINDOW_DAYS: i32 = 62;
/// Keywords one request may give.
pub const MAX_KEYWORDS: usize = 10;
/// Characters of one keyword.
pub const MAX_KEYWORD_CHARS: usize = 40;
/// Departures read at most (earliest first).
pub const MAX_DEPARTURES: u32 = 1_000;
/// Properties read at most.
pub const MAX_PROPERTIES: u32 = 200;

/// What the customer needs, and for a stay how many nights (the whole window when `None`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProductNeeds {
    pub needs: Needs,
    pub nights: Option<u32>,
}

/// What kind of product a recommendation offers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(as = OfferKindName))]
pub enum OfferKind {
    /// Seats on a departure of a tour package (`product_id` is the package).
    Tour,
    /// Rooms of a room type for a stay (`product_id` is the room type).
    Stay,
}

impl OfferKind {
    pub const ALL: [OfferKind; 2] = [OfferKind::Tour, OfferKind::Stay];

    pub fn as_str(self) -> &'static str {
        match self {
            OfferKind::Tour => "tour",
            OfferKind::Stay => "stay",
        }
    }
}

/// A recommendation with what a person needs to read and act on it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recommended {
    pub kind: OfferKind,
    /// The package's name, or "property·room type".
    pub name: String,
    pub destination: String,
    /// The property, for a stay.
    pub property_id: Option<Uuid>,
    /// For a stay: a room free for every night of it, for the booking form.
    pub room_id: Option<Uuid>,
    pub recommendation: Recommendation,
}

/// The domain's field names as the request names them.
fn request_field(field: &str) -> &str {
    match field {
        "window.latest" => "latest",
        "window.earliest" => "earliest",
        other => other,
    }
}

fn needs_error(e: CatalogError) -> AppError {
    match e {
        CatalogError::Invalid { field, rule } => {
            AppError::field(request_field(field), rule, e.to_string())
        }
        e => catalog_error(e),
    }
}

/// Every check of the request before anything is read: keywords, the window (not in the
/// past, at most [`MAX_WINDOW_DAYS`]), the party, the budget, the nights.
fn check(needs: &ProductNeeds, today: Date) -> Result<Needs, AppError> {
    let mut fields = Vec::new();
    let mut out = needs.needs.clone();
    out.keywords = needs
        .needs
        .keywords
        .iter()
        .map(|k| {
            crate::check_text(
                &mut fields,
                "keywords",
                k,
                MAX_KEYWORD_CHARS,
                crate::Lines::One,
            )
        })
        .filter(|k| !k.is_empty())
        .collect();
    out.keywords.dedup();
    if out.keywords.len() > MAX_KEYWORDS {
        fields.push(FieldError::new(
            "keywords",
            "too_many",
            format!("at most {MAX_KEYWORDS} keywords"),
        ));
    }
    let window = out.window;
    if window.earliest < today {
        fields.push(FieldError::new(
            "earliest",
            "past",
            "the window starts in the past",
        ));
    }
    if let Err(e) = out.validate() {
        match needs_error(e) {
            AppError::Validation(mut f) => fields.append(&mut f),
            other => return Err(other),
        }
    }
    let days = (window.latest - window.earliest).get_days();
    if window.earliest <= window.latest && days > MAX_WINDOW_DAYS {
        fields.push(FieldError::new(
            "latest",
            "too_long",
            format!("the window may span at most {MAX_WINDOW_DAYS} days"),
        ));
    }
    if let (Some(n), true) = (needs.nights, window.earliest <= window.latest) {
        if n == 0 || i64::from(n) > i64::from(days) {
            fields.push(FieldError::new(
                "nights",
                "out_of_window",
                "a stay of 1 night up to the days of the window",
            ));
        }
    }
    if fields.is_empty() {
        Ok(out)
    } else {
        Err(AppError::Validation(fields))
    }
}

/// What the candidates were read with, to name each recommendation afterwards.
#[derive(Default)]
struct Loaded {
    candidates: Vec<Candidate>,
    /// Room type → (property id, a free room per check-in day).
    stays: HashMap<Uuid, (Uuid, HashMap<Date, Uuid>)>,
}

impl App {
    /// Up to three products for what an inquiring customer needs (see the module comment),
    /// best first. Needs `view_bookings`; reads only.
    pub async fn recommend_products(
        &self,
        principal: &Principal,
        request: &ProductNeeds,
    ) -> Result<Vec<Recommended>, AppError> {
        principal.require(Permission::ViewBookings)?;
        let needs = check(request, self.today())?;
        let mut tx = self.store.read().await?;
        let mut loaded = Loaded::default();
        self.load_tours(&mut *tx, &needs, &mut loaded).await?;
        self.load_stays(&mut *tx, &needs, request.nights, &mut loaded)
            .await?;
        drop(tx);
        let found = recommend(&needs, &loaded.candidates).map_err(needs_error)?;
        Ok(found.into_iter().map(|r| name(&loaded, r)).collect())
    }

    /// The catalog's words — destinations and keywords of the packages on sale — that occur
    /// in `text` (an inquiry's subject and description), longest first, at most
    /// [`MAX_KEYWORDS`]: what the needs form starts from. Needs `view_bookings`.
    pub async fn catalog_words_in(
        &self,
        principal: &Principal,
        text: &str,
    ) -> Result<Vec<String>, AppError> {
        principal.require(Permission::ViewBookings)?;
        let text = text.to_lowercase();
        let mut tx = self.store.read().await?;
        let packages = tx.list_packages(true, 1_000, 0).await?;
        let mut words: Vec<String> = packages
            .iter()
            .flat_map(|p| std::iter::once(&p.package.destination).chain(&p.package.keywords))
            .map(|w| w.trim().to_string())
            .filter(|w| w.chars().count() >= 2 && text.contains(&w.to_lowercase()))
            .collect();
        words.sort_by(|a, b| b.chars().count().cmp(&a.chars().count()).then(a.cmp(b)));
        words.dedup();
        words.truncate(MAX_KEYWORDS);
        Ok(words)
    }

    async fn load_tours(
        &self,
        tx: &mut dyn Tx,
        needs: &Needs,
        loaded: &mut Loaded,
    ) -> Result<(), AppError> {
        let departures = tx
            .list_departures(&DepartureFilter {
                from: Some(needs.window.earliest),
                until: needs.window.latest.tomorrow().ok(),
                min_seats_left: Some(needs.party.size()),
                limit: MAX_DEPARTURES,
                ..Default::default()
            })
            .await?;
        let mut packages = HashMap::new();
        for d in departures {
            let id = d.departure.package_id;
            if let Entry::Vacant(slot) = packages.entry(id) {
                let p = tx.get_package(id).await?.filter(|p| p.active);
                slot.insert(p.map(|p| p.package));
            }
            if let Some(Some(package)) = packages.get(&id) {
                loaded.candidates.push(Candidate::Tour(TourOffer {
                    package: package.clone(),
                    seats_left: d.seats_left(),
                    departure: d.departure,
                }));
            }
        }
        Ok(())
    }

    async fn load_stays(
        &self,
        tx: &mut dyn Tx,
        needs: &Needs,
        nights: Option<u32>,
        loaded: &mut Loaded,
    ) -> Result<(), AppError> {
        let (earliest, latest) = (needs.window.earliest, needs.window.latest);
        let window = (latest - earliest).get_days();
        if window < 1 {
            return Ok(());
        }
        let nights = nights.map_or(window, |n| n as i32);
        // Every check-in day from which the stay ends in the window.
        let starts: Vec<Date> = earliest
            .series(jiff::Span::new().days(1))
            .take((window - nights + 1).max(0) as usize)
            .collect();
        let properties = tx.list_properties(MAX_PROPERTIES, 0).await?;
        if properties.is_empty() || starts.is_empty() {
            return Ok(());
        }
        let calendar = self
            .load_calendar(tx, Calendar::CHINA_MAINLAND_OFFICE)
            .await?;
        for property in properties {
            let types = tx.list_room_types(property.id).await?;
            let rooms: Vec<_> = tx
                .list_rooms(Some(property.id), 10_000, 0)
                .await?
                .into_iter()
                .filter(|r| r.active)
                .collect();
            let busy: HashSet<(Uuid, Date)> = tx
                .room_nights(property.id, earliest, latest)
                .await?
                .into_iter()
                .map(|n| (n.room_id, n.night))
                .collect();
            for room_type in types {
                let of_type: Vec<Uuid> = rooms
                    .iter()
                    .filter(|r| r.room_type_id == room_type.id)
                    .map(|r| r.id)
                    .collect();
                for check_in in &starts {
                    let Ok(check_out) = check_in.checked_add(jiff::Span::new().days(nights)) else {
                        continue;
                    };
                    let stay: Vec<Date> = check_in
                        .series(jiff::Span::new().days(1))
                        .take(nights as usize)
                        .collect();
                    let free: Vec<Uuid> = of_type
                        .iter()
                        .copied()
                        .filter(|r| stay.iter().all(|n| !busy.contains(&(*r, *n))))
                        .collect();
                    let Some(first) = free.first() else {
                        continue;
                    };
                    let Ok(quote) =
                        room_type.stay_price(*check_in, check_out, |d| day_kind(&calendar, d))
                    else {
                        continue;
                    };
                    loaded
                        .stays
                        .entry(room_type.id)
                        .or_insert_with(|| (property.id, HashMap::new()))
                        .1
                        .insert(*check_in, *first);
                    loaded.candidates.push(Candidate::Stay(StayOffer {
                        room_type: room_type.clone(),
                        property_name: property.name.clone(),
                        destination: property.address.clone(),
                        keywords: room_type.facilities.clone(),
                        tags: Vec::new(),
                        diets: Vec::new(),
                        check_in: *check_in,
                        check_out,
                        rooms_free: free.len() as u32,
                        price_per_room_fen: quote.total_fen,
                    }));
                }
            }
        }
        Ok(())
    }
}

/// The recommendation with its product's name, destination and (for a stay) a free room.
fn name(loaded: &Loaded, r: Recommendation) -> Recommended {
    let candidate = loaded.candidates.iter().find(|c| match c {
        Candidate::Tour(t) => Some(t.departure.id) == r.departure_id,
        Candidate::Stay(s) => {
            r.departure_id.is_none() && s.room_type.id == r.product_id && s.check_in == r.start
        }
    });
    let (kind, name, destination) = match candidate {
        Some(Candidate::Tour(t)) => (
            OfferKind::Tour,
            t.package.name.clone(),
            t.package.destination.clone(),
        ),
        Some(Candidate::Stay(s)) => (
            OfferKind::Stay,
            format!("{}·{}", s.property_name, s.room_type.name),
            s.destination.clone(),
        ),
        None if r.departure_id.is_some() => (OfferKind::Tour, String::new(), String::new()),
        None => (OfferKind::Stay, String::new(), String::new()),
    };
    let stay = loaded.stays.get(&r.product_id);
    Recommended {
        kind,
        name,
        destination,
        property_id: stay.filter(|_| kind == OfferKind::Stay).map(|s| s.0),
        room_id: stay
            .filter(|_| kind == OfferKind::Stay)
            .and_then(|s| s.1.get(&r.start).copied()),
        recommendation: r,
    }
}
