//! Phone calls (issue 17, the hotline): what a call record says, how a call-detail record of
//! the PBX becomes one (`cdr`: Asterisk's `Master.csv`), and the answer rate against the
//! published commitments — at least 95 % of calls answered, picked up within three rings.
//!
//! A call is *offered* when it comes in on one of the hotline's inbound contexts; it is
//! *answered* when an agent picked it up, and *in time* when that took at most
//! [`RING_TARGET_SECS`]. The answer rate is answered ÷ offered over the same calls (every
//! offered call counts, however short: a caller who hung up after one ring was still not
//! answered).

pub mod cdr;
pub mod cti;
#[cfg(test)]
mod tests;

use serde::{Deserialize, Serialize};

/// The published answer-rate target: at least 95 % of offered calls answered.
pub const ANSWER_RATE_TARGET_PERMILLE: u32 = 950;
/// Three rings of China's ringback tone (1 s on, 4 s off): a call picked up within this many
/// seconds was picked up "within three rings".
pub const RING_TARGET_SECS: i64 = 15;

/// How a call ended, as the PBX reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Disposition {
    Answered,
    NoAnswer,
    Busy,
    Failed,
    Congestion,
}

impl Disposition {
    pub const ALL: [Disposition; 5] = [
        Disposition::Answered,
        Disposition::NoAnswer,
        Disposition::Busy,
        Disposition::Failed,
        Disposition::Congestion,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Disposition::Answered => "answered",
            Disposition::NoAnswer => "no_answer",
            Disposition::Busy => "busy",
            Disposition::Failed => "failed",
            Disposition::Congestion => "congestion",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|d| d.as_str() == s)
    }

    /// Asterisk's spelling (`ANSWERED`, `NO ANSWER`, `BUSY`, `FAILED`, `CONGESTION`).
    pub fn from_asterisk(s: &str) -> Option<Self> {
        match s.trim() {
            "ANSWERED" => Some(Disposition::Answered),
            "NO ANSWER" => Some(Disposition::NoAnswer),
            "BUSY" => Some(Disposition::Busy),
            "FAILED" => Some(Disposition::Failed),
            "CONGESTION" => Some(Disposition::Congestion),
            _ => None,
        }
    }
}

/// Which way a call went.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Direction {
    /// A customer calling the hotline: counted in the answer rate.
    Inbound,
    /// Staff calling out (callbacks, confirmations).
    Outbound,
}

impl Direction {
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::Inbound => "inbound",
            Direction::Outbound => "outbound",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "inbound" => Some(Direction::Inbound),
            "outbound" => Some(Direction::Outbound),
            _ => None,
        }
    }
}

/// The counts behind an answer rate (of one period, queue or agent).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AnswerCounts {
    /// Inbound calls.
    pub offered: u64,
    pub answered: u64,
    /// Answered within [`RING_TARGET_SECS`].
    pub in_time: u64,
    /// Seconds rung before an answer, summed over the answered calls.
    pub ring_secs_answered: u64,
}

impl AnswerCounts {
    /// Adds one inbound call.
    pub fn add(&mut self, answered: bool, ring_secs: i64) {
        self.offered += 1;
        if answered {
            self.answered += 1;
            let ring = ring_secs.max(0) as u64;
            self.ring_secs_answered += ring;
            if ring_secs <= RING_TARGET_SECS {
                self.in_time += 1;
            }
        }
    }

    /// Answered per thousand offered, rounded down (`None` with nothing offered): the
    /// figure is never rounded up onto the target.
    pub fn answer_rate_permille(&self) -> Option<u32> {
        (self.offered > 0).then(|| (self.answered * 1000 / self.offered) as u32)
    }

    /// Answered within three rings per thousand answered, rounded down.
    pub fn in_time_permille(&self) -> Option<u32> {
        (self.answered > 0).then(|| (self.in_time * 1000 / self.answered) as u32)
    }

    /// Mean seconds rung before an answer, rounded to the nearest tenth.
    pub fn mean_ring_tenths(&self) -> Option<u64> {
        (self.answered > 0)
            .then(|| (self.ring_secs_answered * 10 + self.answered / 2) / self.answered)
    }

    /// Whether the answer rate meets the published target (`None` with nothing offered).
    pub fn meets_target(&self) -> Option<bool> {
        self.answer_rate_permille()
            .map(|r| r >= ANSWER_RATE_TARGET_PERMILLE)
    }
}

/// The extension an Asterisk channel name names: `SIP/8001-0000001a`, `PJSIP/8001-00000004`
/// and `Local/8001@from-queue-00000002;1` are all extension 8001; `None` when the channel
/// names none (an empty `dstchannel`).
pub fn extension_of(channel: &str) -> Option<String> {
    let rest = channel.trim().split_once('/')?.1;
    let end = rest.find(['-', '@', ';']).unwrap_or(rest.len());
    let ext = &rest[..end];
    (!ext.is_empty() && ext.len() <= 40).then(|| ext.to_string())
}
