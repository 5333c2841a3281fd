//! The PBX's live call events (CTI) by signed webhook: `POST /api/v1/calls/events`, a JSON
//! array of [`wire::Event`], signed with `cti_webhook_secret` by the one scheme
//! (`tripdesk_vault::webhook`, as the SMS provider's). Each event is kept once per call and
//! kind (a retried post changes nothing); the call's row (`calls`, source `cti`) is rebuilt
//! from the events kept whatever order they came in (`domain::phone::cti::derive`) once the
//! call is over, and its callback task follows (`callbacks`).

use super::NUMBER_FIELD;
use crate::{App, AppError, FieldError};
use tripdesk_domain::customer::Phone;
use tripdesk_domain::phone::cti::{derive, Event, EventKind};
use tripdesk_domain::phone::Direction;
use tripdesk_store::{CallEventRecord, CallRecord, Tx};
use uuid::Uuid;

/// The sealed field of a number on a CTI event (associated data: the call's blinded key).
pub(crate) const EVENT_NUMBER_FIELD: &str = "call_event.number";
/// The blind-index kind of a CTI call id.
const CTI_KEY_KIND: &str = "cti_call";
/// The most events one post may carry.
pub const MAX_EVENTS: usize = 1_000;

/// The webhook's JSON.
pub mod wire {
    use serde::{Deserialize, Serialize};

    /// One event of a call, as the CTI posts it.
    #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(as = CallEvent))]
    pub struct Event {
        /// `ringing`, `answered`, `missed` or `ended`.
        pub event: String,
        /// The PBX's id of the call (Asterisk's `uniqueid`, `linkedid`…); the same on every
        /// event of the call.
        pub call_id: String,
        /// When it happened (RFC 3339).
        pub at: String,
        /// `inbound` (a customer calling; the default) or `outbound`.
        #[serde(default)]
        pub direction: Option<String>,
        /// The calling number.
        #[serde(default)]
        pub caller: Option<String>,
        /// The number called.
        #[serde(default)]
        pub called: Option<String>,
        /// The hotline line or queue (default: the number called, inbound).
        #[serde(default)]
        pub line: Option<String>,
        /// The agent's extension (who answered, or who calls out).
        #[serde(default)]
        pub agent: Option<String>,
    }

    /// What a post did.
    #[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
    #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(as = CallEventsAnswer))]
    pub struct Answer {
        /// Events kept now.
        pub received: u64,
        /// Events kept before (a retry): nothing changed.
        pub repeated: u64,
        /// Calls whose record was written or rewritten (they are over).
        pub calls: u64,
    }
}

/// Proof that a post's signature was checked: the only way to the use case.
pub struct VerifiedCtiWebhook(());

impl VerifiedCtiWebhook {
    /// Events tripdesk makes itself (the demo's day).
    pub(crate) fn trusted() -> Self {
        VerifiedCtiWebhook(())
    }
}

struct Checked {
    kind: EventKind,
    call_id: String,
    event: Event,
    number: String,
}

fn check(i: usize, e: &wire::Event, fields: &mut Vec<FieldError>) -> Option<Checked> {
    let at = |f: &str| format!("[{i}].{f}");
    let before = fields.len();
    let kind = EventKind::parse(e.event.trim());
    if kind.is_none() {
        fields.push(FieldError::new(
            &at("event"),
            "unknown",
            format!("{} must be ringing, answered, missed or ended", at("event")),
        ));
    }
    let call_id = e.call_id.trim();
    if call_id.is_empty() || call_id.chars().count() > 200 {
        fields.push(FieldError::new(
            &at("call_id"),
            "length",
            format!("{} must be 1 to 200 characters", at("call_id")),
        ));
    }
    let time = e.at.trim().parse::<jiff::Timestamp>().ok();
    if time.is_none() {
        fields.push(FieldError::new(
            &at("at"),
            "not_a_time",
            format!(
                "{} is not an RFC 3339 time, e.g. 2026-12-06T09:00:00+08:00",
                at("at")
            ),
        ));
    }
    let direction = match e.direction.as_deref().map(str::trim) {
        None | Some("") => Some(Direction::Inbound),
        Some(d) => Direction::parse(d),
    };
    if direction.is_none() {
        fields.push(FieldError::new(
            &at("direction"),
            "unknown",
            format!("{} must be inbound or outbound", at("direction")),
        ));
    }
    let short = |v: &Option<String>, name: &str, fields: &mut Vec<FieldError>| {
        let v = v.as_deref().map(str::trim).unwrap_or_default().to_string();
        if v.chars().count() > 80 || v.chars().any(char::is_control) {
            fields.push(FieldError::new(
                &at(name),
                "invalid",
                format!("{} must be one line of at most 80 characters", at(name)),
            ));
        }
        v
    };
    let caller = short(&e.caller, "caller", fields);
    let called = short(&e.called, "called", fields);
    let line = short(&e.line, "line", fields);
    let agent = short(&e.agent, "agent", fields);
    if fields.len() > before {
        return None;
    }
    let (kind, at, direction) = (kind?, time?, direction?);
    let (number, default_line) = match direction {
        Direction::Inbound => (caller, called),
        Direction::Outbound => (called, agent.clone()),
    };
    let line = if line.is_empty() { default_line } else { line };
    Some(Checked {
        kind,
        call_id: call_id.to_string(),
        event: Event {
            kind,
            at,
            direction,
            line,
            agent: (!agent.is_empty()).then_some(agent),
        },
        number,
    })
}

impl App {
    /// Checks a CTI post's `X-Tripdesk-Signature`: 401 when CTI events are not configured
    /// on this server (`cti_webhook_secret`), or the signature is missing, malformed, wrong
    /// or stale — each said so.
    pub fn verify_cti_webhook(
        &self,
        signature: Option<&str>,
        body: &[u8],
    ) -> Result<VerifiedCtiWebhook, AppError> {
        let Some(secret) = &self.settings.cti_webhook_secret else {
            return Err(AppError::Unauthenticated(
                "CTI call events are not configured on this server (cti_webhook_secret)",
            ));
        };
        crate::auth::check_webhook_signature(
            secret.expose_secret(),
            signature,
            body,
            self.now().as_second(),
        )?;
        Ok(VerifiedCtiWebhook(()))
    }

    /// Keeps a post's call events — all or, when any cannot be read, none (422 naming
    /// `[i].field`) — and rebuilds the record of each call they finish or change.
    pub async fn receive_call_events(
        &self,
        _verified: VerifiedCtiWebhook,
        events: &[wire::Event],
    ) -> Result<wire::Answer, AppError> {
        if events.len() > MAX_EVENTS {
            return Err(AppError::field(
                "events",
                "too_many",
                format!("one post carries at most {MAX_EVENTS} events"),
            ));
        }
        let mut fields = Vec::new();
        let checked: Vec<Checked> = events
            .iter()
            .enumerate()
            .filter_map(|(i, e)| check(i, e, &mut fields))
            .collect();
        if !fields.is_empty() {
            return Err(AppError::Validation(fields));
        }
        let keys = self.vault()?;
        let now = self.now();
        let mut answer = wire::Answer::default();
        let mut touched: Vec<String> = Vec::new();
        let mut tx = self.store.write().await?;
        for c in &checked {
            let call_key = keys.blind_index(CTI_KEY_KIND, &c.call_id);
            let index = Phone::parse(&c.number)
                .ok()
                .map(|p| keys.blind_index("phone", p.as_e164()));
            let record = CallEventRecord {
                call_key: call_key.clone(),
                kind: c.kind,
                at: c.event.at,
                direction: c.event.direction,
                line: c.event.line.clone(),
                agent: c.event.agent.clone(),
                number_sealed: (!c.number.is_empty()).then(|| {
                    keys.encrypt(EVENT_NUMBER_FIELD, &call_key, &c.number)
                        .into_string()
                }),
                number_index: index,
                received_at: now,
            };
            if tx.insert_call_event(&record).await? {
                answer.received += 1;
                if !touched.contains(&call_key) {
                    touched.push(call_key);
                }
            } else {
                answer.repeated += 1;
            }
        }
        for call_key in &touched {
            if self.rebuild_cti_call(&mut *tx, call_key).await? {
                answer.calls += 1;
            }
        }
        tx.commit().await?;
        Ok(answer)
    }

    /// Writes the call its events make (when it is over); whether it wrote.
    async fn rebuild_cti_call(&self, tx: &mut dyn Tx, call_key: &str) -> Result<bool, AppError> {
        let kept = tx.call_events(call_key).await?;
        let events: Vec<Event> = kept
            .iter()
            .map(|e| Event {
                kind: e.kind,
                at: e.at,
                direction: e.direction,
                line: e.line.clone(),
                agent: e.agent.clone(),
            })
            .collect();
        let Some(shape) = derive(&events) else {
            return Ok(false);
        };
        let keys = self.vault()?;
        let with_number = kept.iter().find(|e| e.number_sealed.is_some());
        let number = match with_number.and_then(|e| e.number_sealed.as_deref()) {
            Some(sealed) => Some(
                keys.decrypt(EVENT_NUMBER_FIELD, call_key, sealed)
                    .map_err(|e| AppError::Internal(format!("cannot open a call event: {e}")))?
                    .expose_secret()
                    .clone(),
            ),
            None => None,
        };
        let index = with_number.and_then(|e| e.number_index.clone());
        let existing = tx.get_call_by_key("cti", call_key).await?;
        let customer_id = match (&existing, &index) {
            (Some(c), _) if c.customer_id.is_some() => c.customer_id,
            (_, Some(i)) => tx
                .find_customers_by_identifier("phone", i)
                .await?
                .into_iter()
                .next(),
            _ => None,
        };
        let id = existing.as_ref().map(|c| c.id).unwrap_or_else(Uuid::now_v7);
        let mut call = CallRecord {
            id,
            source: "cti".into(),
            call_key: call_key.to_string(),
            direction: shape.direction,
            line: shape.line.chars().take(80).collect(),
            agent: shape.agent,
            customer_id,
            number_sealed: match &existing {
                Some(c) if c.number_sealed.is_some() => c.number_sealed.clone(),
                _ => number
                    .as_deref()
                    .map(|n| keys.encrypt(NUMBER_FIELD, &id.to_string(), n).into_string()),
            },
            number_index: existing
                .as_ref()
                .and_then(|c| c.number_index.clone())
                .or(index),
            started_at: shape.started,
            answered_at: shape.answered,
            ended_at: shape.ended,
            ring_secs: shape.ring_secs,
            talk_secs: shape.talk_secs,
            disposition: shape.disposition,
            imported_at: existing
                .as_ref()
                .map(|c| c.imported_at)
                .unwrap_or_else(|| self.now()),
            imported_by: None,
            callback_task_id: existing.as_ref().and_then(|c| c.callback_task_id),
            ticket_id: existing.as_ref().and_then(|c| c.ticket_id),
        };
        if existing.is_some() {
            tx.update_call(&call).await?;
        } else {
            tx.insert_calls(std::slice::from_ref(&call)).await?;
        }
        self.after_call(tx, &mut call, number.as_deref()).await?;
        Ok(true)
    }
}
