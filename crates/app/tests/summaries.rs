//! Periodic summaries on the demo data, on the backend of this test run: last month's and
//! this week's summary as a PDF read back with `pdftotext` (the Chinese headings found) and
//! as an XLSX read back with calamine (every totals row the sum of its rows, and the counts
//! equal to counts made here straight from the tickets and tasks); and the recurring job,
//! run twice and across weeks, e-mailing each ended period once per manager with both files.

use jiff::{SignedDuration, Timestamp};
use std::collections::HashMap;
use std::io::Write;
use std::sync::Arc;
use tripdesk_app::jobs::{drain, JobRegistry};
use tripdesk_app::summaries::document::{self, TOTAL};
use tripdesk_app::summaries::job::{SendSummaries, SendSummariesPayload};
use tripdesk_app::{App, AppSettings};
use tripdesk_domain::clock::ManualClock;
use tripdesk_domain::desk::{State, TicketKind};
use tripdesk_domain::jobs::Schedule;
use tripdesk_domain::summaries::{is_resolved, Cadence, SummaryPeriod, TaskStanding};
use tripdesk_sheets::Cell;
use tripdesk_store::{MessageFilter, Store, TicketFilter, TicketOrder, UserFilter};
use tripdesk_store_sql::testing::{fresh_store, TestStore};

/// Sunday 2026-12-06 10:00 in Beijing: the demo's "now".
const NOW: &str = "2026-12-06T02:00:00Z";

async fn demo(settings: AppSettings) -> (App, Arc<ManualClock>, TestStore) {
    let store = fresh_store().await;
    let clock = Arc::new(ManualClock::new(NOW.parse().unwrap()));
    let app = App::new(store.store.clone(), clock.clone(), settings)
        .with_vault(Arc::new(tripdesk_vault::KeyRing::generate()));
    assert!(app.seed_demo().await.unwrap());
    (app, clock, store)
}

fn pdf_text(pdf: &[u8]) -> String {
    let mut child = std::process::Command::new("pdftotext")
        .args(["-", "-"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("pdftotext (poppler-utils) is installed by scripts/test");
    child.stdin.take().unwrap().write_all(pdf).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    String::from_utf8(out.stdout).unwrap()
}

fn number(c: &Cell) -> f64 {
    match c {
        Cell::Number(n) => *n,
        // A blank cell (a task not yet done has no days taken) adds nothing, as in a
        // spreadsheet's SUM.
        Cell::Text(t) if t.is_empty() => 0.0,
        Cell::Text(t) => panic!("a number expected, found {t:?}"),
    }
}

/// A sheet's rows (without its header) and its totals row.
type Sheet = (Vec<Vec<Cell>>, Option<Vec<Cell>>);

/// Each sheet's totals row (the last, `合计` first) holds the sum of the rows above it in
/// every number column; returns the sheets by name, rows without header and totals.
fn check_totals(xlsx: &[u8]) -> HashMap<String, Sheet> {
    let book = tripdesk_sheets::read_workbook(xlsx).expect("the XLSX opens");
    let mut out = HashMap::new();
    for (name, rows) in book {
        let mut body: Vec<Vec<Cell>> = rows.into_iter().skip(1).collect();
        let totals = match body.last() {
            Some(last) if last.first() == Some(&Cell::text(TOTAL)) => body.pop(),
            _ => None,
        };
        if let Some(totals) = &totals {
            for (c, total) in totals.iter().enumerate().skip(1) {
                if let Cell::Number(total) = total {
                    let sum: f64 = body.iter().map(|r| number(&r[c])).sum();
                    assert!(
                        (sum - total).abs() < 0.005,
                        "{name} column {c}: totals row {total}, rows sum to {sum}"
                    );
                }
            }
        }
        out.insert(name, (body, totals));
    }
    out
}

fn total_of(sheet: &Sheet, column: usize) -> f64 {
    number(&sheet.1.as_ref().expect("a totals row")[column])
}

#[tokio::test]
async fn the_demo_datas_summaries_as_pdf_and_xlsx_match_the_records() {
    let (app, _clock, store) = demo(AppSettings::default()).await;
    let boss = app.login("zhao.min", "tripdesk-demo", None).await.unwrap();
    let p = &boss.principal;
    let zone = tripdesk_domain::calendar::china_time_zone();

    // Every ticket and each one's tasks, read straight from the store.
    let mut r = store.store.read().await.unwrap();
    let tickets = r
        .list_tickets(&TicketFilter {
            order: TicketOrder::Newest,
            limit: 10_000,
            ..Default::default()
        })
        .await
        .unwrap();
    let mut tasks = Vec::new();
    // How many causes each ticket counts under: its feedback categories, at least one.
    let mut cause_counts = HashMap::new();
    for t in &tickets {
        let cats = r
            .ticket_feedback(t.id)
            .await
            .unwrap()
            .into_iter()
            .find(|f| f.source == tripdesk_store::FeedbackSource::Ticket && f.item_id == t.id)
            .map_or(0, |f| f.categories.len());
        cause_counts.insert(t.id, cats.max(1));
        for task in r.list_desk_tasks(t.id).await.unwrap() {
            tasks.push((t.number.clone(), task));
        }
    }
    drop(r);

    let today = app.today();
    let periods = [
        SummaryPeriod::last_ended(Cadence::Month, today),
        SummaryPeriod::containing(Cadence::Week, today),
    ];
    let mut any_complaints = false;
    for period in periods {
        let s = app
            .period_summary(p, period.cadence, Some(period.from))
            .await
            .unwrap();
        assert_eq!(s.period, period);
        let from = period.from.to_zoned(zone.clone()).unwrap().timestamp();
        let until = period.until.to_zoned(zone.clone()).unwrap().timestamp();
        let end = until.min(app.now());
        let complaints: Vec<_> = tickets
            .iter()
            .filter(|t| {
                t.kind == TicketKind::Complaint && t.created_at >= from && t.created_at < until
            })
            .collect();
        any_complaints |= !complaints.is_empty();
        let resolved = complaints.iter().filter(|t| is_resolved(t.state)).count();
        let fen: i64 = complaints
            .iter()
            .filter_map(|t| t.compensation_amount_fen)
            .sum();
        let live = |kind: &str| -> Vec<_> {
            tasks
                .iter()
                .filter(|(_, x)| {
                    x.kind == kind && x.created_at < until && x.done_at.is_none_or(|d| d >= from)
                })
                .collect()
        };
        let rectification = live("rectification");
        let improvement = live("improvement");
        let done = |list: &[&(String, tripdesk_store::DeskTask)]| {
            list.iter()
                .filter(|(_, x)| x.done_at.is_some_and(|d| d < end))
                .count()
        };
        let overdue = |list: &[&(String, tripdesk_store::DeskTask)]| {
            list.iter()
                .filter(|(_, x)| {
                    x.done_at.is_none_or(|d| d >= end) && x.due_at.is_some_and(|d| d < end)
                })
                .count()
        };
        assert_eq!(s.tally.total as usize, complaints.len());
        assert_eq!(s.tally.resolved as usize, resolved);
        assert_eq!(s.tally.compensation_fen, fen);
        assert_eq!(
            s.count_tasks("rectification", TaskStanding::Done),
            done(&rectification)
        );

        // The XLSX: every totals row is the sum of its rows, and equals the records' counts.
        let xlsx = document::workbook(&s).unwrap();
        let sheets = check_totals(&xlsx);
        let levels = &sheets[document::HEADING_LEVELS];
        assert_eq!(total_of(levels, 1) as usize, complaints.len());
        assert_eq!(total_of(levels, 2) as usize, resolved);
        assert!((total_of(levels, 3) - fen as f64 / 100.0).abs() < 0.005);
        let states = &sheets[document::HEADING_STATES];
        assert_eq!(total_of(states, 1) as usize, complaints.len());
        for state in State::ALL {
            let n = complaints.iter().filter(|t| t.state == state).count();
            let row = states
                .0
                .iter()
                .find(|r| r[0] == Cell::text(document::state_zh(state)));
            assert_eq!(row.map_or(0, |r| number(&r[1]) as usize), n, "{state:?}");
        }
        let causes = &sheets[document::HEADING_CAUSES];
        let counted: usize = complaints.iter().map(|t| cause_counts[&t.id]).sum();
        assert_eq!(total_of(causes, 1) as usize, counted);
        let kpis = &sheets[document::HEADING_KPIS];
        assert_eq!(kpis.0.len(), tripdesk_domain::quality::Kpi::ALL.len());
        let met = s
            .kpis
            .iter()
            .filter(|k| k.verdict == tripdesk_domain::quality::Verdict::Met)
            .count();
        assert_eq!(total_of(kpis, 6) as usize, met);
        let listed = &sheets[document::HEADING_COMPLAINTS];
        assert_eq!(listed.0.len(), complaints.len());
        assert_eq!(total_of(listed, 5) as usize, resolved);
        for (sheet, list) in [
            (document::HEADING_RECTIFICATION, &rectification),
            (document::HEADING_IMPROVEMENT, &improvement),
        ] {
            let sheet = &sheets[sheet];
            assert_eq!(sheet.0.len(), list.len(), "one row per task");
            assert_eq!(total_of(sheet, 7) as usize, done(list));
            assert_eq!(total_of(sheet, 8) as usize, overdue(list));
            assert_eq!(
                (total_of(sheet, 7) + total_of(sheet, 8) + total_of(sheet, 9)) as usize,
                list.len()
            );
            let mut numbers: Vec<_> = sheet.0.iter().map(|r| r[0].clone()).collect();
            let mut expected: Vec<_> = list.iter().map(|(n, _)| Cell::text(n)).collect();
            numbers.sort_by_key(|c| format!("{c:?}"));
            expected.sort_by_key(|c| format!("{c:?}"));
            assert_eq!(numbers, expected);
        }
        let drills = &sheets[document::HEADING_DRILLS];
        assert_eq!(drills.0.len(), s.drills.len());
        if period.cadence == Cadence::Week {
            assert!(!s.drills.is_empty(), "the demo's drill is held this week");
            assert!(!s.complete, "this week has not ended");
        }

        // The PDF, read back as text: the title, the period and every section's heading.
        let pdf = app
            .render_pdf(document::pdf_document(&s, "山水旅行社"))
            .await
            .unwrap();
        let text = pdf_text(&pdf);
        let title = match period.cadence {
            Cadence::Week => "服务质量周报",
            Cadence::Month => "服务质量月报",
        };
        for heading in [
            title,
            "投诉概况",
            "指标与目标",
            "投诉按级别",
            "投诉按状态",
            "主要投诉原因",
            "投诉明细",
            "整改任务",
            "改进措施",
            "应急演练",
            "合计",
        ] {
            assert!(text.contains(heading), "{heading} missing from the PDF");
        }
        assert!(text.contains(&period.from.to_string()));
        assert!(text.contains("投诉总数"));
    }
    assert!(any_complaints, "the demo has complaints in these periods");

    // Who may not read reports is refused; a `from` that starts no period is named.
    let agent = app.login("li.na", "tripdesk-demo", None).await.unwrap();
    assert!(app
        .period_summary(&agent.principal, Cadence::Month, None)
        .await
        .is_err());
    let err = app
        .period_summary(p, Cadence::Week, Some(jiff::civil::date(2026, 12, 1)))
        .await
        .unwrap_err();
    assert!(format!("{err:?}").contains("summaries.not_period_start"));
}

#[tokio::test]
async fn the_recurring_job_mails_each_ended_period_once_with_both_files() {
    let (app, clock, store) = demo(AppSettings::default()).await;
    // Three managers with an address: the demo's CS manager 孙丽 has one; the supervisor
    // and the administrator are given one here; staff of other roles are left out.
    let mut tx = store.store.write().await.unwrap();
    for (username, email) in [
        ("zhao.min", "zhao.min@example.cn"),
        ("admin", "it@example.cn"),
    ] {
        let mut u = tx.get_user_by_username(username).await.unwrap().unwrap();
        u.email = Some(email.into());
        assert!(tx.update_user(&u).await.unwrap());
    }
    let managers = tx
        .list_users(&UserFilter {
            limit: 100,
            ..Default::default()
        })
        .await
        .unwrap()
        .len();
    assert!(managers > 2);
    tx.commit().await.unwrap();

    let registry = JobRegistry::new()
        .recurring_prepared(
            SendSummaries,
            Schedule::daily_china(8, 0),
            &SendSummariesPayload::default(),
        )
        .unwrap();
    assert_eq!(app.ensure_job_schedules(&registry).await.unwrap(), 1);
    let mails = |store: Arc<dyn Store>| async move {
        let mut r = store.read().await.unwrap();
        let mut out = Vec::new();
        for m in r
            .list_messages(&MessageFilter {
                related_type: Some("summary".into()),
                limit: 100,
                ..Default::default()
            })
            .await
            .unwrap()
        {
            let files = r.list_attachments(m.id).await.unwrap();
            out.push((m, files));
        }
        out
    };

    // Sunday: nothing is due before Monday 08:00 (the demo's own jobs run too).
    drain(&app, &registry).await.unwrap();
    // Monday 08:30: last week (11-30 – 12-06) and last month (November), each to both.
    clock.set("2026-12-07T00:30:00Z".parse::<Timestamp>().unwrap());
    drain(&app, &registry).await.unwrap();
    let sent = mails(store.store.clone()).await;
    assert_eq!(
        sent.len(),
        6,
        "two periods, three managers: {:?}",
        sent.iter()
            .map(|(m, _)| (&m.related_id, &m.recipient))
            .collect::<Vec<_>>()
    );
    let mut periods: Vec<_> = sent
        .iter()
        .map(|(m, _)| (m.related_id.clone().unwrap(), m.recipient.clone()))
        .collect();
    periods.sort();
    assert_eq!(
        periods,
        [
            ("month:2026-11-01".to_string(), "it@example.cn".to_string()),
            (
                "month:2026-11-01".into(),
                "sun.li@shanhai-travel.example".into()
            ),
            ("month:2026-11-01".into(), "zhao.min@example.cn".into()),
            ("week:2026-11-30".into(), "it@example.cn".into()),
            (
                "week:2026-11-30".into(),
                "sun.li@shanhai-travel.example".into()
            ),
            ("week:2026-11-30".into(), "zhao.min@example.cn".into()),
        ]
    );
    for (m, files) in &sent {
        assert_eq!(m.channel, "email");
        assert!(m.subject.contains("2026"), "{}", m.subject);
        let names: Vec<_> = files.iter().map(|f| f.filename.as_str()).collect();
        let kind = m.related_id.as_deref().unwrap().replace(':', "-");
        assert_eq!(
            names,
            [
                format!("summary-{kind}.pdf"),
                format!("summary-{kind}.xlsx")
            ]
        );
        assert!(pdf_text(&files[0].content).contains("服务质量"));
        check_totals(&files[1].content);
    }

    // The same morning again (a second run, as another node would): nothing more.
    let mut tx = store.store.write().await.unwrap();
    app.enqueue_prepared_job::<SendSummaries>(
        &mut *tx,
        &SendSummariesPayload::default(),
        app.now(),
        None,
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    drain(&app, &registry).await.unwrap();
    assert_eq!(mails(store.store.clone()).await.len(), 6);
    // Tuesday's scheduled run: still nothing.
    clock.advance(SignedDuration::from_hours(24));
    drain(&app, &registry).await.unwrap();
    assert_eq!(mails(store.store.clone()).await.len(), 6);
    // The next Monday: only the new week.
    clock.set("2026-12-14T00:30:00Z".parse::<Timestamp>().unwrap());
    drain(&app, &registry).await.unwrap();
    let sent = mails(store.store.clone()).await;
    assert_eq!(sent.len(), 9);
    assert_eq!(
        sent.iter()
            .filter(|(m, _)| m.related_id.as_deref() == Some("week:2026-12-07"))
            .count(),
        3
    );
}
