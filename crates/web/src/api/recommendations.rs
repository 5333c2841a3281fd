//! Needs-based matching (issue 14 scope 4): `POST /api/v1/recommendations` answers at most
//! three products on sale for what an inquiring customer needs, each with its score broken
//! down and a one-line reason in Chinese. It reads only; the rules are the domain's
//! (`tripdesk_domain::catalog::matching`), the loading the use case's
//! (`tripdesk_app::bookings::matching`).

use crate::extract::{ApiJson, Auth};
use crate::problem::ApiError;
use crate::AppState;
use axum::extract::State;
use axum::Json;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use tripdesk_app::bookings::matching::{OfferKind, ProductNeeds, Recommended};
use tripdesk_domain::catalog::{DateWindow, Diet, Needs, Party, ScoreKind, Tag};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(recommend))
}

/// What the customer needs.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "keywords": ["大理", "古镇"],
    "earliest": "2027-05-01", "latest": "2027-05-10",
    "budget_per_person": 350000,
    "party": {"adults": 2, "children": 1, "seniors": 1},
    "preferences": ["culture", "family"],
    "wheelchair": false,
    "diets": ["vegetarian"]}))]
pub struct RecommendationRequest {
    /// Destination or keywords (大理, 古镇, 温泉), at most 10 of up to 40 characters; none
    /// means anywhere.
    #[serde(default)]
    keywords: Vec<String>,
    /// The trip starts on or after this day (today or later).
    #[schema(value_type = String, format = Date)]
    earliest: Date,
    /// The trip is over (return day, or check-out morning) on or before this day; at most
    /// 62 days after `earliest`.
    #[schema(value_type = String, format = Date)]
    latest: Date,
    /// Nights of a stay; absent: the whole window (check-in on `earliest`, check-out on
    /// `latest`). Tours keep their own length.
    #[schema(minimum = 1, maximum = 62)]
    nights: Option<u32>,
    /// Budget per person in fen; over-budget products come only after those within it.
    #[schema(minimum = 0)]
    budget_per_person: Option<i64>,
    /// Who travels (1–999; children with an adult or a senior).
    party: Party,
    /// Kinds of trip the customer likes.
    #[serde(default)]
    preferences: Vec<Tag>,
    /// Every day (or the room and its way in) must work in a wheelchair.
    #[serde(default)]
    wheelchair: bool,
    /// Diets the meals must cater for.
    #[serde(default)]
    diets: Vec<Diet>,
}

/// One named part of a score.
#[derive(Serialize, ToSchema)]
pub struct ScorePart {
    kind: ScoreKind,
    points: i32,
}

/// A product worth offering, and why.
#[derive(Serialize, ToSchema)]
pub struct RecommendationView {
    kind: OfferKind,
    /// The tour package, or the room type for a stay.
    product_id: Uuid,
    /// The package's name, or "property·room type".
    name: String,
    destination: String,
    /// Tours: the departure to book seats on.
    departure_id: Option<Uuid>,
    /// Stays: the room type, its property and a room free for every night (for
    /// `POST /api/v1/bookings`).
    room_type_id: Option<Uuid>,
    property_id: Option<Uuid>,
    room_id: Option<Uuid>,
    /// First day: departure or check-in.
    #[schema(value_type = String, format = Date)]
    start: Date,
    /// Return day, or check-out morning.
    #[schema(value_type = String, format = Date)]
    end: Date,
    /// Stays: rooms the party needs.
    rooms: Option<u32>,
    total_fen: i64,
    /// The total divided by the party's size, rounded up.
    per_person_fen: i64,
    /// Whether the price per person is within the budget (absent without a budget).
    within_budget: Option<bool>,
    score: i32,
    components: Vec<ScorePart>,
    /// One line in Chinese for the agent to read out.
    reason: String,
}

impl RecommendationView {
    fn of(r: Recommended) -> Self {
        let rec = r.recommendation;
        Self {
            kind: r.kind,
            product_id: rec.product_id,
            name: r.name,
            destination: r.destination,
            departure_id: rec.departure_id,
            room_type_id: (r.kind == OfferKind::Stay).then_some(rec.product_id),
            property_id: r.property_id,
            room_id: r.room_id,
            start: rec.start,
            end: rec.end,
            rooms: rec.rooms,
            total_fen: rec.total_fen,
            per_person_fen: rec.per_person_fen,
            within_budget: rec.within_budget,
            score: rec.score,
            components: rec
                .components
                .iter()
                .map(|c| ScorePart {
                    kind: c.kind,
                    points: c.points,
                })
                .collect(),
            reason: rec.reason,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct RecommendationList {
    /// At most three, best first: within budget before over it, then by score (never by
    /// price), one offer per product.
    items: Vec<RecommendationView>,
}

/// Up to three available products for a customer's needs (needs `view_bookings`; reads
/// only). Hard constraints — dates, seats or rooms for the whole party, wheelchair access,
/// diets — are never broken. Bad input answers 422 naming the field (`latest` `too_long`
/// beyond 62 days, `earliest` `past`, `party` `empty`, `party.children`
/// `needs_accompanying_adult`, `budget_per_person` `negative`, `nights`, `keywords`).
#[utoipa::path(post, path = "/api/v1/recommendations", tag = "catalog",
    request_body = RecommendationRequest,
    security(("bearer" = []), ("session_cookie" = [])),
    responses((status = 200, description = "Up to three recommendations", body = RecommendationList)))]
async fn recommend(
    State(state): State<AppState>,
    Auth(p): Auth,
    ApiJson(body): ApiJson<RecommendationRequest>,
) -> Result<Json<RecommendationList>, ApiError> {
    let request = ProductNeeds {
        needs: Needs {
            keywords: body.keywords,
            window: DateWindow {
                earliest: body.earliest,
                latest: body.latest,
            },
            budget_per_person: body.budget_per_person,
            party: body.party,
            preferences: body.preferences,
            wheelchair: body.wheelchair,
            diets: body.diets,
        },
        nights: body.nights,
    };
    let found = state.app.recommend_products(&p, &request).await?;
    Ok(Json(RecommendationList {
        items: found.into_iter().map(RecommendationView::of).collect(),
    }))
}
