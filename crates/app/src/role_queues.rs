//! Role queues: the work that waits for a person because of the role they hold — a
//! supervisor's compensation to approve, a follow-up specialist's visits to make, a handling
//! group's customers to call back within the hour. Each capability declares its queues here
//! once (a key, the permission that makes it someone's, and what it holds); its pages show
//! the ones the signed-in person holds, with their counts, and the bell tells them when
//! something new arrives. The desk's are ticket queues of the inbox (`desk_board`); bookings
//! and emergencies add theirs to [`ROLE_QUEUES`] and a counting arm in
//! [`App::my_role_queues`].

use crate::{App, AppError, Principal};
use tripdesk_domain::desk::{State, TicketKind};
use tripdesk_domain::identity::Permission;
use tripdesk_store::TicketFilter;

/// A queue of work that waits for whoever holds `permission`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RoleQueue {
    /// Unique across capabilities (`to_approve`); the page's text key is `queue.<key>`.
    pub key: &'static str,
    /// The capability whose page lists it (`desk`).
    pub capability: &'static str,
    /// Who it waits for.
    pub permission: Permission,
}

impl RoleQueue {
    /// Whether this queue is `p`'s.
    pub fn is_for(&self, p: &Principal) -> bool {
        p.can(self.permission)
    }
}

/// Compensation above the approval threshold that no supervisor has approved yet.
pub const TO_APPROVE: RoleQueue = RoleQueue {
    key: "to_approve",
    capability: "desk",
    permission: Permission::ApproveCompensation,
};
/// Complaints assigned to a handling group that has not reached the customer yet (seed 001:
/// within 1 hour of assignment).
pub const TO_CONTACT: RoleQueue = RoleQueue {
    key: "to_contact",
    capability: "desk",
    permission: Permission::HandleComplaints,
};
/// Complaints whose result is reported and whose follow-up visit is not scheduled yet.
pub const TO_SCHEDULE: RoleQueue = RoleQueue {
    key: "to_schedule",
    capability: "desk",
    permission: Permission::ScheduleFollowUps,
};
/// Follow-up visits assigned to the signed-in specialist and not yet made.
pub const TO_FOLLOW_UP: RoleQueue = RoleQueue {
    key: "to_follow_up",
    capability: "desk",
    permission: Permission::PerformFollowUp,
};

/// Every role queue, in the order pages list them.
pub const ROLE_QUEUES: &[RoleQueue] = &[TO_APPROVE, TO_FOLLOW_UP, TO_CONTACT, TO_SCHEDULE];

/// The role queue of this key.
pub fn role_queue(key: &str) -> Option<RoleQueue> {
    ROLE_QUEUES.iter().find(|q| q.key == key).copied()
}

/// The role queues that are `p`'s, in order.
pub fn role_queues_for(p: &Principal) -> Vec<RoleQueue> {
    ROLE_QUEUES
        .iter()
        .filter(|q| q.is_for(p))
        .copied()
        .collect()
}

/// Narrows a ticket filter to a desk role queue of `p` (the caller scopes it to the tickets
/// `p` may see). `false` when `queue` is not a desk queue.
pub fn narrow_tickets(queue: &RoleQueue, p: &Principal, filter: &mut TicketFilter) -> bool {
    match queue.key {
        "to_approve" => {
            filter.kind = Some(TicketKind::Complaint);
            filter.states = vec![State::SolutionProposed];
            filter.awaiting_approval_above = Some(crate::desk::DEFAULT_APPROVAL_THRESHOLD_FEN);
        }
        "to_contact" => {
            filter.kind = Some(TicketKind::Complaint);
            filter.states = vec![State::Assigned];
        }
        "to_schedule" => {
            filter.kind = Some(TicketKind::Complaint);
            filter.states = vec![State::ResultReported];
        }
        "to_follow_up" => {
            filter.open_task = Some(("follow_up".into(), p.user_id));
        }
        _ => return false,
    }
    true
}

/// A role queue with how much waits in it.
#[derive(Debug, Clone)]
pub struct QueueCount {
    pub queue: RoleQueue,
    /// Capped at [`crate::desk_board::QUEUE_COUNT_CAP`].
    pub count: u64,
}

impl App {
    /// The role queues of `p` with their counts (one statement for the desk's).
    pub async fn my_role_queues(&self, p: &Principal) -> Result<Vec<QueueCount>, AppError> {
        let queues = role_queues_for(p);
        if queues.is_empty() || !p.can(Permission::ViewDesk) {
            return Ok(Vec::new());
        }
        let filters: Vec<TicketFilter> = queues
            .iter()
            .map(|q| {
                let mut f = TicketFilter {
                    open_only: true,
                    ..Default::default()
                };
                narrow_tickets(q, p, &mut f);
                p.scope_tickets(&mut f);
                f
            })
            .collect();
        let mut tx = self.store.read().await?;
        let counts = tx
            .count_tickets_capped(&filters, crate::desk_board::QUEUE_COUNT_CAP)
            .await?;
        Ok(queues
            .into_iter()
            .zip(counts)
            .map(|(queue, count)| QueueCount { queue, count })
            .collect())
    }
}
