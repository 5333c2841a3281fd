//! The inbox's queues in one read: the page of the queue shown and every queue's badge,
//! each badge counted only up to a cap, so that no page scans a million tickets.

use crate::{App, AppError, Principal};
use tripdesk_domain::identity::Permission;
use tripdesk_store::{Ticket, TicketFilter};

/// Badges count up to this many tickets; beyond it the UI shows "999+".
pub const QUEUE_COUNT_CAP: u64 = 1000;

/// The tickets of the queue shown and the (capped) count of every queue.
#[derive(Debug, Clone)]
pub struct QueuePage {
    pub tickets: Vec<Ticket>,
    /// In the order of the filters given; at most [`QUEUE_COUNT_CAP`].
    pub counts: Vec<u64>,
}

impl App {
    /// One read transaction: the page of `shown`, and the counts of `queues` in one statement.
    pub async fn desk_queues(
        &self,
        p: &Principal,
        shown: &TicketFilter,
        queues: &[TicketFilter],
    ) -> Result<QueuePage, AppError> {
        p.require(Permission::ViewDesk)?;
        let mut tx = self.store.read().await?;
        let tickets = tx.list_tickets(shown).await?;
        let counts = tx.count_tickets_capped(queues, QUEUE_COUNT_CAP).await?;
        Ok(QueuePage { tickets, counts })
    }
}

/// A badge: the count, or `999+` at the cap.
pub fn badge(count: u64) -> String {
    if count >= QUEUE_COUNT_CAP {
        format!("{}+", QUEUE_COUNT_CAP - 1)
    } else {
        count.to_string()
    }
}
