//! A tour package's page and a property's page, each with its cancellation policy: the one in
//! force today (its own version, the property's, or the default), the versions newest first
//! (in force, scheduled, superseded), and — for those who manage the catalog — a form that
//! adds a version: tiers for a package, a lodging preset for the property or one of its room
//! types. The form comes back as typed with the message beside the field; a version added is
//! post/redirect/get with a flash.

use super::super::pager::{Extent, Pager, PagerNav};
use super::super::session::{FormData, UiForm};
use super::super::{error_page, render, see_other_with, Chrome, Flash, FormState, UiUser};
use crate::i18n::{self, Tr};
use crate::AppState;
use askama::Template;
use axum::extract::{Path, State};
use axum::response::Response;
use jiff::civil::Date;
use std::collections::{HashMap, HashSet};
use tripdesk_app::bookings::policies::{PolicyOverview, PolicySource, PolicyVersionInput};
use tripdesk_app::{AppError, FieldError};
use tripdesk_domain::bookings::refund::{LodgingDraft, LodgingPresetKind, TierInput};
use tripdesk_domain::bookings::{
    CancellationPolicy, LodgingCharge, LodgingPreset, PolicyTerms, Tier,
};
use tripdesk_domain::catalog::TourScope;
use tripdesk_domain::identity::Permission;
use tripdesk_store::PolicySubject;
use uuid::Uuid;

/// Versions a page lists at a time.
const PER_PAGE: u32 = 20;
/// Tier rows the package form offers.
const TIER_ROWS: usize = 6;

/// A policy as the page shows it.
struct PolicyBox {
    name: String,
    effective_from: String,
    source: &'static str,
    /// Tours: (when, share) per tier.
    tiers: Vec<(String, String)>,
    /// Lodging: the preset in words.
    preset: String,
    postponement: &'static str,
}

struct RoomTypeRow {
    name: String,
    policy: String,
    source: &'static str,
}

struct HistoryRow {
    effective_from: String,
    name: String,
    applies_to: String,
    terms: String,
    state: &'static str,
    state_code: &'static str,
    added: String,
}

struct TierRow {
    /// The inputs' names and ids: `tiers.{i}.days_before`, `tiers_{i}_days_before`.
    i: usize,
    label: String,
}

#[derive(Template)]
#[template(path = "bookings/policies.html")]
struct ProductPage {
    c: Chrome,
    /// `package` or `property`.
    kind: &'static str,
    title: String,
    facts: Vec<(&'static str, String)>,
    link: (String, &'static str),
    in_force: PolicyBox,
    room_types: Vec<RoomTypeRow>,
    history: Vec<HistoryRow>,
    pager: PagerNav,
    can_edit: bool,
    action: String,
    f: FormState,
    tier_rows: Vec<TierRow>,
    /// Property: (value, label) of what a version may apply to.
    targets: Vec<(String, String)>,
    presets: Vec<(&'static str, &'static str)>,
    charges: Vec<(&'static str, &'static str)>,
}

fn tier_when(t: Tr, tier: &Tier) -> String {
    let n = |key: &str, v: u32| t.s(key).replace("{n}", &v.to_string());
    match (tier.min_days, tier.max_days) {
        (0, Some(0)) => t.s("policies.tier.on_day").to_string(),
        (0, None) => t.s("policies.tier.any_time").to_string(),
        (min, None) => n("policies.tier.or_more", min),
        (0, Some(max)) => t
            .s("policies.tier.to_day")
            .replace("{max}", &max.to_string()),
        (min, Some(max)) if min == max => n("policies.tier.one", min),
        (min, Some(max)) => t
            .s("policies.tier.range")
            .replace("{max}", &max.to_string())
            .replace("{min}", &min.to_string()),
    }
}

fn charge_label(t: Tr, c: LodgingCharge) -> &'static str {
    t.s(&format!("policies.charge.{}", c.as_str()))
}

fn preset_text(t: Tr, preset: LodgingPreset) -> String {
    match preset {
        LodgingPreset::FreeUntil { days, then } => t
            .s("policies.preset.free_until")
            .replace("{n}", &days.to_string())
            .replace("{then}", charge_label(t, then)),
        LodgingPreset::FirstNight => t.s("policies.preset.first_night").to_string(),
        LodgingPreset::NonRefundable => t.s("policies.preset.non_refundable").to_string(),
    }
}

fn policy_box(t: Tr, p: &CancellationPolicy, source: PolicySource) -> PolicyBox {
    let (tiers, preset) = match &p.terms {
        PolicyTerms::Tour(terms) => (
            terms
                .customer
                .tiers()
                .iter()
                .map(|tier| (tier_when(t, tier), tier.percent()))
                .collect(),
            String::new(),
        ),
        PolicyTerms::Lodging(l) => (Vec::new(), preset_text(t, l.preset)),
    };
    PolicyBox {
        name: p.name.clone(),
        // The default is no dated version: it has no effective date of its own.
        effective_from: if source == PolicySource::Default {
            String::new()
        } else {
            p.effective_from.to_string()
        },
        source: t.s(&format!("policies.source.{}", source.as_str())),
        tiers,
        preset,
        postponement: t.s(if p.terms.free_postponement() {
            "policies.postpone.free"
        } else {
            "policies.postpone.paid"
        }),
    }
}

/// The terms in one line, for the list of versions.
fn terms_line(t: Tr, p: &CancellationPolicy) -> String {
    match &p.terms {
        PolicyTerms::Tour(terms) => {
            let items: Vec<String> = terms
                .customer
                .tiers()
                .iter()
                .map(|tier| t.pair(&tier_when(t, tier), &tier.percent()))
                .collect();
            let refs: Vec<&str> = items.iter().map(String::as_str).collect();
            t.list(&refs)
        }
        PolicyTerms::Lodging(l) => preset_text(t, l.preset),
    }
}

fn history_rows(
    state: &AppState,
    t: Tr,
    overview: &PolicyOverview,
    names: &HashMap<Uuid, String>,
) -> Vec<HistoryRow> {
    let today = state.app.today();
    let in_force: HashSet<Uuid> = std::iter::once(overview.in_force_id)
        .chain(overview.room_types.iter().map(|r| r.in_force_id))
        .flatten()
        .collect();
    overview
        .history
        .items
        .iter()
        .map(|v| {
            let state_code = if in_force.contains(&v.id) {
                "in_force"
            } else if v.policy.effective_from > today {
                "scheduled"
            } else {
                "superseded"
            };
            HistoryRow {
                effective_from: v.policy.effective_from.to_string(),
                name: v.policy.name.clone(),
                applies_to: match v.subject {
                    PolicySubject::RoomType(id) => names.get(&id).cloned().unwrap_or_default(),
                    _ => String::new(),
                },
                terms: terms_line(t, &v.policy),
                state: t.s(&format!("policies.state.{state_code}")),
                state_code,
                added: super::super::local_time(state, v.created_at),
            }
        })
        .collect()
}

fn tier_rows(t: Tr) -> Vec<TierRow> {
    (0..TIER_ROWS)
        .map(|i| TierRow {
            i,
            label: t
                .s("policies.tier.row")
                .replace("{n}", &(i + 1).to_string()),
        })
        .collect()
}

// ---- the package's page ----

pub async fn package_page(
    State(state): State<AppState>,
    Path(id): Path<Uuid>,
    user: UiUser,
    pager: Pager,
) -> Response {
    let f = FormState::with_defaults(&[
        ("effective_from", &state.app.today().to_string()),
        ("free_postponement", "yes"),
    ]);
    package(&state, &user, &pager, id, f).await
}

async fn package(
    state: &AppState,
    user: &UiUser,
    pager: &Pager,
    id: Uuid,
    f: FormState,
) -> Response {
    let t = Tr(user.lang);
    let p = &user.principal;
    let record = match state.app.get_package(p, id).await {
        Ok(r) => r,
        Err(e) => return error_page(state, user, "bookings_departures", e),
    };
    let overview = match state
        .app
        .policy_overview(
            p,
            PolicySubject::Package(id),
            PER_PAGE,
            u64::from(pager.offset(PER_PAGE)),
        )
        .await
    {
        Ok(o) => o,
        Err(e) => return error_page(state, user, "bookings_departures", e),
    };
    let pkg = &record.package;
    let scope = match pkg.scope {
        TourScope::Domestic => "policies.scope.domestic",
        TourScope::Outbound => "policies.scope.outbound",
    };
    let status = f.status();
    render(
        status,
        &ProductPage {
            c: Chrome::new(state, user, "bookings_departures"),
            kind: "package",
            title: pkg.name.clone(),
            facts: vec![
                ("policies.destination", pkg.destination.clone()),
                ("policies.scope", t.s(scope).to_string()),
                ("policies.days", pkg.days().to_string()),
            ],
            link: ("/bookings/departures".into(), "policies.departures"),
            in_force: policy_box(t, &overview.in_force, overview.source),
            room_types: Vec::new(),
            history: history_rows(state, t, &overview, &HashMap::new()),
            pager: pager.nav(t, PER_PAGE, Extent::more(overview.history.more)),
            can_edit: p.can(Permission::ManageCatalog),
            action: format!("/bookings/packages/{id}/policies"),
            f,
            tier_rows: tier_rows(t),
            targets: Vec::new(),
            presets: Vec::new(),
            charges: Vec::new(),
        },
    )
}

/// What the form's fields are called in its messages.
fn label_of(t: Tr, field: &str) -> String {
    let key = match field {
        "name" => "policies.name",
        "effective_from" => "policies.effective_from",
        "tiers" | "agency_tiers" => "policies.heading",
        "applies_to" => "policies.applies_to",
        "lodging" | "lodging.kind" => "policies.preset",
        "lodging.days" => "policies.preset_days",
        "lodging.then" => "policies.then",
        other => {
            // tiers.{i}.days_before / tiers.{i}.percent
            let mut parts = other.split('.');
            if let (Some("tiers"), Some(i), Some(name)) = (parts.next(), parts.next(), parts.next())
            {
                let n = i.parse::<usize>().map_or(0, |i| i + 1);
                let row = t.s("policies.tier.row").replace("{n}", &n.to_string());
                let what = t.s(if name == "percent" {
                    "policies.tier.percent"
                } else {
                    "policies.tier.days_before"
                });
                return format!("{row} {what}");
            }
            return i18n::field_label(t, other);
        }
    };
    t.s(key).to_string()
}

/// A use case's (or the page's) field errors beside the fields, in the page's language.
fn refused(t: Tr, mut f: FormState, fields: &[FieldError]) -> FormState {
    for e in fields {
        let label = label_of(t, &e.field);
        let own = format!("policies.err.{}", e.code);
        let message = if Tr::has(&own) {
            t.s(&own).replace("{label}", &label)
        } else {
            i18n::field_error_as(t, e, &label)
        };
        f = f.error(&e.field, message);
    }
    f
}

/// The name, the effective date and the free-postponement box, as every form has them.
fn read_common(form: &FormData, errors: &mut Vec<FieldError>) -> (String, Option<Date>, bool) {
    let date = form.get("effective_from").trim();
    let effective_from = if date.is_empty() {
        errors.push(FieldError::new("effective_from", "required", "required"));
        None
    } else {
        let parsed = date.parse::<Date>().ok();
        if parsed.is_none() {
            errors.push(FieldError::new("effective_from", "invalid", "YYYY-MM-DD"));
        }
        parsed
    };
    (
        form.get("name").to_string(),
        effective_from,
        form.get("free_postponement") == "yes",
    )
}

/// The tier rows typed, blank rows skipped; each kept tier remembers its row.
fn read_tiers(form: &FormData, errors: &mut Vec<FieldError>) -> (Vec<TierInput>, Vec<usize>) {
    let (mut tiers, mut rows) = (Vec::new(), Vec::new());
    for i in 0..TIER_ROWS {
        let days = form
            .get(&format!("tiers.{i}.days_before"))
            .trim()
            .to_string();
        let percent = form.get(&format!("tiers.{i}.percent")).trim().to_string();
        if days.is_empty() && percent.is_empty() {
            continue;
        }
        let field = |name: &str| format!("tiers.{i}.{name}");
        if days.is_empty() || percent.is_empty() {
            let missing = if days.is_empty() {
                "days_before"
            } else {
                "percent"
            };
            errors.push(FieldError::new(&field(missing), "half_row", "give both"));
            continue;
        }
        let d = days.parse::<u32>().ok();
        let p = percent.trim_end_matches('%').trim().parse::<f64>().ok();
        if d.is_none() {
            errors.push(FieldError::new(
                &field("days_before"),
                "bad_number",
                "a number",
            ));
        }
        if p.is_none() {
            errors.push(FieldError::new(&field("percent"), "bad_number", "a number"));
        }
        if let (Some(days_before), Some(percent)) = (d, p) {
            tiers.push(TierInput {
                days_before,
                percent,
            });
            rows.push(i);
        }
    }
    (tiers, rows)
}

/// `tiers[k].x` of the use case → `tiers.{row}.x` of the form (blank rows were skipped).
fn to_rows(fields: Vec<FieldError>, rows: &[usize]) -> Vec<FieldError> {
    fields
        .into_iter()
        .map(|mut e| {
            if let Some(rest) = e.field.strip_prefix("tiers[") {
                if let Some((k, name)) = rest.split_once("].") {
                    if let Some(row) = k.parse::<usize>().ok().and_then(|k| rows.get(k)) {
                        e.field = format!("tiers.{row}.{name}");
                    }
                }
            }
            e
        })
        .collect()
}

/// 新增版本 on a package's page.
pub async fn add_package_policy(
    State(state): State<AppState>,
    Path(id): Path<Uuid>,
    pager: Pager,
    UiForm { user, form }: UiForm,
) -> Response {
    let t = Tr(user.lang);
    let typed = FormState::typed(&form);
    let mut errors = Vec::new();
    let (name, effective_from, free_postponement) = read_common(&form, &mut errors);
    let (tiers, rows) = read_tiers(&form, &mut errors);
    let Some(effective_from) = effective_from.filter(|_| errors.is_empty()) else {
        return package(&state, &user, &pager, id, refused(t, typed, &errors)).await;
    };
    let input = PolicyVersionInput {
        name,
        effective_from,
        tiers: Some(tiers),
        agency_tiers: None,
        lodging: None,
        free_postponement: Some(free_postponement),
    };
    let to = format!("/bookings/packages/{id}");
    match state
        .app
        .add_policy_version(&user.principal, PolicySubject::Package(id), input)
        .await
    {
        Ok(_) => see_other_with(&state, &user, &to, Flash::done(t.s("policies.flash.added"))),
        Err(AppError::Validation(fields)) => {
            let f = refused(t, typed, &to_rows(fields, &rows));
            package(&state, &user, &pager, id, f).await
        }
        Err(e) => error_page(&state, &user, "bookings_departures", e),
    }
}

// ---- the property's page ----

pub async fn property_page(
    State(state): State<AppState>,
    Path(id): Path<Uuid>,
    user: UiUser,
    pager: Pager,
) -> Response {
    let f = FormState::with_defaults(&[
        ("effective_from", &state.app.today().to_string()),
        ("lodging.kind", "free_until"),
        ("lodging.then", "first_night"),
    ]);
    property(&state, &user, &pager, id, f).await
}

async fn property(
    state: &AppState,
    user: &UiUser,
    pager: &Pager,
    id: Uuid,
    f: FormState,
) -> Response {
    let t = Tr(user.lang);
    let p = &user.principal;
    let place = match state.app.get_property(p, id).await {
        Ok(r) => r,
        Err(e) => return error_page(state, user, "bookings_rooms", e),
    };
    let overview = match state
        .app
        .policy_overview(
            p,
            PolicySubject::Property(id),
            PER_PAGE,
            u64::from(pager.offset(PER_PAGE)),
        )
        .await
    {
        Ok(o) => o,
        Err(e) => return error_page(state, user, "bookings_rooms", e),
    };
    let names: HashMap<Uuid, String> = overview
        .room_types
        .iter()
        .map(|r| (r.room_type.id, r.room_type.name.clone()))
        .collect();
    let room_types = overview
        .room_types
        .iter()
        .map(|r| RoomTypeRow {
            name: r.room_type.name.clone(),
            policy: r.in_force.name.clone(),
            source: t.s(&format!("policies.source.{}", r.source.as_str())),
        })
        .collect();
    let targets = std::iter::once((String::new(), t.s("policies.whole_property").to_string()))
        .chain(
            overview
                .room_types
                .iter()
                .map(|r| (r.room_type.id.to_string(), r.room_type.name.clone())),
        )
        .collect();
    let status = f.status();
    render(
        status,
        &ProductPage {
            c: Chrome::new(state, user, "bookings_rooms"),
            kind: "property",
            title: place.name.clone(),
            facts: vec![("policies.address", place.address.clone())],
            link: (format!("/bookings/rooms?property={id}"), "policies.grid"),
            in_force: policy_box(t, &overview.in_force, overview.source),
            history: history_rows(state, t, &overview, &names),
            room_types,
            pager: pager.nav(t, PER_PAGE, Extent::more(overview.history.more)),
            can_edit: p.can(Permission::ManageCatalog),
            action: format!("/bookings/properties/{id}/policies"),
            f,
            tier_rows: Vec::new(),
            targets,
            presets: LodgingPresetKind::ALL
                .iter()
                .map(|k| (k.as_str(), t.s(&format!("policies.kind.{}", k.as_str()))))
                .collect(),
            charges: LodgingCharge::ALL
                .iter()
                .map(|c| (c.as_str(), charge_label(t, *c)))
                .collect(),
        },
    )
}

/// 新增版本 on a property's page: for the whole property or one of its room types.
pub async fn add_property_policy(
    State(state): State<AppState>,
    Path(id): Path<Uuid>,
    pager: Pager,
    UiForm { user, form }: UiForm,
) -> Response {
    let t = Tr(user.lang);
    let typed = FormState::typed(&form);
    let mut errors = Vec::new();
    let (name, effective_from, free_postponement) = read_common(&form, &mut errors);
    let subject = match form.get("applies_to").trim() {
        "" => Some(PolicySubject::Property(id)),
        other => match other.parse::<Uuid>() {
            Ok(room_type) => Some(PolicySubject::RoomType(room_type)),
            Err(_) => {
                errors.push(FieldError::new("applies_to", "invalid", "choose"));
                None
            }
        },
    };
    let kind = LodgingPresetKind::parse(form.get("lodging.kind"));
    if kind.is_none() {
        errors.push(FieldError::new("lodging.kind", "required", "choose"));
    }
    let days = match form.get("lodging.days").trim() {
        "" => None,
        d => {
            let parsed = d.parse::<u32>().ok();
            if parsed.is_none() {
                errors.push(FieldError::new("lodging.days", "bad_number", "a number"));
            }
            parsed
        }
    };
    let then = LodgingCharge::parse(form.get("lodging.then"));
    // The charge after a free period is asked only of that preset (the select always sends one).
    let then = then.filter(|_| kind == Some(LodgingPresetKind::FreeUntil));
    let (Some(effective_from), Some(subject), Some(kind), true) =
        (effective_from, subject, kind, errors.is_empty())
    else {
        return property(&state, &user, &pager, id, refused(t, typed, &errors)).await;
    };
    // A room type of another property is no target of this page.
    if let PolicySubject::RoomType(rt) = subject {
        let ours = state
            .app
            .list_room_types(&user.principal, id)
            .await
            .is_ok_and(|types| types.iter().any(|r| r.id == rt));
        if !ours {
            let f = refused(
                t,
                typed,
                &[FieldError::new("applies_to", "invalid", "choose")],
            );
            return property(&state, &user, &pager, id, f).await;
        }
    }
    let input = PolicyVersionInput {
        name,
        effective_from,
        tiers: None,
        agency_tiers: None,
        lodging: Some(LodgingDraft { kind, days, then }),
        free_postponement: Some(free_postponement),
    };
    let to = format!("/bookings/properties/{id}");
    match state
        .app
        .add_policy_version(&user.principal, subject, input)
        .await
    {
        Ok(_) => see_other_with(&state, &user, &to, Flash::done(t.s("policies.flash.added"))),
        Err(AppError::Validation(fields)) => {
            property(&state, &user, &pager, id, refused(t, typed, &fields)).await
        }
        Err(e) => error_page(&state, &user, "bookings_rooms", e),
    }
}
