//! The one place every SLA event passes through, inside the transaction that changes the
//! clock: it records the event row and, for warnings and breaches, escalates through the
//! outbox, appends to the audit log and publishes `sla.warning`/`sla.breach` to webhooks.

use crate::desk_effects::staff_recipient;
use crate::notify::Notification;
use crate::{App, AppError};
use jiff::Timestamp;
use std::collections::BTreeMap;
use tripdesk_domain::audit::AuditAction;
use tripdesk_domain::calendar::china_time_zone;
use tripdesk_domain::identity::Role;
use tripdesk_store::{
    NewAuditEntry, SlaClockRecord, SlaEventKind, SlaEventRecord, SlaPolicy, Tx, User, UserFilter,
};
use uuid::Uuid;

impl App {
    /// Records one event of `clock` (a firing or a transition) in `tx`. Returns false when
    /// the event was a warning or breach already recorded for this clock (the database's
    /// unique index refused it), in which case nothing else may happen for it.
    ///
    /// `at` is when the event happened (the warning or due instant for firings), `policy`
    /// the clock's policy as configured now (for whom to tell).
    pub(crate) async fn on_sla_event(
        &self,
        tx: &mut dyn Tx,
        clock: &SlaClockRecord,
        kind: SlaEventKind,
        at: Timestamp,
        policy: Option<&SlaPolicy>,
    ) -> Result<bool, AppError> {
        let event = SlaEventRecord {
            id: Uuid::now_v7(),
            clock_id: clock.id,
            kind,
            at,
            recorded_at: self.now(),
            node: self.node().to_string(),
            target_key: clock.clock.target_key().to_string(),
            subject_type: clock.subject_type.clone(),
            subject_id: clock.subject_id.clone(),
        };
        if !tx.insert_sla_event(&event).await? {
            return Ok(false);
        }
        if matches!(kind, SlaEventKind::Warning | SlaEventKind::Breach) {
            let notify = policy.map_or(&[][..], |p| match kind {
                SlaEventKind::Warning => &p.notify_warning[..],
                _ => &p.notify_breach[..],
            });
            self.escalate_sla_event(tx, clock, kind, at, notify).await?;
            self.publish_sla_event(tx, clock, kind, at).await?;
        }
        Ok(true)
    }

    /// A warning or breach: tells the roles the policy names and the clock's agent through
    /// the outbox, and appends it to the audit log — in the firing's transaction, so both
    /// happen exactly once.
    async fn escalate_sla_event(
        &self,
        tx: &mut dyn Tx,
        clock: &SlaClockRecord,
        kind: SlaEventKind,
        at: Timestamp,
        roles: &[Role],
    ) -> Result<(), AppError> {
        let mut people: Vec<User> = Vec::new();
        for role in roles {
            for u in tx
                .list_users(&UserFilter {
                    role: Some(*role),
                    limit: 500,
                    ..Default::default()
                })
                .await?
            {
                if !people.iter().any(|p| p.id == u.id) {
                    people.push(u);
                }
            }
        }
        if let Some(agent) = clock.agent_id {
            if let Some(u) = tx.get_user(agent).await? {
                if !people.iter().any(|p| p.id == u.id) {
                    people.push(u);
                }
            }
        }
        people.retain(|u| u.disabled_at.is_none());
        let key = clock.clock.target_key();
        let target = tx.get_sla_policy(key).await?.map(|p| p.target);
        let (reference, link) = match clock.subject_type.as_str() {
            "ticket" => {
                let number = match clock.subject_id.parse::<Uuid>() {
                    Ok(id) => tx.ticket_number(id).await?,
                    Err(_) => None,
                };
                (
                    number.unwrap_or_else(|| clock.subject_id.clone()),
                    format!("/desk/tickets/{}", clock.subject_id),
                )
            }
            other => (format!("{other} {}", clock.subject_id), String::new()),
        };
        let mut due = clock
            .clock
            .due_at()
            .to_zoned(china_time_zone())
            .strftime("%Y-%m-%d %H:%M")
            .to_string();
        if clock.clock.provisional() {
            // Computed on a year without the State Council's holiday arrangement.
            due.push_str("（暂定 / provisional）");
        }
        let mut vars = BTreeMap::new();
        vars.insert(
            "target_zh".to_string(),
            target
                .as_ref()
                .map(|t| t.name_zh.to_string())
                .unwrap_or_else(|| key.to_string()),
        );
        vars.insert(
            "target_en".to_string(),
            target
                .as_ref()
                .map(|t| t.name_en.to_string())
                .unwrap_or_else(|| key.to_string()),
        );
        vars.insert("reference".to_string(), reference);
        vars.insert("due".to_string(), due);
        vars.insert("link".to_string(), link);
        let template = match kind {
            SlaEventKind::Warning => "sla.warning",
            _ => "sla.breach",
        };
        let batch: Vec<Notification> = people
            .iter()
            .map(|u| Notification {
                template_key: template.to_string(),
                recipient: staff_recipient(u),
                vars: vars.clone(),
                related: Some((clock.subject_type.clone(), clock.subject_id.clone())),
                emergency: false,
                attachments: Vec::new(),
            })
            .collect();
        let notified = self.enqueue_alerts(tx, &batch).await?;
        self.append_audit(
            tx,
            &NewAuditEntry {
                id: Uuid::now_v7(),
                at: self.now(),
                actor_id: None,
                actor_name: format!("sla-engine@{}", self.node()),
                action: match kind {
                    SlaEventKind::Warning => AuditAction::SlaWarning,
                    _ => AuditAction::SlaBreach,
                }
                .code()
                .into(),
                entity_type: "sla_clock".into(),
                entity_id: Some(clock.id.to_string()),
                summary: serde_json::json!({
                    "target_key": key,
                    "subject_type": clock.subject_type,
                    "subject_id": clock.subject_id,
                    "at": at.to_string(),
                    "notified": notified,
                })
                .to_string(),
            },
        )
        .await?;
        tracing::info!(
            event = %format!("sla_{}", kind.as_str()),
            clock_id = %clock.id,
            target_key = %key,
            notified,
            "SLA {}",
            kind.as_str()
        );
        Ok(())
    }
}
