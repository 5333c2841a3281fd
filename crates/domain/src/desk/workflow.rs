//! The complaint workflow (seed 001): received → triaged → assigned → contacted →
//! investigating → solution proposed → resolved → result reported → follow-up scheduled →
//! followed up → closed, with reopening. [`decide`] checks one step against the state, the
//! actor and the ticket's facts, and returns the next state with the effects the use case
//! must carry out in the same transaction (SLA clocks, notifications, tasks).

use super::{Audience, Level};
use crate::identity::{roles_grant, Permission, Role};
use serde::{Deserialize, Serialize};
use std::fmt;

/// Where a complaint stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum State {
    Received,
    Triaged,
    Assigned,
    Contacted,
    Investigating,
    SolutionProposed,
    Resolved,
    ResultReported,
    FollowUpScheduled,
    FollowedUp,
    Closed,
    Reopened,
}

impl State {
    pub const ALL: [State; 12] = [
        State::Received,
        State::Triaged,
        State::Assigned,
        State::Contacted,
        State::Investigating,
        State::SolutionProposed,
        State::Resolved,
        State::ResultReported,
        State::FollowUpScheduled,
        State::FollowedUp,
        State::Closed,
        State::Reopened,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            State::Received => "received",
            State::Triaged => "triaged",
            State::Assigned => "assigned",
            State::Contacted => "contacted",
            State::Investigating => "investigating",
            State::SolutionProposed => "solution_proposed",
            State::Resolved => "resolved",
            State::ResultReported => "result_reported",
            State::FollowUpScheduled => "follow_up_scheduled",
            State::FollowedUp => "followed_up",
            State::Closed => "closed",
            State::Reopened => "reopened",
        }
    }

    pub fn parse(s: &str) -> Option<State> {
        State::ALL.into_iter().find(|st| st.as_str() == s)
    }

    /// Open means someone still owes the customer something.
    pub fn is_open(self) -> bool {
        self != State::Closed
    }
}

impl fmt::Display for State {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The steps a user can take. Data that a step carries (notes, amounts, ratings) is validated
/// here where it decides the outcome, and stored by the use case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(as = TicketStepName))]
pub enum Step {
    /// Set the triage level (初步评估).
    Triage,
    /// Route to a handling group (分派).
    Assign,
    /// Move to another group or handler with a reason; the state does not change.
    Reassign,
    /// The handling group reached the customer (联系客户, within 1 hour of assignment).
    RecordContact,
    StartInvestigation,
    /// Propose (or revise) a solution with compensation.
    ProposeSolution,
    /// A supervisor approves compensation above the threshold.
    ApproveCompensation,
    /// The customer accepted the solution: the complaint is resolved (completion).
    Resolve,
    /// The handling group reports the result to intake (within 24 hours of completion).
    ReportResult,
    /// A follow-up visit is scheduled inside the policy window and assigned.
    ScheduleFollowUp,
    /// The follow-up team records the visit (satisfaction, rating, suggestions).
    RecordFollowUp,
    Close,
    Reopen,
}

impl Step {
    pub const ALL: [Step; 13] = [
        Step::Triage,
        Step::Assign,
        Step::Reassign,
        Step::RecordContact,
        Step::StartInvestigation,
        Step::ProposeSolution,
        Step::ApproveCompensation,
        Step::Resolve,
        Step::ReportResult,
        Step::ScheduleFollowUp,
        Step::RecordFollowUp,
        Step::Close,
        Step::Reopen,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Step::Triage => "triage",
            Step::Assign => "assign",
            Step::Reassign => "reassign",
            Step::RecordContact => "record_contact",
            Step::StartInvestigation => "start_investigation",
            Step::ProposeSolution => "propose_solution",
            Step::ApproveCompensation => "approve_compensation",
            Step::Resolve => "resolve",
            Step::ReportResult => "report_result",
            Step::ScheduleFollowUp => "schedule_follow_up",
            Step::RecordFollowUp => "record_follow_up",
            Step::Close => "close",
            Step::Reopen => "reopen",
        }
    }

    /// The state this step leads to from `from`, or `None` when the step is not allowed there.
    pub fn target(self, from: State) -> Option<State> {
        use State::*;
        match (self, from) {
            (Step::Triage, Received) => Some(Triaged),
            (Step::Assign, Triaged | Reopened) => Some(Assigned),
            (Step::Reassign, Assigned | Contacted | Investigating | SolutionProposed) => Some(from),
            (Step::RecordContact, Assigned) => Some(Contacted),
            (Step::StartInvestigation, Contacted) => Some(Investigating),
            (Step::ProposeSolution, Investigating | SolutionProposed) => Some(SolutionProposed),
            (Step::ApproveCompensation, SolutionProposed) => Some(SolutionProposed),
            (Step::Resolve, SolutionProposed) => Some(Resolved),
            (Step::ReportResult, Resolved) => Some(ResultReported),
            (Step::ScheduleFollowUp, ResultReported) => Some(FollowUpScheduled),
            (Step::RecordFollowUp, FollowUpScheduled) => Some(FollowedUp),
            (Step::Close, FollowedUp) => Some(Closed),
            (Step::Reopen, ResultReported | FollowUpScheduled | FollowedUp | Closed) => {
                Some(Reopened)
            }
            _ => None,
        }
    }

    /// The permission a step needs.
    pub fn permission(self) -> Permission {
        match self {
            Step::Triage | Step::Assign | Step::Reassign | Step::Close | Step::Reopen => {
                Permission::WorkTickets
            }
            Step::RecordContact
            | Step::StartInvestigation
            | Step::ProposeSolution
            | Step::Resolve
            | Step::ReportResult => Permission::HandleComplaints,
            Step::ApproveCompensation => Permission::ApproveCompensation,
            Step::RecordFollowUp => Permission::PerformFollowUp,
            Step::ScheduleFollowUp => Permission::ScheduleFollowUps,
        }
    }
}

impl fmt::Display for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The steps allowed from `state` (what a 409 lists as the allowed next steps).
pub fn next_steps(state: State) -> Vec<Step> {
    Step::ALL
        .into_iter()
        .filter(|s| s.target(state).is_some())
        .collect()
}

/// Who is acting, as far as the rules care.
#[derive(Debug, Clone)]
pub struct Actor<'a> {
    pub roles: &'a [Role],
    /// Member of the ticket's handling group.
    pub in_handling_group: bool,
    /// Took part in handling this ticket (contact, investigation, solution, result).
    pub handled_ticket: bool,
}

/// Kinds of compensation (seed 001: refund, voucher, gift, apology).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CompensationKind {
    Refund,
    Voucher,
    Gift,
    Apology,
}

impl CompensationKind {
    pub const ALL: [CompensationKind; 4] = [
        CompensationKind::Refund,
        CompensationKind::Voucher,
        CompensationKind::Gift,
        CompensationKind::Apology,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            CompensationKind::Refund => "refund",
            CompensationKind::Voucher => "voucher",
            CompensationKind::Gift => "gift",
            CompensationKind::Apology => "apology",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// A proposed compensation; amounts in fen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Compensation {
    pub kind: CompensationKind,
    pub amount_fen: i64,
}

/// The facts of the ticket the rules look at.
#[derive(Debug, Clone)]
pub struct Facts {
    pub level: Level,
    /// The compensation currently proposed, if any.
    pub compensation: Option<Compensation>,
    /// Whether a supervisor approved the current compensation.
    pub compensation_approved: bool,
    /// Amounts strictly above this need a supervisor's approval (configurable; fen).
    pub approval_threshold_fen: i64,
    /// Satisfaction (1–5) of the last follow-up, if any.
    pub last_satisfaction: Option<u8>,
}

impl Facts {
    pub fn needs_approval(&self) -> bool {
        self.compensation
            .is_some_and(|c| c.amount_fen > self.approval_threshold_fen)
            && !self.compensation_approved
    }
}

/// Input some steps carry.
#[derive(Debug, Clone, Default)]
pub struct StepInput {
    pub level: Option<Level>,
    pub compensation: Option<Compensation>,
    /// Follow-up satisfaction 1–5.
    pub satisfaction: Option<u8>,
    /// Overall rating of the agency 1–5.
    pub overall_rating: Option<u8>,
    /// Reason (reassignment, reopening, an unsatisfied follow-up).
    pub reason: Option<String>,
    /// After an unsatisfied follow-up: reopen at once.
    pub reopen: bool,
}

/// Something the use case must do in the same transaction as the state change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    /// Start the SLA clock of this target (key of `sla::DEFAULT_TARGETS` or an admin policy).
    StartClock(&'static str),
    /// Stop (met or breached, as the clock decides) the running clock of this target.
    StopClock(&'static str),
    /// Cancel every running clock of the ticket (closed or reopened).
    CancelClocks,
    Notify(Audience),
    /// A rectification task for the responsible department (unsatisfied customer).
    CreateRectificationTask,
    /// Move straight on to `Reopened` after recording the follow-up.
    ReopenAfterFollowUp,
}

/// Why a step was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StepError {
    /// Not allowed from this state (HTTP 409 with `allowed`).
    #[error("`{step}` is not allowed while the complaint is {state}")]
    WrongState {
        step: Step,
        state: State,
        allowed: Vec<Step>,
    },
    /// The actor's roles lack the permission (HTTP 403).
    #[error("`{step}` needs the permission `{}`", permission.as_str())]
    Forbidden { step: Step, permission: Permission },
    /// Separation of duties: handlers cannot follow up their own complaint (HTTP 403).
    #[error("a member of the handling group, or anyone who handled this complaint, cannot perform its follow-up")]
    SeparationOfDuties,
    /// Compensation above the threshold awaits a supervisor (HTTP 409).
    #[error("the compensation is above the approval threshold and awaits a supervisor's approval")]
    ApprovalRequired,
    /// There is nothing to approve (HTTP 409).
    #[error("no compensation awaits approval")]
    NothingToApprove,
    /// Input missing or out of range (HTTP 422), naming the field.
    #[error("{field}: {message}")]
    Invalid {
        field: &'static str,
        message: &'static str,
    },
}

impl StepError {
    pub fn code(&self) -> &'static str {
        match self {
            StepError::WrongState { .. } => "invalid_transition",
            StepError::Forbidden { .. } => "forbidden",
            StepError::SeparationOfDuties => "separation_of_duties",
            StepError::ApprovalRequired => "approval_required",
            StepError::NothingToApprove => "nothing_to_approve",
            StepError::Invalid { .. } => "invalid",
        }
    }
}

/// The outcome of an allowed step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    pub to: State,
    pub effects: Vec<Effect>,
}

fn rating(field: &'static str, v: Option<u8>) -> Result<u8, StepError> {
    match v {
        Some(r @ 1..=5) => Ok(r),
        Some(_) => Err(StepError::Invalid {
            field,
            message: "must be between 1 and 5",
        }),
        None => Err(StepError::Invalid {
            field,
            message: "is required",
        }),
    }
}

fn has_reason(input: &StepInput) -> bool {
    input
        .reason
        .as_deref()
        .is_some_and(|r| !r.trim().is_empty())
}

/// Whether `actor` may take `step` now, as far as the state, the actor and the ticket's facts
/// decide (the input a step carries is [`decide`]'s to check): the one rule behind both the
/// steps a page offers ([`offered_steps`]) and the refusal of a step taken anyway.
pub fn may_take(
    state: State,
    step: Step,
    actor: &Actor<'_>,
    facts: &Facts,
) -> Result<State, StepError> {
    let Some(to) = step.target(state) else {
        return Err(StepError::WrongState {
            step,
            state,
            allowed: next_steps(state),
        });
    };
    let permission = step.permission();
    if !roles_grant(actor.roles, permission) {
        return Err(StepError::Forbidden { step, permission });
    }
    match step {
        Step::ApproveCompensation if !facts.needs_approval() => Err(StepError::NothingToApprove),
        Step::Resolve if facts.compensation.is_none() => Err(StepError::Invalid {
            field: "compensation",
            message: "propose a solution first",
        }),
        Step::Resolve if facts.needs_approval() => Err(StepError::ApprovalRequired),
        Step::RecordFollowUp if actor.in_handling_group || actor.handled_ticket => {
            Err(StepError::SeparationOfDuties)
        }
        // Closing over an unhappy customer is a supervisor's decision.
        Step::Close
            if facts.last_satisfaction.is_some_and(|s| s <= 2)
                && !actor.roles.contains(&Role::Supervisor) =>
        {
            Err(StepError::Forbidden {
                step,
                permission: Permission::ApproveCompensation,
            })
        }
        _ => Ok(to),
    }
}

/// The steps `actor` may take from `state` on a ticket with these facts, in workflow order:
/// what a page offers (a step it leaves out would be refused by [`decide`]).
pub fn offered_steps(state: State, actor: &Actor<'_>, facts: &Facts) -> Vec<Step> {
    Step::ALL
        .into_iter()
        .filter(|s| may_take(state, *s, actor, facts).is_ok())
        .collect()
}

/// Checks `step` from `state` and returns the next state and the effects.
pub fn decide(
    state: State,
    step: Step,
    actor: &Actor<'_>,
    facts: &Facts,
    input: &StepInput,
) -> Result<Decision, StepError> {
    let to = may_take(state, step, actor, facts)?;
    let mut effects = Vec::new();
    match step {
        Step::Triage => {
            let level = input.level.ok_or(StepError::Invalid {
                field: "level",
                message: "is required",
            })?;
            effects.extend(level.alerts().iter().copied().map(Effect::Notify));
        }
        Step::Assign => {
            effects.push(Effect::StartClock("complaint.contact"));
            effects.push(Effect::Notify(Audience::HandlingGroup));
        }
        Step::Reassign => {
            if !has_reason(input) {
                return Err(StepError::Invalid {
                    field: "reason",
                    message: "a reassignment needs a reason",
                });
            }
            effects.push(Effect::Notify(Audience::HandlingGroup));
        }
        Step::RecordContact => effects.push(Effect::StopClock("complaint.contact")),
        Step::StartInvestigation => {}
        Step::ProposeSolution => {
            let c = input.compensation.ok_or(StepError::Invalid {
                field: "compensation",
                message: "is required (use kind apology with amount 0 for none)",
            })?;
            if c.amount_fen < 0 {
                return Err(StepError::Invalid {
                    field: "compensation.amount_fen",
                    message: "must not be negative",
                });
            }
            if c.kind == CompensationKind::Apology && c.amount_fen != 0 {
                return Err(StepError::Invalid {
                    field: "compensation.amount_fen",
                    message: "an apology has no amount",
                });
            }
            if c.amount_fen > facts.approval_threshold_fen {
                effects.push(Effect::Notify(Audience::Supervisors));
            }
        }
        Step::ApproveCompensation => {}
        Step::Resolve => {
            effects.push(Effect::StartClock("complaint.result_report"));
            effects.push(Effect::StartClock(facts.level.follow_up_target()));
        }
        Step::ReportResult => effects.push(Effect::StopClock("complaint.result_report")),
        Step::ScheduleFollowUp => effects.push(Effect::Notify(Audience::FollowUpTeam)),
        Step::RecordFollowUp => {
            let satisfaction = rating("satisfaction", input.satisfaction)?;
            rating("overall_rating", input.overall_rating)?;
            effects.push(Effect::StopClock(facts.level.follow_up_target()));
            if satisfaction <= 2 {
                if !has_reason(input) {
                    return Err(StepError::Invalid {
                        field: "reason",
                        message: "an unsatisfied follow-up records the reason",
                    });
                }
                effects.push(Effect::CreateRectificationTask);
                effects.push(Effect::Notify(Audience::Supervisors));
                if input.reopen {
                    effects.push(Effect::ReopenAfterFollowUp);
                }
            }
        }
        Step::Close => effects.push(Effect::CancelClocks),
        Step::Reopen => {
            if !has_reason(input) {
                return Err(StepError::Invalid {
                    field: "reason",
                    message: "reopening needs a reason",
                });
            }
            effects.push(Effect::CancelClocks);
            effects.push(Effect::Notify(Audience::Supervisors));
        }
    }
    Ok(Decision { to, effects })
}

#[cfg(test)]
mod tests;
