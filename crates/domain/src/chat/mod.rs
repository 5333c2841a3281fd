//! Web chat (issue 17 item 2): a conversation a visitor of the agency's own site opens with a
//! name and a phone, and the rules of who may write when. A chat waits for its first answer
//! under the `first_response.chat` clock (3 minutes by default); an agent's first message
//! makes it active and theirs; one no one answers in time becomes a ticket and the visitor
//! is told; either side may end it.

use serde::{Deserialize, Serialize};

/// The longest message, in characters.
pub const MAX_MESSAGE_CHARS: usize = 2_000;

/// Where a chat stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(as = ChatStateName))]
pub enum ChatState {
    /// Opened by the visitor; no agent has answered yet.
    Waiting,
    /// An agent has answered: the chat is theirs.
    Active,
    /// Ended by the visitor or the agent.
    Ended,
    /// No one answered in time: it became a ticket.
    Ticketed,
}

impl ChatState {
    pub const ALL: [ChatState; 4] = [
        ChatState::Waiting,
        ChatState::Active,
        ChatState::Ended,
        ChatState::Ticketed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ChatState::Waiting => "waiting",
            ChatState::Active => "active",
            ChatState::Ended => "ended",
            ChatState::Ticketed => "ticketed",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// Whether messages may still be written (by the visitor or an agent).
    pub fn open(self) -> bool {
        matches!(self, ChatState::Waiting | ChatState::Active)
    }
}

/// Who wrote a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(as = ChatAuthorName))]
pub enum Author {
    Visitor,
    Agent,
    /// tripdesk itself: the chat became a ticket, the chat ended.
    System,
}

impl Author {
    pub const ALL: [Author; 3] = [Author::Visitor, Author::Agent, Author::System];

    pub fn as_str(self) -> &'static str {
        match self {
            Author::Visitor => "visitor",
            Author::Agent => "agent",
            Author::System => "system",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// What a message does to its chat.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Posted {
    /// Written; the chat stays as it was.
    Kept,
    /// The first answer of an agent: the chat becomes active and theirs, its clock stops.
    Answered,
}

/// Why a message may not be written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PostRefused {
    #[error("the chat has ended")]
    Ended,
    #[error("another agent is answering this chat")]
    TakenByAnother,
}

/// Whether `author` (an agent: `agent_is_holder` says whether they hold the chat) may write
/// in a chat in `state`, and what the message does.
pub fn post(
    state: ChatState,
    author: Author,
    agent_is_holder: bool,
) -> Result<Posted, PostRefused> {
    if !state.open() && author != Author::System {
        return Err(PostRefused::Ended);
    }
    match (state, author) {
        (ChatState::Waiting, Author::Agent) => Ok(Posted::Answered),
        (ChatState::Active, Author::Agent) if !agent_is_holder => Err(PostRefused::TakenByAnother),
        _ => Ok(Posted::Kept),
    }
}

/// Whether a chat in `state` may end (by either side).
pub fn may_end(state: ChatState) -> bool {
    state.open()
}

/// Whether a chat in `state`, with its first-response deadline passed, becomes a ticket.
pub fn becomes_ticket(state: ChatState) -> bool {
    state == ChatState::Waiting
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for s in ChatState::ALL {
            assert_eq!(ChatState::parse(s.as_str()), Some(s));
        }
        for a in Author::ALL {
            assert_eq!(Author::parse(a.as_str()), Some(a));
        }
        assert_eq!(ChatState::parse("open"), None);
    }

    /// Every combination of state, author and holding.
    #[test]
    fn who_may_write_when() {
        for state in ChatState::ALL {
            for author in Author::ALL {
                for holder in [false, true] {
                    let got = post(state, author, holder);
                    let want = match (state, author) {
                        (ChatState::Ended | ChatState::Ticketed, Author::System) => {
                            Ok(Posted::Kept)
                        }
                        (ChatState::Ended | ChatState::Ticketed, _) => Err(PostRefused::Ended),
                        (ChatState::Waiting, Author::Agent) => Ok(Posted::Answered),
                        (ChatState::Active, Author::Agent) if !holder => {
                            Err(PostRefused::TakenByAnother)
                        }
                        _ => Ok(Posted::Kept),
                    };
                    assert_eq!(got, want, "{state:?} {author:?} holder={holder}");
                }
            }
        }
    }

    #[test]
    fn only_a_waiting_chat_becomes_a_ticket_and_only_an_open_one_ends() {
        for s in ChatState::ALL {
            assert_eq!(becomes_ticket(s), s == ChatState::Waiting);
            assert_eq!(
                may_end(s),
                matches!(s, ChatState::Waiting | ChatState::Active)
            );
        }
    }
}
