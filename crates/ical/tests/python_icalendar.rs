//! The published feed parses with a standard iCalendar library: Python's `icalendar` from
//! PyPI (issue 14 "Must show"). Fails, never skips, when Python or the package is missing.

use std::io::Write;
use std::process::Command;

use jiff::civil::date;
use tripdesk_ical::{render_feed, BlockReason, BlockedRange, Feed};

const SCRIPT: &str = r#"
import sys
try:
    import icalendar
except ImportError:
    sys.exit(3)
with open(sys.argv[1], 'rb') as f:
    cal = icalendar.Calendar.from_ical(f.read())
problems = [e for c in cal.walk() for e in getattr(c, 'errors', [])]
if problems:
    print('ERRORS', problems)
    sys.exit(4)
print('CAL', cal['PRODID'], cal['VERSION'], cal['X-WR-CALNAME'], sep='|')
for ev in cal.walk('VEVENT'):
    print('EVENT', ev['UID'], ev.decoded('DTSTART').isoformat(), ev.decoded('DTEND').isoformat(),
          ev['SUMMARY'], ev.decoded('DTSTAMP').isoformat(), sep='|')
"#;

const HELP: &str = "run `pip install -r scripts/requirements-test.txt` (Python 3 with the icalendar package is needed by this test)";

#[test]
fn python_icalendar_reads_the_feed() {
    let ranges = [
        BlockedRange {
            start: date(2026, 5, 1),
            end: date(2026, 5, 3),
            uid: "room-7-20260501@tripdesk".into(),
            reason: BlockReason::Booked,
        },
        BlockedRange {
            start: date(2026, 9, 30),
            end: date(2026, 10, 8),
            uid: "room-7-20260930@tripdesk".into(),
            reason: BlockReason::Closed,
        },
    ];
    let name = "苍山小院, 洱海景观大床房; 长长的名字让这一行折叠起来看看是否正确";
    let ics = render_feed(&Feed {
        name,
        stamp: "2026-12-02T08:30:00Z".parse().unwrap(),
        ranges: &ranges,
    })
    .unwrap();
    let mut file = tempfile::NamedTempFile::new().unwrap();
    file.write_all(ics.as_bytes()).unwrap();
    file.flush().unwrap();

    let out = match Command::new("python3")
        .arg("-c")
        .arg(SCRIPT)
        .arg(file.path())
        .output()
    {
        Ok(out) => out,
        Err(e) => panic!("cannot run python3 ({e}): {HELP}"),
    };
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    match out.status.code() {
        Some(0) => {}
        Some(3) => panic!("Python's icalendar package is not installed: {HELP}"),
        _ => panic!("python icalendar refused the feed:\n{stdout}\n{stderr}\n--- feed ---\n{ics}"),
    }
    let lines: Vec<&str> = stdout.lines().collect();
    // Python's icalendar reads X-WR-CALNAME as an unknown property and hands back its raw,
    // still escaped, value: RFC 5545 TEXT escaping of ',' and ';'.
    let escaped = name.replace(',', "\\,").replace(';', "\\;");
    assert_eq!(
        lines,
        [
            format!("CAL|-//tripdesk//Room availability 1.0//ZH|2.0|{escaped}").as_str(),
            "EVENT|room-7-20260501@tripdesk|2026-05-01|2026-05-03|已预订 Booked|2026-12-02T08:30:00+00:00",
            "EVENT|room-7-20260930@tripdesk|2026-09-30|2026-10-08|暂停接待 Closed|2026-12-02T08:30:00+00:00",
        ],
        "{stderr}"
    );
}
