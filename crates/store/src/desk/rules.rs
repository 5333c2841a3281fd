//! Records of the desk's settings and views: routing rules, reply templates, and what the
//! inbox and the supervisor board read (SLA risk of tickets, the merged timeline's parts).

use jiff::Timestamp;
use tripdesk_domain::desk::Channel;
use uuid::Uuid;

use crate::Ticket;

/// A stored routing rule: every condition present must hold; the first enabled matching rule
/// (lowest `priority`, then oldest) names the handling group.
#[derive(Debug, Clone, PartialEq)]
pub struct RoutingRuleRecord {
    pub id: Uuid,
    pub name: String,
    pub priority: i32,
    pub business_area: Option<String>,
    pub keywords: Vec<String>,
    pub channel: Option<Channel>,
    /// The handling group (a department).
    pub group_id: Uuid,
    pub enabled: bool,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// A reply template (greeting, closing, common answer) in one language.
#[derive(Debug, Clone, PartialEq)]
pub struct ReplyTemplate {
    pub id: Uuid,
    /// Short name typed as `;key` in the reply box; unique per language.
    pub key: String,
    /// `zh-CN` or `en`.
    pub locale: String,
    /// `greeting`, `closing` or `answer`.
    pub category: String,
    pub title: String,
    pub body: String,
    /// Order in the picker.
    pub position: i32,
    pub updated_by: Option<Uuid>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// How close a ticket is to missing a promise, by its worst open SLA clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SlaRisk {
    /// No clock past its warning instant.
    OnTrack,
    /// A running clock past its warning instant.
    AtRisk,
    /// A clock past its deadline and not yet stopped.
    Breached,
}

impl SlaRisk {
    pub const ALL: [SlaRisk; 3] = [SlaRisk::OnTrack, SlaRisk::AtRisk, SlaRisk::Breached];

    pub fn as_str(self) -> &'static str {
        match self {
            SlaRisk::OnTrack => "on_track",
            SlaRisk::AtRisk => "at_risk",
            SlaRisk::Breached => "breached",
        }
    }

    pub fn from_rank(rank: i64) -> Self {
        match rank {
            2.. => SlaRisk::Breached,
            1 => SlaRisk::AtRisk,
            _ => SlaRisk::OnTrack,
        }
    }
}

/// One cell of the supervisor board: open complaints in a state at a risk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BoardCount {
    pub state: String,
    pub risk: SlaRisk,
    pub count: u64,
}

/// A ticket on the board with its risk.
#[derive(Debug, Clone, PartialEq)]
pub struct BoardTicket {
    pub ticket: Ticket,
    pub risk: SlaRisk,
}
