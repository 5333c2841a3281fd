//! What an incident cost (lines entered by staff, with the refunds of its remedies summed
//! apart) and the drill records: every drill with its key figures and the count per year.

use super::{IncidentPath, IncidentView};
use crate::api::rfc3339;
use crate::extract::{ApiJson, ApiPath, ApiQuery, Auth};
use crate::problem::ApiError;
use crate::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};
use tripdesk_app::emergency::NewIncidentCost;
use tripdesk_store::{CostTotals, IncidentCost};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_costs, add_cost))
        .routes(routes!(list_drills))
}

/// A line of cost to enter.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"what": "转移游客包车 2 辆", "amount_fen": 360050}))]
pub struct CostBody {
    /// What was spent: 1 to 200 characters, one line.
    what: String,
    /// In fen (¥1 = 100), 1 to 10,000,000,000.
    #[schema(minimum = 1, maximum = 10000000000_i64)]
    amount_fen: i64,
}

/// One line of an incident's costs.
#[derive(Serialize, ToSchema)]
pub struct CostView {
    id: Uuid,
    what: String,
    amount_fen: i64,
    entered_by: Option<Uuid>,
    entered_by_name: String,
    entered_at: String,
}

impl CostView {
    fn of(state: &AppState, c: IncidentCost) -> Self {
        Self {
            id: c.id,
            what: c.what,
            amount_fen: c.amount_fen,
            entered_by: c.entered_by,
            entered_by_name: c.entered_by_name,
            entered_at: rfc3339(state, c.entered_at),
        }
    }
}

/// What an incident cost, in fen.
#[derive(Serialize, ToSchema)]
pub struct CostTotalsView {
    /// The lines entered, and their sum.
    lines: u64,
    entered_fen: i64,
    /// Refunds customers chose under the incident's remedies (as quoted), and their sum.
    refunds: u64,
    refunds_fen: i64,
    /// Everything: the lines entered and the refunds chosen.
    total_fen: i64,
    /// Refunds still offered, not chosen yet (not in the total).
    offered_refunds_fen: i64,
}

impl From<CostTotals> for CostTotalsView {
    fn from(t: CostTotals) -> Self {
        Self {
            lines: t.lines,
            entered_fen: t.entered_fen,
            refunds: t.refunds,
            refunds_fen: t.refunds_fen,
            total_fen: t.entered_fen + t.refunds_fen,
            offered_refunds_fen: t.offered_refunds_fen,
        }
    }
}

/// Enters a line of an incident's costs, open or closed, a drill too (needs
/// `manage_incidents`; audited, and a line of the timeline). 422 for an empty `what` or an
/// amount out of range.
#[utoipa::path(post, path = "/api/v1/incidents/{id}/costs", tag = "incidents",
    params(IncidentPath), request_body = CostBody,
    security(("bearer" = []), ("session_cookie" = [])),
    responses((status = 201, description = "Entered", body = CostView)))]
async fn add_cost(
    State(state): State<AppState>,
    Auth(p): Auth,
    ApiPath(path): ApiPath<IncidentPath>,
    ApiJson(body): ApiJson<CostBody>,
) -> Result<(StatusCode, Json<CostView>), ApiError> {
    let cost = state
        .app
        .add_incident_cost(
            &p,
            path.id,
            NewIncidentCost {
                what: body.what,
                amount_fen: body.amount_fen,
            },
        )
        .await?;
    Ok((StatusCode::CREATED, Json(CostView::of(&state, cost))))
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    #[param(minimum = 1, maximum = 200)]
    limit: Option<u32>,
    #[param(minimum = 0, maximum = 2147483647)]
    #[serde(default, deserialize_with = "crate::api::list_offset")]
    offset: Option<u32>,
}

#[derive(Serialize, ToSchema)]
pub struct CostList {
    items: Vec<CostView>,
    more: bool,
    totals: CostTotalsView,
}

/// An incident's cost lines, oldest first, with its totals (needs `view_incidents`).
#[utoipa::path(get, path = "/api/v1/incidents/{id}/costs", tag = "incidents",
    params(IncidentPath, PageQuery), security(("bearer" = []), ("session_cookie" = [])),
    responses((status = 200, description = "A page of cost lines", body = CostList)))]
async fn list_costs(
    State(state): State<AppState>,
    Auth(p): Auth,
    ApiPath(path): ApiPath<IncidentPath>,
    ApiQuery(q): ApiQuery<PageQuery>,
) -> Result<Json<CostList>, ApiError> {
    let limit = crate::api::page_limit(q.limit, 50, 200)?;
    let (page, totals) = state
        .app
        .incident_costs(&p, path.id, limit, u64::from(q.offset.unwrap_or(0)))
        .await?;
    Ok(Json(CostList {
        more: page.more,
        items: page
            .items
            .into_iter()
            .map(|c| CostView::of(&state, c))
            .collect(),
        totals: totals.into(),
    }))
}

/// A drill with its key figures, each in seconds from the declaration.
#[derive(Serialize, ToSchema)]
pub struct DrillView {
    incident: IncidentView,
    people: u64,
    delivered: u64,
    safe: u64,
    needs_help: u64,
    not_answered: u64,
    delivered_90_secs: Option<i64>,
    accounted_90_secs: Option<i64>,
}

/// Drills in one year (the organisation's zone).
#[derive(Serialize, ToSchema)]
pub struct DrillYearView {
    year: i16,
    drills: u64,
}

#[derive(Serialize, ToSchema)]
pub struct DrillList {
    items: Vec<DrillView>,
    more: bool,
    /// From the first drill's year to this one, newest first.
    years: Vec<DrillYearView>,
}

/// The drill records (needs `view_incidents`): drills newest first with their key figures,
/// and how many each year saw.
#[utoipa::path(get, path = "/api/v1/drills", tag = "incidents", params(PageQuery),
    security(("bearer" = []), ("session_cookie" = [])),
    responses((status = 200, description = "A page of drills", body = DrillList)))]
async fn list_drills(
    State(state): State<AppState>,
    Auth(p): Auth,
    ApiQuery(q): ApiQuery<PageQuery>,
) -> Result<Json<DrillList>, ApiError> {
    let limit = crate::api::page_limit(q.limit, 50, 200)?;
    let (page, years) = state
        .app
        .drill_records(&p, limit, u64::from(q.offset.unwrap_or(0)))
        .await?;
    let secs = |d: Option<jiff::SignedDuration>| d.map(|d| d.as_secs());
    Ok(Json(DrillList {
        more: page.more,
        items: page
            .items
            .into_iter()
            .map(|d| DrillView {
                people: d.figures.people as u64,
                delivered: d.figures.delivered as u64,
                safe: d.figures.safe as u64,
                needs_help: d.figures.needs_help as u64,
                not_answered: d.figures.not_answered as u64,
                delivered_90_secs: secs(d.figures.delivered_90),
                accounted_90_secs: secs(d.figures.accounted_90),
                incident: IncidentView::of(&state, d.incident),
            })
            .collect(),
        years: years
            .into_iter()
            .map(|y| DrillYearView {
                year: y.year,
                drills: y.drills,
            })
            .collect(),
    }))
}
