//! Which tickets a staff member sees and acts on: the one rule every ticket read, list and
//! write of the desk applies (through the app's `App::ticket_scope`).
//!
//! Intake agents take every ticket and triage it, the follow-up team calls back on every
//! complaint, supervisors watch them all, and administrators look after the whole system:
//! they see every ticket. A handler works the complaints of their own handling group (their
//! department) and sees no other group's. With several roles, the widest wins.

use crate::identity::Role;
use uuid::Uuid;

/// The tickets a principal may see.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Scope {
    /// Every ticket.
    All,
    /// Only the tickets whose handling group is one of these (none: no ticket at all).
    Groups(Vec<Uuid>),
}

impl Scope {
    /// Whether a ticket handled by `group` is inside the scope. A ticket not yet routed to
    /// a group is outside every group scope (intake triages it first).
    pub fn admits(&self, group: Option<Uuid>) -> bool {
        match self {
            Scope::All => true,
            Scope::Groups(ids) => group.is_some_and(|g| ids.contains(&g)),
        }
    }
}

/// The scope of a staff member with `roles` in `department`.
pub fn visibility(roles: &[Role], department: Option<Uuid>) -> Scope {
    let sees_all = roles.iter().any(|r| match r {
        Role::Agent | Role::FollowUp | Role::Supervisor | Role::Admin => true,
        Role::Handler => false,
    });
    if sees_all {
        Scope::All
    } else if roles.contains(&Role::Handler) {
        Scope::Groups(department.into_iter().collect())
    } else {
        // No desk role (the public form's principal): no ticket through the desk.
        Scope::Groups(Vec::new())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn role() -> impl Strategy<Value = Role> {
        prop::sample::select(Role::ALL.to_vec())
    }

    #[test]
    fn each_role_alone() {
        let g = Uuid::now_v7();
        for r in [Role::Agent, Role::FollowUp, Role::Supervisor, Role::Admin] {
            assert_eq!(visibility(&[r], Some(g)), Scope::All, "{r}");
            assert_eq!(visibility(&[r], None), Scope::All, "{r}");
        }
        assert_eq!(
            visibility(&[Role::Handler], Some(g)),
            Scope::Groups(vec![g])
        );
        assert_eq!(visibility(&[Role::Handler], None), Scope::Groups(vec![]));
        assert_eq!(visibility(&[], Some(g)), Scope::Groups(vec![]));
    }

    #[test]
    fn admits_only_the_groups_named() {
        let (a, b) = (Uuid::now_v7(), Uuid::now_v7());
        let s = Scope::Groups(vec![a]);
        assert!(s.admits(Some(a)));
        assert!(!s.admits(Some(b)));
        assert!(!s.admits(None));
        assert!(!Scope::Groups(vec![]).admits(Some(a)));
        assert!(Scope::All.admits(None));
    }

    proptest! {
        /// The widest role wins: adding a role never hides a ticket, and a handler's
        /// scope is exactly their own group.
        #[test]
        fn adding_a_role_never_narrows(roles in prop::collection::vec(role(), 0..5), extra in role(),
                                       dept in prop::option::of(any::<u128>()), group in prop::option::of(any::<u128>())) {
            let dept = dept.map(Uuid::from_u128);
            let group = group.map(Uuid::from_u128);
            let before = visibility(&roles, dept).admits(group);
            let mut more = roles.clone();
            more.push(extra);
            prop_assert!(!before || visibility(&more, dept).admits(group));
            if roles.iter().all(|r| *r == Role::Handler) && !roles.is_empty() {
                prop_assert_eq!(visibility(&roles, dept).admits(group), group.is_some() && group == dept);
            }
        }
    }
}
