//! Products' cancellation policies as dated versions: a tour package's tiers (days before
//! departure → percentage of the price), a property's or room type's lodging preset. A
//! version applies to bookings confirmed from its effective date until a later version's;
//! a confirmed booking keeps the one in force on its day.

use super::rfc3339;
use crate::extract::{ApiJson, ApiPath, ApiQuery, Auth};
use crate::problem::ApiError;
use crate::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use tripdesk_app::bookings::policies::{PolicyOverview, PolicyVersionInput};
use tripdesk_app::Principal;
use tripdesk_domain::bookings::refund::{LodgingDraft, LodgingPresetKind, TierInput};
use tripdesk_domain::bookings::{
    CancellationPolicy, LodgingCharge, LodgingPreset, PolicyTerms, TierTable, TripScope,
};
use tripdesk_store::{PolicySubject, PolicyVersion};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_package_policies, add_package_policy))
        .routes(routes!(list_property_policies, add_property_policy))
        .routes(routes!(list_room_type_policies, add_room_type_policy))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct IdPath {
    id: Uuid,
}

/// A page of versions.
#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct PolicyQuery {
    /// Page size, 1–200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    limit: Option<u32>,
    #[param(minimum = 0, maximum = 2147483647)]
    #[serde(default, deserialize_with = "super::list_offset")]
    offset: Option<u32>,
}

/// One tier as written: cancelled `days_before` days or more before departure (and fewer
/// than the tier before it) → `percent` of the total price.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TierBody {
    #[schema(minimum = 0, maximum = 365)]
    days_before: u32,
    /// 0 to 100, at most two decimals.
    #[schema(minimum = 0, maximum = 100)]
    percent: f64,
}

/// A lodging preset: `free_until` (with `days` and `then`), `first_night` or
/// `non_refundable`.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LodgingBody {
    preset: LodgingPresetKind,
    /// `free_until` only: free cancellation until this many days before check-in (included).
    #[schema(minimum = 0, maximum = 365)]
    days: Option<u32>,
    /// `free_until` only: what is withheld after that.
    then: Option<LodgingCharge>,
}

/// A new version of a product's policy. A tour package takes `tiers`, farthest from
/// departure first, each `days_before` smaller than the one before it, the last 0 (the
/// departure day), never a smaller percentage nearer departure; `agency_tiers` (what the
/// agency pays on top of a full refund when it cancels) default to the 2014 model contract of
/// the package's scope. A property or a room type takes `lodging`. Refusals name the field
/// (`tiers[2].percent` `range`, `tiers[1].days_before` `order`, …).
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "name": "黄山线路退改规则（2027 春季版）",
    "effective_from": "2027-03-15",
    "tiers": [
        {"days_before": 15, "percent": 0},
        {"days_before": 7, "percent": 10},
        {"days_before": 3, "percent": 30},
        {"days_before": 1, "percent": 50},
        {"days_before": 0, "percent": 70}
    ],
    "free_postponement": true
}))]
pub struct PolicyVersionBody {
    #[schema(min_length = 1, max_length = 100)]
    name: String,
    /// The first day of confirmations it applies to: today or later.
    #[schema(value_type = String, format = Date)]
    effective_from: Date,
    /// Tour packages only.
    tiers: Option<Vec<TierBody>>,
    /// Tour packages only.
    agency_tiers: Option<Vec<TierBody>>,
    /// Properties and room types only.
    lodging: Option<LodgingBody>,
    /// Force majeure: postponement is free (default: true for tours, false for lodging).
    free_postponement: Option<bool>,
}

fn tier_inputs(tiers: Option<Vec<TierBody>>) -> Option<Vec<TierInput>> {
    tiers.map(|v| {
        v.into_iter()
            .map(|t| TierInput {
                days_before: t.days_before,
                percent: t.percent,
            })
            .collect()
    })
}

impl From<PolicyVersionBody> for PolicyVersionInput {
    fn from(b: PolicyVersionBody) -> Self {
        PolicyVersionInput {
            name: b.name,
            effective_from: b.effective_from,
            tiers: tier_inputs(b.tiers),
            agency_tiers: tier_inputs(b.agency_tiers),
            lodging: b.lodging.map(|l| LodgingDraft {
                kind: l.preset,
                days: l.days,
                then: l.then,
            }),
            free_postponement: b.free_postponement,
        }
    }
}

/// One tier of a stored policy.
#[derive(Serialize, ToSchema)]
pub struct TierView {
    days_before: u32,
    /// The tier's last day before departure (`null`: or more).
    max_days: Option<u32>,
    percent: f64,
    /// The tier as contracts print it, e.g. `出发前6日至4日：20%`.
    label_zh: String,
}

fn tiers_view(table: &TierTable) -> Vec<TierView> {
    table
        .tiers()
        .iter()
        .map(|t| TierView {
            days_before: t.min_days,
            max_days: t.max_days,
            percent: f64::from(t.basis_points) / 100.0,
            label_zh: format!("{}：{}", t.days_zh("出发"), t.percent()),
        })
        .collect()
}

/// A lodging preset as stored.
#[derive(Serialize, ToSchema)]
pub struct LodgingView {
    preset: LodgingPresetKind,
    days: Option<u32>,
    then: Option<LodgingCharge>,
}

/// A policy's terms.
#[derive(Serialize, ToSchema)]
pub struct CancellationPolicyView {
    name: String,
    #[schema(value_type = String, format = Date)]
    effective_from: Date,
    /// Tours: which 2014 model contract the agency's tiers and the group notice follow.
    scope: Option<TripScope>,
    /// Tours: the share of the total withheld when the traveler cancels.
    tiers: Option<Vec<TierView>>,
    /// Tours: the agency's compensation on top of a full refund when it cancels.
    agency_tiers: Option<Vec<TierView>>,
    /// Tours: a group below its minimum size called off at least this many days before
    /// departure is refunded in full without compensation.
    group_notice_days: Option<u32>,
    /// Lodging: the preset.
    lodging: Option<LodgingView>,
    free_postponement: bool,
}

impl CancellationPolicyView {
    pub fn of(p: &CancellationPolicy) -> Self {
        let mut view = CancellationPolicyView {
            name: p.name.clone(),
            effective_from: p.effective_from,
            scope: None,
            tiers: None,
            agency_tiers: None,
            group_notice_days: None,
            lodging: None,
            free_postponement: p.terms.free_postponement(),
        };
        match &p.terms {
            PolicyTerms::Tour(t) => {
                view.scope = Some(t.scope);
                view.tiers = Some(tiers_view(&t.customer));
                view.agency_tiers = Some(tiers_view(&t.agency));
                view.group_notice_days = Some(t.group_notice_days);
            }
            PolicyTerms::Lodging(l) => {
                let (days, then) = match l.preset {
                    LodgingPreset::FreeUntil { days, then } => (Some(days), Some(then)),
                    _ => (None, None),
                };
                view.lodging = Some(LodgingView {
                    preset: l.preset.kind(),
                    days,
                    then,
                });
            }
        }
        view
    }
}

/// What a version is for.
#[derive(Serialize, ToSchema)]
pub struct PolicySubjectView {
    /// `package`, `property` or `room_type`.
    #[serde(rename = "type")]
    kind: String,
    id: Uuid,
}

/// A stored version.
#[derive(Serialize, ToSchema)]
pub struct PolicyVersionView {
    id: Uuid,
    subject: PolicySubjectView,
    #[serde(flatten)]
    policy: CancellationPolicyView,
    created_by: Option<Uuid>,
    created_at: String,
}

impl PolicyVersionView {
    fn of(state: &AppState, v: &PolicyVersion) -> Self {
        Self {
            id: v.id,
            subject: PolicySubjectView {
                kind: v.subject.kind().into(),
                id: v.subject.id(),
            },
            policy: CancellationPolicyView::of(&v.policy),
            created_by: v.created_by,
            created_at: rfc3339(state, v.created_at),
        }
    }
}

/// The policy a booking confirmed today would keep.
#[derive(Serialize, ToSchema)]
pub struct InForceView {
    /// `own` (a version of this product), `property` (a room type without one: its
    /// property's) or `default` (no version: the 2014 model contract, or the lodging preset
    /// free until the day before check-in, then the first night).
    source: String,
    /// The stored version, when one applies.
    version_id: Option<Uuid>,
    policy: CancellationPolicyView,
}

/// The policy in force today and the versions, newest first (a property's list holds its
/// room types' versions too).
#[derive(Serialize, ToSchema)]
pub struct CancellationPolicyList {
    in_force: InForceView,
    items: Vec<PolicyVersionView>,
    /// Whether another page follows.
    more: bool,
}

async fn list(
    state: &AppState,
    p: &Principal,
    subject: PolicySubject,
    q: PolicyQuery,
) -> Result<Json<CancellationPolicyList>, ApiError> {
    let limit = super::page_limit(q.limit, 50, 200)?;
    let PolicyOverview {
        in_force,
        source,
        in_force_id,
        history,
        ..
    } = state
        .app
        .policy_overview(p, subject, limit, u64::from(q.offset.unwrap_or(0)))
        .await?;
    Ok(Json(CancellationPolicyList {
        in_force: InForceView {
            source: source.as_str().into(),
            version_id: in_force_id,
            policy: CancellationPolicyView::of(&in_force),
        },
        more: history.more,
        items: history
            .items
            .iter()
            .map(|v| PolicyVersionView::of(state, v))
            .collect(),
    }))
}

async fn add(
    state: &AppState,
    p: &Principal,
    subject: PolicySubject,
    body: PolicyVersionBody,
) -> Result<(StatusCode, Json<PolicyVersionView>), ApiError> {
    let v = state
        .app
        .add_policy_version(p, subject, body.into())
        .await?;
    Ok((StatusCode::CREATED, Json(PolicyVersionView::of(state, &v))))
}

/// A tour package's policy in force today and its versions (needs `view_bookings`).
#[utoipa::path(get, path = "/api/v1/products/{id}/policies", tag = "catalog",
    params(IdPath, PolicyQuery),
    security(("bearer" = []), ("session_cookie" = [])),
    responses((status = 200, description = "In force and the versions", body = CancellationPolicyList)))]
async fn list_package_policies(
    State(state): State<AppState>,
    Auth(p): Auth,
    ApiPath(path): ApiPath<IdPath>,
    ApiQuery(q): ApiQuery<PolicyQuery>,
) -> Result<Json<CancellationPolicyList>, ApiError> {
    list(&state, &p, PolicySubject::Package(path.id), q).await
}

/// Adds a version of a tour package's policy: its tiers from `effective_from` on (needs
/// `manage_catalog`; audited). Bookings confirmed before keep theirs.
#[utoipa::path(post, path = "/api/v1/products/{id}/policies", tag = "catalog", params(IdPath),
    request_body = PolicyVersionBody,
    security(("bearer" = []), ("session_cookie" = [])),
    responses((status = 201, description = "Added", body = PolicyVersionView)))]
async fn add_package_policy(
    State(state): State<AppState>,
    Auth(p): Auth,
    ApiPath(path): ApiPath<IdPath>,
    ApiJson(body): ApiJson<PolicyVersionBody>,
) -> Result<(StatusCode, Json<PolicyVersionView>), ApiError> {
    add(&state, &p, PolicySubject::Package(path.id), body).await
}

/// A property's policy in force today, with its versions and its room types' (needs
/// `view_bookings`).
#[utoipa::path(get, path = "/api/v1/properties/{id}/policies", tag = "catalog",
    params(IdPath, PolicyQuery),
    security(("bearer" = []), ("session_cookie" = [])),
    responses((status = 200, description = "In force and the versions", body = CancellationPolicyList)))]
async fn list_property_policies(
    State(state): State<AppState>,
    Auth(p): Auth,
    ApiPath(path): ApiPath<IdPath>,
    ApiQuery(q): ApiQuery<PolicyQuery>,
) -> Result<Json<CancellationPolicyList>, ApiError> {
    list(&state, &p, PolicySubject::Property(path.id), q).await
}

/// Adds a version of a property's policy (every room type without one of its own), a
/// lodging preset from `effective_from` on (needs `manage_catalog`; audited).
#[utoipa::path(post, path = "/api/v1/properties/{id}/policies", tag = "catalog", params(IdPath),
    request_body(content = PolicyVersionBody, example = json!({
        "name": "入住前3天免费取消", "effective_from": "2027-03-15",
        "lodging": {"preset": "free_until", "days": 3, "then": "first_night"}})),
    security(("bearer" = []), ("session_cookie" = [])),
    responses((status = 201, description = "Added", body = PolicyVersionView)))]
async fn add_property_policy(
    State(state): State<AppState>,
    Auth(p): Auth,
    ApiPath(path): ApiPath<IdPath>,
    ApiJson(body): ApiJson<PolicyVersionBody>,
) -> Result<(StatusCode, Json<PolicyVersionView>), ApiError> {
    add(&state, &p, PolicySubject::Property(path.id), body).await
}

/// A room type's policy in force today (its own, else its property's) and its versions
/// (needs `view_bookings`).
#[utoipa::path(get, path = "/api/v1/room-types/{id}/policies", tag = "catalog",
    params(IdPath, PolicyQuery),
    security(("bearer" = []), ("session_cookie" = [])),
    responses((status = 200, description = "In force and the versions", body = CancellationPolicyList)))]
async fn list_room_type_policies(
    State(state): State<AppState>,
    Auth(p): Auth,
    ApiPath(path): ApiPath<IdPath>,
    ApiQuery(q): ApiQuery<PolicyQuery>,
) -> Result<Json<CancellationPolicyList>, ApiError> {
    list(&state, &p, PolicySubject::RoomType(path.id), q).await
}

/// Adds a version of a room type's own policy, a lodging preset from `effective_from` on
/// (needs `manage_catalog`; audited).
#[utoipa::path(post, path = "/api/v1/room-types/{id}/policies", tag = "catalog", params(IdPath),
    request_body(content = PolicyVersionBody, example = json!({
        "name": "海景房节假日不可退", "effective_from": "2027-04-01",
        "lodging": {"preset": "non_refundable"}})),
    security(("bearer" = []), ("session_cookie" = [])),
    responses((status = 201, description = "Added", body = PolicyVersionView)))]
async fn add_room_type_policy(
    State(state): State<AppState>,
    Auth(p): Auth,
    ApiPath(path): ApiPath<IdPath>,
    ApiJson(body): ApiJson<PolicyVersionBody>,
) -> Result<(StatusCode, Json<PolicyVersionView>), ApiError> {
    add(&state, &p, PolicySubject::RoomType(path.id), body).await
}
