//! Conformance of the desk's tickets and views: numbers, queues, the role queues' filters,
//! the "breaching soon" filter, clocks of many tickets in one call, SLA events of a ticket and
//! the supervisor board's counts. Its settings (routing rules, reply templates) are checked in
//! `rules_conformance.rs`.

/// This repository's checks as tests (run by [`conformance_tests!`](crate::conformance_tests)).
#[macro_export]
macro_rules! desk_conformance_tests {
    ($make:expr) => {
        $crate::conformance_tests!(@each $make;
            tickets, tickets_in_bulk, desk_rules_and_templates, desk_queues_and_board,
            role_queue_filters);
    };
}

pub use super::rules_conformance::desk_rules_and_templates;
use crate::conformance::{sample_department, sample_user};
use crate::*;
use jiff::{SignedDuration, Timestamp};
use tripdesk_domain::desk::{Channel, Level, State, TicketKind};
use tripdesk_domain::identity::Role;
use tripdesk_domain::sla::{ClockKind, ClockState, SlaClock, SlaClockParts};
use uuid::Uuid;

fn t(s: &str) -> Timestamp {
    s.parse().expect("test instant")
}

/// A clock of `ticket` in a given state with its instants, built from parts (a breached
/// one breached at `due`).
pub fn sample_ticket_clock(
    ticket: &Ticket,
    key: &str,
    state: ClockState,
    started: Timestamp,
    warn: Option<Timestamp>,
    due: Timestamp,
    stopped: Option<Timestamp>,
) -> SlaClockRecord {
    SlaClockRecord {
        id: Uuid::now_v7(),
        subject_type: "ticket".into(),
        subject_id: ticket.id.to_string(),
        channel: Some("phone".into()),
        department_id: None,
        agent_id: None,
        clock: SlaClock::from_parts(SlaClockParts {
            target_key: key.into(),
            kind: ClockKind::CalendarHours,
            calendar: "hotline".into(),
            state,
            started_at: started,
            due_at: due,
            warn_at: warn,
            opens_at: None,
            paused_at: None,
            paused_total: SignedDuration::ZERO,
            warned: false,
            breached_at: (state == ClockState::Breached).then_some(due),
            stopped_at: stopped,
            last_change_at: started,
            provisional: false,
        }),
        version: 1,
        created_at: started,
    }
}

/// The "breaching soon" filter, the channel filter, every clock of a page of tickets in one
/// call, a ticket's SLA events, and the board of open complaints by state and risk.
pub async fn desk_queues_and_board(store: &dyn Store) {
    let now = t("2026-06-01T10:00:00Z");
    let h = SignedDuration::from_hours;
    let mut on_track = sample_ticket("TB1", Level::General, "2026-06-01T08:00:00Z");
    let mut at_risk = sample_ticket("TB2", Level::Important, "2026-06-01T07:00:00Z");
    let mut breached = sample_ticket("TB3", Level::General, "2026-06-01T06:00:00Z");
    let mut met = sample_ticket("TB4", Level::General, "2026-06-01T05:00:00Z");
    let mut inquiry = sample_ticket("TB5", Level::General, "2026-06-01T04:00:00Z");
    let mut closed = sample_ticket("TB6", Level::General, "2026-06-01T03:00:00Z");
    at_risk.state = State::Assigned;
    breached.state = State::Assigned;
    met.state = State::Investigating;
    inquiry.kind = TicketKind::Inquiry;
    inquiry.channel = Channel::Email;
    closed.state = State::Closed;
    on_track.channel = Channel::Chat;
    let start = t("2026-06-01T09:00:00Z");
    let clocks = vec![
        sample_ticket_clock(
            &on_track,
            "first_response.chat",
            ClockState::Running,
            start,
            Some(now + h(1)),
            now + h(2),
            None,
        ),
        sample_ticket_clock(
            &at_risk,
            "complaint.contact",
            ClockState::Running,
            start,
            Some(now - h(1) / 2),
            now + h(1),
            None,
        ),
        // Past its deadline, not yet fired by the engine: breached all the same.
        sample_ticket_clock(
            &breached,
            "complaint.contact",
            ClockState::Running,
            start,
            Some(now - h(1) / 2),
            now - h(1) / 4,
            None,
        ),
        // A breach already stopped is history, not a risk.
        sample_ticket_clock(
            &met,
            "complaint.contact",
            ClockState::Breached,
            start - h(3),
            Some(start - h(2)),
            start - h(1),
            Some(start),
        ),
        sample_ticket_clock(
            &met,
            "complaint.report",
            ClockState::Met,
            start,
            Some(now - h(1)),
            now - h(1) / 2,
            Some(start + h(1) / 4),
        ),
        sample_ticket_clock(
            &inquiry,
            "first_response.email",
            ClockState::Breached,
            start - h(5),
            None,
            start - h(2),
            None,
        ),
        sample_ticket_clock(
            &closed,
            "complaint.contact",
            ClockState::Breached,
            start - h(5),
            None,
            start - h(2),
            None,
        ),
    ];
    // Two handling groups, for the viewer's scope (`TicketFilter::groups`).
    let group_a = sample_department("scope_a");
    let group_b = sample_department("scope_b");
    at_risk.group_id = Some(group_a.id);
    met.group_id = Some(group_a.id);
    closed.group_id = Some(group_a.id);
    breached.group_id = Some(group_b.id);
    let mut tx = store.write().await.unwrap();
    tx.insert_department(&group_a).await.unwrap();
    tx.insert_department(&group_b).await.unwrap();
    for tk in [&on_track, &at_risk, &breached, &met, &inquiry, &closed] {
        tx.insert_ticket(tk).await.unwrap();
    }
    tx.insert_sla_clocks(&clocks).await.unwrap();
    let event = SlaEventRecord {
        id: Uuid::now_v7(),
        clock_id: clocks[1].id,
        kind: SlaEventKind::Started,
        at: start,
        recorded_at: start,
        node: "test".into(),
        target_key: "complaint.contact".into(),
        subject_type: "ticket".into(),
        subject_id: at_risk.id.to_string(),
    };
    assert!(tx.insert_sla_event(&event).await.unwrap());
    let mut warning = event.clone();
    warning.id = Uuid::now_v7();
    warning.kind = SlaEventKind::Warning;
    warning.at = now - h(1) / 2;
    warning.recorded_at = now;
    assert!(tx.insert_sla_event(&warning).await.unwrap());
    tx.commit().await.unwrap();

    let mut tx = store.read().await.unwrap();
    let numbers = |ts: Vec<Ticket>| ts.into_iter().map(|t| t.number).collect::<Vec<_>>();
    // The two orders of the open tickets: by level then oldest (the work queues), and newest
    // first (the default queue), paged without overlap.
    let by_level = TicketFilter {
        open_only: true,
        limit: 50,
        ..Default::default()
    };
    assert_eq!(
        numbers(tx.list_tickets(&by_level).await.unwrap()),
        ["TB2", "TB5", "TB4", "TB3", "TB1"]
    );
    let newest = |offset| TicketFilter {
        open_only: true,
        order: TicketOrder::Newest,
        limit: 3,
        offset,
        ..Default::default()
    };
    assert_eq!(
        numbers(tx.list_tickets(&newest(0)).await.unwrap()),
        ["TB1", "TB2", "TB3"]
    );
    assert_eq!(
        numbers(tx.list_tickets(&newest(3)).await.unwrap()),
        ["TB4", "TB5"]
    );
    let breaching = TicketFilter {
        sla_risk_at: Some(now),
        open_only: true,
        limit: 50,
        ..Default::default()
    };
    assert_eq!(
        numbers(tx.list_tickets(&breaching).await.unwrap()),
        ["TB2", "TB5", "TB3"],
        "important first, then oldest"
    );
    assert_eq!(tx.count_tickets(&breaching).await.unwrap(), 3);
    let earlier = TicketFilter {
        sla_risk_at: Some(start),
        limit: 50,
        ..Default::default()
    };
    assert_eq!(
        numbers(tx.list_tickets(&earlier).await.unwrap()),
        ["TB6", "TB5"],
        "an hour earlier only the long-breached ones"
    );
    let chat = TicketFilter {
        channel: Some(Channel::Chat),
        limit: 50,
        ..Default::default()
    };
    assert_eq!(numbers(tx.list_tickets(&chat).await.unwrap()), ["TB1"]);

    // The viewer's scope: one group, several, none; lists and counts agree, and the scope
    // combines with the queue's own filters.
    for (groups, open_only, want) in [
        (vec![group_a.id], true, vec!["TB2", "TB4"]),
        (vec![group_a.id], false, vec!["TB2", "TB6", "TB4"]),
        (
            vec![group_a.id, group_b.id],
            true,
            vec!["TB2", "TB4", "TB3"],
        ),
        (vec![], false, vec![]),
    ] {
        let scoped = TicketFilter {
            groups: Some(groups.clone()),
            open_only,
            limit: 50,
            ..Default::default()
        };
        let got = numbers(tx.list_tickets(&scoped).await.unwrap());
        assert_eq!(got, want, "groups {groups:?}, open only {open_only}");
        assert_eq!(tx.count_tickets(&scoped).await.unwrap(), want.len() as u64);
        assert_eq!(
            tx.count_tickets_capped(std::slice::from_ref(&scoped), 1000)
                .await
                .unwrap(),
            [want.len() as u64]
        );
    }
    let scoped_breaching = TicketFilter {
        groups: Some(vec![group_b.id]),
        ..breaching.clone()
    };
    assert_eq!(
        numbers(tx.list_tickets(&scoped_breaching).await.unwrap()),
        ["TB3"]
    );

    let of_page = tx
        .ticket_sla_clocks(&[at_risk.id, met.id, Uuid::now_v7()])
        .await
        .unwrap();
    let mut keys: Vec<_> = of_page
        .iter()
        .map(|c| (c.subject_id.clone(), c.clock.target_key().to_string()))
        .collect();
    keys.sort();
    let mut want = vec![
        (at_risk.id.to_string(), "complaint.contact".to_string()),
        (met.id.to_string(), "complaint.contact".to_string()),
        (met.id.to_string(), "complaint.report".to_string()),
    ];
    want.sort();
    assert_eq!(keys, want);
    assert!(tx.ticket_sla_clocks(&[]).await.unwrap().is_empty());
    let many: Vec<Uuid> = (0..1200)
        .map(|_| Uuid::now_v7())
        .chain([on_track.id])
        .collect();
    assert_eq!(
        tx.ticket_sla_clocks(&many).await.unwrap().len(),
        1,
        "ids in chunks"
    );

    assert_eq!(
        tx.ticket_sla_events(at_risk.id).await.unwrap(),
        vec![event, warning]
    );
    assert!(tx.ticket_sla_events(on_track.id).await.unwrap().is_empty());

    let mut counts: Vec<_> = tx
        .complaint_board_counts(now)
        .await
        .unwrap()
        .into_iter()
        .map(|c| (c.state, c.risk, c.count))
        .collect();
    counts.sort();
    let mut want = vec![
        ("assigned".to_string(), SlaRisk::AtRisk, 1),
        ("assigned".to_string(), SlaRisk::Breached, 1),
        ("investigating".to_string(), SlaRisk::OnTrack, 1),
        ("received".to_string(), SlaRisk::OnTrack, 1),
    ];
    want.sort();
    assert_eq!(
        counts, want,
        "open complaints only; stopped clocks are no risk"
    );
    let board = tx.complaint_board_tickets(now, 1).await.unwrap();
    let cards: Vec<_> = board
        .iter()
        .map(|b| (b.ticket.number.as_str(), b.risk))
        .collect();
    assert_eq!(
        cards,
        [
            ("TB3", SlaRisk::Breached),
            ("TB4", SlaRisk::OnTrack),
            ("TB1", SlaRisk::OnTrack)
        ],
        "one per state, riskiest first"
    );
    assert_eq!(board[0].ticket, breached);
    assert_eq!(tx.complaint_board_tickets(now, 5).await.unwrap().len(), 4);
}

pub fn sample_ticket(number: &str, level: tripdesk_domain::desk::Level, created: &str) -> Ticket {
    use tripdesk_domain::desk::{Channel, State, TicketKind};
    let at = t(created);
    Ticket {
        id: Uuid::now_v7(),
        number: number.into(),
        kind: TicketKind::Complaint,
        channel: Channel::Phone,
        level,
        state: State::Received,
        subject: "导游迟到一小时".into(),
        description: "第二天早上导游迟到，行程被压缩。".into(),
        customer_id: None,
        customer_name: "张伟".into(),
        booking_ref: Some("BK-2026-0815".into()),
        business_area: Some("guide".into()),
        tags: vec!["导游".into(), "迟到".into()],
        group_id: None,
        assignee_id: None,
        compensation_kind: None,
        compensation_amount_fen: None,
        compensation_approved_by: None,
        compensation_approved_at: None,
        cause: None,
        responsible_department_id: None,
        responsible_person: None,
        last_satisfaction: None,
        created_by: None,
        created_at: at,
        updated_at: at,
        resolved_at: None,
        closed_at: None,
        version: 1,
    }
}

/// Tickets: numbers unique, queues most urgent first, updates conditional on the version.
pub async fn tickets(store: &dyn Store) {
    use tripdesk_domain::desk::{CompensationKind, Level, State};
    let mut tx = store.write().await.unwrap();
    assert_eq!(tx.next_in_sequence("ticket").await.unwrap(), 1);
    assert_eq!(tx.next_in_sequence("ticket").await.unwrap(), 2);
    assert_eq!(tx.next_in_sequence("other").await.unwrap(), 1);
    let general = sample_ticket("TS1", Level::General, "2026-05-01T01:00:00Z");
    let urgent = sample_ticket("TS2", Level::Urgent, "2026-05-01T03:00:00Z");
    let important = sample_ticket("TS3", Level::Important, "2026-05-01T02:00:00Z");
    for tk in [&general, &urgent, &important] {
        tx.insert_ticket(tk).await.unwrap();
    }
    tx.commit().await.unwrap();

    let mut tx = store.write().await.unwrap();
    let dup = tx
        .insert_ticket(&sample_ticket(
            "TS1",
            Level::General,
            "2026-05-01T01:00:00Z",
        ))
        .await;
    crate::conformance::assert_duplicate_refused(tx, dup).await;

    let mut tx = store.write().await.unwrap();
    let all = TicketFilter {
        limit: 50,
        ..Default::default()
    };
    let numbers: Vec<_> = tx
        .list_tickets(&all)
        .await
        .unwrap()
        .into_iter()
        .map(|t| t.number)
        .collect();
    assert_eq!(numbers, ["TS2", "TS3", "TS1"], "urgent, important, general");
    assert_eq!(
        tx.get_ticket(general.id).await.unwrap().unwrap(),
        general,
        "round trip"
    );
    assert_eq!(
        tx.get_ticket_by_number("TS3").await.unwrap().unwrap().id,
        important.id
    );
    assert_eq!(
        tx.ticket_number(important.id).await.unwrap().as_deref(),
        Some("TS3")
    );
    assert_eq!(tx.ticket_number(Uuid::now_v7()).await.unwrap(), None);

    let mut changed = general.clone();
    changed.state = State::SolutionProposed;
    changed.compensation_kind = Some(CompensationKind::Voucher);
    changed.compensation_amount_fen = Some(20_000);
    changed.last_satisfaction = Some(2);
    changed.version = 2;
    assert!(tx.update_ticket(&changed).await.unwrap());
    assert!(
        !tx.update_ticket(&changed).await.unwrap(),
        "a stale version is refused"
    );
    assert_eq!(tx.get_ticket(general.id).await.unwrap().unwrap(), changed);

    let open = TicketFilter {
        states: vec![State::SolutionProposed],
        limit: 50,
        ..Default::default()
    };
    assert_eq!(tx.count_tickets(&open).await.unwrap(), 1);
    let unassigned = TicketFilter {
        unassigned: true,
        open_only: true,
        level: Some(Level::Urgent),
        limit: 50,
        ..Default::default()
    };
    assert_eq!(tx.count_tickets(&unassigned).await.unwrap(), 1);

    let user = sample_user("handler.a", &[Role::Handler], None);
    tx.insert_user(&user).await.unwrap();
    tx.add_ticket_handler(general.id, user.id).await.unwrap();
    tx.add_ticket_handler(general.id, user.id).await.unwrap();
    assert_eq!(tx.ticket_handlers(general.id).await.unwrap(), vec![user.id]);

    let event = TicketEvent {
        id: Uuid::now_v7(),
        ticket_id: general.id,
        at: t("2026-05-01T04:00:00Z"),
        actor_id: Some(user.id),
        actor_name: "用户".into(),
        kind: "step".into(),
        step: Some("assign".into()),
        from_state: Some("triaged".into()),
        to_state: Some("assigned".into()),
        body: None,
        data: Some("{}".into()),
    };
    tx.insert_ticket_event(&event).await.unwrap();
    assert_eq!(
        tx.list_ticket_events(general.id).await.unwrap(),
        vec![event]
    );
    let task = DeskTask {
        id: Uuid::now_v7(),
        ticket_id: general.id,
        kind: "rectification".into(),
        department_id: None,
        assignee_id: None,
        title: "整改".into(),
        body: "导游准时".into(),
        created_at: t("2026-05-02T00:00:00Z"),
        due_at: None,
        done_at: None,
    };
    tx.insert_desk_task(&task).await.unwrap();
    assert_eq!(
        tx.list_desk_tasks(general.id).await.unwrap(),
        vec![task.clone()]
    );
    // Completing marks only the open tasks of that kind, once.
    let visit = DeskTask {
        id: Uuid::now_v7(),
        kind: "follow_up".into(),
        title: "回访".into(),
        ..task.clone()
    };
    tx.insert_desk_task(&visit).await.unwrap();
    let done_at = t("2026-05-06T02:00:00Z");
    assert_eq!(
        tx.complete_desk_tasks(general.id, "follow_up", done_at)
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        tx.complete_desk_tasks(general.id, "follow_up", t("2026-05-07T00:00:00Z"))
            .await
            .unwrap(),
        0
    );
    let tasks = tx.list_desk_tasks(general.id).await.unwrap();
    assert_eq!(tasks[0].done_at, None, "the rectification task stays open");
    assert_eq!(tasks[1].done_at, Some(done_at));
    tx.commit().await.unwrap();
}

/// The role queues' filters: "mine" is assigned to me or an open task of mine; an open task
/// of one kind; compensation above an amount not yet approved — listed and counted alike.
pub async fn role_queue_filters(store: &dyn Store) {
    use tripdesk_domain::desk::CompensationKind;
    let mut tx = store.write().await.unwrap();
    let me = sample_user("follow.me", &[Role::FollowUp], None);
    let other = sample_user("follow.other", &[Role::FollowUp], None);
    tx.insert_user(&me).await.unwrap();
    tx.insert_user(&other).await.unwrap();
    let at = "2026-05-01T01:00:00Z";
    let assigned = Ticket {
        assignee_id: Some(me.id),
        ..sample_ticket("RQ1", Level::General, at)
    };
    let visit = sample_ticket("RQ2", Level::General, at);
    let visited = sample_ticket("RQ3", Level::General, at);
    let others = sample_ticket("RQ4", Level::General, at);
    let comp = |n: &str, fen: i64, approved: bool| Ticket {
        compensation_kind: Some(CompensationKind::Refund),
        compensation_amount_fen: Some(fen),
        compensation_approved_at: approved.then(|| t(at)),
        compensation_approved_by: approved.then_some(other.id),
        ..sample_ticket(n, Level::General, at)
    };
    let pending = comp("RQ5", 80_000, false);
    let approved = comp("RQ6", 80_000, true);
    let small = comp("RQ7", 10_000, false);
    for tk in [
        &assigned, &visit, &visited, &others, &pending, &approved, &small,
    ] {
        tx.insert_ticket(tk).await.unwrap();
    }
    let task = |ticket: &Ticket, who: Uuid, done: bool| DeskTask {
        id: Uuid::now_v7(),
        ticket_id: ticket.id,
        kind: "follow_up".into(),
        department_id: None,
        assignee_id: Some(who),
        title: "回访".into(),
        body: String::new(),
        created_at: t(at),
        due_at: None,
        done_at: done.then(|| t(at)),
    };
    tx.insert_desk_task(&task(&visit, me.id, false))
        .await
        .unwrap();
    tx.insert_desk_task(&task(&visited, me.id, true))
        .await
        .unwrap();
    tx.insert_desk_task(&task(&others, other.id, false))
        .await
        .unwrap();
    let numbers = |mut list: Vec<Ticket>| {
        list.sort_by(|a, b| a.number.cmp(&b.number));
        list.into_iter().map(|t| t.number).collect::<Vec<_>>()
    };
    let mine = TicketFilter {
        mine: Some(me.id),
        limit: 50,
        ..Default::default()
    };
    assert_eq!(
        numbers(tx.list_tickets(&mine).await.unwrap()),
        ["RQ1", "RQ2"]
    );
    let visits = TicketFilter {
        open_task: Some(("follow_up".into(), me.id)),
        limit: 50,
        ..Default::default()
    };
    assert_eq!(numbers(tx.list_tickets(&visits).await.unwrap()), ["RQ2"]);
    let improvements = TicketFilter {
        open_task: Some(("improvement".into(), me.id)),
        limit: 50,
        ..Default::default()
    };
    assert!(tx.list_tickets(&improvements).await.unwrap().is_empty());
    let to_approve = TicketFilter {
        awaiting_approval_above: Some(50_000),
        limit: 50,
        ..Default::default()
    };
    assert_eq!(
        numbers(tx.list_tickets(&to_approve).await.unwrap()),
        ["RQ5"]
    );
    assert_eq!(
        tx.count_tickets_capped(&[mine, visits, improvements, to_approve], 1000)
            .await
            .unwrap(),
        [2, 1, 0, 1]
    );
    tx.commit().await.unwrap();
}

/// Bulk insert round-trips across statement chunks; capped counts stop at the cap.
pub async fn tickets_in_bulk(store: &dyn Store) {
    use tripdesk_domain::desk::{Level, State};
    let tickets: Vec<Ticket> = (0..1234)
        .map(|i| {
            let mut tk = sample_ticket(
                &format!("B{i:05}"),
                [Level::General, Level::Important, Level::Urgent][i % 3],
                "2026-05-01T01:00:00Z",
            );
            if i % 2 == 0 {
                tk.state = State::Closed;
            }
            tk
        })
        .collect();
    let mut tx = store.write().await.unwrap();
    tx.insert_tickets(&tickets).await.unwrap();
    tx.commit().await.unwrap();

    let mut r = store.read().await.unwrap();
    for i in [0, 499, 500, 1233] {
        assert_eq!(
            r.get_ticket(tickets[i].id).await.unwrap().as_ref(),
            Some(&tickets[i]),
            "ticket {i} round-trips"
        );
    }
    let all = TicketFilter::default();
    let open = TicketFilter {
        open_only: true,
        ..Default::default()
    };
    assert_eq!(r.count_tickets(&all).await.unwrap(), 1234);
    let urgent_open = TicketFilter {
        open_only: true,
        level: Some(Level::Urgent),
        ..Default::default()
    };
    let filters = [all.clone(), open.clone(), urgent_open];
    assert_eq!(
        r.count_tickets_capped(&filters, 5000).await.unwrap(),
        [1234, 617, 205]
    );
    assert_eq!(
        r.count_tickets_capped(&filters, 300).await.unwrap(),
        [300, 300, 205]
    );
    assert_eq!(r.count_tickets_capped(&[open], 10).await.unwrap(), [10]);
    assert!(r.count_tickets_capped(&[], 10).await.unwrap().is_empty());
    // A walk in pages after the last one read meets every ticket once, in id order.
    let mut walked = Vec::new();
    let mut after = None;
    loop {
        let page = r.tickets_after(after, 500).await.unwrap();
        after = page.last().map(|t| t.id);
        walked.extend(page.iter().map(|t| t.id));
        if page.len() < 500 {
            break;
        }
    }
    let mut ids: Vec<Uuid> = tickets.iter().map(|t| t.id).collect();
    ids.sort();
    assert_eq!(walked, ids);
    assert!(r
        .tickets_after(ids.last().copied(), 10)
        .await
        .unwrap()
        .is_empty());
    drop(r);

    let mut tx = store.write().await.unwrap();
    let again = tx.insert_tickets(&tickets[1000..1001]).await;
    assert!(
        matches!(again, Err(StoreError::Duplicate { .. })),
        "{again:?}"
    );
}
