//! A traveler's channels in order until one is confirmed (issue 15 item 5): SMS, then a
//! voice-call task, then email — WeChat slots in after email as a fourth [`ContactStep`]
//! when it exists (issue 17): add it to [`ContactStep::ORDER`] and to [`Reach`], and
//! [`next_step`] needs no other change.
//!
//! The broadcast's first step is the first channel in that order that goes by itself (SMS,
//! else email, else WeChat), or a call when none reaches the person ([`first_step`]): a
//! broadcast to 100,000 people without an SMS provider writes emails, not 100,000 tasks for
//! staff. After that, when a step fails — an SMS or email given up or reported undelivered,
//! a call not answered or to a wrong number — [`next_step`] says what comes next, once the
//! app has read where each step stands for that person ([`Trail`]).

use super::{CallOutcome, CallReason, PersonStatus};

/// One channel of the sequence.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ContactStep {
    Sms,
    /// A voice-call task for staff.
    Call,
    Email,
}

impl ContactStep {
    /// The order of the scope: SMS, then a call, then email (then WeChat).
    pub const ORDER: [ContactStep; 3] = [ContactStep::Sms, ContactStep::Call, ContactStep::Email];

    pub fn as_str(self) -> &'static str {
        match self {
            ContactStep::Sms => "sms",
            ContactStep::Call => "call",
            ContactStep::Email => "email",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ORDER.into_iter().find(|k| k.as_str() == s)
    }

    /// Whether the step goes out by itself (a call is staff's work).
    pub fn automatic(self) -> bool {
        self != ContactStep::Call
    }

    /// The reason of the call task a failed message leads to.
    pub fn call_reason(self) -> CallReason {
        match self {
            ContactStep::Email => CallReason::EmailFailed,
            ContactStep::Sms | ContactStep::Call => CallReason::SmsFailed,
        }
    }
}

/// Which automatic channels can reach the person now: a phone with an SMS provider
/// configured, an email address with email configured. A call can always be tasked (staff
/// find a number: the booking's, the guide's).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Reach {
    pub sms: bool,
    pub email: bool,
}

impl Reach {
    pub fn can(self, step: ContactStep) -> bool {
        match step {
            ContactStep::Sms => self.sms,
            ContactStep::Call => true,
            ContactStep::Email => self.email,
        }
    }
}

/// Where one step stands for one person (for the broadcast message being followed).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum StepState {
    /// Not tried for this message.
    #[default]
    Untried,
    /// Queued, being sent, retried; a call task not yet made: its outcome decides.
    Underway,
    /// Tried and over without a confirmation: sent (delivered or not) with no answer, given
    /// up, a call not answered or to a wrong number.
    Done,
    /// A call that reached the person: they were spoken to.
    Reached,
}

impl StepState {
    /// A call task's state from its outcome (`None`: not made yet).
    pub fn of_call(outcome: Option<CallOutcome>) -> Self {
        match outcome {
            None => StepState::Underway,
            Some(CallOutcome::Reached) => StepState::Reached,
            Some(CallOutcome::NoAnswer | CallOutcome::WrongNumber) => StepState::Done,
        }
    }
}

/// Where each step stands for one person.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Trail {
    pub sms: StepState,
    pub call: StepState,
    pub email: StepState,
}

impl Trail {
    pub fn get(&self, step: ContactStep) -> StepState {
        match step {
            ContactStep::Sms => self.sms,
            ContactStep::Call => self.call,
            ContactStep::Email => self.email,
        }
    }
}

/// The broadcast's first step for someone: the first channel in order that goes by itself
/// and reaches them, else a call.
pub fn first_step(reach: Reach) -> ContactStep {
    ContactStep::ORDER
        .into_iter()
        .find(|s| s.automatic() && reach.can(*s))
        .unwrap_or(ContactStep::Call)
}

/// What comes after `failed` failed for a person whose answer is `status`:
/// - nothing once they answered (safe or needs help: an answer is the confirmation) or a call
///   reached them;
/// - else the next channel in order after the failed one that reaches them and was not
///   tried, wrapping round to the channels before it (someone emailed first because they had
///   no mobile is then called); a step still under way stops the search — its own outcome
///   will decide — and one tried and over is passed;
/// - nothing when every channel was tried.
pub fn next_step(
    status: PersonStatus,
    failed: ContactStep,
    trail: &Trail,
    reach: Reach,
) -> Option<ContactStep> {
    if status != PersonStatus::Pending
        || ContactStep::ORDER
            .iter()
            .any(|s| trail.get(*s) == StepState::Reached)
    {
        return None;
    }
    let n = ContactStep::ORDER.len();
    let at = ContactStep::ORDER.iter().position(|s| *s == failed)?;
    for i in 1..n {
        let step = ContactStep::ORDER[(at + i) % n];
        if !reach.can(step) {
            continue;
        }
        match trail.get(step) {
            StepState::Untried => return Some(step),
            StepState::Underway => return None,
            StepState::Done | StepState::Reached => continue,
        }
    }
    None
}
