//! Emergencies (seed 000's emergency plan, seed 003's rapid response): what an incident is,
//! who runs it, what each role must do, how a traveler's answer is read, and the figures of
//! the report, and the refund or postponement each affected booking is offered under force
//! majeure (`remedy.rs`). Pure rules; the app finds the affected travelers from bookings
//! and sends.

mod checklist;
mod event_kind;
mod remedy;
mod reply;
mod report;
mod sequence;
#[cfg(test)]
mod sequence_tests;
#[cfg(test)]
mod tests;

pub use checklist::{checklist, ChecklistItem};
pub use event_kind::EventKind;
pub use remedy::{
    choose, eligibility, ChoiceStep, Ineligible, OfferFacts, PostponementTerms, RemedyBooking,
    RemedyChoice, RemedyError, RemedyOptions, RemedyState, RemedyVia,
};
pub use reply::{parse_reply, Answer};
pub use report::{time_to_share, ReportFigures};
pub use sequence::{first_step, next_step, ContactStep, Reach, StepState, Trail};

use jiff::civil::Date;
use serde::{Deserialize, Serialize};

/// The seed's three kinds of incident, plus other.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(as = IncidentKindName))]
pub enum IncidentKind {
    /// 自然灾害: typhoon, earthquake, flood.
    NaturalDisaster,
    /// 安全事故: traffic accident, injury.
    Safety,
    /// 系统故障: network outage, booking system down.
    SystemFailure,
    Other,
}

impl IncidentKind {
    pub const ALL: [IncidentKind; 4] = [
        IncidentKind::NaturalDisaster,
        IncidentKind::Safety,
        IncidentKind::SystemFailure,
        IncidentKind::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            IncidentKind::NaturalDisaster => "natural_disaster",
            IncidentKind::Safety => "safety",
            IncidentKind::SystemFailure => "system_failure",
            IncidentKind::Other => "other",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// The four levels of the tourism safety rules (《旅游安全管理办法》 art. 15).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(as = IncidentLevelName))]
pub enum IncidentLevel {
    /// 一般
    General,
    /// 较大
    Large,
    /// 重大
    Major,
    /// 特别重大
    Extraordinary,
}

impl IncidentLevel {
    pub const ALL: [IncidentLevel; 4] = [
        IncidentLevel::Extraordinary,
        IncidentLevel::Major,
        IncidentLevel::Large,
        IncidentLevel::General,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            IncidentLevel::General => "general",
            IncidentLevel::Large => "large",
            IncidentLevel::Major => "major",
            IncidentLevel::Extraordinary => "extraordinary",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// The thresholds of the rules, shown as guidance when the level is chosen (deaths,
    /// serious injuries, direct economic loss — whichever is reached first).
    pub fn guidance_zh(self) -> &'static str {
        match self {
            IncidentLevel::Extraordinary => {
                "造成或可能造成 30 人以上死亡，或 100 人以上重伤，或 1 亿元以上直接经济损失"
            }
            IncidentLevel::Major => {
                "造成或可能造成 10–29 人死亡，或 50–99 人重伤，或 5000 万–1 亿元直接经济损失"
            }
            IncidentLevel::Large => {
                "造成或可能造成 3–9 人死亡，或 10–49 人重伤，或 1000 万–5000 万元直接经济损失"
            }
            IncidentLevel::General => {
                "造成或可能造成 3 人以下死亡，或 10 人以下重伤，或 1000 万元以下直接经济损失"
            }
        }
    }

    /// Whether the first report to the tourism authority runs on a clock (1 hour by
    /// default: the SLA policy `incident.first_report`). 一般 incidents are reported too,
    /// but the rules set no hour for them.
    pub fn report_clock(self) -> bool {
        self >= IncidentLevel::Large
    }
}

/// A weather warning's colour (气象预警信号), lowest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(as = WarningColourName))]
pub enum WarningColour {
    Blue,
    Yellow,
    Orange,
    Red,
}

impl WarningColour {
    pub const ALL: [WarningColour; 4] = [
        WarningColour::Blue,
        WarningColour::Yellow,
        WarningColour::Orange,
        WarningColour::Red,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            WarningColour::Blue => "blue",
            WarningColour::Yellow => "yellow",
            WarningColour::Orange => "orange",
            WarningColour::Red => "red",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// Open while it is being handled; closed with its summary.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(as = IncidentStateName))]
pub enum IncidentState {
    Open,
    Closed,
}

impl IncidentState {
    pub fn as_str(self) -> &'static str {
        match self {
            IncidentState::Open => "open",
            IncidentState::Closed => "closed",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "open" => Some(IncidentState::Open),
            "closed" => Some(IncidentState::Closed),
            _ => None,
        }
    }
}

/// The seed's four roles of the emergency team.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(as = TeamRoleName))]
pub enum TeamRole {
    /// 组长: coordination and decisions.
    Leader,
    /// 客服经理: communication with customers.
    CsManager,
    /// 技术支持: systems.
    TechSupport,
    /// 后勤保障: supplies and accommodation.
    Logistics,
}

impl TeamRole {
    pub const ALL: [TeamRole; 4] = [
        TeamRole::Leader,
        TeamRole::CsManager,
        TeamRole::TechSupport,
        TeamRole::Logistics,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            TeamRole::Leader => "leader",
            TeamRole::CsManager => "cs_manager",
            TeamRole::TechSupport => "tech_support",
            TeamRole::Logistics => "logistics",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// Where a traveler stands in an incident.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(as = PersonStatusName))]
pub enum PersonStatus {
    /// Not answered yet.
    Pending,
    /// 平安
    Safe,
    /// 需要帮助
    NeedsHelp,
}

impl PersonStatus {
    pub const ALL: [PersonStatus; 3] = [
        PersonStatus::Pending,
        PersonStatus::Safe,
        PersonStatus::NeedsHelp,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            PersonStatus::Pending => "pending",
            PersonStatus::Safe => "safe",
            PersonStatus::NeedsHelp => "needs_help",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// Whether a new answer replaces the one recorded. "Needs help" is never overwritten by a
/// later "safe" from a link or a text (a second person may hold the phone; staff who spoke
/// to the traveler record it by hand); a repeated answer changes nothing.
pub fn answer_replaces(recorded: PersonStatus, new: PersonStatus, by_staff: bool) -> bool {
    match (recorded, new) {
        (a, b) if a == b => false,
        (_, PersonStatus::Pending) => by_staff,
        (PersonStatus::NeedsHelp, PersonStatus::Safe) => by_staff,
        _ => true,
    }
}

/// How an answer reached us.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(as = AnswerViaName))]
pub enum AnswerVia {
    /// The signed check-in link in the message.
    Link,
    /// An SMS reply with a keyword.
    Sms,
    /// Staff who reached the traveler (a call, the guide on site).
    Staff,
}

impl AnswerVia {
    pub fn as_str(self) -> &'static str {
        match self {
            AnswerVia::Link => "link",
            AnswerVia::Sms => "sms",
            AnswerVia::Staff => "staff",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "link" => Some(AnswerVia::Link),
            "sms" => Some(AnswerVia::Sms),
            "staff" => Some(AnswerVia::Staff),
            _ => None,
        }
    }
}

/// Why a traveler is on the call list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(as = CallReasonName))]
pub enum CallReason {
    /// They answered "needs help".
    NeedsHelp,
    /// No answer within `no_answer_minutes` of the broadcast.
    NoAnswer,
    /// A phone but no SMS provider: the broadcast could not text them.
    NoSms,
    /// Neither a phone nor an email to write to.
    NoContact,
    /// The broadcast's SMS was given up or reported undelivered.
    SmsFailed,
    /// The broadcast's email was given up.
    EmailFailed,
}

impl CallReason {
    pub const ALL: [CallReason; 6] = [
        CallReason::NeedsHelp,
        CallReason::NoAnswer,
        CallReason::NoSms,
        CallReason::NoContact,
        CallReason::SmsFailed,
        CallReason::EmailFailed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            CallReason::NeedsHelp => "needs_help",
            CallReason::NoAnswer => "no_answer",
            CallReason::NoSms => "no_sms",
            CallReason::NoContact => "no_contact",
            CallReason::SmsFailed => "sms_failed",
            CallReason::EmailFailed => "email_failed",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// What a voice call achieved.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(as = CallOutcomeName))]
pub enum CallOutcome {
    /// Spoken to (their answer is recorded as a staff answer).
    Reached,
    NoAnswer,
    WrongNumber,
}

impl CallOutcome {
    pub const ALL: [CallOutcome; 3] = [
        CallOutcome::Reached,
        CallOutcome::NoAnswer,
        CallOutcome::WrongNumber,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            CallOutcome::Reached => "reached",
            CallOutcome::NoAnswer => "no_answer",
            CallOutcome::WrongNumber => "wrong_number",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// Where an incident reaches: places by name (matched against a package's destination and a
/// property's address), or named properties, packages and departures; and the days in which
/// a trip that touches them is affected.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(as = IncidentScope))]
pub struct Scope {
    #[serde(default)]
    pub regions: Vec<String>,
    #[serde(default)]
    pub property_ids: Vec<uuid::Uuid>,
    #[serde(default)]
    pub package_ids: Vec<uuid::Uuid>,
    #[serde(default)]
    pub departure_ids: Vec<uuid::Uuid>,
    /// First day of the window (a trip on the road that day, or starting or ending in the
    /// window, is affected).
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = Date))]
    pub from: Date,
    /// Last day of the window, inclusive.
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = Date))]
    pub to: Date,
}

/// The longest window an incident may cover: a storm season is declared as several
/// incidents, not one whose audience grows without end.
pub const MAX_WINDOW_DAYS: i32 = 62;
/// The most regions or ids one scope names.
pub const MAX_SCOPE_ITEMS: usize = 50;

/// Why a scope is refused, by field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScopeError {
    #[error("scope names no region, property, package or departure")]
    Empty,
    #[error("scope.to is before scope.from")]
    Reversed,
    #[error("the window is longer than {MAX_WINDOW_DAYS} days")]
    TooLong,
    #[error("{0} names more than {MAX_SCOPE_ITEMS} items")]
    TooMany(&'static str),
    #[error("a region is 1 to 40 characters on one line")]
    BadRegion,
}

impl ScopeError {
    pub fn field(&self) -> &'static str {
        match self {
            ScopeError::Empty => "scope",
            ScopeError::Reversed | ScopeError::TooLong => "scope.to",
            ScopeError::TooMany(f) => f,
            ScopeError::BadRegion => "scope.regions",
        }
    }

    pub fn code(&self) -> &'static str {
        match self {
            ScopeError::Empty => "empty",
            ScopeError::Reversed => "before_from",
            ScopeError::TooLong => "too_long",
            ScopeError::TooMany(_) => "too_many",
            ScopeError::BadRegion => "invalid",
        }
    }
}

impl Scope {
    /// Trims and de-duplicates the regions, then checks the scope.
    pub fn normalised(mut self) -> Result<Scope, ScopeError> {
        let mut regions: Vec<String> = Vec::new();
        for r in &self.regions {
            let r = r.trim();
            if r.is_empty() {
                continue;
            }
            if r.chars().count() > 40 || r.contains(['\n', '\r', '%', '_']) {
                return Err(ScopeError::BadRegion);
            }
            if !regions.iter().any(|x| x == r) {
                regions.push(r.to_string());
            }
        }
        self.regions = regions;
        self.property_ids.sort();
        self.property_ids.dedup();
        self.package_ids.sort();
        self.package_ids.dedup();
        self.departure_ids.sort();
        self.departure_ids.dedup();
        for (field, n) in [
            ("scope.regions", self.regions.len()),
            ("scope.property_ids", self.property_ids.len()),
            ("scope.package_ids", self.package_ids.len()),
            ("scope.departure_ids", self.departure_ids.len()),
        ] {
            if n > MAX_SCOPE_ITEMS {
                return Err(ScopeError::TooMany(field));
            }
        }
        if self.regions.is_empty()
            && self.property_ids.is_empty()
            && self.package_ids.is_empty()
            && self.departure_ids.is_empty()
        {
            return Err(ScopeError::Empty);
        }
        if self.to < self.from {
            return Err(ScopeError::Reversed);
        }
        let days = self
            .from
            .until((jiff::Unit::Day, self.to))
            .map(|s| s.get_days())
            .unwrap_or(i32::MAX);
        if days >= MAX_WINDOW_DAYS {
            return Err(ScopeError::TooLong);
        }
        Ok(self)
    }
}

/// How long after a broadcast a traveler who has not answered is escalated, by default.
pub const DEFAULT_NO_ANSWER_MINUTES: i64 = 30;
/// The bounds staff may choose.
pub const NO_ANSWER_MINUTES: std::ops::RangeInclusive<i64> = 5..=1440;
