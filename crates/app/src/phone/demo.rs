//! The demo's day on the hotline: 36 inbound calls over the last nine hours through the CTI
//! path (as the PBX would post them), answered by extensions 8001–8003 mostly within three
//! rings; five missed — one caller three times (one callback task counting three), one once,
//! and one called back by an outbound call (its task done) — so `/calls`, the answer rate
//! and the callback list are not empty.

use super::cti::{wire, VerifiedCtiWebhook};
use crate::{App, AppError};
use jiff::SignedDuration;

/// The callers: the first is 王建国 of the demo chats (a customer), the others strangers.
const CALLERS: [&str; 6] = [
    "13800138001",
    "13912340001",
    "13712340002",
    "13612340003",
    "13512340004",
    "18612340005",
];
/// Calls not answered, by index: 5, 17, 29 from one caller; 11 and 23 from two others.
const MISSED: [(usize, usize); 5] = [(5, 1), (17, 1), (29, 1), (11, 2), (23, 3)];
const CALLS: usize = 36;

impl App {
    /// Adds the demo's calls (see the module comment).
    pub(crate) async fn seed_demo_calls(&self) -> Result<(), AppError> {
        let now = self.now();
        let first = now - SignedDuration::from_hours(9);
        let mut events = Vec::new();
        let at = |t: jiff::Timestamp| t.to_string();
        for i in 0..CALLS {
            let start = first + SignedDuration::from_mins(15 * i as i64);
            let missed = MISSED.iter().find(|(n, _)| *n == i);
            let caller = match missed {
                Some((_, who)) => CALLERS[*who],
                None => CALLERS[i % 3 * 2 % CALLERS.len()],
            };
            let line = if i % 4 == 3 { "VIP" } else { "4008001234" };
            let agent = format!("800{}", i % 3 + 1);
            let event = |kind: &str, t: jiff::Timestamp, agent: Option<&str>| wire::Event {
                event: kind.into(),
                call_id: format!("demo-{i}"),
                at: at(t),
                direction: None,
                caller: Some(caller.into()),
                called: Some("4008001234".into()),
                line: Some(line.into()),
                agent: agent.map(str::to_string),
            };
            events.push(event("ringing", start, None));
            if missed.is_some() {
                let gone = start + SignedDuration::from_secs(28 + i as i64);
                events.push(event("missed", gone, None));
            } else {
                let ring = if i % 9 == 4 {
                    22
                } else {
                    3 + (i as i64 * 7) % 12
                };
                let answered = start + SignedDuration::from_secs(ring);
                let talk = 60 + (i as i64 * 37) % 420;
                events.push(event("answered", answered, Some(&agent)));
                events.push(event(
                    "ended",
                    answered + SignedDuration::from_secs(talk),
                    Some(&agent),
                ));
            }
        }
        // The third caller is called back twenty minutes after their call, and reached.
        let back = first + SignedDuration::from_mins(15 * 23 + 20);
        for (kind, secs) in [("ringing", 0), ("answered", 9), ("ended", 200)] {
            events.push(wire::Event {
                event: kind.into(),
                call_id: "demo-callback-23".into(),
                at: at(back + SignedDuration::from_secs(secs)),
                direction: Some("outbound".into()),
                caller: Some("8002".into()),
                called: Some(CALLERS[3].into()),
                line: None,
                agent: Some("8002".into()),
            });
        }
        self.receive_call_events(VerifiedCtiWebhook::trusted(), &events)
            .await?;
        Ok(())
    }
}
