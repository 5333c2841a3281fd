//! A booking's pre-trip documents for staff: the panel on the booking's page (sent when and
//! how, received when, 没有变化 / 内容已变更，请重新发送, and 发送行前资料), the documents page
//! (`/bookings/{id}/documents`: the same `Document` the PDF is made of, as printable HTML), and
//! the send posted from either. The HTML of a document is one template,
//! `documents/document.html`, which the traveler's page (`ui::public::trip`) includes too.
//! The departures calendar's guide form (the name and phone the documents print) posts here.

use super::steps::refused;
use crate::i18n::Tr;
use crate::ui::session::UiForm;
use crate::ui::{error_page, local_time, render, see_other_with, Chrome, Flash, FormState, UiUser};
use crate::AppState;
use askama::Template;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use tripdesk_app::bookings::documents::{trip_link, DocumentsStatus};
use tripdesk_domain::bookings::documents::{CustomerChannel, Fallback, Freshness};
use tripdesk_domain::identity::Permission;
use tripdesk_pdf::Document;
use uuid::Uuid;

/// What the booking's page and the documents page show of the documents.
pub(crate) struct DocumentsPanel {
    pub id: String,
    /// 已发送：… (with the message's state), or 尚未发送.
    pub sent: String,
    /// Why it went on another channel than the preferred one.
    pub fallback: Option<String>,
    /// 客户已确认收到：… / 客户尚未确认收到 (only once sent).
    pub received: Option<String>,
    pub received_ok: bool,
    /// `current`, `outdated` or `not_sent`, and its words (none before the first sending).
    pub freshness: &'static str,
    pub freshness_text: Option<&'static str>,
    /// Offered to those who may book, when the rules allow a sending now.
    pub can_send: bool,
    pub send_label: &'static str,
    /// Why they cannot be sent now (to those who may book).
    pub refusal: Option<String>,
    /// The traveler's link, to hand over another way.
    pub link: Option<String>,
}

fn channel_label(t: Tr, channel: &str) -> &'static str {
    match CustomerChannel::parse(channel) {
        Some(c) => t.s(&format!("bookings.docs.channel.{}", c.as_str())),
        None => t.s("bookings.docs.channel.email"),
    }
}

fn panel_of(
    state: &AppState,
    user: &UiUser,
    headers: &HeaderMap,
    id: Uuid,
    s: &DocumentsStatus,
) -> DocumentsPanel {
    let t = Tr(user.lang);
    let may_book = user.principal.can(Permission::MakeBookings);
    let last = s.last.as_ref();
    let sent = match last {
        None => t.s("bookings.docs.not_sent").to_string(),
        Some(l) => {
            let text = t
                .s("bookings.docs.sent")
                .replace("{at}", &local_time(state, l.send.sent_at))
                .replace("{channel}", channel_label(t, &l.send.channel));
            match l.message_state {
                Some(m) => t.aside(&text, t.s(&format!("bookings.docs.message.{}", m.as_str()))),
                None => text,
            }
        }
    };
    let fallback = last.and_then(|l| {
        let reason = Fallback::parse(l.send.fallback.as_deref()?)?;
        let preferred = channel_label(t, l.send.preferred.as_deref()?);
        Some(
            t.s(&format!("bookings.docs.fallback.{}", reason.as_str()))
                .replace("{preferred}", preferred)
                .replace("{channel}", channel_label(t, &l.send.channel)),
        )
    });
    let received = last.map(|l| match l.send.received_at {
        Some(at) => t
            .s("bookings.docs.received")
            .replace("{at}", &local_time(state, at)),
        None => t.s("bookings.docs.not_received").to_string(),
    });
    DocumentsPanel {
        id: id.to_string(),
        sent,
        fallback,
        received,
        received_ok: last.is_some_and(|l| l.send.received_at.is_some()),
        freshness: s.freshness.as_str(),
        freshness_text: match s.freshness {
            Freshness::NotSent => None,
            Freshness::Current => Some(t.s("bookings.docs.current")),
            Freshness::Outdated => Some(t.s("bookings.docs.outdated")),
        },
        can_send: may_book && s.refusal.is_none(),
        send_label: if last.is_some() {
            t.s("bookings.docs.resend")
        } else {
            t.s("bookings.docs.send")
        },
        refusal: s
            .refusal
            .filter(|_| may_book)
            .map(|r| t.s(&format!("error.code.{}", r.code())).to_string()),
        link: last.map(|l| trip_link(&crate::ui::public_base(state, headers), &l.token)),
    }
}

/// The panel for the booking's page; `None` for a booking without documents (cancelled,
/// expired) or when they cannot be read.
pub(super) async fn panel(
    state: &AppState,
    user: &UiUser,
    headers: &HeaderMap,
    id: Uuid,
    live: bool,
) -> Option<DocumentsPanel> {
    if !live {
        return None;
    }
    let status = state.app.documents_status(&user.principal, id).await.ok()?;
    Some(panel_of(state, user, headers, id, &status))
}

#[derive(Template)]
#[template(path = "bookings/documents.html")]
struct DocumentsPage {
    c: Chrome,
    id: String,
    confirmation_no: String,
    docs: DocumentsPanel,
    doc: Document,
}

/// 行前资料: the documents as HTML, printable, with what was sent and received.
pub async fn page(
    State(state): State<AppState>,
    user: UiUser,
    headers: HeaderMap,
    Path(id): Path<Uuid>,
) -> Response {
    let p = &user.principal;
    let (doc, status) = match (
        state.app.departure_notice(p, id).await,
        state.app.documents_status(p, id).await,
    ) {
        (Ok(d), Ok(s)) => (d, s),
        (Err(e), _) | (_, Err(e)) => return error_page(&state, &user, "bookings", e),
    };
    let confirmation_no = state
        .app
        .get_booking(p, id)
        .await
        .ok()
        .and_then(|b| b.confirmation_no)
        .unwrap_or_default();
    render(
        StatusCode::OK,
        &DocumentsPage {
            c: Chrome::new(&state, &user, "bookings"),
            id: id.to_string(),
            confirmation_no,
            docs: panel_of(&state, &user, &headers, id, &status),
            doc,
        },
    )
}

/// 发送行前资料: sends them and goes back to where the button was (the booking's page, or the
/// documents page) with the channel in the notice, or the reason it could not.
pub async fn send(
    State(state): State<AppState>,
    Path(id): Path<Uuid>,
    headers: HeaderMap,
    UiForm { user, form }: UiForm,
) -> Response {
    let t = Tr(user.lang);
    let to = if form.get("back") == "documents" {
        format!("/bookings/{id}/documents")
    } else {
        format!("/bookings/{id}")
    };
    let base = crate::ui::public_base(&state, &headers);
    match state
        .app
        .send_trip_documents(&user.principal, id, &base)
        .await
    {
        Ok(sent) => see_other_with(
            &state,
            &user,
            &to,
            Flash::done(
                t.s("bookings.flash.documents_sent")
                    .replace("{channel}", channel_label(t, &sent.send.channel)),
            ),
        ),
        Err(e) => refused(&state, &user, &to, e),
    }
}

/// The guide form's fields and the words that name them in its errors.
const GUIDE_LABELS: &[(&str, &str)] = &[
    ("guide_name", "bookings.guide.name"),
    ("guide_phone", "bookings.guide.phone"),
];

/// 设置导游 from the departures calendar: back to the month with a notice, or the calendar
/// with the form open as typed and its errors.
pub async fn set_guide(
    State(state): State<AppState>,
    Path(id): Path<Uuid>,
    UiForm { user, form }: UiForm,
) -> Response {
    let t = Tr(user.lang);
    let first = super::month_start(state.app.today(), Some(form.get("month")));
    match state
        .app
        .set_departure_guide(
            &user.principal,
            id,
            form.get("guide_name"),
            form.get("guide_phone"),
        )
        .await
    {
        Ok(_) => see_other_with(
            &state,
            &user,
            &format!(
                "/bookings/departures?month={}#d-{id}",
                first.strftime("%Y-%m")
            ),
            Flash::done(t.s("bookings.flash.guide_saved")),
        ),
        Err(tripdesk_app::AppError::Validation(fields)) => {
            let fields: Vec<_> = fields
                .into_iter()
                .map(|mut f| {
                    f.field = f.field.trim_start_matches("departure.").to_string();
                    f
                })
                .collect();
            let f = FormState::typed(&form).refused(t, &fields, GUIDE_LABELS);
            super::departures_page(
                &state,
                &user,
                first,
                Some((id, super::DepartureForm::Guide, f)),
            )
            .await
        }
        Err(e) => error_page(&state, &user, "bookings_departures", e),
    }
}
