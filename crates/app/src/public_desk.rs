//! The customer-facing desk: the public web form (no login), the signed link that shows a
//! customer how their ticket progresses, and survey links for complaint follow-ups.
//!
//! **Tokens.** Every link a customer gets is signed with HMAC-SHA256 under a key the vault
//! derives from its index key for that purpose ([`tripdesk_vault::KeyRing::link_mac`]); no new
//! secret exists and nothing guessable is in a link. Formats (base64url, no padding):
//! - tracking: `0x01 || ticket id (16 bytes) || tag (16)`. It does not expire: it is the
//!   customer's way back to their ticket.
//! - survey: `0x01 || survey id (16) || expiry ms (8, big-endian) || tag (16)`. The expiry is
//!   signed, so an expired or edited link is refused before the database is asked; the
//!   survey row (token hash, ticket, agent, expiry, `used_at`) makes it single-use on every
//!   node with one conditional `UPDATE`.
//! - public-form CSRF: `0x01 || issued ms (8) || tag (16)` over the issue time and a random
//!   nonce the browser holds in a cookie (a signed double-submit token: a cross-site page can
//!   neither read the cookie nor sign a token for it).
//!
//! **Principals.** The public form acts as [`App::public_intake_principal`], which holds no
//! role at all: it may only take a web-form ticket through [`App::submit_public_ticket`]. A
//! survey answer acts as the follow-up agent who sent the link (their current roles and
//! department), so separation of duties and the unsatisfied → rectification → reopen rules
//! apply exactly as for a follow-up by phone.

mod surveys;

use crate::auth::Credential;
use crate::desk::{IntakeOptions, NewTicket, StepRequest};
use crate::notify::{Notification, Recipient};
use crate::{App, AppError, FieldError, Principal};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use jiff::{SignedDuration, Timestamp};
use serde_json::json;
use std::collections::BTreeMap;
use tripdesk_domain::audit::AuditAction;
use tripdesk_domain::desk::{decide, Channel, State, Step, StepInput, TicketKind};
use tripdesk_domain::identity::Permission;
use tripdesk_store::{Survey, SurveyAnswers, Ticket, Tx};
use tripdesk_vault::KeyRing;
use uuid::Uuid;

/// How long a survey link stays valid.
pub const SURVEY_LINK_DAYS: i64 = 14;
/// How long a public form's CSRF token is accepted after the form was shown.
pub const FORM_TOKEN_HOURS: i64 = 24;

const TRACK_PURPOSE: &str = "desk.track.v1";
const SURVEY_PURPOSE: &str = "desk.survey.v1";
const FORM_PURPOSE: &str = "public.form.v1";
/// The first byte of every link token (its format's version), and the tag's length: shared
/// by the other signed links customers get (`bookings::documents`).
pub(crate) const VERSION: u8 = 1;
pub(crate) const TAG: usize = tripdesk_vault::MIN_LINK_TAG;

/// Limits of the public form, held in the database (the login throttle's fixed-window
/// counters), so they apply across every node.
#[derive(Debug, Clone)]
pub struct PublicDeskSettings {
    /// Accepted submissions per client address per window.
    pub per_ip: u32,
    /// Accepted submissions from everyone per window.
    pub total: u32,
    pub window: SignedDuration,
}

impl Default for PublicDeskSettings {
    fn default() -> Self {
        Self {
            per_ip: 10,
            total: 600,
            window: SignedDuration::from_hours(1),
        }
    }
}

/// What a customer types into the public form.
#[derive(Debug, Clone)]
pub struct PublicTicketInput {
    pub kind: TicketKind,
    pub name: String,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub subject: String,
    pub description: String,
    pub booking_ref: Option<String>,
}

/// The answer to a public submission: the reference and the tracking token.
#[derive(Debug, Clone)]
pub struct PublicReceipt {
    pub ticket: Ticket,
    pub tracking_token: String,
}

/// A ticket as its customer may see it: no names of staff, no notes, no internal data.
#[derive(Debug, Clone)]
pub struct PublicTicketView {
    pub number: String,
    pub kind: TicketKind,
    pub state: State,
    pub subject: String,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    /// Each state the ticket reached, oldest first (steps that keep the state are left out).
    pub milestones: Vec<(Timestamp, State)>,
}

/// A survey link just created (the token exists only here and in the link).
#[derive(Debug, Clone)]
pub struct SurveyLink {
    pub survey: Survey,
    pub token: String,
    pub url: String,
}

/// What the survey page shows before the customer answers.
#[derive(Debug, Clone)]
pub struct SurveyInvitation {
    pub ticket_number: String,
    pub subject: String,
    pub expires_at: Timestamp,
}

/// The customer's answers as submitted (validated by [`App::answer_survey`]).
#[derive(Debug, Clone, Default)]
pub struct SurveyAnswerInput {
    pub satisfaction: Option<u8>,
    pub overall_rating: Option<u8>,
    pub suggestions: Option<String>,
    pub reason: Option<String>,
}

pub(crate) fn encode(parts: &[&[u8]]) -> String {
    URL_SAFE_NO_PAD.encode(parts.concat())
}

/// The decoded bytes of a token of exactly `len` bytes starting with the version byte.
pub(crate) fn decode(token: &str, len: usize) -> Option<Vec<u8>> {
    // Encoded length is known: refuse anything else before decoding.
    if token.len() != (len * 4).div_ceil(3) {
        return None;
    }
    let bytes = URL_SAFE_NO_PAD.decode(token).ok()?;
    (bytes.len() == len && bytes[0] == VERSION).then_some(bytes)
}

/// A token naming one record for `purpose`: `0x01 || id || tag`, signed with the link HMAC
/// (the tracking link, the web chat's visitor).
pub(crate) fn id_token(keys: &KeyRing, purpose: &str, id: Uuid) -> String {
    let body = [&[VERSION][..], id.as_bytes()].concat();
    let tag = keys.link_mac(purpose, &body);
    encode(&[&body, &tag[..TAG]])
}

/// The id an [`id_token`] for `purpose` names, if its signature holds.
pub(crate) fn verify_id_token(keys: &KeyRing, purpose: &str, token: &str) -> Option<Uuid> {
    let bytes = decode(token, 1 + 16 + TAG)?;
    let (body, tag) = bytes.split_at(17);
    keys.verify_link_mac(purpose, body, tag)
        .then(|| Uuid::from_slice(&body[1..]).ok())
        .flatten()
}

/// The signed tracking token of a ticket.
pub fn tracking_token(keys: &KeyRing, ticket_id: Uuid) -> String {
    id_token(keys, TRACK_PURPOSE, ticket_id)
}

/// The ticket a tracking token names, if its signature holds.
pub fn verify_tracking_token(keys: &KeyRing, token: &str) -> Option<Uuid> {
    verify_id_token(keys, TRACK_PURPOSE, token)
}

fn survey_token(keys: &KeyRing, survey_id: Uuid, expires_at: Timestamp) -> String {
    let body = [
        &[VERSION][..],
        survey_id.as_bytes(),
        &expires_at.as_millisecond().to_be_bytes(),
    ]
    .concat();
    let tag = keys.link_mac(SURVEY_PURPOSE, &body);
    encode(&[&body, &tag[..TAG]])
}

/// The survey id and expiry a survey token carries, if its signature holds.
fn verify_survey_token(keys: &KeyRing, token: &str) -> Option<(Uuid, Timestamp)> {
    let bytes = decode(token, 1 + 16 + 8 + TAG)?;
    let (body, tag) = bytes.split_at(25);
    if !keys.verify_link_mac(SURVEY_PURPOSE, body, tag) {
        return None;
    }
    let id = Uuid::from_slice(&body[1..17]).ok()?;
    let ms = i64::from_be_bytes(body[17..25].try_into().ok()?);
    Some((id, Timestamp::from_millisecond(ms).ok()?))
}

fn form_token(keys: &KeyRing, nonce: &str, issued_ms: i64) -> String {
    let tag = keys.link_mac(FORM_PURPOSE, &form_body(issued_ms, nonce));
    encode(&[&[VERSION], &issued_ms.to_be_bytes(), &tag[..TAG]])
}

/// Whether `token` was signed for `nonce` and issued within [`FORM_TOKEN_HOURS`] before
/// `now_ms`. The issue time comes from the client: nothing is computed from it before its
/// signature holds, and then only with checked arithmetic (a signed token from another
/// installation's clock, or a forged one, may carry any 64-bit value).
fn verify_form_token(keys: &KeyRing, nonce: &str, token: &str, now_ms: i64) -> bool {
    if nonce.is_empty() || nonce.len() > 128 {
        return false;
    }
    let Some(bytes) = decode(token, 1 + 8 + TAG) else {
        return false;
    };
    let issued = i64::from_be_bytes(bytes[1..9].try_into().expect("8 bytes"));
    if !keys.verify_link_mac(FORM_PURPOSE, &form_body(issued, nonce), &bytes[9..]) {
        return false;
    }
    // A minute of clock difference between nodes is tolerated.
    now_ms
        .checked_sub(issued)
        .is_some_and(|age| (-60_000..FORM_TOKEN_HOURS * 3_600_000).contains(&age))
}

fn form_body(issued_ms: i64, nonce: &str) -> Vec<u8> {
    [
        &[VERSION][..],
        &issued_ms.to_be_bytes(),
        &[0],
        nonce.as_bytes(),
    ]
    .concat()
}

/// A random nonce for the public form's cookie.
pub fn new_form_nonce() -> String {
    crate::secrets::new_token("")
}

pub(crate) fn link(base_url: &str, path: &str, token: &str) -> String {
    format!("{}/{path}/{token}", base_url.trim_end_matches('/'))
}

fn answer_fields(input: &SurveyAnswerInput) -> Result<SurveyAnswers, AppError> {
    let mut fields = Vec::new();
    let mut rating = |name: &str, v: Option<u8>| match v {
        Some(r @ 1..=5) => r,
        Some(_) => {
            fields.push(FieldError::new(name, "range", format!("{name} is 1 to 5")));
            0
        }
        None => {
            fields.push(FieldError::new(
                name,
                "required",
                format!("choose {name} (1 to 5)"),
            ));
            0
        }
    };
    let satisfaction = rating("satisfaction", input.satisfaction);
    let overall_rating = rating("overall_rating", input.overall_rating);
    let suggestions = crate::check_optional_text(
        &mut fields,
        "suggestions",
        input.suggestions.as_deref(),
        2000,
        crate::Lines::Many,
    );
    let reason = crate::check_optional_text(
        &mut fields,
        "reason",
        input.reason.as_deref(),
        1000,
        crate::Lines::Many,
    );
    if (1..=2).contains(&satisfaction) && reason.is_none() {
        fields.push(FieldError::new(
            "reason",
            "required",
            "tell us why you are not satisfied",
        ));
    }
    if !fields.is_empty() {
        return Err(AppError::Validation(fields));
    }
    Ok(SurveyAnswers {
        satisfaction,
        overall_rating,
        suggestions,
        reason,
    })
}

fn survey_error(code: &'static str, message: &str) -> AppError {
    AppError::Conflict {
        code,
        message: message.into(),
        field: None,
    }
}

impl App {
    /// The principal of the public web form: a system principal (nil user id) holding no role
    /// and so no permission. [`App::submit_public_ticket`] is the only use case that acts as it.
    pub fn public_intake_principal() -> Principal {
        Principal {
            user_id: Uuid::nil(),
            username: "web_form".into(),
            display_name: "网页表单".into(),
            roles: Vec::new(),
            department_id: None,
            locale: "zh-CN".into(),
            credential: Credential::PublicForm,
        }
    }

    /// A CSRF token for the public form shown now to the browser holding `nonce`.
    pub fn public_form_token(&self, nonce: &str) -> Result<String, AppError> {
        Ok(form_token(
            self.vault()?,
            nonce,
            self.now().as_millisecond(),
        ))
    }

    /// Whether `token` was issued by [`App::public_form_token`] for `nonce` within the last
    /// [`FORM_TOKEN_HOURS`].
    pub fn check_public_form_token(&self, nonce: &str, token: &str) -> bool {
        self.vault()
            .is_ok_and(|keys| verify_form_token(keys, nonce, token, self.now().as_millisecond()))
    }

    /// The ticket of a reference a customer quotes (`ts 0000301` finds `TS0000301`).
    pub async fn find_ticket_by_number(
        &self,
        p: &Principal,
        number: &str,
    ) -> Result<Ticket, AppError> {
        p.require(Permission::ViewDesk)?;
        let number: String = number
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect::<String>()
            .to_uppercase();
        if number.is_empty() || number.len() > 40 {
            return Err(AppError::NotFound("ticket"));
        }
        let mut tx = self.store.read().await?;
        tx.get_ticket_by_number(&number)
            .await?
            .filter(|t| p.sees_ticket(t))
            .ok_or(AppError::NotFound("ticket"))
    }

    /// The tracking link's token for a ticket (staff give it to customers of other channels).
    pub async fn ticket_tracking_token(
        &self,
        p: &Principal,
        ticket_id: Uuid,
    ) -> Result<String, AppError> {
        p.require(Permission::ViewDesk)?;
        let keys = self.vault()?;
        let mut tx = self.store.read().await?;
        self.ticket_for(&mut *tx, p, ticket_id).await?;
        Ok(tracking_token(keys, ticket_id))
    }

    /// Takes a ticket from the public web form: channel `web_form`, level general (an agent
    /// triages it), a phone or an email required, the customer found or created through the
    /// vault. Limited per client address and in total per window, counted in the ticket's own
    /// transaction (so refused and invalid submissions do not count, and every node shares
    /// the counters): over a limit answers `Throttled`.
    pub async fn submit_public_ticket(
        &self,
        input: PublicTicketInput,
        client_ip: Option<&str>,
    ) -> Result<PublicReceipt, AppError> {
        let keys = self.vault()?;
        // The address is kept only as a keyed hash: the counters hold no personal data.
        let ip_key = client_ip.map(|ip| {
            let h = keys.blind_index("client_ip", ip);
            format!("public_form:ip:{}", &h[..32])
        });
        let p = Self::public_intake_principal();
        let ticket = self
            .take_ticket(
                &p,
                NewTicket {
                    kind: input.kind,
                    channel: Channel::WebForm,
                    level: None,
                    subject: input.subject,
                    description: input.description,
                    customer_name: input.name,
                    customer_phone: input.phone,
                    customer_email: input.email,
                    customer_id: None,
                    booking_ref: input.booking_ref,
                    business_area: None,
                    tags: Vec::new(),
                },
                IntakeOptions {
                    require_contact: true,
                    rate_keys: [
                        ip_key.map(|k| (k, self.settings.public_desk.per_ip)),
                        Some(("public_form:all".into(), self.settings.public_desk.total)),
                    ]
                    .into_iter()
                    .flatten()
                    .collect(),
                },
                None,
            )
            .await?
            .done()?
            .ticket;
        tracing::info!(ticket = %ticket.number, "ticket taken from the public form");
        Ok(PublicReceipt {
            tracking_token: tracking_token(keys, ticket.id),
            ticket,
        })
    }

    /// Counts one submission against each `(key, limit)` in `tx`; `Throttled` when one is
    /// over its limit (the caller drops the transaction, so the refused one is not counted).
    pub(crate) async fn count_intake(
        &self,
        tx: &mut dyn Tx,
        rate_keys: &[(String, u32)],
    ) -> Result<(), AppError> {
        let window = self.settings.public_desk.window;
        let now = self.now();
        for (key, limit) in rate_keys {
            let n = tx
                .record_login_failure(key, now, window.as_millis() as i64)
                .await?;
            if n.count > *limit {
                return Err(AppError::Throttled {
                    retry_after_secs: window.as_secs().max(1) as u64,
                });
            }
        }
        Ok(())
    }

    /// The ticket a tracking token names, as its customer may see it. A token that does not
    /// verify is `NotFound`, like a ticket that does not exist.
    pub async fn track_ticket(&self, token: &str) -> Result<PublicTicketView, AppError> {
        let id = verify_tracking_token(self.vault()?, token)
            .ok_or(AppError::NotFound("tracking link"))?;
        let mut tx = self.store.read().await?;
        let ticket = tx
            .get_ticket(id)
            .await?
            .ok_or(AppError::NotFound("tracking link"))?;
        let events = tx.list_ticket_events(id).await?;
        let mut milestones: Vec<(Timestamp, State)> = Vec::new();
        for e in &events {
            let Some(to) = e.to_state.as_deref().and_then(State::parse) else {
                continue;
            };
            if milestones.last().is_some_and(|(_, last)| *last == to) {
                continue;
            }
            milestones.push((e.at, to));
        }
        if milestones.is_empty() {
            milestones.push((ticket.created_at, State::Received));
        }
        Ok(PublicTicketView {
            number: ticket.number,
            kind: ticket.kind,
            state: ticket.state,
            subject: ticket.subject,
            created_at: ticket.created_at,
            updated_at: ticket.updated_at,
            milestones,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tracking_tokens_verify_and_refuse_tampering() {
        let keys = KeyRing::generate();
        let id = Uuid::now_v7();
        let token = tracking_token(&keys, id);
        assert_eq!(token.len(), 44);
        assert_eq!(verify_tracking_token(&keys, &token), Some(id));
        // Every single changed character is refused.
        for i in 0..token.len() {
            let mut bytes = token.clone().into_bytes();
            bytes[i] = if bytes[i] == b'A' { b'B' } else { b'A' };
            let t = String::from_utf8(bytes).unwrap();
            assert_eq!(verify_tracking_token(&keys, &t), None, "position {i}");
        }
        assert_eq!(verify_tracking_token(&keys, ""), None);
        assert_eq!(verify_tracking_token(&keys, &token[..43]), None);
        assert_eq!(verify_tracking_token(&keys, &format!("{token}A")), None);
        assert_eq!(
            verify_tracking_token(&KeyRing::generate(), &token),
            None,
            "another installation's link"
        );
    }

    #[test]
    fn form_tokens_hold_for_their_nonce_and_a_day_and_never_overflow() {
        let keys = KeyRing::generate();
        let now: i64 = 1_780_000_000_000;
        let token = form_token(&keys, "n1", now);
        assert!(verify_form_token(&keys, "n1", &token, now));
        assert!(
            verify_form_token(&keys, "n1", &token, now - 59_999),
            "clock skew"
        );
        let day = FORM_TOKEN_HOURS * 3_600_000;
        assert!(verify_form_token(&keys, "n1", &token, now + day - 1));
        assert!(
            !verify_form_token(&keys, "n1", &token, now + day),
            "expired"
        );
        assert!(
            !verify_form_token(&keys, "n1", &token, now - 60_001),
            "from the future"
        );
        assert!(
            !verify_form_token(&keys, "n2", &token, now),
            "another browser"
        );
        assert!(!verify_form_token(&keys, "", &token, now));
        assert!(!verify_form_token(&KeyRing::generate(), "n1", &token, now));
        // Extreme issue times, forged or signed, are refused without overflowing.
        for issued in [i64::MIN, i64::MIN + 1, -1, i64::MAX] {
            for now in [i64::MIN, 0, now, i64::MAX] {
                let signed = form_token(&keys, "n1", issued);
                let ok = verify_form_token(&keys, "n1", &signed, now);
                let age = now.checked_sub(issued);
                assert_eq!(
                    ok,
                    age.is_some_and(|a| (-60_000..day).contains(&a)),
                    "issued {issued}, now {now}"
                );
                let forged = [&[VERSION][..], &issued.to_be_bytes(), &[0; TAG]].concat();
                assert!(!verify_form_token(
                    &keys,
                    "n1",
                    &encode(&[forged.as_slice()]),
                    now
                ));
            }
        }
    }

    #[test]
    fn survey_tokens_carry_their_signed_expiry() {
        let keys = KeyRing::generate();
        let id = Uuid::now_v7();
        let exp: Timestamp = "2026-06-01T00:00:00Z".parse().unwrap();
        let token = survey_token(&keys, id, exp);
        assert_eq!(verify_survey_token(&keys, &token), Some((id, exp)));
        // Moving the expiry needs a new signature.
        let later = survey_token(&keys, id, exp + SignedDuration::from_hours(1));
        let forged = format!("{}{}", &later[..34], &token[34..]);
        assert_eq!(verify_survey_token(&keys, &forged), None);
        // A tracking token is not a survey token, nor the other way round.
        assert_eq!(verify_tracking_token(&keys, &token), None);
        assert_eq!(verify_survey_token(&keys, &tracking_token(&keys, id)), None);
    }

    #[test]
    fn unsatisfied_answers_need_the_reason() {
        let e = answer_fields(&SurveyAnswerInput {
            satisfaction: Some(2),
            overall_rating: Some(9),
            ..Default::default()
        })
        .unwrap_err();
        let AppError::Validation(fields) = e else {
            panic!("{e:?}")
        };
        let names: Vec<_> = fields.iter().map(|f| f.field.as_str()).collect();
        assert_eq!(names, ["overall_rating", "reason"]);
        let ok = answer_fields(&SurveyAnswerInput {
            satisfaction: Some(5),
            overall_rating: Some(5),
            suggestions: Some("  ".into()),
            reason: None,
        })
        .unwrap();
        assert_eq!(ok.suggestions, None);
    }
}
