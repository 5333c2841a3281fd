//! The kinds of line an incident's timeline holds: the one list of what the app writes, so
//! that every kind has its text on the board and in the report (the web layer's test walks
//! [`EventKind::ALL`]). The enum, `ALL` and the stored names come from the one list below,
//! so a kind cannot be added to one and missed in another.

macro_rules! event_kinds {
    ($($(#[$doc:meta])* $kind:ident => $name:literal,)*) => {
        /// One kind of incident timeline line; stored as [`EventKind::as_str`].
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum EventKind {
            $($(#[$doc])* $kind,)*
        }

        impl EventKind {
            pub const ALL: &'static [EventKind] = &[$(EventKind::$kind,)*];

            pub fn as_str(self) -> &'static str {
                match self {
                    $(EventKind::$kind => $name,)*
                }
            }
        }
    };
}

event_kinds! {
    /// Declared, with the people found (`people`).
    Declared => "declared",
    /// Its scope or level changed (`people`).
    Updated => "updated",
    /// A broadcast queued (`people`, `sms`, `email`, `calls`).
    Broadcast => "broadcast",
    /// A traveler's answer (`status`, `via`).
    Answer => "answer",
    /// An urgent ticket opened for a traveler (`ticket`, `reason`).
    Escalated => "escalated",
    /// A person added by hand.
    PersonAdded => "person_added",
    /// A team role given (`role`).
    Team => "team",
    /// A checklist item ticked or unticked (`item`, `done`).
    Checklist => "checklist",
    /// A call's outcome recorded (`outcome`).
    Call => "call",
    /// The first report to the authority made.
    Reported => "reported",
    /// An update report (续报) to the authority made (`note`, `number`).
    UpdateReported => "update_reported",
    /// Handling ended (处置结束): the closing summary's clock runs from here.
    HandlingEnded => "handling_ended",
    /// Closed.
    Closed => "closed",
    /// A cost line entered (`what`, `amount_fen`).
    Cost => "cost",
    /// Refunds or postponements offered (`offered`, `customers`, `sms`, `email`, `no_contact`).
    RemediesOffered => "remedies_offered",
    /// A customer's choice recorded (`choice`, `via`, `refund_fen`, `ticket`).
    RemedyChosen => "remedy_chosen",
    /// An offer withdrawn: its booking was cancelled.
    RemedyWithdrawn => "remedy_withdrawn",
    /// A traveler put on the call list after a failed message (`reason`).
    CallQueued => "call_queued",
    /// A broadcast sent again by another channel (`failed`, `channel`).
    Followup => "followup",
}

impl EventKind {
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|k| k.as_str() == s)
    }
}

#[cfg(test)]
mod tests {
    use super::EventKind;

    #[test]
    fn each_kind_has_its_own_name() {
        let mut names: Vec<_> = EventKind::ALL.iter().map(|k| k.as_str()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), EventKind::ALL.len());
        for k in EventKind::ALL {
            assert_eq!(EventKind::parse(k.as_str()), Some(*k));
        }
    }
}
