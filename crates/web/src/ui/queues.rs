//! Role queues on the page (see `tripdesk_app::role_queues`): the queues that are the
//! signed-in person's, each a link to where the work is listed, with its count. The home page
//! shows them all (`templates/queues.html`); a capability's list page shows its own as the
//! first tabs (the desk inbox). A capability that adds a role queue adds its list page here.

use crate::i18n::Tr;
use crate::ui::session::UiUser;
use crate::AppState;
use tripdesk_app::role_queues::RoleQueue;

/// A role queue as a link.
pub struct QueueLink {
    pub key: &'static str,
    pub label: &'static str,
    pub hint: &'static str,
    /// The badge: the count, or `999+` at the cap.
    pub count: String,
    pub waiting: bool,
    pub href: String,
}

/// Where a role queue's work is listed.
pub fn href(q: &RoleQueue) -> String {
    match q.capability {
        "desk" => format!("/desk?queue={}", q.key),
        _ => "/".into(),
    }
}

/// The label of a role queue.
pub fn label(t: Tr, key: &str) -> &'static str {
    t.s(&format!("queue.{key}"))
}

/// The signed-in person's role queues with their counts (none when counting fails: the
/// page around them still shows).
pub async fn my_queues(state: &AppState, user: &UiUser) -> Vec<QueueLink> {
    let t = Tr(user.lang);
    match state.app.my_role_queues(&user.principal).await {
        Ok(queues) => queues
            .into_iter()
            .map(|c| QueueLink {
                key: c.queue.key,
                label: label(t, c.queue.key),
                hint: t.s(&format!("queue.{}.hint", c.queue.key)),
                count: tripdesk_app::desk_board::badge(c.count),
                waiting: c.count > 0,
                href: href(&c.queue),
            })
            .collect(),
        Err(e) => {
            tracing::warn!(error = %e, "role queues not counted");
            Vec::new()
        }
    }
}
