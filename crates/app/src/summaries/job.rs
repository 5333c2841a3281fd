//! The scheduled e-mail of the summaries: every morning at [`SEND_AT_HOUR`]:00 (China time)
//! the recurring job [`SendSummaries`] looks at the last ended week and month; one not yet
//! sent is built, printed (PDF) and tabulated (XLSX) in `prepare` — outside any write
//! transaction — and `run` records it in `summaries_sent` and enqueues one e-mail per manager
//! with both files attached, in the job's transaction. The record's primary key (cadence,
//! period) makes the second run of the same period — on this node or another — send
//! nothing, so Monday's run sends last week's summary and the 1st's last month's, exactly
//! once; a node down that morning catches up the next.

use super::document::{self, file_name};
use crate::jobs::PreparedJobHandler;
use crate::notify::{Notification, Recipient};
use crate::{App, AppError};
use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use tripdesk_domain::identity::Role;
use tripdesk_domain::summaries::{Cadence, SummaryPeriod};
use tripdesk_store::{Attachment, Tx, UserFilter};

/// The local hour the summaries go out.
pub const SEND_AT_HOUR: i8 = 8;

/// The notification template of the e-mail (`notify::DEFAULT_TEMPLATES`).
pub const SUMMARY_TEMPLATE: &str = "quality.summary";

/// The recurring job.
pub struct SendSummaries;

/// What the job carries (nothing: it looks at today).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct SendSummariesPayload {}

/// A summary ready to send: its period, its files and the template's variables.
pub struct ReadySummary {
    period: SummaryPeriod,
    vars: BTreeMap<String, String>,
    attachments: Vec<Attachment>,
}

impl App {
    /// The addresses the summaries go to: the configured list, else every active supervisor
    /// and administrator with an e-mail address (with their language), each once.
    async fn summary_recipients(
        &self,
        tx: &mut dyn Tx,
    ) -> Result<Vec<(String, Option<String>)>, AppError> {
        let mut out: Vec<(String, Option<String>)> = Vec::new();
        let mut add = |email: String, locale: Option<String>| {
            if !out.iter().any(|(e, _)| e.eq_ignore_ascii_case(&email)) {
                out.push((email, locale));
            }
        };
        if !self.settings.summary_recipients.is_empty() {
            for email in &self.settings.summary_recipients {
                add(email.clone(), None);
            }
            return Ok(out);
        }
        for role in [Role::Supervisor, Role::Admin] {
            let users = tx
                .list_users(&UserFilter {
                    role: Some(role),
                    limit: 1000,
                    ..Default::default()
                })
                .await?;
            for u in users {
                if let Some(email) = u.email.filter(|e| !e.trim().is_empty()) {
                    add(email, Some(u.locale));
                }
            }
        }
        Ok(out)
    }

    /// The last ended week and month whose summary was not sent yet, built with their PDF
    /// and XLSX (reads only).
    pub async fn summaries_due(&self) -> Result<Vec<ReadySummary>, AppError> {
        let today = self.today();
        let org_name = self
            .store
            .read()
            .await?
            .get_organization()
            .await?
            .map(|o| o.name)
            .unwrap_or_default();
        let mut out = Vec::new();
        for cadence in Cadence::ALL {
            let period = SummaryPeriod::last_ended(cadence, today);
            let sent = self
                .store
                .read()
                .await?
                .summary_sent_at(cadence.as_str(), period.from)
                .await?;
            if sent.is_some() {
                continue;
            }
            let summary = self.build_summary(period).await?;
            let pdf = self
                .render_pdf(document::pdf_document(&summary, &org_name))
                .await?;
            let xlsx = document::workbook(&summary)?;
            let t = &summary.tally;
            let vars = BTreeMap::from([
                ("title".to_string(), document::title(cadence).to_string()),
                ("period".to_string(), period.title_zh()),
                ("period_en".to_string(), period.title_en()),
                ("complaints".to_string(), t.total.to_string()),
                ("resolved".to_string(), t.resolved.to_string()),
                (
                    "compensation".to_string(),
                    tripdesk_domain::catalog::yuan(t.compensation_fen),
                ),
                ("drills".to_string(), summary.drills.len().to_string()),
                ("organization".to_string(), org_name.clone()),
            ]);
            out.push(ReadySummary {
                period,
                vars,
                attachments: vec![
                    Attachment {
                        filename: file_name(&summary, "pdf"),
                        content_type: "application/pdf".into(),
                        content: pdf,
                    },
                    Attachment {
                        filename: file_name(&summary, "xlsx"),
                        content_type: tripdesk_sheets::Format::Xlsx.content_type().into(),
                        content: xlsx,
                    },
                ],
            });
        }
        Ok(out)
    }

    /// Records each ready summary as sent and enqueues its e-mails, in `tx`; a period
    /// recorded before (another run, another node) sends nothing. Returns how many e-mails.
    pub async fn send_summaries(
        &self,
        tx: &mut dyn Tx,
        ready: Vec<ReadySummary>,
    ) -> Result<usize, AppError> {
        let recipients = self.summary_recipients(tx).await?;
        let mut sent = 0;
        for s in ready {
            let first = tx
                .record_summary_sent(
                    s.period.cadence.as_str(),
                    s.period.from,
                    recipients.len() as i64,
                    self.now(),
                )
                .await?;
            if !first || recipients.is_empty() {
                continue;
            }
            let notifications: Vec<Notification> = recipients
                .iter()
                .map(|(email, locale)| Notification {
                    template_key: SUMMARY_TEMPLATE.into(),
                    recipient: Recipient {
                        preference_key: None,
                        customer_id: None,
                        email: Some(email.clone()),
                        user_id: None,
                        locale: locale.clone(),
                    },
                    vars: s.vars.clone(),
                    related: Some((
                        "summary".into(),
                        format!("{}:{}", s.period.cadence.as_str(), s.period.from),
                    )),
                    emergency: false,
                    attachments: s.attachments.clone(),
                })
                .collect();
            sent += self.enqueue_notifications(tx, &notifications).await?.len();
        }
        Ok(sent)
    }
}

#[async_trait]
impl PreparedJobHandler for SendSummaries {
    const KIND: &'static str = "summaries.send";
    type Payload = SendSummariesPayload;
    type Prepared = Vec<ReadySummary>;

    async fn prepare(
        &self,
        app: &App,
        _payload: &Self::Payload,
    ) -> Result<Self::Prepared, AppError> {
        app.summaries_due().await
    }

    async fn run(
        &self,
        app: &App,
        tx: &mut dyn Tx,
        _payload: Self::Payload,
        ready: Self::Prepared,
    ) -> Result<(), AppError> {
        let sent = app.send_summaries(tx, ready).await?;
        if sent > 0 {
            tracing::info!(emails = sent, "periodic summaries enqueued");
        }
        Ok(())
    }
}
