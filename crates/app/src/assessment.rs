//! Staff assessment (issue 18 item 4, seed 004 §六.3): a monthly cycle — a supervisor opens
//! the month, ratings are collected while it is open, the supervisor closes it — scored by
//! `tripdesk_domain::assessment`.
//!
//! Sources: customers' satisfaction from the surveys answered in the month (the ticket's
//! assignee, else who took it in, is the agent rated); supervisor ratings (`assess_staff`);
//! peer and self ratings (`rate_colleagues`). Beside the scores: trainings attended in the
//! month (recorded by supervisors) and emergency drills the agent was on the team of (from
//! the emergency capability). Results per agent and per department need `view_reports`.
//! Rewards and corrections are recorded on a cycle (`assess_staff`). Every write is audited.

use crate::{check_optional_text, check_text, App, AppError, FieldError, Lines, Principal};
use jiff::civil::Date;
use jiff::Timestamp;
use serde_json::json;
use std::collections::HashMap;
use tripdesk_domain::assessment::{
    check_rating, department_score, parse_month, score, ActionKind, CycleState, Marks, RaterKind,
    Rating, Score, Subject,
};
use tripdesk_domain::audit::AuditAction;
use tripdesk_domain::identity::{Permission, Role};
use tripdesk_store::{
    AssessmentAction, AssessmentCycle, StaffRating, TrainingRecord, Tx, User, UserFilter,
};
use uuid::Uuid;

/// A rating as entered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RatingInput {
    pub ratee_id: Uuid,
    pub kind: RaterKind,
    pub marks: Marks,
    pub comment: Option<String>,
}

/// A training as entered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrainingInput {
    pub user_id: Uuid,
    pub title: String,
    pub on_date: Date,
    /// Tenths of an hour, 1–240.
    pub hours_tenths: i64,
}

/// A reward or correction as entered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActionInput {
    pub subject: Subject,
    pub subject_id: Uuid,
    pub kind: ActionKind,
    pub note: String,
}

/// One agent's result in a month.
#[derive(Debug, Clone, PartialEq)]
pub struct AgentResult {
    pub user_id: Uuid,
    pub name: String,
    pub department_id: Option<Uuid>,
    /// The department's name in Chinese and English (empty without one).
    pub department: String,
    pub department_en: String,
    pub score: Score,
    pub trainings: usize,
    pub training_hours_tenths: i64,
    pub drills: u64,
}

/// One department's result in a month.
#[derive(Debug, Clone, PartialEq)]
pub struct DepartmentResult {
    pub id: Option<Uuid>,
    /// In Chinese and English (empty: staff without a department).
    pub name: String,
    pub name_en: String,
    pub agents: usize,
    pub score: Option<f64>,
}

/// A month's results.
#[derive(Debug, Clone, PartialEq)]
pub struct AssessmentResults {
    pub cycle: AssessmentCycle,
    /// Best score first (unscored last), then by name.
    pub agents: Vec<AgentResult>,
    pub departments: Vec<DepartmentResult>,
    pub actions: Vec<AssessmentAction>,
    pub trainings: Vec<TrainingRecord>,
    /// The ratings entered in the cycle (supervisor, peer, self).
    pub ratings: Vec<StaffRating>,
}

/// The staff who are assessed: active, with a front-line, handling or follow-up role.
fn assessed(u: &User) -> bool {
    u.disabled_at.is_none()
        && u.roles
            .iter()
            .any(|r| matches!(r, Role::Agent | Role::Handler | Role::FollowUp))
}

fn month_error(month: &str) -> AppError {
    AppError::Validation(vec![FieldError::new(
        "month",
        "invalid",
        format!("`{month}` is not a month (YYYY-MM)"),
    )])
}

impl App {
    /// The instants a month covers, in China time: `[first day 00:00, next month 00:00)`.
    fn month_window(&self, month: &str) -> Result<(Date, Date, Timestamp, Timestamp), AppError> {
        let first = parse_month(month).ok_or_else(|| month_error(month))?;
        let next = first
            .checked_add(jiff::Span::new().months(1))
            .map_err(|_| month_error(month))?;
        let tz = tripdesk_domain::calendar::china_time_zone();
        let start = first
            .to_zoned(tz.clone())
            .map_err(|e| AppError::Internal(e.to_string()))?
            .timestamp();
        let end = next
            .to_zoned(tz)
            .map_err(|e| AppError::Internal(e.to_string()))?
            .timestamp();
        Ok((first, next, start, end))
    }

    async fn cycle_of(&self, tx: &mut dyn Tx, month: &str) -> Result<AssessmentCycle, AppError> {
        tx.get_cycle(month)
            .await?
            .ok_or(AppError::NotFound("assessment month"))
    }

    fn require_open(cycle: &AssessmentCycle) -> Result<(), AppError> {
        match cycle.state {
            CycleState::Open => Ok(()),
            CycleState::Closed => Err(AppError::Conflict {
                code: "assessment_closed",
                message: format!("the assessment of {} is closed", cycle.month),
                field: None,
            }),
        }
    }

    /// Opens a month's assessment (`assess_staff`). 409 `assessment_exists` when it was
    /// opened before; a month after the current one is refused.
    pub async fn open_assessment(
        &self,
        p: &Principal,
        month: &str,
    ) -> Result<AssessmentCycle, AppError> {
        p.require(Permission::AssessStaff)?;
        let (first, ..) = self.month_window(month)?;
        let today = self.today();
        if first > today {
            return Err(AppError::Validation(vec![FieldError::new(
                "month",
                "future",
                "a month can be opened from its first day",
            )]));
        }
        let now = self.now();
        let cycle = AssessmentCycle {
            id: Uuid::now_v7(),
            month: month.to_string(),
            state: CycleState::Open,
            opened_by: p.user_id,
            opened_at: now,
            closed_by: None,
            closed_at: None,
        };
        let mut tx = self.store.write().await?;
        if tx.get_cycle(month).await?.is_some() {
            return Err(AppError::Conflict {
                code: "assessment_exists",
                message: format!("the assessment of {month} is already open or closed"),
                field: Some("month".into()),
            });
        }
        tx.insert_cycle(&cycle).await?;
        self.audit(
            &mut *tx,
            p,
            AuditAction::AssessmentOpen,
            "assessment",
            Some(month.to_string()),
            json!({ "month": month }),
        )
        .await?;
        tx.commit().await?;
        Ok(cycle)
    }

    /// Closes a month's assessment (`assess_staff`): no rating changes after.
    pub async fn close_assessment(
        &self,
        p: &Principal,
        month: &str,
    ) -> Result<AssessmentCycle, AppError> {
        p.require(Permission::AssessStaff)?;
        let mut tx = self.store.write().await?;
        let cycle = self.cycle_of(&mut *tx, month).await?;
        Self::require_open(&cycle)?;
        let now = self.now();
        if !tx.close_cycle(cycle.id, p.user_id, now).await? {
            return Err(AppError::Conflict {
                code: "assessment_closed",
                message: format!("the assessment of {month} is closed"),
                field: None,
            });
        }
        self.audit(
            &mut *tx,
            p,
            AuditAction::AssessmentClose,
            "assessment",
            Some(month.to_string()),
            json!({ "month": month }),
        )
        .await?;
        tx.commit().await?;
        Ok(AssessmentCycle {
            state: CycleState::Closed,
            closed_by: Some(p.user_id),
            closed_at: Some(now),
            ..cycle
        })
    }

    /// The months, newest first (anyone who rates or reads results).
    pub async fn list_assessments(
        &self,
        p: &Principal,
        limit: u32,
        offset: u32,
    ) -> Result<Vec<AssessmentCycle>, AppError> {
        if !(p.can(Permission::RateColleagues) || p.can(Permission::ViewReports)) {
            return Err(AppError::Forbidden("rate_colleagues"));
        }
        let mut tx = self.store.read().await?;
        Ok(tx.list_cycles(limit, offset).await?)
    }

    /// The staff who may be rated (for the forms): active front-line, handling and
    /// follow-up staff, by name.
    pub async fn assessed_staff(&self, p: &Principal) -> Result<Vec<User>, AppError> {
        if !(p.can(Permission::RateColleagues) || p.can(Permission::ViewReports)) {
            return Err(AppError::Forbidden("rate_colleagues"));
        }
        let mut tx = self.store.read().await?;
        let mut users: Vec<User> = tx
            .list_users(&UserFilter {
                limit: 10_000,
                ..Default::default()
            })
            .await?
            .into_iter()
            .filter(assessed)
            .collect();
        users.sort_by(|a, b| a.display_name.cmp(&b.display_name));
        Ok(users)
    }

    /// Enters a rating in an open month: supervisor ratings need `assess_staff`, peer and
    /// self ratings `rate_colleagues`. Entering it again replaces it.
    pub async fn rate_staff(
        &self,
        p: &Principal,
        month: &str,
        input: &RatingInput,
    ) -> Result<StaffRating, AppError> {
        match input.kind {
            RaterKind::Supervisor => p.require(Permission::AssessStaff)?,
            _ => p.require(Permission::RateColleagues)?,
        }
        let mut fields = Vec::new();
        let comment = check_optional_text(
            &mut fields,
            "comment",
            input.comment.as_deref(),
            500,
            Lines::Many,
        );
        if let Err(e) = check_rating(input.kind, input.ratee_id == p.user_id, &input.marks) {
            fields.push(FieldError::new(
                match e {
                    tripdesk_domain::assessment::RatingError::OutOfRange
                    | tripdesk_domain::assessment::RatingError::Empty => "marks",
                    _ => "ratee_id",
                },
                e.code(),
                e.to_string(),
            ));
        }
        if !fields.is_empty() {
            return Err(AppError::Validation(fields));
        }
        let mut tx = self.store.write().await?;
        let cycle = self.cycle_of(&mut *tx, month).await?;
        Self::require_open(&cycle)?;
        let ratee = tx
            .get_user(input.ratee_id)
            .await?
            .filter(assessed)
            .ok_or_else(|| {
                AppError::Validation(vec![FieldError::new(
                    "ratee_id",
                    "unknown",
                    "no active member of staff who is assessed has this id",
                )])
            })?;
        let rating = StaffRating {
            id: Uuid::now_v7(),
            cycle_id: cycle.id,
            ratee_id: ratee.id,
            rater_id: p.user_id,
            kind: input.kind,
            marks: input.marks,
            comment,
            at: self.now(),
        };
        tx.put_rating(&rating).await?;
        self.audit(
            &mut *tx,
            p,
            AuditAction::AssessmentRate,
            "assessment",
            Some(month.to_string()),
            json!({ "ratee": ratee.username, "kind": input.kind.as_str() }),
        )
        .await?;
        tx.commit().await?;
        Ok(rating)
    }

    /// Records a training attended (`assess_staff`).
    pub async fn record_training(
        &self,
        p: &Principal,
        input: &TrainingInput,
    ) -> Result<TrainingRecord, AppError> {
        p.require(Permission::AssessStaff)?;
        let mut fields = Vec::new();
        let title = check_text(&mut fields, "title", &input.title, 100, Lines::One);
        if !(1..=240).contains(&input.hours_tenths) {
            fields.push(FieldError::new(
                "hours",
                "range",
                "hours are from 0.1 to 24",
            ));
        }
        if !fields.is_empty() {
            return Err(AppError::Validation(fields));
        }
        let mut tx = self.store.write().await?;
        let user = tx
            .get_user(input.user_id)
            .await?
            .filter(|u| u.disabled_at.is_none())
            .ok_or_else(|| {
                AppError::Validation(vec![FieldError::new(
                    "user_id",
                    "unknown",
                    "no active member of staff has this id",
                )])
            })?;
        let record = TrainingRecord {
            id: Uuid::now_v7(),
            user_id: user.id,
            title,
            on_date: input.on_date,
            hours_tenths: input.hours_tenths,
            recorded_by: p.user_id,
            recorded_at: self.now(),
        };
        tx.insert_training(&record).await?;
        self.audit(
            &mut *tx,
            p,
            AuditAction::TrainingRecord,
            "training",
            Some(record.id.to_string()),
            json!({ "user": user.username, "title": record.title, "on": record.on_date.to_string() }),
        )
        .await?;
        tx.commit().await?;
        Ok(record)
    }

    /// Records a reward or correction on a month's results (`assess_staff`).
    pub async fn record_assessment_action(
        &self,
        p: &Principal,
        month: &str,
        input: &ActionInput,
    ) -> Result<AssessmentAction, AppError> {
        p.require(Permission::AssessStaff)?;
        let mut fields = Vec::new();
        let note = check_text(&mut fields, "note", &input.note, 500, Lines::Many);
        if !fields.is_empty() {
            return Err(AppError::Validation(fields));
        }
        let mut tx = self.store.write().await?;
        let cycle = self.cycle_of(&mut *tx, month).await?;
        let known = match input.subject {
            Subject::Agent => tx.get_user(input.subject_id).await?.is_some(),
            Subject::Department => tx
                .list_departments()
                .await?
                .iter()
                .any(|d| d.id == input.subject_id),
        };
        if !known {
            return Err(AppError::Validation(vec![FieldError::new(
                "subject_id",
                "unknown",
                format!("no {} has this id", input.subject.as_str()),
            )]));
        }
        let action = AssessmentAction {
            id: Uuid::now_v7(),
            cycle_id: cycle.id,
            subject: input.subject,
            subject_id: input.subject_id,
            kind: input.kind,
            note,
            recorded_by: p.user_id,
            recorded_at: self.now(),
        };
        tx.insert_assessment_action(&action).await?;
        self.audit(
            &mut *tx,
            p,
            AuditAction::AssessmentAction,
            "assessment",
            Some(month.to_string()),
            json!({
                "subject": input.subject.as_str(),
                "subject_id": input.subject_id,
                "kind": input.kind.as_str(),
            }),
        )
        .await?;
        tx.commit().await?;
        Ok(action)
    }

    /// A month's results per agent and per department (`view_reports`).
    pub async fn assessment_results(
        &self,
        p: &Principal,
        month: &str,
    ) -> Result<AssessmentResults, AppError> {
        p.require(Permission::ViewReports)?;
        let (first, next, start, end) = self.month_window(month)?;
        let mut tx = self.store.read().await?;
        let cycle = self.cycle_of(&mut *tx, month).await?;
        let ratings = tx.list_ratings(cycle.id).await?;
        let customers = tx.survey_satisfaction(start, end).await?;
        let drills: HashMap<Uuid, u64> = tx.drill_counts(start, end).await?.into_iter().collect();
        let trainings = tx.list_training(first, next).await?;
        let actions = tx.list_assessment_actions(cycle.id).await?;
        let departments = tx.list_departments().await?;
        let users = tx
            .list_users(&UserFilter {
                limit: 10_000,
                ..Default::default()
            })
            .await?;
        let dept_name = |id: Option<Uuid>| {
            id.and_then(|id| departments.iter().find(|d| d.id == id))
                .map(|d| (d.name_zh.clone(), d.name_en.clone()))
                .unwrap_or_default()
        };
        let mut agents: Vec<AgentResult> =
            users
                .iter()
                .filter(|u| assessed(u))
                .map(|u| {
                    let mut mine: Vec<Rating> = ratings
                        .iter()
                        .filter(|r| r.ratee_id == u.id)
                        .map(|r| Rating {
                            kind: r.kind,
                            marks: r.marks,
                        })
                        .collect();
                    mine.extend(customers.iter().filter(|(a, _)| *a == u.id).map(|(_, s)| {
                        Rating {
                            kind: RaterKind::Customer,
                            marks: [Some(*s), None, None, None, None],
                        }
                    }));
                    let trained: Vec<&TrainingRecord> =
                        trainings.iter().filter(|t| t.user_id == u.id).collect();
                    AgentResult {
                        user_id: u.id,
                        name: u.display_name.clone(),
                        department_id: u.department_id,
                        department: dept_name(u.department_id).0,
                        department_en: dept_name(u.department_id).1,
                        score: score(&mine),
                        trainings: trained.len(),
                        training_hours_tenths: trained.iter().map(|t| t.hours_tenths).sum(),
                        drills: drills.get(&u.id).copied().unwrap_or(0),
                    }
                })
                .collect();
        agents.sort_by(|a, b| {
            b.score
                .weighted
                .unwrap_or(-1.0)
                .total_cmp(&a.score.weighted.unwrap_or(-1.0))
                .then_with(|| a.name.cmp(&b.name))
        });
        let mut by_dept: Vec<DepartmentResult> = Vec::new();
        for a in &agents {
            if !by_dept.iter().any(|d| d.id == a.department_id) {
                let members: Vec<Option<f64>> = agents
                    .iter()
                    .filter(|x| x.department_id == a.department_id)
                    .map(|x| x.score.weighted)
                    .collect();
                by_dept.push(DepartmentResult {
                    id: a.department_id,
                    name: a.department.clone(),
                    name_en: a.department_en.clone(),
                    agents: members.len(),
                    score: department_score(&members),
                });
            }
        }
        by_dept.sort_by(|a, b| {
            b.score
                .unwrap_or(-1.0)
                .total_cmp(&a.score.unwrap_or(-1.0))
                .then_with(|| a.name.cmp(&b.name))
        });
        Ok(AssessmentResults {
            cycle,
            agents,
            departments: by_dept,
            actions,
            trainings,
            ratings,
        })
    }

    /// The ratings `p` entered in a month (to show what they gave).
    pub async fn my_ratings(
        &self,
        p: &Principal,
        month: &str,
    ) -> Result<Vec<StaffRating>, AppError> {
        let mut tx = self.store.read().await?;
        let cycle = self.cycle_of(&mut *tx, month).await?;
        Ok(tx
            .list_ratings(cycle.id)
            .await?
            .into_iter()
            .filter(|r| r.rater_id == p.user_id)
            .collect())
    }
}
