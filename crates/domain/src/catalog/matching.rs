//! From an inquiry's needs to the products worth offering (seed 002 "精准匹配": 从产品库中
//! 筛选出2-3个最符合其条件的旅游产品…避免盲目推荐高价产品; issue 14 scope 4).
//!
//! The rules, in order:
//! 1. **Hard constraints are never broken.** A candidate is dropped unless the whole trip
//!    (departure day to return day, or check-in to check-out) lies in the customer's date
//!    window, there are seats (or rooms × occupancy) for the whole party, it is wheelchair
//!    accessible when that is asked, and it caters for every diet asked. Candidates whose own
//!    data fails validation are dropped too (a price of zero is no offer).
//! 2. **Relevance.** When the customer named a destination or keywords, a candidate must
//!    match at least one of them (destination, name or keywords; case-insensitive). A word
//!    that contains the destination matches it too: "云南大理" finds a 云南 tour, since
//!    customers run place names together and there is no word segmentation here.
//! 3. **Within budget first.** When a budget per person is given, every candidate within it
//!    ranks above every candidate over it; over-budget products are offered only when fewer
//!    than three within-budget ones fit.
//! 4. **Score, never price.** Inside each group candidates are ranked by a score made of named
//!    components ([`ScoreKind`]): destination match, preferences met, budget fit and party fit.
//!    Price only ever takes points away (going over budget); among candidates within budget
//!    the price plays no part, so the most expensive is never pushed.
//! 5. **At most three products** ([`MAX_RECOMMENDATIONS`]), one offer per product (its best
//!    departure or stay), ties broken by the earlier date, then the id.
//!
//! Each recommendation carries a one-line reason in Chinese for the agent to read out.

use std::cmp::Reverse;

use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::product::{nights_between, yuan, Departure, Diet, Party, RoomType, Tag, TourPackage};
use super::CatalogError;

/// Seed 002 asks for two or three products; never more.
pub const MAX_RECOMMENDATIONS: usize = 3;

/// The dates the customer can travel: the trip starts on or after `earliest` and is over
/// (return day, or check-out morning) on or before `latest`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct DateWindow {
    pub earliest: Date,
    pub latest: Date,
}

impl DateWindow {
    pub fn contains(&self, start: Date, end: Date) -> bool {
        self.earliest <= start && start <= end && end <= self.latest
    }
}

/// What the customer told us (seed 002 "有效倾听": 出行意向、时间、预算、人数、偏好、特殊需求).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Needs {
    /// Destination or keywords (大理, 古镇, 温泉); empty means anywhere.
    pub keywords: Vec<String>,
    pub window: DateWindow,
    /// Budget per person in fen, if the customer gave one.
    pub budget_per_person: Option<i64>,
    pub party: Party,
    pub preferences: Vec<Tag>,
    pub wheelchair: bool,
    pub diets: Vec<Diet>,
}

impl Needs {
    /// A valid party, a window whose start is not after its end, a budget not below zero.
    pub fn validate(&self) -> Result<(), CatalogError> {
        self.party.validate()?;
        if self.window.earliest > self.window.latest {
            return Err(CatalogError::invalid("window.latest", "before_earliest"));
        }
        if self.budget_per_person.is_some_and(|b| b < 0) {
            return Err(CatalogError::invalid("budget_per_person", "negative"));
        }
        Ok(())
    }
}

/// A departure on offer, with its seats left as the inventory says now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TourOffer {
    pub package: TourPackage,
    pub departure: Departure,
    pub seats_left: u32,
}

/// A stay on offer in one room type: the dates asked, the rooms free for all those nights,
/// and the price of one room for the stay ([`RoomType::stay_price`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StayOffer {
    pub room_type: RoomType,
    pub property_name: String,
    pub destination: String,
    pub keywords: Vec<String>,
    pub tags: Vec<Tag>,
    /// Diets the property's meals cater for.
    pub diets: Vec<Diet>,
    pub check_in: Date,
    pub check_out: Date,
    pub rooms_free: u32,
    pub price_per_room_fen: i64,
}

/// Something that could be offered, with its availability already known.
// A tour carries its whole departure (with the guide's name and phone since issue 14's
// documents), so it is about twice a stay; candidates of one request are a vector of at most
// some thousand, built once and read once, so boxing would save nothing that matters.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Candidate {
    Tour(TourOffer),
    Stay(StayOffer),
}

/// The named parts of a score.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(as = ScoreKindName))]
pub enum ScoreKind {
    /// 0–40: the destination (40) or another word (25) matches what the customer named.
    Destination,
    /// 0–30: the share of the customer's preferences the product's tags meet.
    Preferences,
    /// −40–20: 20 within budget whatever the price; less the further over budget; 0 when no
    /// budget was given.
    Budget,
    /// 0–10: family-friendly when children travel, senior-friendly when seniors do.
    PartyFit,
}

impl ScoreKind {
    pub const ALL: [ScoreKind; 4] = [
        ScoreKind::Destination,
        ScoreKind::Preferences,
        ScoreKind::Budget,
        ScoreKind::PartyFit,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ScoreKind::Destination => "destination",
            ScoreKind::Preferences => "preferences",
            ScoreKind::Budget => "budget",
            ScoreKind::PartyFit => "party_fit",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// One part of a score.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScoreComponent {
    pub kind: ScoreKind,
    pub points: i32,
}

/// A product worth offering, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Recommendation {
    /// The package or the room type.
    pub product_id: Uuid,
    /// The departure, for a tour.
    pub departure_id: Option<Uuid>,
    /// First day of the trip (departure or check-in).
    pub start: Date,
    /// Return day, or check-out morning.
    pub end: Date,
    /// Rooms the party needs, for a stay.
    pub rooms: Option<u32>,
    pub total_fen: i64,
    /// Total divided by the party's size, rounded up.
    pub per_person_fen: i64,
    /// Whether the price per person is within the budget, when one was given.
    pub within_budget: Option<bool>,
    pub score: i32,
    pub components: Vec<ScoreComponent>,
    /// One line in Chinese for the agent.
    pub reason: String,
}

/// Up to [`MAX_RECOMMENDATIONS`] products for `needs` from `candidates`, best first, by the
/// rules of this module.
pub fn recommend(
    needs: &Needs,
    candidates: &[Candidate],
) -> Result<Vec<Recommendation>, CatalogError> {
    needs.validate()?;
    let keywords: Vec<String> = needs
        .keywords
        .iter()
        .map(|k| k.trim().to_lowercase())
        .filter(|k| !k.is_empty())
        .collect();
    let mut found: Vec<Recommendation> = candidates
        .iter()
        .filter_map(|c| evaluate(needs, &keywords, c))
        .collect();
    found.sort_by_key(|r| {
        (
            Reverse(r.within_budget.unwrap_or(true)),
            Reverse(r.score),
            r.start,
            r.product_id,
            r.departure_id,
        )
    });
    let mut out: Vec<Recommendation> = Vec::with_capacity(MAX_RECOMMENDATIONS);
    for r in found {
        if out.len() == MAX_RECOMMENDATIONS {
            break;
        }
        if out.iter().all(|o| o.product_id != r.product_id) {
            out.push(r);
        }
    }
    Ok(out)
}

/// What matching needs to know of either kind of candidate.
struct Facts<'a> {
    name: String,
    destination: &'a str,
    keywords: &'a [String],
    tags: &'a [Tag],
    diets: &'a [Diet],
    wheelchair: bool,
    easy_walking: bool,
    start: Date,
    end: Date,
}

fn evaluate(needs: &Needs, keywords: &[String], candidate: &Candidate) -> Option<Recommendation> {
    let party = needs.party;
    let size = party.size();
    let (facts, total, rooms, product_id, departure_id, capacity_line) = match candidate {
        Candidate::Tour(t) => {
            t.package.validate().ok()?;
            t.departure.validate(t.package.scope).ok()?;
            if t.departure.package_id != t.package.id || t.seats_left < size {
                return None;
            }
            let total = t.departure.price_for(&party).ok()?;
            let days = t.package.days();
            let facts = Facts {
                name: t.package.name.clone(),
                destination: &t.package.destination,
                keywords: &t.package.keywords,
                tags: &t.package.tags,
                diets: &t.package.diets,
                wheelchair: t.package.accessibility.wheelchair,
                easy_walking: t.package.accessibility.easy_walking,
                start: t.departure.date,
                end: t.departure.return_date(days),
            };
            let line = format!(
                "{}出发{}天,余位{}",
                month_day(t.departure.date),
                days,
                t.seats_left
            );
            (facts, total, None, t.package.id, Some(t.departure.id), line)
        }
        Candidate::Stay(s) => {
            s.room_type.validate().ok()?;
            if s.price_per_room_fen <= 0 {
                return None;
            }
            let nights = nights_between(s.check_in, s.check_out).ok()?.len();
            let rooms = size.div_ceil(s.room_type.max_occupancy);
            if rooms > s.rooms_free {
                return None;
            }
            let total = s.price_per_room_fen.checked_mul(i64::from(rooms))?;
            let facts = Facts {
                name: format!("{}·{}", s.property_name, s.room_type.name),
                destination: &s.destination,
                keywords: &s.keywords,
                tags: &s.tags,
                diets: &s.diets,
                wheelchair: s.room_type.accessibility.wheelchair,
                easy_walking: s.room_type.accessibility.easy_walking,
                start: s.check_in,
                end: s.check_out,
            };
            let line = format!(
                "{}入住{}晚,需{}间(空{}间)",
                month_day(s.check_in),
                nights,
                rooms,
                s.rooms_free
            );
            (facts, total, Some(rooms), s.room_type.id, None, line)
        }
    };

    // Hard constraints.
    if !needs.window.contains(facts.start, facts.end) {
        return None;
    }
    if needs.wheelchair && !facts.wheelchair {
        return None;
    }
    if !needs.diets.iter().all(|d| facts.diets.contains(d)) {
        return None;
    }
    // Relevance.
    let destination = facts.destination.trim().to_lowercase();
    let destination_hit = keywords.iter().any(|k| {
        destination.contains(k.as_str()) || (!destination.is_empty() && k.contains(&destination))
    });
    let other_hit = keywords.iter().any(|k| {
        facts.name.to_lowercase().contains(k.as_str())
            || facts
                .keywords
                .iter()
                .any(|w| w.to_lowercase().contains(k.as_str()))
    });
    if !keywords.is_empty() && !destination_hit && !other_hit {
        return None;
    }

    let per_person = div_ceil_fen(total, i64::from(size));
    let within_budget = needs.budget_per_person.map(|b| per_person <= b);

    let destination = if destination_hit {
        40
    } else if other_hit {
        25
    } else {
        0
    };
    let mut prefs_met: Vec<Tag> = needs
        .preferences
        .iter()
        .copied()
        .filter(|t| facts.tags.contains(t))
        .collect();
    prefs_met.sort_unstable();
    prefs_met.dedup();
    let mut prefs_asked = needs.preferences.clone();
    prefs_asked.sort_unstable();
    prefs_asked.dedup();
    let preferences = if prefs_asked.is_empty() {
        0
    } else {
        (30 * prefs_met.len() / prefs_asked.len()) as i32
    };
    let budget = match needs.budget_per_person {
        None => 0,
        Some(_) if within_budget == Some(true) => 20,
        Some(b) => over_budget_points(per_person, b),
    };
    let family_fit = party.children > 0 && facts.tags.contains(&Tag::Family);
    let senior_fit =
        party.seniors > 0 && (facts.tags.contains(&Tag::SeniorFriendly) || facts.easy_walking);
    let party_fit = 5 * i32::from(family_fit) + 5 * i32::from(senior_fit);

    let components = vec![
        ScoreComponent {
            kind: ScoreKind::Destination,
            points: destination,
        },
        ScoreComponent {
            kind: ScoreKind::Preferences,
            points: preferences,
        },
        ScoreComponent {
            kind: ScoreKind::Budget,
            points: budget,
        },
        ScoreComponent {
            kind: ScoreKind::PartyFit,
            points: party_fit,
        },
    ];
    let score = components.iter().map(|c| c.points).sum();

    // The reason: one line, no line breaks whatever the names hold.
    let mut parts = vec![
        format!("{}({})", facts.name, facts.destination),
        capacity_line,
    ];
    parts.push(match (within_budget, needs.budget_per_person) {
        (Some(true), _) => format!("人均{}在预算内", yuan(per_person)),
        (Some(false), Some(b)) => format!(
            "人均{},超出预算{}",
            yuan(per_person),
            yuan(per_person.saturating_sub(b))
        ),
        _ => format!("人均{}", yuan(per_person)),
    });
    if !prefs_met.is_empty() {
        let labels: Vec<&str> = prefs_met.iter().map(|t| t.label_zh()).collect();
        parts.push(format!("符合偏好:{}", labels.join("、")));
    }
    if family_fit {
        parts.push("适合带孩子".to_owned());
    }
    if senior_fit {
        parts.push("老人出行轻松".to_owned());
    }
    if needs.wheelchair {
        parts.push("轮椅可通行".to_owned());
    }
    if !needs.diets.is_empty() {
        let mut diets = needs.diets.clone();
        diets.sort_unstable();
        diets.dedup();
        let labels: Vec<&str> = diets.iter().map(|d| d.label_zh()).collect();
        parts.push(format!("可安排{}餐食", labels.join("、")));
    }
    let reason: String = parts
        .join(";")
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();

    Some(Recommendation {
        product_id,
        departure_id,
        start: facts.start,
        end: facts.end,
        rooms,
        total_fen: total,
        per_person_fen: per_person,
        within_budget,
        score,
        components,
        reason,
    })
}

/// Points for a price over budget: 20 less 4 points per 10 % over, down to −40. Never more
/// than the 20 a product within budget gets, and falling as the price rises.
fn over_budget_points(per_person: i64, budget: i64) -> i32 {
    if budget <= 0 {
        return -40;
    }
    let over = i128::from(per_person) - i128::from(budget);
    // Tenths of the budget over, rounded up: 1 fen over costs the first 4 points.
    let tenths = (over * 10 + i128::from(budget) - 1) / i128::from(budget);
    let points = 20 - 4 * tenths.min(15);
    points.max(-40) as i32
}

fn div_ceil_fen(total: i64, n: i64) -> i64 {
    if n <= 0 {
        return total;
    }
    let q = total / n;
    if total % n > 0 {
        q + 1
    } else {
        q
    }
}

fn month_day(d: Date) -> String {
    format!("{}月{}日", d.month(), d.day())
}
