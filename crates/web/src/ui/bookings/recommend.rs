//! The needs form and its recommendations (issue 14 scope 4), opened from an inquiry
//! ticket (`/bookings/recommend?ticket=…`: keywords start from the catalog's words found in
//! the ticket's subject and description). A search, so a GET form: the address holds the
//! needs and is safe to reload; a form with errors comes back as typed (422) with each
//! message beside its field. Up to three cards: the reason (Chinese, as the domain writes it
//! for the agent to read out), the score's parts, the price, and a link to book — the
//! booking form for a stay (room and dates filled in), the month's departures for a tour
//! (the booking form takes rooms only).

use crate::i18n::{self, Tr};
use crate::ui::form::yuan_to_fen;
use crate::ui::session::FormData;
use crate::ui::{error_page, render, Chrome, FormState, UiUser};
use crate::AppState;
use askama::Template;
use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::response::Response;
use jiff::civil::Date;
use tripdesk_app::bookings::matching::{OfferKind, ProductNeeds, Recommended};
use tripdesk_app::FieldError;
use tripdesk_domain::catalog::{yuan, DateWindow, Diet, Needs, Party, Tag};
use tripdesk_domain::identity::Permission;
use uuid::Uuid;

/// The form's labels, for the messages beside its fields.
const LABELS: &[(&str, &str)] = &[
    ("keywords", "bookings.rec.keywords"),
    ("earliest", "bookings.rec.earliest"),
    ("latest", "bookings.rec.latest"),
    ("nights", "bookings.rec.nights"),
    ("budget", "bookings.rec.budget"),
    ("adults", "bookings.rec.adults"),
    ("children", "bookings.rec.children"),
    ("seniors", "bookings.rec.seniors"),
];

/// The use case's field as the form names it.
fn form_field(field: &str) -> &str {
    match field {
        "budget_per_person" => "budget",
        "party" | "party.adults" => "adults",
        "party.children" => "children",
        "party.seniors" => "seniors",
        "window.latest" => "latest",
        other => other,
    }
}

fn label_of(t: Tr, field: &str) -> &'static str {
    LABELS
        .iter()
        .find(|(f, _)| *f == field)
        .map_or("", |(_, key)| t.s(key))
}

/// A field's message: this form's own text for the matching codes, else the shared one.
fn message(t: Tr, f: &FieldError) -> String {
    let own = format!("bookings.rec.err.{}", f.code);
    if Tr::has(&own) {
        t.s(&own).replace("{label}", label_of(t, &f.field))
    } else {
        i18n::field_error_as(t, f, label_of(t, &f.field))
    }
}

/// A choice of the form (a preference or a diet) with its label.
struct Choice {
    value: &'static str,
    label: &'static str,
}

struct Part {
    label: &'static str,
    points: i32,
}

/// One recommendation as a card.
struct Card {
    kind: &'static str,
    kind_label: &'static str,
    name: String,
    destination: String,
    dates: String,
    /// "总价：¥…" and "人均：¥…", as the page's language writes a label and its value.
    total: String,
    per_person: String,
    /// "within", "over" or "" (no budget given).
    budget: &'static str,
    score: i32,
    parts: Vec<Part>,
    reason: String,
    /// The booking form (a stay) or the month's departures (a tour).
    href: String,
    href_label: &'static str,
}

/// The inquiry the form was opened from.
struct TicketRef {
    id: String,
    number: String,
    subject: String,
}

#[derive(Template)]
#[template(path = "bookings/recommend.html")]
struct RecommendPage {
    c: Chrome,
    f: FormState,
    /// The inquiry the needs come from.
    ticket: Option<TicketRef>,
    preferences: Vec<Choice>,
    diets: Vec<Choice>,
    /// `None` before the form is sent; the cards after.
    cards: Option<Vec<Card>>,
}

/// The form, and when it was sent (`earliest` present) the recommendations for it.
pub async fn page(
    State(state): State<AppState>,
    user: UiUser,
    RawQuery(query): RawQuery,
) -> Response {
    let t = Tr(user.lang);
    let p = &user.principal;
    if let Err(e) = p.require(Permission::ViewBookings) {
        return error_page(&state, &user, "bookings", e);
    }
    let form = match FormData::parse(&Bytes::from(query.unwrap_or_default())) {
        Ok(f) => f,
        Err(r) => return r,
    };
    // The inquiry, when the user may read it; a foreign or unknown id is left out.
    let ticket_id = form.get("ticket").trim().parse::<Uuid>().ok();
    let ticket = match ticket_id {
        Some(id) => state.app.get_ticket(p, id).await.ok().map(|d| d.ticket),
        None => None,
    };
    let sent = form.0.iter().any(|(k, _)| k == "earliest");
    let (f, cards) = if sent {
        match read_form(t, &form) {
            Err(errors) => (with_errors(t, &form, errors), None),
            Ok(request) => match state.app.recommend_products(p, &request).await {
                Ok(found) => (
                    FormState::typed(&form),
                    Some(found.into_iter().map(|r| card(t, p, r)).collect()),
                ),
                Err(e) => match e.into_field_errors("earliest") {
                    Ok(fields) => (with_errors(t, &form, fields), None),
                    Err(e) => return error_page(&state, &user, "bookings", e),
                },
            },
        }
    } else {
        let words = match &ticket {
            Some(tk) => state
                .app
                .catalog_words_in(p, &format!("{}\n{}", tk.subject, tk.description))
                .await
                .unwrap_or_default()
                .join(" "),
            None => String::new(),
        };
        let today = state.app.today();
        let later = |days: i64| {
            today
                .checked_add(jiff::Span::new().days(days))
                .unwrap_or(today)
                .to_string()
        };
        let ticket = ticket_id.map(|i| i.to_string()).unwrap_or_default();
        let f = FormState::with_defaults(&[
            ("ticket", &ticket),
            ("keywords", &words),
            ("earliest", &later(1)),
            ("latest", &later(31)),
            ("adults", "2"),
            ("children", "0"),
            ("seniors", "0"),
        ]);
        (f, None)
    };
    let status = f.status();
    render(
        status,
        &RecommendPage {
            c: Chrome::new(&state, &user, "bookings"),
            f,
            ticket: ticket.map(|tk| TicketRef {
                id: tk.id.to_string(),
                number: tk.number,
                subject: tk.subject,
            }),
            preferences: Tag::ALL
                .iter()
                .map(|g| Choice {
                    value: g.as_str(),
                    label: t.s(&format!("bookings.tag.{}", g.as_str())),
                })
                .collect(),
            diets: Diet::ALL
                .iter()
                .map(|d| Choice {
                    value: d.as_str(),
                    label: t.s(&format!("bookings.diet.{}", d.as_str())),
                })
                .collect(),
            cards,
        },
    )
}

fn with_errors(t: Tr, form: &FormData, errors: Vec<FieldError>) -> FormState {
    errors.into_iter().fold(FormState::typed(form), |f, mut e| {
        e.field = form_field(&e.field).to_string();
        let text = message(t, &e);
        f.error(&e.field, text)
    })
}

/// Reads the form; what the page itself finds wrong (a date, a number) comes back as errors.
fn read_form(t: Tr, form: &FormData) -> Result<ProductNeeds, Vec<FieldError>> {
    let mut errors = Vec::new();
    let mut date = |field: &str| {
        let value = form.get(field).trim();
        let parsed = value.parse::<Date>().ok();
        if parsed.is_none() {
            let key = if value.is_empty() {
                "bookings.rec.err.required"
            } else {
                "bookings.rec.err.bad_date"
            };
            let text = t.s(key).replace("{label}", label_of(t, field));
            errors.push(FieldError::new(field, "bad_date", text));
        }
        parsed
    };
    let (earliest, latest) = (date("earliest"), date("latest"));
    let mut count = |field: &str, optional: bool| -> Option<u32> {
        let value = form.get(field).trim();
        if value.is_empty() {
            return optional.then_some(0);
        }
        match value.parse::<u32>() {
            Ok(n) if n <= 999 => Some(n),
            _ => {
                let text = t
                    .s("bookings.rec.err.bad_number")
                    .replace("{label}", label_of(t, field));
                errors.push(FieldError::new(field, "bad_number", text));
                None
            }
        }
    };
    let party = (
        count("adults", true),
        count("children", true),
        count("seniors", true),
    );
    let nights = if form.get("nights").trim().is_empty() {
        Some(None)
    } else {
        count("nights", false).map(Some)
    };
    let budget = match form.get("budget").trim() {
        "" => Some(None),
        text => match yuan_to_fen(text) {
            Some(fen) => Some(Some(fen)),
            None => {
                let text = t
                    .s("bookings.rec.err.bad_amount")
                    .replace("{label}", label_of(t, "budget"));
                errors.push(FieldError::new("budget", "bad_amount", text));
                None
            }
        },
    };
    let keywords: Vec<String> = form
        .get("keywords")
        .split(|c: char| c.is_whitespace() || ",，、;；".contains(c))
        .filter(|w| !w.is_empty())
        .map(str::to_string)
        .collect();
    let preferences = form
        .all("pref")
        .into_iter()
        .filter_map(Tag::parse)
        .collect();
    let diets = form
        .all("diet")
        .into_iter()
        .filter_map(Diet::parse)
        .collect();
    match (earliest, latest, party, nights, budget) {
        (
            Some(earliest),
            Some(latest),
            (Some(adults), Some(children), Some(seniors)),
            Some(nights),
            Some(budget_per_person),
        ) if errors.is_empty() => Ok(ProductNeeds {
            needs: Needs {
                keywords,
                window: DateWindow { earliest, latest },
                budget_per_person,
                party: Party {
                    adults,
                    children,
                    seniors,
                },
                preferences,
                wheelchair: form.get("wheelchair") == "yes",
                diets,
            },
            nights,
        }),
        _ => Err(errors),
    }
}

fn card(t: Tr, p: &tripdesk_app::Principal, r: Recommended) -> Card {
    let rec = &r.recommendation;
    let (from, to) = (rec.start.to_string(), rec.end.to_string());
    let (dates, href, link) = match r.kind {
        OfferKind::Tour => {
            let dates = t
                .s("bookings.rec.tour_dates")
                .replace("{from}", &from)
                .replace("{to}", &to);
            match rec.departure_id {
                // The booking form in its departure mode, the departure chosen.
                Some(d) if p.can(Permission::MakeBookings) => (
                    dates,
                    format!("/bookings/new?departure={d}"),
                    "bookings.rec.book",
                ),
                _ => (
                    dates,
                    format!("/bookings/departures?month={}", rec.start.strftime("%Y-%m")),
                    "bookings.rec.see_departures",
                ),
            }
        }
        OfferKind::Stay => {
            let dates = t
                .s("bookings.rec.stay_dates")
                .replace("{from}", &from)
                .replace("{to}", &to)
                .replace("{rooms}", &rec.rooms.unwrap_or(1).to_string());
            match r.room_id {
                Some(room) if p.can(Permission::MakeBookings) => (
                    dates,
                    format!("/bookings/new?room={room}&check_in={from}&check_out={to}"),
                    "bookings.rec.book",
                ),
                // Someone who may not book sees the property's grid.
                _ => (
                    dates,
                    format!(
                        "/bookings/rooms?property={}&from={from}",
                        r.property_id.map(|i| i.to_string()).unwrap_or_default()
                    ),
                    "bookings.rec.see_rooms",
                ),
            }
        }
    };
    Card {
        kind: r.kind.as_str(),
        kind_label: t.s(&format!("bookings.rec.kind.{}", r.kind.as_str())),
        name: r.name.clone(),
        destination: r.destination.clone(),
        dates,
        total: t.pair(t.s("bookings.rec.total"), &yuan(rec.total_fen)),
        per_person: t.pair(t.s("bookings.rec.per_person"), &yuan(rec.per_person_fen)),
        budget: match rec.within_budget {
            Some(true) => "within",
            Some(false) => "over",
            None => "",
        },
        score: rec.score,
        parts: rec
            .components
            .iter()
            .map(|c| Part {
                label: t.s(&format!("bookings.score.{}", c.kind.as_str())),
                points: c.points,
            })
            .collect(),
        reason: rec.reason.clone(),
        href,
        href_label: t.s(link),
    }
}
