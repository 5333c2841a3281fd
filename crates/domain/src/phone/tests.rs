use super::cdr::{calls, parse, CdrError};
use super::*;
use jiff::civil::date;
use proptest::prelude::*;

/// A line as cdr_csv writes it (with `loguniqueid`): every field quoted.
#[allow(clippy::too_many_arguments)]
fn line(
    src: &str,
    dst: &str,
    ctx: &str,
    dstchannel: &str,
    start: &str,
    answer: &str,
    end: &str,
    disposition: &str,
    uniqueid: &str,
) -> String {
    format!(
        "\"\",\"{src}\",\"{dst}\",\"{ctx}\",\"\"\"客人\"\" <{src}>\",\"SIP/trunk-0000001\",\"{dstchannel}\",\
         \"Queue\",\"hotline,t\",\"{start}\",\"{answer}\",\"{end}\",60,30,\"{disposition}\",\"DOCUMENTATION\",\"{uniqueid}\",\"\"\n"
    )
}

fn inbound() -> Vec<String> {
    vec!["from-trunk".to_string()]
}

#[test]
fn a_file_becomes_calls_with_ring_and_talk_times() {
    let file = [
        line(
            "13800138000",
            "4008001234",
            "from-trunk",
            "SIP/8001-0000001a",
            "2026-11-02 09:00:00",
            "2026-11-02 09:00:08",
            "2026-11-02 09:03:08",
            "ANSWERED",
            "1700000000.1",
        ),
        line(
            "13900139000",
            "4008001234",
            "from-trunk",
            "",
            "2026-11-02 09:05:00",
            "",
            "2026-11-02 09:05:40",
            "NO ANSWER",
            "1700000000.2",
        ),
        line(
            "8001",
            "13700137000",
            "from-internal",
            "SIP/trunk-0000002",
            "2026-11-02 09:10:00",
            "2026-11-02 09:10:20",
            "2026-11-02 09:11:00",
            "ANSWERED",
            "1700000000.3",
        ),
    ]
    .concat();
    let lines = parse(file.as_bytes()).unwrap();
    assert_eq!(lines.len(), 3);
    let got = calls(&lines, &inbound());
    assert_eq!(got.len(), 3);
    let a = &got[0];
    assert_eq!(a.direction, Direction::Inbound);
    assert_eq!(a.customer_number, "13800138000");
    assert_eq!(a.line, "4008001234");
    assert_eq!(a.agent.as_deref(), Some("8001"));
    assert_eq!((a.ring_secs, a.talk_secs), (8, 180));
    assert_eq!(a.disposition, Disposition::Answered);
    assert_eq!(a.key, "1700000000.1");
    let b = &got[1];
    assert_eq!(
        (b.disposition, b.ring_secs, b.talk_secs),
        (Disposition::NoAnswer, 40, 0)
    );
    assert_eq!(b.agent, None);
    let c = &got[2];
    assert_eq!(c.direction, Direction::Outbound);
    assert_eq!(c.customer_number, "13700137000");
    assert_eq!(c.line, "8001");
    assert_eq!(c.started, date(2026, 11, 2).at(9, 10, 0, 0));
}

#[test]
fn the_legs_of_one_call_are_one_call_answered_by_the_leg_that_was() {
    // A queue rings agent 8001 (no answer), then 8002 picks up: two legs, one uniqueid.
    let file = [
        line(
            "13800138000",
            "400",
            "from-trunk",
            "SIP/8001-01",
            "2026-11-02 09:00:00",
            "",
            "2026-11-02 09:00:15",
            "NO ANSWER",
            "u1",
        ),
        line(
            "13800138000",
            "400",
            "from-trunk",
            "SIP/8002-02",
            "2026-11-02 09:00:15",
            "2026-11-02 09:00:21",
            "2026-11-02 09:02:21",
            "ANSWERED",
            "u1",
        ),
    ]
    .concat();
    let got = calls(&parse(file.as_bytes()).unwrap(), &inbound());
    assert_eq!(got.len(), 1);
    let call = &got[0];
    assert_eq!(call.disposition, Disposition::Answered);
    assert_eq!(call.agent.as_deref(), Some("8002"));
    assert_eq!((call.ring_secs, call.talk_secs), (21, 120));
}

#[test]
fn without_uniqueids_each_leg_is_a_call_keyed_by_its_start_channels_and_numbers() {
    let file = "\"\",\"13800138000\",\"400\",\"from-trunk\",\"\",\"SIP/t-1\",\"\",\"Dial\",\"\",\
                \"2026-11-02 09:00:00\",\"\",\"2026-11-02 09:00:30\",30,0,\"BUSY\",\"DOCUMENTATION\"\n";
    let got = calls(&parse(file.as_bytes()).unwrap(), &inbound());
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].disposition, Disposition::Busy);
    assert_eq!(got[0].key, "2026-11-02T09:00:00|SIP/t-1||13800138000|400");
}

#[test]
fn a_bad_file_is_refused_whole_naming_each_line_and_column() {
    let good = line(
        "13800138000",
        "400",
        "from-trunk",
        "",
        "2026-11-02 09:00:00",
        "",
        "2026-11-02 09:00:30",
        "NO ANSWER",
        "u1",
    );
    let cases: Vec<(String, CdrError)> = vec![
        (
            "\"a\",\"b\"\n".into(),
            CdrError {
                line: 1,
                field: "columns",
                code: "too_few",
            },
        ),
        (
            good.replace("2026-11-02 09:00:00", "02/11/2026 9:00"),
            CdrError {
                line: 1,
                field: "start",
                code: "not_a_time",
            },
        ),
        (
            good.replace("NO ANSWER", "HUNG UP"),
            CdrError {
                line: 1,
                field: "disposition",
                code: "unknown",
            },
        ),
        (
            good.replace(",60,", ",-5,"),
            CdrError {
                line: 1,
                field: "duration",
                code: "not_a_number",
            },
        ),
        (
            good.replace(",30,", ",x,"),
            CdrError {
                line: 1,
                field: "billsec",
                code: "not_a_number",
            },
        ),
        (
            good.replace("2026-11-02 09:00:30", "2026-11-02 08:00:00"),
            CdrError {
                line: 1,
                field: "end",
                code: "before_start",
            },
        ),
        (
            good.replace(
                "\"\",\"2026-11-02 09:00:30\"",
                "\"2026-11-02 10:00:00\",\"2026-11-02 09:00:30\"",
            ),
            CdrError {
                line: 1,
                field: "answer",
                code: "before_start",
            },
        ),
        (
            String::new(),
            CdrError {
                line: 0,
                field: "file",
                code: "empty",
            },
        ),
        (
            "\n\n".into(),
            CdrError {
                line: 0,
                field: "file",
                code: "empty",
            },
        ),
    ];
    for (file, want) in cases {
        let got = parse(format!("{good}{file}").as_bytes());
        if want.line == 0 {
            assert_eq!(parse(file.as_bytes()), Err(vec![want]), "{file:?}");
            continue;
        }
        let want = CdrError { line: 2, ..want };
        assert_eq!(got, Err(vec![want]), "{file:?}");
    }
    // Errors are reported for every bad line, at most MAX_ERRORS.
    let bad = "\"a\"\n".repeat(cdr::MAX_ERRORS + 5);
    assert_eq!(parse(bad.as_bytes()).unwrap_err().len(), cdr::MAX_ERRORS);
    assert_eq!(
        parse(b"\"\",\"1\",\"2\",\"c\",\"\",\"\",\"\",\"\",\"\",\"2026-11-02 09:00:00\",\"\",\"2026-11-02 09:00:01\",1,0,\"\xff\",\"\"\n"),
        Err(vec![CdrError { line: 1, field: "columns", code: "not_utf8" }])
    );
}

#[test]
fn extensions_are_read_from_every_channel_technology() {
    for (channel, want) in [
        ("SIP/8001-0000001a", Some("8001")),
        ("PJSIP/8002-00000004", Some("8002")),
        ("Local/8003@from-queue-00000002;1", Some("8003")),
        ("IAX2/8004-123", Some("8004")),
        ("", None),
        ("SIP/", None),
        ("garbage", None),
    ] {
        assert_eq!(extension_of(channel).as_deref(), want, "{channel}");
    }
}

#[test]
fn dispositions_read_asterisk_spelling_and_round_trip() {
    for d in Disposition::ALL {
        assert_eq!(Disposition::parse(d.as_str()), Some(d));
    }
    assert_eq!(
        Disposition::from_asterisk("NO ANSWER"),
        Some(Disposition::NoAnswer)
    );
    assert_eq!(Disposition::from_asterisk("no answer"), None);
    assert_eq!(Direction::parse("inbound"), Some(Direction::Inbound));
    assert_eq!(Direction::parse("sideways"), None);
}

#[test]
fn the_answer_rate_rounds_down_and_meets_the_target_only_at_95_percent() {
    let mut c = AnswerCounts::default();
    assert_eq!((c.answer_rate_permille(), c.meets_target()), (None, None));
    for i in 0..20 {
        c.add(i != 0, 10);
    }
    assert_eq!(c.answer_rate_permille(), Some(950));
    assert_eq!(c.meets_target(), Some(true));
    let mut c = AnswerCounts::default();
    for i in 0..1000 {
        c.add(i >= 51, if i % 2 == 0 { 16 } else { 15 });
    }
    // 949 of 1,000: 94.9 %, below the target however it is rounded for show.
    assert_eq!(c.answer_rate_permille(), Some(949));
    assert_eq!(c.meets_target(), Some(false));
    assert_eq!(
        c.in_time,
        474 + 1,
        "rung 15 s is within three rings, 16 s is not"
    );
    assert_eq!(c.in_time_permille(), Some(((475 * 1000) / 949) as u32));
    assert_eq!(c.mean_ring_tenths(), Some(155));
}

proptest! {
    /// Counts never exceed what they count, and the rate meets the target exactly when
    /// answered × 1000 ≥ 950 × offered.
    #[test]
    fn counts_hold_their_order(calls in proptest::collection::vec((any::<bool>(), 0i64..120), 0..300)) {
        let mut c = AnswerCounts::default();
        for (answered, ring) in &calls {
            c.add(*answered, *ring);
        }
        prop_assert_eq!(c.offered, calls.len() as u64);
        prop_assert!(c.in_time <= c.answered && c.answered <= c.offered);
        if c.offered > 0 {
            prop_assert_eq!(c.meets_target(), Some(c.answered * 1000 >= 950 * c.offered));
        }
    }
}
