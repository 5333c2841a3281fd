use super::*;
use crate::desk::{Audience, Level};
use crate::identity::Role;
use proptest::prelude::*;

const ALL_ROLES: &[Role] = &[
    Role::Agent,
    Role::Handler,
    Role::FollowUp,
    Role::Supervisor,
    Role::Admin,
];

fn everyone() -> Actor<'static> {
    Actor {
        roles: ALL_ROLES,
        in_handling_group: false,
        handled_ticket: false,
    }
}

fn facts() -> Facts {
    Facts {
        level: Level::General,
        compensation: Some(Compensation {
            kind: CompensationKind::Voucher,
            amount_fen: 10_000,
        }),
        compensation_approved: false,
        approval_threshold_fen: 50_000,
        last_satisfaction: Some(4),
    }
}

fn input_for(step: Step) -> StepInput {
    StepInput {
        level: Some(Level::Important),
        compensation: Some(Compensation {
            kind: CompensationKind::Refund,
            amount_fen: 20_000,
        }),
        satisfaction: Some(4),
        overall_rating: Some(5),
        reason: Some(format!("reason for {step}")),
        reopen: false,
    }
}

/// The whole table: every step from every state is either the documented transition or a
/// WrongState error listing exactly the allowed steps.
#[test]
fn every_state_and_step() {
    let mut allowed_pairs = 0;
    for state in State::ALL {
        for step in Step::ALL {
            let mut f = facts();
            if step == Step::ApproveCompensation {
                f.compensation = Some(Compensation {
                    kind: CompensationKind::Refund,
                    amount_fen: 80_000,
                });
            }
            let result = decide(state, step, &everyone(), &f, &input_for(step));
            match step.target(state) {
                Some(to) => {
                    allowed_pairs += 1;
                    assert_eq!(result.map(|d| d.to), Ok(to), "{step} from {state}");
                }
                None => match result {
                    Err(StepError::WrongState { allowed, .. }) => {
                        assert_eq!(allowed, next_steps(state), "{step} from {state}");
                        assert!(!allowed.contains(&step));
                    }
                    other => panic!("{step} from {state} should be refused, got {other:?}"),
                },
            }
        }
    }
    assert_eq!(allowed_pairs, 21, "the table has 21 transitions");
}

#[test]
fn every_state_is_reachable_and_closed_only_reopens() {
    let mut seen = vec![State::Received];
    let mut frontier = vec![State::Received];
    while let Some(s) = frontier.pop() {
        for step in next_steps(s) {
            let to = step.target(s).unwrap();
            if !seen.contains(&to) {
                seen.push(to);
                frontier.push(to);
            }
        }
    }
    assert_eq!(seen.len(), State::ALL.len());
    assert_eq!(next_steps(State::Closed), vec![Step::Reopen]);
    for s in State::ALL {
        assert_eq!(State::parse(s.as_str()), Some(s));
    }
}

#[test]
fn the_happy_path_starts_and_stops_the_clocks() {
    let actor = everyone();
    let mut f = facts();
    f.level = Level::Important;
    let mut state = State::Received;
    let mut clocks_started = Vec::new();
    let mut clocks_stopped = Vec::new();
    for step in [
        Step::Triage,
        Step::Assign,
        Step::RecordContact,
        Step::StartInvestigation,
        Step::ProposeSolution,
        Step::Resolve,
        Step::ReportResult,
        Step::ScheduleFollowUp,
        Step::RecordFollowUp,
        Step::Close,
    ] {
        let d = decide(state, step, &actor, &f, &input_for(step)).unwrap();
        for e in &d.effects {
            match e {
                Effect::StartClock(k) => clocks_started.push(*k),
                Effect::StopClock(k) => clocks_stopped.push(*k),
                _ => {}
            }
        }
        state = d.to;
    }
    assert_eq!(state, State::Closed);
    assert_eq!(
        clocks_started,
        [
            "complaint.contact",
            "complaint.result_report",
            "complaint.follow_up.important"
        ]
    );
    assert_eq!(
        clocks_stopped, clocks_started,
        "every clock started is stopped"
    );
}

#[test]
fn triage_alerts_by_level() {
    let actor = everyone();
    let d = |level| {
        let input = StepInput {
            level: Some(level),
            ..Default::default()
        };
        decide(State::Received, Step::Triage, &actor, &facts(), &input)
            .unwrap()
            .effects
    };
    assert!(d(Level::General).is_empty());
    assert_eq!(
        d(Level::Important),
        vec![Effect::Notify(Audience::Supervisors)]
    );
    assert_eq!(
        d(Level::Urgent),
        vec![
            Effect::Notify(Audience::Supervisors),
            Effect::Notify(Audience::EmergencyLeader)
        ]
    );
    let missing = decide(
        State::Received,
        Step::Triage,
        &actor,
        &facts(),
        &StepInput::default(),
    );
    assert_eq!(
        missing,
        Err(StepError::Invalid {
            field: "level",
            message: "is required"
        })
    );
}

#[test]
fn compensation_above_the_threshold_needs_a_supervisor() {
    let handler = Actor {
        roles: &[Role::Handler],
        in_handling_group: true,
        handled_ticket: true,
    };
    let supervisor = Actor {
        roles: &[Role::Supervisor],
        in_handling_group: false,
        handled_ticket: false,
    };
    let mut f = facts();
    f.compensation = Some(Compensation {
        kind: CompensationKind::Refund,
        amount_fen: 80_000,
    });
    assert_eq!(
        decide(
            State::SolutionProposed,
            Step::Resolve,
            &handler,
            &f,
            &StepInput::default()
        ),
        Err(StepError::ApprovalRequired)
    );
    let e = decide(
        State::SolutionProposed,
        Step::ApproveCompensation,
        &handler,
        &f,
        &StepInput::default(),
    )
    .unwrap_err();
    assert!(
        matches!(e, StepError::Forbidden { .. }),
        "handlers cannot approve: {e:?}"
    );
    decide(
        State::SolutionProposed,
        Step::ApproveCompensation,
        &supervisor,
        &f,
        &StepInput::default(),
    )
    .unwrap();
    f.compensation_approved = true;
    assert_eq!(
        decide(
            State::SolutionProposed,
            Step::ApproveCompensation,
            &supervisor,
            &f,
            &StepInput::default()
        ),
        Err(StepError::NothingToApprove)
    );
    decide(
        State::SolutionProposed,
        Step::Resolve,
        &handler,
        &f,
        &StepInput::default(),
    )
    .unwrap();
    // At the threshold exactly, no approval is needed.
    f.compensation = Some(Compensation {
        kind: CompensationKind::Refund,
        amount_fen: 50_000,
    });
    f.compensation_approved = false;
    decide(
        State::SolutionProposed,
        Step::Resolve,
        &handler,
        &f,
        &StepInput::default(),
    )
    .unwrap();
    // Proposing above the threshold alerts the supervisors.
    let input = StepInput {
        compensation: Some(Compensation {
            kind: CompensationKind::Refund,
            amount_fen: 50_001,
        }),
        ..Default::default()
    };
    let d = decide(
        State::Investigating,
        Step::ProposeSolution,
        &handler,
        &f,
        &input,
    )
    .unwrap();
    assert_eq!(d.effects, vec![Effect::Notify(Audience::Supervisors)]);
    let bad = StepInput {
        compensation: Some(Compensation {
            kind: CompensationKind::Apology,
            amount_fen: 100,
        }),
        ..Default::default()
    };
    assert!(matches!(
        decide(
            State::Investigating,
            Step::ProposeSolution,
            &handler,
            &f,
            &bad
        ),
        Err(StepError::Invalid { .. })
    ));
}

#[test]
fn separation_of_duties_for_follow_up() {
    let f = facts();
    let input = input_for(Step::RecordFollowUp);
    for (in_group, handled) in [(true, false), (false, true), (true, true)] {
        let actor = Actor {
            roles: &[Role::FollowUp, Role::Handler],
            in_handling_group: in_group,
            handled_ticket: handled,
        };
        assert_eq!(
            decide(
                State::FollowUpScheduled,
                Step::RecordFollowUp,
                &actor,
                &f,
                &input
            ),
            Err(StepError::SeparationOfDuties)
        );
    }
    let independent = Actor {
        roles: &[Role::FollowUp],
        in_handling_group: false,
        handled_ticket: false,
    };
    decide(
        State::FollowUpScheduled,
        Step::RecordFollowUp,
        &independent,
        &f,
        &input,
    )
    .unwrap();
    let handler_only = Actor {
        roles: &[Role::Handler],
        in_handling_group: false,
        handled_ticket: false,
    };
    assert!(matches!(
        decide(
            State::FollowUpScheduled,
            Step::RecordFollowUp,
            &handler_only,
            &f,
            &input
        ),
        Err(StepError::Forbidden { .. })
    ));
}

#[test]
fn an_unsatisfied_follow_up_creates_a_rectification_task_and_may_reopen() {
    let team = Actor {
        roles: &[Role::FollowUp],
        in_handling_group: false,
        handled_ticket: false,
    };
    let mut input = StepInput {
        satisfaction: Some(2),
        overall_rating: Some(2),
        ..Default::default()
    };
    assert_eq!(
        decide(
            State::FollowUpScheduled,
            Step::RecordFollowUp,
            &team,
            &facts(),
            &input
        ),
        Err(StepError::Invalid {
            field: "reason",
            message: "an unsatisfied follow-up records the reason"
        })
    );
    input.reason = Some("退款迟迟未到账".into());
    input.reopen = true;
    let d = decide(
        State::FollowUpScheduled,
        Step::RecordFollowUp,
        &team,
        &facts(),
        &input,
    )
    .unwrap();
    assert!(d.effects.contains(&Effect::CreateRectificationTask));
    assert!(d.effects.contains(&Effect::ReopenAfterFollowUp));
    // Closing over an unhappy customer is for supervisors.
    let mut f = facts();
    f.last_satisfaction = Some(1);
    let agent = Actor {
        roles: &[Role::Agent],
        in_handling_group: false,
        handled_ticket: false,
    };
    assert!(matches!(
        decide(
            State::FollowedUp,
            Step::Close,
            &agent,
            &f,
            &StepInput::default()
        ),
        Err(StepError::Forbidden { .. })
    ));
    let sup = Actor {
        roles: &[Role::Supervisor],
        in_handling_group: false,
        handled_ticket: false,
    };
    decide(
        State::FollowedUp,
        Step::Close,
        &sup,
        &f,
        &StepInput::default(),
    )
    .unwrap();
    for bad in [0, 6] {
        let input = StepInput {
            satisfaction: Some(bad),
            overall_rating: Some(3),
            ..Default::default()
        };
        assert!(matches!(
            decide(
                State::FollowUpScheduled,
                Step::RecordFollowUp,
                &team,
                &facts(),
                &input
            ),
            Err(StepError::Invalid {
                field: "satisfaction",
                ..
            })
        ));
    }
}

#[test]
fn first_response_targets_by_channel() {
    use crate::desk::Channel;
    use crate::sla::SlaTarget;
    for c in Channel::ALL {
        if let Some(key) = c.first_response_target() {
            assert!(
                SlaTarget::default_for(key).is_some(),
                "{key} is a default target"
            );
        }
    }
    for level in [Level::General, Level::Important, Level::Urgent] {
        assert!(SlaTarget::default_for(level.follow_up_target()).is_some());
    }
    let answered: Vec<_> = Channel::ALL
        .into_iter()
        .filter(|c| c.answered_at_intake())
        .collect();
    assert_eq!(answered, [Channel::Phone]);
    assert!(answered.iter().all(|c| c.first_response_target().is_some()));
}

proptest! {
    /// Any sequence of attempted steps only ever moves along the table, and a refused step
    /// leaves the state as it was.
    #[test]
    fn random_walks_follow_the_table(steps in proptest::collection::vec(0usize..13, 1..60)) {
        let mut state = State::Received;
        for i in steps {
            let step = Step::ALL[i];
            let f = facts();
            match decide(state, step, &everyone(), &f, &input_for(step)) {
                Ok(d) => {
                    prop_assert_eq!(Some(d.to), step.target(state));
                    state = d.to;
                }
                Err(StepError::WrongState { allowed, .. }) => prop_assert!(!allowed.contains(&step)),
                // Nothing above the threshold was proposed in these facts.
                Err(StepError::NothingToApprove) => prop_assert_eq!(step, Step::ApproveCompensation),
                Err(e) => prop_assert!(false, "unexpected {:?}", e),
            }
        }
    }
}

/// What a page offers is what `decide` accepts: for every role alone, every state and both
/// sides of the approval and separation rules, a step is offered exactly when taking it with
/// complete input succeeds, and a step not offered is refused for a reason other than input.
#[test]
fn offered_steps_are_the_steps_decide_accepts() {
    let compensations = [
        facts(),
        Facts {
            compensation: Some(Compensation {
                kind: CompensationKind::Refund,
                amount_fen: 80_000,
            }),
            ..facts()
        },
        Facts {
            last_satisfaction: Some(1),
            ..facts()
        },
    ];
    for role in ALL_ROLES {
        for (in_group, handled) in [(false, false), (true, false), (false, true)] {
            let roles = std::slice::from_ref(role);
            let actor = Actor {
                roles,
                in_handling_group: in_group,
                handled_ticket: handled,
            };
            for f in &compensations {
                for state in State::ALL {
                    let offered = offered_steps(state, &actor, f);
                    for step in Step::ALL {
                        let result = decide(state, step, &actor, f, &input_for(step));
                        if offered.contains(&step) {
                            assert!(result.is_ok(), "{role} {step} from {state}: {result:?}");
                        } else {
                            assert!(
                                !matches!(result, Ok(_) | Err(StepError::Invalid { .. })),
                                "{role} {step} from {state}: not offered but {result:?}"
                            );
                        }
                    }
                }
            }
        }
    }
}

/// Seed 001: the follow-up team (回访小组) visits within 3–5 working days of completion, so a
/// follow-up specialist schedules the visit as intake and supervisors do; the handling group,
/// whose work the visit checks, does not.
#[test]
fn who_schedules_a_follow_up() {
    for (role, may) in [
        (Role::Agent, true),
        (Role::FollowUp, true),
        (Role::Supervisor, true),
        (Role::Handler, false),
        (Role::Admin, false),
    ] {
        let roles = [role];
        let actor = Actor {
            roles: &roles,
            in_handling_group: false,
            handled_ticket: false,
        };
        assert_eq!(
            offered_steps(State::ResultReported, &actor, &facts())
                .contains(&Step::ScheduleFollowUp),
            may,
            "{role}"
        );
    }
    // A handler is offered the handling steps only, never the follow-up's.
    let roles = [Role::Handler];
    let handler = Actor {
        roles: &roles,
        in_handling_group: true,
        handled_ticket: true,
    };
    assert_eq!(
        offered_steps(State::Assigned, &handler, &facts()),
        [Step::Reassign, Step::RecordContact]
    );
    assert!(!offered_steps(State::FollowUpScheduled, &handler, &facts())
        .contains(&Step::RecordFollowUp));
}
