//! The PBX's live call events (CTI): `ringing`, `answered`, `missed`, `ended`, each naming
//! the call. Events of one call may come in any order and more than once; [`derive`] turns
//! the set received so far into the call record's facts, the same whatever the order, and
//! `None` while the call is still going (neither `missed` nor `ended` seen).

use super::{Direction, Disposition};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

/// What happened to a call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(as = CallEventKind))]
pub enum EventKind {
    Ringing,
    Answered,
    Missed,
    Ended,
}

impl EventKind {
    pub const ALL: [EventKind; 4] = [
        EventKind::Ringing,
        EventKind::Answered,
        EventKind::Missed,
        EventKind::Ended,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::Ringing => "ringing",
            EventKind::Answered => "answered",
            EventKind::Missed => "missed",
            EventKind::Ended => "ended",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// One event as kept (the number aside: it is sealed by the caller).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    pub kind: EventKind,
    pub at: Timestamp,
    pub direction: Direction,
    pub line: String,
    pub agent: Option<String>,
}

/// A finished call as its events tell it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallShape {
    pub direction: Direction,
    pub line: String,
    pub agent: Option<String>,
    pub started: Timestamp,
    pub answered: Option<Timestamp>,
    pub ended: Timestamp,
    pub ring_secs: i64,
    pub talk_secs: i64,
    pub disposition: Disposition,
}

/// The call the events make, or `None` while it goes on. Answered when an `answered` event
/// is among them (a late one turns a call that looked missed into an answered one); started
/// at the `ringing` event (else the earliest); ended at the latest of `ended`/`missed`. The
/// line, direction and agent come from the first event in kind order, the agent preferably
/// from `answered` — never from the order of arrival. With two events of one kind the first
/// kept wins (the store keeps one per kind).
pub fn derive(events: &[Event]) -> Option<CallShape> {
    let of = |k: EventKind| events.iter().find(|e| e.kind == k);
    let ended_at = events
        .iter()
        .filter(|e| matches!(e.kind, EventKind::Missed | EventKind::Ended))
        .map(|e| e.at)
        .max()?;
    let first = EventKind::ALL.into_iter().find_map(of)?;
    let started = of(EventKind::Ringing)
        .map(|e| e.at)
        .or_else(|| events.iter().map(|e| e.at).min())?;
    let answered = of(EventKind::Answered).map(|e| e.at.max(started));
    let ended = ended_at.max(answered.unwrap_or(started)).max(started);
    let agent = of(EventKind::Answered)
        .and_then(|e| e.agent.clone())
        .or_else(|| {
            EventKind::ALL
                .into_iter()
                .filter_map(of)
                .find_map(|e| e.agent.clone())
        });
    let secs = |a: Timestamp, b: Timestamp| b.as_second() - a.as_second();
    Some(CallShape {
        direction: first.direction,
        line: first.line.clone(),
        agent,
        started,
        answered,
        ended,
        ring_secs: secs(started, answered.unwrap_or(ended)).max(0),
        talk_secs: answered.map(|a| secs(a, ended).max(0)).unwrap_or(0),
        disposition: if answered.is_some() {
            Disposition::Answered
        } else {
            Disposition::NoAnswer
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(kind: EventKind, secs: i64, agent: Option<&str>) -> Event {
        Event {
            kind,
            at: Timestamp::from_second(1_800_000_000 + secs).unwrap(),
            direction: Direction::Inbound,
            line: "4008001234".into(),
            agent: agent.map(str::to_string),
        }
    }

    #[test]
    fn a_call_goes_on_until_missed_or_ended() {
        assert_eq!(derive(&[]), None);
        assert_eq!(derive(&[ev(EventKind::Ringing, 0, None)]), None);
        assert_eq!(
            derive(&[
                ev(EventKind::Ringing, 0, None),
                ev(EventKind::Answered, 9, Some("8001"))
            ]),
            None
        );
    }

    #[test]
    fn every_order_makes_the_same_call() {
        let events = [
            ev(EventKind::Ringing, 0, None),
            ev(EventKind::Answered, 9, Some("8001")),
            ev(EventKind::Ended, 129, Some("8001")),
        ];
        let want = CallShape {
            direction: Direction::Inbound,
            line: "4008001234".into(),
            agent: Some("8001".into()),
            started: events[0].at,
            answered: Some(events[1].at),
            ended: events[2].at,
            ring_secs: 9,
            talk_secs: 120,
            disposition: Disposition::Answered,
        };
        for order in [
            [0, 1, 2],
            [0, 2, 1],
            [1, 0, 2],
            [1, 2, 0],
            [2, 0, 1],
            [2, 1, 0],
        ] {
            let set: Vec<_> = order.iter().map(|&i| events[i].clone()).collect();
            assert_eq!(derive(&set).as_ref(), Some(&want), "{order:?}");
        }
    }

    #[test]
    fn ended_before_a_late_answer_is_answered_once_it_comes() {
        let early = [
            ev(EventKind::Ringing, 0, None),
            ev(EventKind::Ended, 60, None),
        ];
        let missed = derive(&early).unwrap();
        assert_eq!(missed.disposition, Disposition::NoAnswer);
        assert_eq!((missed.ring_secs, missed.talk_secs), (60, 0));
        let mut late = early.to_vec();
        late.push(ev(EventKind::Answered, 20, Some("8002")));
        let call = derive(&late).unwrap();
        assert_eq!(call.disposition, Disposition::Answered);
        assert_eq!((call.ring_secs, call.talk_secs), (20, 40));
        assert_eq!(call.agent.as_deref(), Some("8002"));
    }

    #[test]
    fn a_missed_call_rang_until_it_was_given_up() {
        let call = derive(&[
            ev(EventKind::Missed, 31, None),
            ev(EventKind::Ringing, 1, None),
        ])
        .unwrap();
        assert_eq!(call.disposition, Disposition::NoAnswer);
        assert_eq!(call.ring_secs, 30);
        assert_eq!(call.answered, None);
    }
}
