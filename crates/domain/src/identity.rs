//! Identity: staff roles and the permissions they grant. This table is the one place where
//! tripdesk decides who may do what; the web layer asks [`Role::grants`] through
//! `Principal::require` and nowhere else.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// A staff role. A user holds one or more roles; permissions are the union of their grants.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(as = RoleName))]
pub enum Role {
    /// 客服专员 — front-line agent: answers inquiries, takes bookings, logs complaints.
    Agent,
    /// 投诉处理小组成员 — investigates and resolves complaints of a business area.
    Handler,
    /// 回访专员 — calls customers back; independent of the handling groups.
    FollowUp,
    /// 客服经理 / 监督岗 — watches SLAs, approves compensation, reads the audit log.
    Supervisor,
    /// 系统管理员 — manages users, departments and settings.
    Admin,
}

impl Role {
    pub const ALL: [Role; 5] = [
        Role::Agent,
        Role::Handler,
        Role::FollowUp,
        Role::Supervisor,
        Role::Admin,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Agent => "agent",
            Role::Handler => "handler",
            Role::FollowUp => "follow_up",
            Role::Supervisor => "supervisor",
            Role::Admin => "admin",
        }
    }

    /// The permissions this role grants.
    pub fn grants(self) -> &'static [Permission] {
        use Permission::*;
        match self {
            Role::Agent => &[
                ViewDesk,
                WorkTickets,
                ScheduleFollowUps,
                ViewCustomers,
                EditCustomers,
                SendMessages,
                ViewBookings,
                MakeBookings,
                ViewIncidents,
                RespondToIncidents,
                RateColleagues,
            ],
            Role::Handler => &[
                ViewDesk,
                WorkTickets,
                HandleComplaints,
                ViewCustomers,
                SendMessages,
                ViewBookings,
                ViewIncidents,
                RespondToIncidents,
                RateColleagues,
            ],
            Role::FollowUp => &[
                ViewDesk,
                PerformFollowUp,
                ScheduleFollowUps,
                ViewCustomers,
                SendMessages,
                ViewBookings,
                ViewIncidents,
                RespondToIncidents,
                RateColleagues,
            ],
            Role::Supervisor => &[
                ViewDesk,
                WorkTickets,
                HandleComplaints,
                ApproveCompensation,
                ScheduleFollowUps,
                ViewCustomers,
                EditCustomers,
                RevealSensitive,
                ViewAudit,
                ViewReports,
                ViewUsers,
                SendMessages,
                ViewDeliveries,
                ManageDesk,
                ViewBookings,
                MakeBookings,
                ManageCatalog,
                ViewIncidents,
                RespondToIncidents,
                ManageIncidents,
                AssessStaff,
                RateColleagues,
            ],
            Role::Admin => &[
                ViewDesk,
                ViewCustomers,
                ViewUsers,
                ManageUsers,
                ManageSettings,
                ManageApiTokens,
                ViewAudit,
                ViewReports,
                SendMessages,
                ViewDeliveries,
                ManageNotifications,
                ManageDesk,
                ViewBookings,
                ManageCatalog,
                ViewIncidents,
                RespondToIncidents,
            ],
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown role; expected one of agent, handler, follow_up, supervisor, admin")]
pub struct UnknownRole;

impl FromStr for Role {
    type Err = UnknownRole;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Role::ALL
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or(UnknownRole)
    }
}

/// Something a user may be allowed to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Permission {
    /// Open the desk (inbox, tickets) at all.
    ViewDesk,
    /// Create and reply to inquiries and complaints.
    WorkTickets,
    /// Investigate and resolve complaints as a handling group member.
    HandleComplaints,
    /// Perform follow-up visits (回访).
    PerformFollowUp,
    /// Schedule a complaint's follow-up visit and choose who makes it: intake (agents), the
    /// follow-up team itself (seed 001: 回访小组 visits within 3–5 working days of completion)
    /// and supervisors — not the handling groups, whose work the visit checks.
    ScheduleFollowUps,
    /// Approve compensation above the threshold.
    ApproveCompensation,
    /// See customer records (masked).
    ViewCustomers,
    /// Create and edit customer records.
    EditCustomers,
    /// Reveal sensitive personal data in plaintext (audited).
    RevealSensitive,
    /// Browse the audit log.
    ViewAudit,
    /// See compliance and staff reports.
    ViewReports,
    /// List staff and departments.
    ViewUsers,
    /// Create, edit and disable staff accounts and departments.
    ManageUsers,
    /// Change organisation settings.
    ManageSettings,
    /// Issue and revoke long-lived API tokens.
    ManageApiTokens,
    /// Send a one-off message (email, in-app) to a customer or colleague.
    SendMessages,
    /// See the delivery history of every message.
    ViewDeliveries,
    /// Edit templates, webhooks and rate limits; requeue dead messages.
    ManageNotifications,
    /// Edit the desk's routing rules and reply templates.
    ManageDesk,
    /// See products, availability, the room-status grid and bookings.
    ViewBookings,
    /// Make, confirm and cancel bookings; record payments.
    MakeBookings,
    /// Edit packages, departures, properties, room types and rooms.
    ManageCatalog,
    /// See incidents, their board and report.
    ViewIncidents,
    /// Work an incident: record a traveler's answer, a call's outcome, tick the checklist.
    RespondToIncidents,
    /// Declare an incident, change its scope, broadcast, assign the team, report, close.
    ManageIncidents,
    /// Run the monthly staff assessment: open and close a cycle, rate staff as their
    /// supervisor, record trainings, rewards and corrections.
    AssessStaff,
    /// Rate oneself and colleagues in an open assessment cycle (self and peer ratings).
    RateColleagues,
}

impl Permission {
    pub fn as_str(self) -> &'static str {
        match self {
            Permission::ViewDesk => "view_desk",
            Permission::WorkTickets => "work_tickets",
            Permission::HandleComplaints => "handle_complaints",
            Permission::PerformFollowUp => "perform_follow_up",
            Permission::ScheduleFollowUps => "schedule_follow_ups",
            Permission::ApproveCompensation => "approve_compensation",
            Permission::ViewCustomers => "view_customers",
            Permission::EditCustomers => "edit_customers",
            Permission::RevealSensitive => "reveal_sensitive",
            Permission::ViewAudit => "view_audit",
            Permission::ViewReports => "view_reports",
            Permission::ViewUsers => "view_users",
            Permission::ManageUsers => "manage_users",
            Permission::ManageSettings => "manage_settings",
            Permission::ManageApiTokens => "manage_api_tokens",
            Permission::SendMessages => "send_messages",
            Permission::ViewDeliveries => "view_deliveries",
            Permission::ManageNotifications => "manage_notifications",
            Permission::ManageDesk => "manage_desk",
            Permission::ViewBookings => "view_bookings",
            Permission::MakeBookings => "make_bookings",
            Permission::ManageCatalog => "manage_catalog",
            Permission::ViewIncidents => "view_incidents",
            Permission::RespondToIncidents => "respond_to_incidents",
            Permission::ManageIncidents => "manage_incidents",
            Permission::AssessStaff => "assess_staff",
            Permission::RateColleagues => "rate_colleagues",
        }
    }
}

/// Whether any of `roles` grants `permission`.
pub fn roles_grant(roles: &[Role], permission: Permission) -> bool {
    roles.iter().any(|r| r.grants().contains(&permission))
}

/// Username rules: 3–32 characters of a–z, 0–9, `.`, `_`, `-`, starting with a letter.
pub fn validate_username(username: &str) -> Result<(), &'static str> {
    let len = username.chars().count();
    if !(3..=32).contains(&len) {
        return Err("must be 3 to 32 characters long");
    }
    let mut chars = username.chars();
    if !chars.next().is_some_and(|c| c.is_ascii_lowercase()) {
        return Err("must start with a lower-case letter a-z");
    }
    if !username
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_' | '-'))
    {
        return Err("may contain only a-z, 0-9, '.', '_' and '-'");
    }
    Ok(())
}

/// Password rules: at least 10 characters, at most 256.
pub fn validate_password(password: &str) -> Result<(), &'static str> {
    let len = password.chars().count();
    if len < 10 {
        return Err("must be at least 10 characters long");
    }
    if len > 256 {
        return Err("must be at most 256 characters long");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn role_names_round_trip() {
        for r in Role::ALL {
            assert_eq!(r.as_str().parse::<Role>().unwrap(), r);
            assert_eq!(
                serde_json::to_string(&r).unwrap(),
                format!("\"{}\"", r.as_str())
            );
        }
        assert!("root".parse::<Role>().is_err());
    }

    #[test]
    fn only_supervisors_reveal_and_approve() {
        for r in Role::ALL {
            let reveal = roles_grant(&[r], Permission::RevealSensitive);
            assert_eq!(reveal, r == Role::Supervisor, "{r}");
            let approve = roles_grant(&[r], Permission::ApproveCompensation);
            assert_eq!(approve, r == Role::Supervisor, "{r}");
        }
    }

    #[test]
    fn follow_up_team_cannot_handle_complaints() {
        // Separation of duties starts at the role table.
        assert!(!roles_grant(
            &[Role::FollowUp],
            Permission::HandleComplaints
        ));
        assert!(!roles_grant(&[Role::Handler], Permission::PerformFollowUp));
    }

    #[test]
    fn supervisors_assess_and_staff_rate_each_other() {
        for r in Role::ALL {
            assert_eq!(
                roles_grant(&[r], Permission::AssessStaff),
                r == Role::Supervisor
            );
            assert_eq!(
                roles_grant(&[r], Permission::RateColleagues),
                r != Role::Admin
            );
        }
    }

    #[test]
    fn only_admins_manage_users() {
        for r in Role::ALL {
            assert_eq!(roles_grant(&[r], Permission::ManageUsers), r == Role::Admin);
        }
        assert!(roles_grant(
            &[Role::Agent, Role::Admin],
            Permission::ManageUsers
        ));
        assert!(!roles_grant(&[], Permission::ViewDesk));
    }

    #[test]
    fn username_rules() {
        assert!(validate_username("li.na").is_ok());
        assert!(validate_username("ab").is_err());
        assert!(validate_username("1abc").is_err());
        assert!(validate_username("Zhang").is_err());
        assert!(validate_username("zhang wei").is_err());
        assert!(validate_username(&"a".repeat(33)).is_err());
    }

    #[test]
    fn password_rules() {
        assert!(validate_password("short").is_err());
        assert!(validate_password("long enough pw").is_ok());
        assert!(validate_password(&"x".repeat(257)).is_err());
    }
}
