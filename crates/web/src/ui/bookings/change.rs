//! 变更预订 on a booking's page: a form with each line's new dates and room (a stay) or
//! departure and party (a tour), which quotes the change (`App::quote_change`), and the open
//! quote shown line by line — 原价, 新价, 差额, 应补 or 应退 — with 客户已同意，确认变更, which
//! applies it (`App::accept_change`). The form follows the one staff-form pattern: what was
//! typed comes back with each field's message (422), a sold-out answer comes back as typed
//! with the alternatives (409); success is post/redirect/get with the flash. The quote is kept
//! by the server, so the customer may agree later (by phone) while it holds.

use super::booking::booking_page_with;
use super::steps::refused;
use crate::i18n::{self, Tr};
use crate::ui::session::{FormData, UiForm};
use crate::ui::{local_time, see_other_with, Flash, FormState, UiUser};
use crate::AppState;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use jiff::civil::Date;
use std::collections::HashMap;
use tripdesk_app::bookings::changes::QuotedChange;
use tripdesk_app::bookings::Alternative;
use tripdesk_app::{AppError, FieldError};
use tripdesk_domain::bookings::{BookingStep, LineChange, LineItem};
use tripdesk_domain::catalog::{yuan, Party};
use tripdesk_domain::identity::Permission;
use tripdesk_store::{Booking, DepartureFilter};
use uuid::Uuid;

/// What came back from a refused quote: the form as typed, and a sold-out answer's
/// alternatives in words.
pub(super) struct Typed {
    pub form: FormState,
    pub sold_out: Option<Vec<String>>,
}

/// One input of the change form, with its value as typed (or proposed) and its message.
pub(super) struct FieldView {
    pub name: String,
    /// The input's id: the name with `.` as `_` (what an error's link points to).
    pub id: String,
    pub label: &'static str,
    /// `select`, `date` or `number`.
    pub input: &'static str,
    pub value: String,
    pub error: String,
    /// A select's options: (value, text, chosen).
    pub options: Vec<(String, String, bool)>,
}

/// One line of the change form.
pub(super) struct LineForm {
    /// 第 1 项.
    pub title: String,
    /// The line as booked, in words.
    pub now: String,
    pub fields: Vec<FieldView>,
}

/// One line of a quote as the page shows it.
pub(super) struct QuoteRow {
    pub no: u32,
    pub before: String,
    pub after: String,
    pub changed: bool,
    pub before_price: String,
    pub after_price: String,
    pub difference: String,
}

/// The open quote.
pub(super) struct QuotePanel {
    pub id: String,
    pub rows: Vec<QuoteRow>,
    pub old_total: String,
    pub new_total: String,
    pub fee: String,
    /// 应补 ¥300 / 减少 ¥200 / 无差额.
    pub difference: String,
    pub paid: String,
    pub balance_after: String,
    /// 应退 … when the new total is below what was paid; empty otherwise.
    pub refund: String,
    /// Until when the quote holds, in a sentence.
    pub expires: String,
}

/// The 变更预订 section of a booking's page.
pub(super) struct ChangePanel {
    pub id: String,
    pub lines: Vec<LineForm>,
    pub form: FormState,
    pub sold_out: Option<Vec<String>>,
    pub quote: Option<QuotePanel>,
}

fn field_name(no: u32, name: &str) -> String {
    format!("l{no}.{name}")
}

/// A line's item in words: a room by its label and type, seats by date and party.
fn item_text(
    t: Tr,
    item: &LineItem,
    rooms: &HashMap<Uuid, String>,
    dates: &HashMap<Uuid, Date>,
) -> String {
    match item {
        LineItem::Room { room_id, stay } => t
            .s("bookings.change.room_line")
            .replace("{room}", rooms.get(room_id).map_or("", String::as_str))
            .replace("{from}", &stay.check_in().to_string())
            .replace("{to}", &stay.check_out().to_string()),
        LineItem::Seats {
            departure_id,
            party,
        } => t
            .s("bookings.change.seats_line")
            .replace(
                "{date}",
                &dates
                    .get(departure_id)
                    .map(Date::to_string)
                    .unwrap_or_default(),
            )
            .replace("{adults}", &party.adults.to_string())
            .replace("{children}", &party.children.to_string())
            .replace("{seniors}", &party.seniors.to_string()),
    }
}

/// The form's starting values: each line as the open quote proposes it, else as booked.
fn defaults(b: &Booking, quote: Option<&QuotedChange>) -> FormState {
    let mut values: Vec<(String, String)> = Vec::new();
    for (i, line) in b.lines.iter().enumerate() {
        let item = quote
            .and_then(|q| q.record.quote.lines.get(i))
            .map_or(&line.item, |l| &l.after);
        let no = line.line_no;
        match item {
            LineItem::Room { room_id, stay } => {
                values.push((field_name(no, "room"), room_id.to_string()));
                values.push((field_name(no, "check_in"), stay.check_in().to_string()));
                values.push((field_name(no, "check_out"), stay.check_out().to_string()));
            }
            LineItem::Seats {
                departure_id,
                party,
            } => {
                values.push((field_name(no, "departure"), departure_id.to_string()));
                values.push((field_name(no, "adults"), party.adults.to_string()));
                values.push((field_name(no, "children"), party.children.to_string()));
                values.push((field_name(no, "seniors"), party.seniors.to_string()));
            }
        }
    }
    let refs: Vec<(&str, &str)> = values
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    FormState::with_defaults(&refs)
}

/// The 变更预订 section for `b`, or `None` when the reader may not change it now (a held or
/// closed booking, one that has started, a reader who may not book). The status is the
/// form's: 422 when it came back with errors, 409 sold out.
pub(super) async fn panel(
    state: &AppState,
    user: &UiUser,
    b: &Booking,
    typed: Option<Typed>,
) -> (Option<ChangePanel>, StatusCode) {
    let t = Tr(user.lang);
    let p = &user.principal;
    if !p.can(Permission::MakeBookings) || !state.app.booking_step_allowed(b, BookingStep::Change) {
        return (None, StatusCode::OK);
    }
    let open = state.app.open_change_quote(p, b).await.ok().flatten();
    // Rooms of each property the booking stays at, departures of each of its packages.
    let mut room_names: HashMap<Uuid, String> = HashMap::new();
    let mut departure_dates: HashMap<Uuid, Date> = HashMap::new();
    let (form, sold_out, status) = match typed {
        Some(Typed { form, sold_out }) => {
            let status = if sold_out.is_some() {
                StatusCode::CONFLICT
            } else {
                form.status()
            };
            (form, sold_out, status)
        }
        None => (defaults(b, open.as_ref()), None, StatusCode::OK),
    };
    let mut lines = Vec::with_capacity(b.lines.len());
    for line in &b.lines {
        let no = line.line_no;
        let input = |name: &str, label: &'static str, input: &'static str, options| {
            let name = field_name(no, name);
            FieldView {
                id: name.replace('.', "_"),
                label: t.s(label),
                input,
                value: form.get(&name).to_string(),
                error: form.error_of(&name).unwrap_or_default().to_string(),
                options,
                name,
            }
        };
        let chosen = |name: &str, options: Vec<(String, String)>| -> Vec<(String, String, bool)> {
            let name = field_name(no, name);
            options
                .into_iter()
                .map(|(v, text)| {
                    let on = form.is(&name, &v);
                    (v, text, on)
                })
                .collect()
        };
        let fields = match &line.item {
            LineItem::Room { room_id, .. } => {
                let rooms = room_options(state, user, *room_id, &mut room_names).await;
                vec![
                    input("room", "bookings.new.room", "select", chosen("room", rooms)),
                    input("check_in", "bookings.new.check_in", "date", Vec::new()),
                    input("check_out", "bookings.new.check_out", "date", Vec::new()),
                ]
            }
            LineItem::Seats { departure_id, .. } => {
                let departures =
                    departure_options(state, user, *departure_id, &mut departure_dates).await;
                vec![
                    input(
                        "departure",
                        "bookings.new.departure_date",
                        "select",
                        chosen("departure", departures),
                    ),
                    input("adults", "bookings.new.adults", "number", Vec::new()),
                    input("children", "bookings.new.children", "number", Vec::new()),
                    input("seniors", "bookings.new.seniors", "number", Vec::new()),
                ]
            }
        };
        lines.push(LineForm {
            title: t.s("bookings.change.line").replace("{n}", &no.to_string()),
            now: item_text(t, &line.item, &room_names, &departure_dates),
            fields,
        });
    }
    let quote = open.as_ref().map(|q| {
        let r = &q.record.quote;
        let s = &q.settlement;
        QuotePanel {
            id: q.record.id.to_string(),
            rows: r
                .lines
                .iter()
                .map(|l| QuoteRow {
                    no: l.line_no,
                    before: item_text(t, &l.before, &room_names, &departure_dates),
                    after: if l.changed() {
                        item_text(t, &l.after, &room_names, &departure_dates)
                    } else {
                        t.s("bookings.change.unchanged").to_string()
                    },
                    changed: l.changed(),
                    before_price: yuan(l.before_fen),
                    after_price: yuan(l.after_fen),
                    difference: signed(l.difference_fen()),
                })
                .collect(),
            old_total: yuan(r.old_total_fen),
            new_total: yuan(r.new_total_fen),
            fee: if r.fee_fen == 0 {
                t.s("bookings.change.no_fee").to_string()
            } else {
                yuan(r.fee_fen)
            },
            difference: match r.difference_fen {
                d if d > 0 => t.s("bookings.change.more").replace("{amount}", &yuan(d)),
                d if d < 0 => t.s("bookings.change.less").replace("{amount}", &yuan(-d)),
                _ => t.s("bookings.change.even").to_string(),
            },
            paid: yuan(s.paid_fen),
            balance_after: yuan(s.balance_due_fen),
            refund: if s.refund_fen > 0 {
                t.s("bookings.change.refund")
                    .replace("{amount}", &yuan(s.refund_fen))
            } else {
                String::new()
            },
            expires: t
                .s("bookings.change.expires")
                .replace("{at}", &local_time(state, q.record.expires_at)),
        }
    });
    (
        Some(ChangePanel {
            id: b.id.to_string(),
            lines,
            form,
            sold_out,
            quote,
        }),
        status,
    )
}

fn signed(fen: i64) -> String {
    if fen > 0 {
        format!("+{}", yuan(fen))
    } else {
        yuan(fen)
    }
}

/// The active rooms of `room_id`'s property (label and type), each also named in `names`.
async fn room_options(
    state: &AppState,
    user: &UiUser,
    room_id: Uuid,
    names: &mut HashMap<Uuid, String>,
) -> Vec<(String, String)> {
    let p = &user.principal;
    let Ok(labels) = state.app.room_labels(p, &[room_id]).await else {
        return Vec::new();
    };
    let Some(property) = labels.get(&room_id).map(|l| l.property_id) else {
        return Vec::new();
    };
    let (Ok(rooms), Ok(types)) = (
        state.app.list_rooms(p, Some(property), 1_000, 0).await,
        state.app.list_room_types(p, property).await,
    ) else {
        return Vec::new();
    };
    rooms
        .items
        .into_iter()
        .filter(|r| r.active || r.id == room_id)
        .map(|r| {
            let kind = types
                .iter()
                .find(|t| t.id == r.room_type_id)
                .map_or("", |t| t.name.as_str());
            let label = format!("{}（{kind}）", r.label);
            names.insert(r.id, label.clone());
            (r.id.to_string(), label)
        })
        .collect()
}

/// The departures of `departure_id`'s package from today on (with seats left), the booked
/// one first among equals; each date also kept in `dates`.
async fn departure_options(
    state: &AppState,
    user: &UiUser,
    departure_id: Uuid,
    dates: &mut HashMap<Uuid, Date>,
) -> Vec<(String, String)> {
    let t = Tr(user.lang);
    let p = &user.principal;
    let Ok(d) = state.app.get_departure(p, departure_id).await else {
        return Vec::new();
    };
    dates.insert(departure_id, d.departure.date);
    let Ok(page) = state
        .app
        .list_departures(
            p,
            DepartureFilter {
                package_id: Some(d.departure.package_id),
                from: Some(state.app.today()),
                limit: 60,
                ..Default::default()
            },
        )
        .await
    else {
        return Vec::new();
    };
    let mut all = page.items;
    if !all.iter().any(|o| o.departure.id == departure_id) {
        all.push(d);
    }
    all.sort_by_key(|o| o.departure.date);
    all.into_iter()
        .filter(|o| !o.cancelled || o.departure.id == departure_id)
        .map(|o| {
            dates.insert(o.departure.id, o.departure.date);
            (
                o.departure.id.to_string(),
                t.s("bookings.change.departure_option")
                    .replace("{date}", &o.departure.date.to_string())
                    .replace("{n}", &o.seats_left().to_string()),
            )
        })
        .collect()
}

/// Reads the form: one change per line of the booking, each with all its fields (a field
/// left as booked changes nothing). The fields the page itself finds wrong come back.
fn read_changes(t: Tr, b: &Booking, form: &FormData) -> Result<Vec<LineChange>, Vec<FieldError>> {
    let mut errors = Vec::new();
    let mut changes = Vec::with_capacity(b.lines.len());
    for line in &b.lines {
        let no = line.line_no;
        let value = |name: &str| form.get(&field_name(no, name)).trim().to_string();
        let mut change = LineChange {
            line_no: no,
            ..Default::default()
        };
        match &line.item {
            LineItem::Room { .. } => {
                change.room_id = value("room").parse().ok();
                if change.room_id.is_none() {
                    errors.push(FieldError::new(
                        &field_name(no, "room"),
                        "no_room",
                        t.s("bookings.new.no_room"),
                    ));
                }
                for (name, label, slot) in [
                    ("check_in", "bookings.new.check_in", &mut change.check_in),
                    ("check_out", "bookings.new.check_out", &mut change.check_out),
                ] {
                    *slot = value(name).parse::<Date>().ok();
                    if slot.is_none() {
                        errors.push(FieldError::new(
                            &field_name(no, name),
                            "bad_date",
                            t.s("bookings.new.bad_date").replace("{label}", t.s(label)),
                        ));
                    }
                }
            }
            LineItem::Seats { .. } => {
                change.departure_id = value("departure").parse().ok();
                if change.departure_id.is_none() {
                    errors.push(FieldError::new(
                        &field_name(no, "departure"),
                        "not_found",
                        t.s("error.not_found"),
                    ));
                }
                let mut count = |name: &str| match value(name).as_str() {
                    "" => Some(0),
                    v => match v.parse::<u32>() {
                        Ok(n) if n <= 999 => Some(n),
                        _ => {
                            errors.push(FieldError::new(
                                &field_name(no, name),
                                "bad_number",
                                t.s("bookings.new.bad_number"),
                            ));
                            None
                        }
                    },
                };
                if let (Some(adults), Some(children), Some(seniors)) =
                    (count("adults"), count("children"), count("seniors"))
                {
                    change.party = Some(Party {
                        adults,
                        children,
                        seniors,
                    });
                }
            }
        }
        changes.push(change);
    }
    if errors.is_empty() {
        Ok(changes)
    } else {
        Err(errors)
    }
}

/// The use case's field (`lines[1].check_out`) as the form names it (`l2.check_out`): the
/// form sends every line, in the booking's order.
fn form_field(b: &Booking, field: &str) -> String {
    let Some(rest) = field.strip_prefix("lines[") else {
        return "lines".into();
    };
    let Some((index, name)) = rest.split_once("].") else {
        return "lines".into();
    };
    let Some(no) = index
        .parse::<usize>()
        .ok()
        .and_then(|i| b.lines.get(i))
        .map(|l| l.line_no)
    else {
        return "lines".into();
    };
    let name = match name {
        "room_id" => "room",
        "departure_id" => "departure",
        "travelers" | "party" => "adults",
        "line_no" => return "lines".into(),
        other => other,
    };
    field_name(no, name)
}

/// A field's message: the bookings' own text for the booking and change codes, else the
/// shared one.
fn message(t: Tr, f: &FieldError) -> String {
    let own = format!("bookings.err.{}", f.code);
    if Tr::has(&own) {
        t.s(&own).replace("{label}", "")
    } else {
        i18n::field_error(t, f)
    }
}

fn alternative_text(t: Tr, a: &Alternative) -> String {
    match a {
        Alternative::Room {
            label,
            room_type,
            check_in,
            check_out,
            ..
        } => t
            .s("bookings.alt.room")
            .replace("{room}", label)
            .replace("{type}", room_type)
            .replace("{from}", &check_in.to_string())
            .replace("{to}", &check_out.to_string()),
        Alternative::Departure {
            date, seats_left, ..
        } => t
            .s("bookings.alt.departure")
            .replace("{date}", &date.to_string())
            .replace("{n}", &seats_left.to_string()),
    }
}

/// 计算变更报价: quotes the change typed; back to the page with the quote, or the form as
/// typed with its errors (422) or the alternatives (409).
pub async fn quote(
    State(state): State<AppState>,
    Path(id): Path<Uuid>,
    headers: HeaderMap,
    UiForm { user, form }: UiForm,
) -> Response {
    let t = Tr(user.lang);
    let to = format!("/bookings/{id}");
    let b = match state.app.get_booking(&user.principal, id).await {
        Ok(b) => b,
        Err(e) => return refused(&state, &user, &to, e),
    };
    let back = |form: FormState, sold_out: Option<Vec<String>>| {
        booking_page_with(
            &state,
            &user,
            &headers,
            id,
            FormState::default(),
            Some(Typed { form, sold_out }),
        )
    };
    let changes = match read_changes(t, &b, &form) {
        Ok(c) => c,
        Err(fields) => {
            let f = fields
                .into_iter()
                .fold(FormState::typed(&form), |f, e| f.error(&e.field, e.message));
            return back(f, None).await;
        }
    };
    match state.app.quote_change(&user.principal, id, changes).await {
        Ok(_) => see_other_with(
            &state,
            &user,
            &format!("{to}#change-quote"),
            Flash::done(t.s("bookings.flash.change_quoted")),
        ),
        Err(AppError::SoldOut { alternatives, .. }) => {
            let alts = alternatives
                .iter()
                .map(|a| alternative_text(t, a))
                .collect();
            back(FormState::typed(&form), Some(alts)).await
        }
        Err(AppError::Validation(fields)) => {
            let f = fields.into_iter().fold(FormState::typed(&form), |f, e| {
                let field = form_field(&b, &e.field);
                f.error(&field, message(t, &e))
            });
            back(f, None).await
        }
        Err(e) => refused(&state, &user, &to, e),
    }
}

/// The accept's address opened (history, a bookmark): the booking's page.
pub async fn back_to_booking(Path((id, _)): Path<(Uuid, Uuid)>) -> Response {
    crate::ui::see_other(&format!("/bookings/{id}"))
}

/// 客户已同意，确认变更: applies the quote; back to the booking with the flash (and the
/// refund it owes), or the reason it no longer holds.
pub async fn accept(
    State(state): State<AppState>,
    Path((id, quote_id)): Path<(Uuid, Uuid)>,
    UiForm { user, .. }: UiForm,
) -> Response {
    let t = Tr(user.lang);
    let to = format!("/bookings/{id}");
    match state.app.accept_change(&user.principal, id, quote_id).await {
        Ok(done) => {
            let text = match &done.refund {
                Some(r) if r.refund.refund_fen > 0 => t
                    .s("bookings.flash.changed_refund")
                    .replace("{amount}", &yuan(r.refund.refund_fen)),
                _ => t.s("bookings.flash.changed").to_string(),
            };
            see_other_with(&state, &user, &to, Flash::done(text))
        }
        Err(AppError::SoldOut { .. }) => see_other_with(
            &state,
            &user,
            &to,
            Flash::refused(t.s("bookings.change.sold_out_since")),
        ),
        Err(e) => refused(&state, &user, &to, e),
    }
}
