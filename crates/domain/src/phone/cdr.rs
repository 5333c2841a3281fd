//! Asterisk's call-detail records as its `cdr_csv` module writes them to `Master.csv`: one
//! line per call leg, no header, the columns `accountcode, src, dst, dcontext, clid,
//! channel, dstchannel, lastapp, lastdata, start, answer, end, duration, billsec,
//! disposition, amaflags` then, as configured, `uniqueid`, `userfield` and (with
//! `newcdrcolumns`) `peeraccount, linkedid, sequence`. Times are the PBX's local time
//! `YYYY-MM-DD HH:MM:SS`; `answer` is empty for a call no one picked up.
//!
//! [`parse`] reads a whole file and refuses it whole, naming each bad line and column (a
//! file half imported would make the answer rate wrong without saying so); [`calls`] turns
//! the legs into calls: the legs of one `uniqueid` are one call (answered when any leg was,
//! by the agent of that leg), a call is inbound when its context is one of the hotline's.

use super::{extension_of, Direction, Disposition};
use jiff::civil::DateTime;

/// Most lines one file may hold (a month of a busy hotline).
pub const MAX_LINES: usize = 200_000;
/// Most errors reported for one file.
pub const MAX_ERRORS: usize = 20;

/// One line of `Master.csv`, the columns tripdesk reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CdrLine {
    pub src: String,
    pub dst: String,
    pub dcontext: String,
    pub channel: String,
    pub dstchannel: String,
    pub start: DateTime,
    pub answer: Option<DateTime>,
    pub end: DateTime,
    pub duration: i64,
    pub billsec: i64,
    pub disposition: Disposition,
    /// Empty when the PBX does not log it.
    pub uniqueid: String,
}

/// A line the file cannot be read at: its number (from 1), the column, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CdrError {
    pub line: usize,
    /// `columns`, `start`, `answer`, `end`, `duration`, `billsec`, `disposition`, `file`.
    pub field: &'static str,
    /// `too_few`, `not_a_time`, `not_a_number`, `unknown`, `before_start`, `empty`,
    /// `too_many_lines`, `not_utf8`.
    pub code: &'static str,
}

fn time(line: usize, field: &'static str, s: &str) -> Result<DateTime, CdrError> {
    let s = s.trim();
    jiff::civil::DateTime::strptime("%Y-%m-%d %H:%M:%S", s).map_err(|_| CdrError {
        line,
        field,
        code: "not_a_time",
    })
}

fn seconds(line: usize, field: &'static str, s: &str) -> Result<i64, CdrError> {
    s.trim()
        .parse::<i64>()
        .ok()
        .filter(|n| (0..=7 * 24 * 3600).contains(n))
        .ok_or(CdrError {
            line,
            field,
            code: "not_a_number",
        })
}

fn read_line(n: usize, r: &csv::StringRecord) -> Result<CdrLine, CdrError> {
    if r.len() < 16 {
        return Err(CdrError {
            line: n,
            field: "columns",
            code: "too_few",
        });
    }
    let col = |i: usize| r.get(i).unwrap_or("").to_string();
    let start = time(n, "start", &r[9])?;
    let answer = match r[10].trim() {
        "" => None,
        s => Some(time(n, "answer", s)?),
    };
    let end = time(n, "end", &r[11])?;
    if end < start || answer.is_some_and(|a| a < start || a > end) {
        return Err(CdrError {
            line: n,
            field: if end < start { "end" } else { "answer" },
            code: "before_start",
        });
    }
    let disposition = Disposition::from_asterisk(&r[14]).ok_or(CdrError {
        line: n,
        field: "disposition",
        code: "unknown",
    })?;
    Ok(CdrLine {
        src: col(1).trim().to_string(),
        dst: col(2).trim().to_string(),
        dcontext: col(3).trim().to_string(),
        channel: col(5),
        dstchannel: col(6),
        start,
        answer,
        end,
        duration: seconds(n, "duration", &r[12])?,
        billsec: seconds(n, "billsec", &r[13])?,
        disposition,
        uniqueid: r.get(16).unwrap_or("").trim().to_string(),
    })
}

/// Reads a whole `Master.csv`: every line, or the errors of the first lines that cannot be
/// read (at most [`MAX_ERRORS`]). Blank lines are skipped.
pub fn parse(bytes: &[u8]) -> Result<Vec<CdrLine>, Vec<CdrError>> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(bytes);
    let mut lines = Vec::new();
    let mut errors = Vec::new();
    for (i, record) in reader.records().enumerate() {
        let n = i + 1;
        if n > MAX_LINES {
            return Err(vec![CdrError {
                line: n,
                field: "file",
                code: "too_many_lines",
            }]);
        }
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                let code = if matches!(e.kind(), csv::ErrorKind::Utf8 { .. }) {
                    "not_utf8"
                } else {
                    "too_few"
                };
                errors.push(CdrError {
                    line: n,
                    field: "columns",
                    code,
                });
                if errors.len() >= MAX_ERRORS {
                    break;
                }
                continue;
            }
        };
        if record.iter().all(|f| f.trim().is_empty()) {
            continue;
        }
        match read_line(n, &record) {
            Ok(l) => lines.push(l),
            Err(e) => {
                errors.push(e);
                if errors.len() >= MAX_ERRORS {
                    break;
                }
            }
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    if lines.is_empty() {
        return Err(vec![CdrError {
            line: 0,
            field: "file",
            code: "empty",
        }]);
    }
    Ok(lines)
}

/// One call, from one or more legs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallFacts {
    /// The PBX's `uniqueid`, or — when it logs none — the leg's start, channels and numbers
    /// joined (the caller blinds it before storing: it holds a phone number).
    pub key: String,
    pub direction: Direction,
    /// The customer's number: the caller of an inbound call, the number dialled out.
    pub customer_number: String,
    /// The hotline number or queue called (inbound), the extension calling (outbound).
    pub line: String,
    /// The extension that answered (inbound) or called (outbound), when the PBX names one.
    pub agent: Option<String>,
    pub started: DateTime,
    pub answered: Option<DateTime>,
    pub ended: DateTime,
    /// Seconds from the start to the answer (or to the end when unanswered).
    pub ring_secs: i64,
    /// Seconds from the answer to the end.
    pub talk_secs: i64,
    pub disposition: Disposition,
}

fn secs_between(a: DateTime, b: DateTime) -> i64 {
    a.duration_until(b).as_secs().max(0)
}

/// The calls of a file's legs, in the order of their first leg. `inbound_contexts`: the
/// dialplan contexts the hotline's calls arrive in (`from-trunk`, `from-pstn`…); a call in
/// any other context is outbound.
pub fn calls(lines: &[CdrLine], inbound_contexts: &[String]) -> Vec<CallFacts> {
    let mut out: Vec<CallFacts> = Vec::new();
    let mut by_id: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
    for l in lines {
        let direction = if inbound_contexts.iter().any(|c| c == &l.dcontext) {
            Direction::Inbound
        } else {
            Direction::Outbound
        };
        let (customer_number, line, agent) = match direction {
            Direction::Inbound => (l.src.clone(), l.dst.clone(), extension_of(&l.dstchannel)),
            Direction::Outbound => (l.dst.clone(), l.src.clone(), extension_of(&l.channel)),
        };
        let answered = l.answer.filter(|_| l.disposition == Disposition::Answered);
        let leg = CallFacts {
            key: if l.uniqueid.is_empty() {
                format!(
                    "{}|{}|{}|{}|{}",
                    l.start, l.channel, l.dstchannel, l.src, l.dst
                )
            } else {
                l.uniqueid.clone()
            },
            direction,
            customer_number,
            line,
            agent: if answered.is_some() || direction == Direction::Outbound {
                agent
            } else {
                None
            },
            started: l.start,
            answered,
            ended: l.end,
            ring_secs: secs_between(l.start, answered.unwrap_or(l.end)),
            talk_secs: answered.map(|a| secs_between(a, l.end)).unwrap_or(0),
            disposition: if answered.is_some() {
                Disposition::Answered
            } else if l.disposition == Disposition::Answered {
                // ANSWERED without an answer time: the PBX could not say when; no answer.
                Disposition::NoAnswer
            } else {
                l.disposition
            },
        };
        let merge_into = (!l.uniqueid.is_empty())
            .then(|| by_id.get(l.uniqueid.as_str()).copied())
            .flatten();
        match merge_into {
            None => {
                if !l.uniqueid.is_empty() {
                    by_id.insert(l.uniqueid.as_str(), out.len());
                }
                out.push(leg);
            }
            Some(i) => {
                let call = &mut out[i];
                call.started = call.started.min(leg.started);
                call.ended = call.ended.max(leg.ended);
                if call.answered.is_none() && leg.answered.is_some() {
                    call.answered = leg.answered;
                    call.agent = leg.agent;
                    call.disposition = Disposition::Answered;
                }
                call.ring_secs = secs_between(call.started, call.answered.unwrap_or(call.ended));
                call.talk_secs = call
                    .answered
                    .map(|a| secs_between(a, call.ended))
                    .unwrap_or(0);
            }
        }
    }
    out
}
