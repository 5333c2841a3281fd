//! The board's remedies (issue 15 item 6): the offer of a refund or a postponement under
//! force majeure to every affected booking at once (`POST /incidents/{id}/remedies`, the
//! same use case as the API's), how far the customers' choices have come — offered,
//! postponed, refunded, not yet chosen, the refunds in money — and the offers paged
//! (`?offers=offered|refund|postpone|withdrawn`, `offers_page=`) with each customer's choice
//! and the form staff record a choice with when the customer phoned
//! (`POST /incidents/{id}/remedies/{booking}`). A drill offers nothing, so its board shows no
//! such section.

use super::actions::{back_to, refused_on_board};
use crate::i18n::{app_error, Tr};
use crate::ui::pager::{Extent, Pager, PagerNav};
use crate::ui::session::UiForm;
use crate::ui::{local_time, see_other_with, Flash};
use crate::AppState;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::Response;
use tripdesk_app::{AppError, FieldError, Principal};
use tripdesk_domain::catalog::yuan;
use tripdesk_domain::emergency::{RemedyChoice, RemedyState};
use tripdesk_domain::identity::Permission;
use tripdesk_store::{Incident, RemedyCounts, RemedyRow};
use uuid::Uuid;

/// Offers per page of the board's list.
pub(super) const OFFERS_PAGE: u32 = 20;
/// The query parameter of the offers' page (the people list has `page`).
pub(super) const OFFERS_PAGE_KEY: &str = "offers_page";

/// The filters of the offers list, in the order of its tabs.
const FILTERS: [&str; 5] = ["all", "offered", "refund", "postpone", "withdrawn"];

/// The offers' filter the board was asked for (`None`: all).
pub(super) fn filter_of(asked: Option<&str>) -> Option<RemedyState> {
    asked.and_then(RemedyState::parse)
}

pub(super) struct Tab {
    pub label: String,
    pub href: String,
    pub current: bool,
}

pub(super) struct OfferRow {
    pub booking_id: String,
    pub booking: String,
    pub dates: String,
    pub customer_id: String,
    pub name: String,
    pub state: &'static str,
    pub state_label: &'static str,
    pub refund: String,
    pub postpone: &'static str,
    pub via: &'static str,
    /// How and when the choice was made, or withdrawn.
    pub chosen: String,
    pub refund_id: Option<String>,
    pub ticket_id: Option<String>,
    /// Whether staff may record this customer's choice here.
    pub choosable: bool,
}

/// What the board's remedies section shows.
pub(super) struct RemedyPanel {
    pub total: u64,
    pub offered: u64,
    pub refund: u64,
    pub postpone: u64,
    pub withdrawn: u64,
    /// Offers chosen, in percent of those not withdrawn (the bar).
    pub refund_pct: u64,
    pub postpone_pct: u64,
    pub refunded: String,
    pub waiting_refund: String,
    pub tabs: Vec<Tab>,
    pub rows: Vec<OfferRow>,
    pub pager: PagerNav,
    /// The offer form (open incident, `manage_incidents`).
    pub can_offer: bool,
    /// The choice forms (`respond_to_incidents` and `make_bookings`).
    pub can_choose: bool,
}

fn pct(n: u64, of: u64) -> u64 {
    (n * 100).checked_div(of).unwrap_or(0)
}

fn offer_row(state: &AppState, t: Tr, names: bool, can_choose: bool, r: &RemedyRow) -> OfferRow {
    let x = &r.remedy;
    let chosen = match (x.chosen_at, x.withdrawn_at) {
        (Some(at), _) => t.pair(
            t.s(&format!(
                "incidents.remedies.via.{}",
                x.chosen_via.map(|v| v.as_str()).unwrap_or("staff")
            )),
            &local_time(state, at),
        ),
        (None, Some(at)) => local_time(state, at),
        (None, None) => String::new(),
    };
    OfferRow {
        booking_id: x.booking_id.to_string(),
        booking: r
            .confirmation_no
            .clone()
            .unwrap_or_else(|| t.s("incidents.remedies.hold").to_string()),
        dates: format!("{} – {}", r.starts_on, r.ends_on),
        customer_id: x.customer_id.to_string(),
        name: if names && !r.customer_name.trim().is_empty() {
            r.customer_name.clone()
        } else {
            t.s("incidents.person.hidden").into()
        },
        state: x.state.as_str(),
        state_label: t.s(&format!("incidents.remedies.state.{}", x.state.as_str())),
        refund: yuan(x.refund_fen),
        postpone: t.s(if x.postpone_free {
            "incidents.remedies.free"
        } else {
            "incidents.remedies.not_free"
        }),
        via: t.s(&format!(
            "incidents.remedies.sent.{}",
            x.notified_via.map(|c| c.as_str()).unwrap_or("none")
        )),
        chosen,
        refund_id: x.refund_id.map(|id| id.to_string()),
        ticket_id: x.ticket_id.map(|id| id.to_string()),
        choosable: can_choose && x.state == RemedyState::Offered,
    }
}

/// The section of `incident`'s board: `None` for a drill (nothing is offered in a drill).
pub(super) async fn panel(
    state: &AppState,
    t: Tr,
    p: &Principal,
    incident: &Incident,
    pager: &Pager,
    filter: Option<RemedyState>,
) -> Result<Option<RemedyPanel>, AppError> {
    if incident.drill {
        return Ok(None);
    }
    let offers = pager.keyed(OFFERS_PAGE_KEY);
    let offset = offers.offset(OFFERS_PAGE);
    let (page, counts) = state
        .app
        .incident_remedies(p, incident.id, filter, OFFERS_PAGE, u64::from(offset))
        .await?;
    let RemedyCounts {
        offered,
        refund,
        postpone,
        withdrawn,
        refunded_fen,
        waiting_refund_fen,
    } = counts;
    let total = offered + refund + postpone + withdrawn;
    let count_of = |key: &str| match RemedyState::parse(key) {
        Some(RemedyState::Offered) => offered,
        Some(RemedyState::Refund) => refund,
        Some(RemedyState::Postpone) => postpone,
        Some(RemedyState::Withdrawn) => withdrawn,
        None => total,
    };
    let current = filter.map(|s| s.as_str()).unwrap_or("all");
    let base = format!("/incidents/{}", incident.id);
    let tabs = FILTERS
        .iter()
        .map(|key| Tab {
            label: format!(
                "{} {}",
                t.s(&format!("incidents.remedies.filter.{key}")),
                count_of(key)
            ),
            href: if *key == "all" {
                format!("{base}#remedies")
            } else {
                format!("{base}?offers={key}#remedies")
            },
            current: *key == current,
        })
        .collect();
    let names = p.can(Permission::ViewCustomers);
    let can_choose = p.can(Permission::RespondToIncidents) && p.can(Permission::MakeBookings);
    let live = total - withdrawn;
    Ok(Some(RemedyPanel {
        total,
        offered,
        refund,
        postpone,
        withdrawn,
        refund_pct: pct(refund, live),
        postpone_pct: pct(postpone, live),
        refunded: yuan(refunded_fen),
        waiting_refund: yuan(waiting_refund_fen),
        tabs,
        rows: page
            .items
            .iter()
            .map(|r| offer_row(state, t, names, can_choose, r))
            .collect(),
        pager: offers.nav(
            t,
            OFFERS_PAGE,
            Extent::counted(offset, page.items.len(), count_of(current)),
        ),
        can_offer: incident.state == tripdesk_domain::emergency::IncidentState::Open
            && p.can(Permission::ManageIncidents),
        can_choose,
    }))
}

/// The offer form's post: every affected booking without an offer is offered a refund or a
/// postponement; back to the board's remedies with what was sent.
pub(super) async fn offer(
    State(state): State<AppState>,
    Path(id): Path<Uuid>,
    headers: HeaderMap,
    UiForm { user, form }: UiForm,
) -> Response {
    let t = Tr(user.lang);
    let back = back_to(id, &form, "remedies");
    let base_url = crate::ui::public_base(&state, &headers);
    match state
        .app
        .offer_remedies(&user.principal, id, &base_url)
        .await
    {
        Ok(o) => {
            let skipped: u64 = o.skipped.values().sum();
            let mut message = t
                .s(if o.offered == 0 {
                    "incidents.flash.remedies_none"
                } else {
                    "incidents.flash.remedies"
                })
                .replace("{offered}", &o.offered.to_string())
                .replace("{customers}", &o.customers.to_string())
                .replace("{sms}", &o.sms.to_string())
                .replace("{email}", &o.email.to_string())
                .replace("{calls}", &o.no_contact.to_string());
            if skipped > 0 {
                message = t.pair(
                    &message,
                    &t.s("incidents.flash.remedies_skipped")
                        .replace("{n}", &skipped.to_string()),
                );
            }
            see_other_with(&state, &user, &back, Flash::done(message))
        }
        Err(e) => see_other_with(&state, &user, &back, Flash::refused(app_error(t, &e))),
    }
}

/// The labels of the choice form.
const CHOICE_LABELS: &[(&str, &str)] = &[("choice", "incidents.remedies.choice")];

/// Staff record the choice a customer gave by phone (`choice=refund|postpone`): back to the
/// board's remedies; no choice picked comes back on the board with the form's message.
pub(super) async fn choose(
    State(state): State<AppState>,
    Path((id, booking)): Path<(Uuid, Uuid)>,
    UiForm { user, form }: UiForm,
) -> Response {
    let t = Tr(user.lang);
    let back = back_to(id, &form, "remedies");
    let Some(choice) = RemedyChoice::parse(form.get("choice")) else {
        let fields = [FieldError::new(
            "choice",
            "required",
            "choose the refund or the postponement",
        )];
        return refused_on_board(&state, &user, id, "remedy", &form, &fields, CHOICE_LABELS).await;
    };
    match state
        .app
        .choose_remedy(&user.principal, id, booking, choice)
        .await
    {
        Ok(c) => {
            let key = match (c.repeat, choice) {
                (true, _) => "incidents.flash.remedy_same",
                (false, RemedyChoice::Refund) => "incidents.flash.remedy_refund",
                (false, RemedyChoice::Postpone) => "incidents.flash.remedy_postpone",
            };
            let amount = c
                .refund
                .as_ref()
                .map(|r| yuan(r.refund.refund_fen))
                .unwrap_or_else(|| yuan(0));
            let ticket = c.ticket.map(|(_, n)| n).unwrap_or_default();
            let message = t
                .s(key)
                .replace("{amount}", &amount)
                .replace("{ticket}", &ticket);
            see_other_with(&state, &user, &back, Flash::done(message))
        }
        Err(e) => see_other_with(&state, &user, &back, Flash::refused(app_error(t, &e))),
    }
}
