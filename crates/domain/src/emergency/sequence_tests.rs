//! The channel sequence: the scope's cases by name, then every combination of answer,
//! failed step, trail and reach against the rule's properties.

use super::sequence::*;
use super::{CallOutcome, PersonStatus};
use ContactStep::*;
use StepState::*;

const STATES: [StepState; 4] = [Untried, Underway, Done, Reached];

fn trail(sms: StepState, call: StepState, email: StepState) -> Trail {
    Trail { sms, call, email }
}

const ALL_REACH: Reach = Reach {
    sms: true,
    email: true,
};

#[test]
fn the_first_step_goes_by_itself_when_it_can() {
    assert_eq!(first_step(ALL_REACH), Sms);
    assert_eq!(
        first_step(Reach {
            sms: false,
            email: true
        }),
        Email
    );
    assert_eq!(
        first_step(Reach {
            sms: true,
            email: false
        }),
        Sms
    );
    assert_eq!(first_step(Reach::default()), Call);
}

#[test]
fn the_scopes_cases() {
    let pending = PersonStatus::Pending;
    // An SMS dead or reported undelivered: a call task at once.
    assert_eq!(
        next_step(pending, Sms, &trail(Done, Untried, Untried), ALL_REACH),
        Some(Call)
    );
    // The call not answered, or a wrong number: the email.
    assert_eq!(
        next_step(pending, Call, &trail(Done, Done, Untried), ALL_REACH),
        Some(Email)
    );
    // No email address (or email not configured): nothing more to send; the sweep and the
    // ticket remain.
    let no_email = Reach {
        sms: true,
        email: false,
    };
    assert_eq!(
        next_step(pending, Call, &trail(Done, Done, Untried), no_email),
        None
    );
    // A call task already open (escalated before the SMS died): its outcome decides.
    assert_eq!(
        next_step(pending, Sms, &trail(Done, Underway, Untried), ALL_REACH),
        None
    );
    // A call made before (not answered) when the SMS dies: the email, not a second call.
    assert_eq!(
        next_step(pending, Sms, &trail(Done, Done, Untried), ALL_REACH),
        Some(Email)
    );
    // Emailed first (no mobile to text): the email given up leads to a call.
    let email_only = Reach {
        sms: false,
        email: true,
    };
    assert_eq!(
        next_step(pending, Email, &trail(Untried, Untried, Done), email_only),
        Some(Call)
    );
    // The call after that not answered: every channel tried.
    assert_eq!(
        next_step(pending, Call, &trail(Untried, Done, Done), email_only),
        None
    );
    // The email already sent for this message: not twice.
    assert_eq!(
        next_step(pending, Call, &trail(Done, Done, Done), ALL_REACH),
        None
    );
    // An answer, or a call that reached them, ends the sequence.
    for status in [PersonStatus::Safe, PersonStatus::NeedsHelp] {
        assert_eq!(
            next_step(status, Sms, &trail(Done, Untried, Untried), ALL_REACH),
            None
        );
    }
    assert_eq!(
        next_step(pending, Sms, &trail(Done, Reached, Untried), ALL_REACH),
        None
    );
}

#[test]
fn a_call_task_state_follows_its_outcome() {
    assert_eq!(StepState::of_call(None), Underway);
    assert_eq!(StepState::of_call(Some(CallOutcome::Reached)), Reached);
    assert_eq!(StepState::of_call(Some(CallOutcome::NoAnswer)), Done);
    assert_eq!(StepState::of_call(Some(CallOutcome::WrongNumber)), Done);
}

#[test]
fn steps_have_stable_names() {
    for s in ContactStep::ORDER {
        assert_eq!(ContactStep::parse(s.as_str()), Some(s));
    }
    assert_eq!(ContactStep::parse("wechat"), None);
    assert_eq!(Sms.call_reason().as_str(), "sms_failed");
    assert_eq!(Email.call_reason().as_str(), "email_failed");
}

/// Every answer × failed step × state of each step × reach: the step chosen is reachable,
/// untried and not the failed one; every step passed on the way (in order after the failed
/// one, wrapping) was unreachable or over; and nothing is chosen only when the person
/// answered, was reached, or the search met a step under way or ran out.
#[test]
fn every_combination_follows_the_rule() {
    let mut cases = 0;
    for status in PersonStatus::ALL {
        for failed in ContactStep::ORDER {
            for sms in STATES {
                for call in STATES {
                    for email in STATES {
                        for (rs, re) in [(false, false), (false, true), (true, false), (true, true)]
                        {
                            let t = trail(sms, call, email);
                            let reach = Reach { sms: rs, email: re };
                            let got = next_step(status, failed, &t, reach);
                            check(status, failed, &t, reach, got);
                            cases += 1;
                        }
                    }
                }
            }
        }
    }
    assert_eq!(cases, 3 * 3 * 64 * 4);
}

fn check(
    status: PersonStatus,
    failed: ContactStep,
    t: &Trail,
    reach: Reach,
    got: Option<ContactStep>,
) {
    let ctx = format!("{status:?} {failed:?} {t:?} {reach:?} -> {got:?}");
    let reached = ContactStep::ORDER.iter().any(|s| t.get(*s) == Reached);
    if status != PersonStatus::Pending || reached {
        assert_eq!(got, None, "{ctx}");
        return;
    }
    let at = ContactStep::ORDER
        .iter()
        .position(|s| *s == failed)
        .unwrap();
    let after: Vec<ContactStep> = (1..3).map(|i| ContactStep::ORDER[(at + i) % 3]).collect();
    match got {
        Some(step) => {
            assert_ne!(step, failed, "{ctx}");
            assert!(reach.can(step), "{ctx}");
            assert_eq!(t.get(step), Untried, "{ctx}");
            for passed in after.iter().take_while(|s| **s != step) {
                assert!(
                    !reach.can(*passed) || t.get(*passed) == Done,
                    "passed a step that could go: {ctx}"
                );
            }
        }
        None => {
            // Up to the first reachable step under way, nothing could go.
            for s in &after {
                if reach.can(*s) && t.get(*s) == Underway {
                    break;
                }
                assert!(
                    !reach.can(*s) || t.get(*s) != Untried,
                    "a step could go: {ctx}"
                );
            }
        }
    }
}
