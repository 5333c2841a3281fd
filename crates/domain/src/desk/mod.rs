//! The desk's rules (seeds 001 and 004): ticket kinds and channels, triage levels, routing to
//! handling groups, the complaint workflow as an explicit state machine with the SLA clocks
//! each step starts and stops, compensation approval, separation of duties for follow-up
//! visits, and what an unsatisfied follow-up causes. Pure: the use cases persist the results.

mod routing;
mod visibility;
mod workflow;

pub use routing::{route, RoutingRule, TicketFacts};
pub use visibility::{visibility, Scope};
pub use workflow::*;

use serde::{Deserialize, Serialize};

/// What a ticket is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(as = TicketKindName))]
pub enum TicketKind {
    /// 咨询: a question before or during a trip.
    Inquiry,
    /// 投诉: the customer is unhappy; follows the complaint workflow.
    Complaint,
    /// 反馈/建议: praise or a suggestion.
    Feedback,
}

impl TicketKind {
    pub const ALL: [TicketKind; 3] = [
        TicketKind::Inquiry,
        TicketKind::Complaint,
        TicketKind::Feedback,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            TicketKind::Inquiry => "inquiry",
            TicketKind::Complaint => "complaint",
            TicketKind::Feedback => "feedback",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// How the ticket reached us.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(as = TicketChannelName))]
pub enum Channel {
    Phone,
    Email,
    WebForm,
    Chat,
    OnSite,
    /// Social media and WeChat.
    Social,
}

impl Channel {
    pub const ALL: [Channel; 6] = [
        Channel::Phone,
        Channel::Email,
        Channel::WebForm,
        Channel::Chat,
        Channel::OnSite,
        Channel::Social,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Phone => "phone",
            Channel::Email => "email",
            Channel::WebForm => "web_form",
            Channel::Chat => "chat",
            Channel::OnSite => "on_site",
            Channel::Social => "social",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == s)
    }

    /// The first-response SLA target a new ticket on this channel starts, if any. A web form
    /// is answered like an email; on-site customers are served in person at once.
    pub fn first_response_target(self) -> Option<&'static str> {
        match self {
            Channel::Phone => Some("first_response.phone"),
            Channel::Chat => Some("first_response.chat"),
            Channel::Social => Some("first_response.social"),
            Channel::Email | Channel::WebForm => Some("first_response.email"),
            Channel::OnSite => None,
        }
    }

    /// Whether taking a ticket on this channel is its first response: a phone call is
    /// answered by the agent who logs it, so its first-response clock starts already met.
    pub fn answered_at_intake(self) -> bool {
        self == Channel::Phone
    }
}

/// Triage level (初步评估).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(as = TicketLevelName))]
pub enum Level {
    /// 一般: the normal flow.
    General,
    /// 重要: reported to the supervisor at once.
    Important,
    /// 紧急: starts the emergency mechanism and takes priority in every queue.
    Urgent,
}

impl Level {
    pub const ALL: [Level; 3] = [Level::General, Level::Important, Level::Urgent];

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|l| l.as_str() == s)
    }

    /// Queue order: urgent first. One priority per level, stored beside it: the store finds a
    /// level's tickets by their priority alone (an index range).
    pub fn priority(self) -> i64 {
        match self {
            Level::Urgent => 0,
            Level::Important => 1,
            Level::General => 2,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Level::General => "general",
            Level::Important => "important",
            Level::Urgent => "urgent",
        }
    }

    /// Who must hear of a ticket at this level the moment it is set.
    pub fn alerts(self) -> &'static [Audience] {
        match self {
            Level::General => &[],
            Level::Important => &[Audience::Supervisors],
            Level::Urgent => &[Audience::Supervisors, Audience::EmergencyLeader],
        }
    }

    /// The follow-up window target: sooner for important and urgent complaints.
    pub fn follow_up_target(self) -> &'static str {
        match self {
            Level::General => "complaint.follow_up",
            Level::Important | Level::Urgent => "complaint.follow_up.important",
        }
    }
}

/// Who a notification effect goes to; the use case resolves it to people.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Audience {
    Supervisors,
    EmergencyLeader,
    HandlingGroup,
    FollowUpTeam,
    Customer,
}

#[cfg(test)]
mod level_tests {
    use super::Level;

    #[test]
    fn each_level_has_a_priority_of_its_own_urgent_first() {
        let mut seen: Vec<i64> = Level::ALL.iter().map(|l| l.priority()).collect();
        seen.sort();
        seen.dedup();
        assert_eq!(seen.len(), Level::ALL.len());
        assert!(Level::Urgent.priority() < Level::Important.priority());
        assert!(Level::Important.priority() < Level::General.priority());
    }
}
