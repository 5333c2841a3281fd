//! Callback tasks of missed calls: each missed inbound call — from the CTI or an imported
//! call-detail file — is counted on its number's open task, made with its SLA clock
//! (`callback.missed_call`, 30 minutes on the hotline's 24 h calendar by default) when the
//! number has none; the same caller missing three times is one task counting three. The task
//! is done when an agent records the callback with its outcome, or an answered outbound call
//! reaches the number: the clock stops, met or late. A missed call that turns out answered
//! (its `answered` event came late) is taken off its task, withdrawn when it was the only one.

use crate::page::Page;
use crate::sla::{ClockAction, StartClock};
use crate::{check_optional_text, App, AppError, Lines, Principal};
use jiff::{SignedDuration, Timestamp};
use tripdesk_domain::identity::Permission;
use tripdesk_domain::phone::Direction;
use tripdesk_store::{CallRecord, CallbackFilter, CallbackTask, SlaClockRecord, Tx};
use uuid::Uuid;

/// The SLA policy of a callback.
pub const CALLBACK_TARGET: &str = "callback.missed_call";
/// The SLA clocks' subject type of a callback task.
pub const CALLBACK_SUBJECT: &str = "callback";
/// A missed call that ended longer ago than this when tripdesk learns of it (a call-detail
/// file of last month) is history: it makes no task.
pub const CALLBACK_WINDOW: SignedDuration = SignedDuration::from_hours(24);
/// What an agent may record of a callback.
pub const OUTCOMES: [&str; 4] = ["reached", "no_answer", "voicemail", "wrong_number"];
pub(crate) const TASK_NUMBER_FIELD: &str = "callback_task.number";
pub(crate) const TASK_NOTE_FIELD: &str = "callback_task.note";

/// A callback task with its clock, for the agents' list.
#[derive(Debug, Clone)]
pub struct CallbackView {
    pub task: CallbackTask,
    pub clock: Option<SlaClockRecord>,
}

impl App {
    /// After a call is stored or changed, in its transaction: its callback task follows.
    pub(crate) async fn after_call(
        &self,
        tx: &mut dyn Tx,
        call: &mut CallRecord,
        number: Option<&str>,
    ) -> Result<(), AppError> {
        let now = self.now();
        let Some(index) = call.number_index.clone() else {
            return Ok(());
        };
        match (call.direction, call.answered_at.is_some()) {
            (Direction::Inbound, false) => {
                if call.callback_task_id.is_some() || call.ended_at + CALLBACK_WINDOW < now {
                    return Ok(());
                }
                let task_id = match tx.open_callback_task(&index).await? {
                    Some(mut task) => {
                        task.missed_count += 1;
                        task.first_missed_at = task.first_missed_at.min(call.started_at);
                        task.last_missed_at = task.last_missed_at.max(call.started_at);
                        task.line = call.line.clone();
                        task.customer_id = task.customer_id.or(call.customer_id);
                        tx.update_callback_task(&task).await?;
                        task.id
                    }
                    None => {
                        let id = Uuid::now_v7();
                        let keys = self.vault()?;
                        let task = CallbackTask {
                            id,
                            number_index: Some(index),
                            number_sealed: number.map(|n| {
                                keys.encrypt(TASK_NUMBER_FIELD, &id.to_string(), n)
                                    .into_string()
                            }),
                            customer_id: call.customer_id,
                            line: call.line.clone(),
                            missed_count: 1,
                            first_missed_at: call.started_at,
                            last_missed_at: call.started_at,
                            created_at: now,
                            done_at: None,
                            done_by: None,
                            outcome: None,
                            note_sealed: None,
                            callback_call_id: None,
                        };
                        tx.insert_callback_task(&task).await?;
                        let enabled = tx
                            .get_sla_policy(CALLBACK_TARGET)
                            .await?
                            .is_some_and(|p| p.enabled);
                        if enabled {
                            self.start_sla_clock(
                                tx,
                                StartClock {
                                    subject_type: CALLBACK_SUBJECT.into(),
                                    subject_id: id.to_string(),
                                    target_key: CALLBACK_TARGET.into(),
                                    channel: Some("phone".into()),
                                    ..StartClock::default()
                                },
                            )
                            .await?;
                        }
                        id
                    }
                };
                call.callback_task_id = Some(task_id);
                tx.update_call(call).await?;
            }
            (Direction::Inbound, true) => {
                let Some(task_id) = call.callback_task_id.take() else {
                    return Ok(());
                };
                tx.update_call(call).await?;
                let Some(mut task) = tx.get_callback_task(task_id).await? else {
                    return Ok(());
                };
                if task.done_at.is_some() {
                    return Ok(());
                }
                task.missed_count -= 1;
                if task.missed_count <= 0 {
                    task.done_at = Some(now);
                    task.outcome = Some("withdrawn".into());
                    if let Some(clock) = self.callback_clock(tx, task.id).await? {
                        self.end_clock(tx, &clock).await?;
                    }
                }
                tx.update_callback_task(&task).await?;
            }
            (Direction::Outbound, true) => {
                let Some(mut task) = tx.open_callback_task(&index).await? else {
                    return Ok(());
                };
                if call.started_at < task.first_missed_at {
                    return Ok(());
                }
                task.done_at = Some(now);
                task.outcome = Some("reached".into());
                task.callback_call_id = Some(call.id);
                self.finish_callback(tx, task).await?;
            }
            (Direction::Outbound, false) => {}
        }
        Ok(())
    }

    async fn callback_clock(
        &self,
        tx: &mut dyn Tx,
        task: Uuid,
    ) -> Result<Option<SlaClockRecord>, AppError> {
        Ok(tx
            .active_sla_clock(CALLBACK_SUBJECT, &task.to_string(), CALLBACK_TARGET)
            .await?)
    }

    async fn finish_callback(&self, tx: &mut dyn Tx, task: CallbackTask) -> Result<(), AppError> {
        if let Some(clock) = self.callback_clock(tx, task.id).await? {
            self.sla_clock_action(tx, clock.id, ClockAction::Stop)
                .await?;
        }
        tx.update_callback_task(&task).await?;
        Ok(())
    }

    /// An agent records a callback (needs `work_tickets`): the task is done with its
    /// outcome and note, its clock stopped met or late. 409 when it is done already.
    pub async fn record_callback(
        &self,
        p: &Principal,
        task_id: Uuid,
        outcome: &str,
        note: Option<&str>,
    ) -> Result<CallbackTask, AppError> {
        p.require(Permission::WorkTickets)?;
        let mut fields = Vec::new();
        let outcome = outcome.trim();
        if !OUTCOMES.contains(&outcome) {
            fields.push(crate::FieldError::new(
                "outcome",
                "unknown",
                "outcome must be reached, no_answer, voicemail or wrong_number",
            ));
        }
        let note = check_optional_text(&mut fields, "note", note, 2_000, Lines::Many)
            .filter(|n| !n.is_empty());
        if !fields.is_empty() {
            return Err(AppError::Validation(fields));
        }
        let keys = self.vault()?;
        let mut tx = self.store.write().await?;
        let mut task = tx
            .get_callback_task(task_id)
            .await?
            .ok_or(AppError::NotFound("callback task"))?;
        if task.done_at.is_some() {
            return Err(AppError::Conflict {
                code: "done",
                message: "this callback is recorded already".into(),
                field: None,
            });
        }
        task.done_at = Some(self.now());
        task.done_by = Some(p.user_id).filter(|u| !u.is_nil());
        task.outcome = Some(outcome.to_string());
        task.note_sealed = note.map(|n| {
            keys.encrypt(TASK_NOTE_FIELD, &task.id.to_string(), &n)
                .into_string()
        });
        self.finish_callback(&mut *tx, task.clone()).await?;
        tx.commit().await?;
        Ok(task)
    }

    /// Callback tasks with their clocks (needs `view_desk`): the open ones oldest first, or
    /// all newest first.
    pub async fn list_callbacks(
        &self,
        p: &Principal,
        filter: CallbackFilter,
        limit: u32,
        offset: u64,
    ) -> Result<Page<CallbackView>, AppError> {
        p.require(Permission::ViewDesk)?;
        if filter.customer_id.is_some() {
            p.require(Permission::ViewCustomers)?;
        }
        let mut r = self.store.read().await?;
        let tasks = r
            .list_callback_tasks(&filter, Page::<CallbackTask>::fetch_limit(limit), offset)
            .await?;
        let clocks = if tasks.is_empty() {
            Vec::new()
        } else {
            r.list_sla_clocks(&tripdesk_store::SlaClockFilter {
                subject_type: Some(CALLBACK_SUBJECT.into()),
                subject_ids: tasks.iter().map(|t| t.id.to_string()).collect(),
                target_key: Some(CALLBACK_TARGET.into()),
                ..Default::default()
            })
            .await?
        };
        let views = tasks
            .into_iter()
            .map(|task| {
                let id = task.id.to_string();
                let clock = clocks.iter().rev().find(|c| c.subject_id == id).cloned();
                CallbackView { task, clock }
            })
            .collect();
        Ok(Page::of(views, limit))
    }

    /// A callback task's number, opened to be dialled (never logged).
    pub fn open_callback_number(&self, task: &CallbackTask) -> Result<Option<String>, AppError> {
        let Some(sealed) = &task.number_sealed else {
            return Ok(None);
        };
        let opened =
            crate::customers::open_sealed(self.vault()?, TASK_NUMBER_FIELD, task.id, sealed)?;
        Ok(Some(opened.expose_secret().clone()))
    }

    /// A callback task's note, opened.
    pub fn open_callback_note(&self, task: &CallbackTask) -> Result<Option<String>, AppError> {
        let Some(sealed) = &task.note_sealed else {
            return Ok(None);
        };
        let opened =
            crate::customers::open_sealed(self.vault()?, TASK_NOTE_FIELD, task.id, sealed)?;
        Ok(Some(opened.expose_secret().clone()))
    }
}

/// When a task's clock is due (`None` without a clock).
pub fn due_at(view: &CallbackView) -> Option<Timestamp> {
    view.clock.as_ref().map(|c| c.clock.due_at())
}
