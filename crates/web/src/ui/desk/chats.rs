//! The agents' web chats (`/desk/chats`, issue 17 item 2): the waiting chats, longest first,
//! each with the time left on its 3-minute first-response clock; the agent's own chats;
//! several open side by side, each with its transcript, the reply templates and a reply box.
//! The page is the shell; `/static/chats.js` keeps it live over the agent's WebSocket
//! (`/desk/chats/ws`, signed-in session, same origin only).
//!
//! **The socket.** Server frames: `{"type":"queue","waiting":[…],"mine":[…]}` (at once, when
//! a chat starts or changes state on any node, and every 15 s), `{"type":"message","chat",
//! "seq","author","text","at"}` and `{"type":"state","chat","state"}` for the chats the agent
//! opened, `{"type":"error","chat","message"}`. Agent frames: `{"type":"open","chat"}`,
//! `{"type":"say","chat","text"}`, `{"type":"end","chat"}`, `{"type":"close","chat"}`.

use crate::i18n::{app_error, Tr};
use crate::ui::public::chat::message_frame;
use crate::ui::{error_page, render, Chrome, UiUser};
use crate::AppState;
use askama::Template;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use serde::Deserialize;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::time::Duration;
use tokio::sync::mpsc;
use tripdesk_app::chat::QUEUE_KEY;
use tripdesk_app::Principal;
use tripdesk_domain::chat::ChatState;
use tripdesk_domain::identity::Permission;
use tripdesk_store::signal::Key;
use tripdesk_store::ChatFilter;
use uuid::Uuid;

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/desk/chats", get(page))
        .route("/desk/chats/ws", get(agent_socket))
}

/// Chats listed in each column of the queue.
const QUEUE_LISTED: u32 = 50;
/// How often the queue is sent again without a change (its clocks move).
const QUEUE_REFRESH: Duration = Duration::from_secs(15);

struct TemplateOpt {
    title: String,
    body: String,
}

#[derive(Template)]
#[template(path = "desk/chats.html")]
struct ChatsPage {
    c: Chrome,
    templates: Vec<TemplateOpt>,
    can_work: bool,
}

async fn page(State(state): State<AppState>, user: UiUser) -> Response {
    let p = &user.principal;
    let templates = match state.app.list_reply_templates(p).await {
        Ok(t) => t,
        Err(e) => return error_page(&state, &user, "chats", e),
    };
    let lang = user.lang.code();
    let page = ChatsPage {
        c: Chrome::new(&state, &user, "chats"),
        templates: templates
            .into_iter()
            .filter(|t| t.locale == lang)
            .map(|t| TemplateOpt {
                title: t.title,
                body: t.body,
            })
            .collect(),
        can_work: p.can(Permission::WorkTickets),
    };
    render(StatusCode::OK, &page)
}

async fn agent_socket(
    State(state): State<AppState>,
    user: UiUser,
    headers: HeaderMap,
    ws: WebSocketUpgrade,
) -> Response {
    // A socket signed in by its cookie: only pages of this server may open it.
    if crate::is_cross_origin(&headers, state.config.public_url.as_deref())
        || !user.principal.can(Permission::ViewDesk)
    {
        return StatusCode::FORBIDDEN.into_response();
    }
    let t = Tr(user.lang);
    let p = user.principal;
    ws.on_upgrade(move |socket| agent_session(state, socket, p, t))
}

fn chat_json(state: &AppState, c: &tripdesk_store::ChatListed) -> Value {
    json!({
        "id": c.chat.id,
        "name": c.customer_name,
        "started": c.chat.started_at.to_zoned(state.tz.clone()).strftime("%H:%M").to_string(),
        "due_ms": c.chat.due_at.map(|d| d.as_millisecond()),
    })
}

async fn queue_frame(state: &AppState, p: &Principal) -> Option<String> {
    let waiting = ChatFilter {
        states: vec![ChatState::Waiting],
        ..Default::default()
    };
    let mine = ChatFilter {
        states: vec![ChatState::Active],
        agent_id: Some(p.user_id),
        ..Default::default()
    };
    let (w, w_total) = state
        .app
        .list_chats(p, &waiting, QUEUE_LISTED, 0)
        .await
        .ok()?;
    let (m, _) = state.app.list_chats(p, &mine, QUEUE_LISTED, 0).await.ok()?;
    Some(
        json!({
            "type": "queue",
            "now_ms": state.app.now().as_millisecond(),
            "waiting_total": w_total,
            "waiting": w.items.iter().map(|c| chat_json(state, c)).collect::<Vec<_>>(),
            "mine": m.items.iter().map(|c| chat_json(state, c)).collect::<Vec<_>>(),
        })
        .to_string(),
    )
}

/// A chat the agent has open: the last number sent and the last state sent.
#[derive(Default)]
struct Open {
    after: i64,
    state: Option<ChatState>,
}

/// Sends what is new in one open chat; false when the socket is gone.
async fn push_chat(
    state: &AppState,
    socket: &mut WebSocket,
    p: &Principal,
    chat: Uuid,
    open: &mut Open,
) -> bool {
    let Ok((c, lines)) = state.app.chat_for_agent(p, chat, open.after).await else {
        return true;
    };
    for l in &lines {
        let frame = message_frame(Some(chat), l, state.tz.clone());
        if socket.send(Message::Text(frame.into())).await.is_err() {
            return false;
        }
        open.after = open.after.max(l.seq);
    }
    if open.state != Some(c.state) {
        open.state = Some(c.state);
        let frame = json!({ "type": "state", "chat": chat, "state": c.state.as_str(),
                            "mine": c.agent_id == Some(p.user_id) })
        .to_string();
        if socket.send(Message::Text(frame.into())).await.is_err() {
            return false;
        }
    }
    true
}

#[derive(Deserialize)]
struct AgentFrame {
    #[serde(rename = "type")]
    kind: String,
    chat: Uuid,
    #[serde(default)]
    text: String,
}

/// What the agent asked to write in one chat.
enum Write {
    Say(String),
    End,
}

/// The session's writers: the agent's answers and endings are written on tasks of their own,
/// one per chat — in the order asked within a chat, the agent's several chats side by side —
/// so the socket's loop goes on reading and sending the chats meanwhile (a write waits for
/// the store's writer; with many chats open, reads and other chats' answers queued behind
/// it). A refusal comes back as the error frame to send.
struct Writers {
    state: AppState,
    p: Principal,
    t: Tr,
    refused: mpsc::UnboundedSender<String>,
    by_chat: HashMap<Uuid, mpsc::UnboundedSender<Write>>,
}

impl Writers {
    fn new(state: AppState, p: Principal, t: Tr) -> (Self, mpsc::UnboundedReceiver<String>) {
        let (refused, refusals) = mpsc::unbounded_channel();
        let writers = Self {
            state,
            p,
            t,
            refused,
            by_chat: HashMap::new(),
        };
        (writers, refusals)
    }

    fn write(&mut self, chat: Uuid, w: Write) {
        let tx = self.by_chat.entry(chat).or_insert_with(|| {
            let (tx, mut writes) = mpsc::unbounded_channel::<Write>();
            let (state, p, t, refused) = (
                self.state.clone(),
                self.p.clone(),
                self.t,
                self.refused.clone(),
            );
            tokio::spawn(async move {
                while let Some(w) = writes.recv().await {
                    let done = match w {
                        Write::Say(text) => state.app.agent_says(&p, chat, &text).await.map(drop),
                        Write::End => state.app.end_chat(Some(&p), Err(chat)).await.map(drop),
                    };
                    if let Err(e) = done {
                        let frame = json!({ "type": "error", "chat": chat,
                                            "message": app_error(t, &e) })
                        .to_string();
                        if refused.send(frame).is_err() {
                            return;
                        }
                    }
                }
            });
            tx
        });
        let _ = tx.send(w);
    }

    /// The chat's writer ends once it has written what was asked.
    fn forget(&mut self, chat: Uuid) {
        self.by_chat.remove(&chat);
    }
}

/// Notes one key of the hub: the queue is due, or an open chat is dirty.
fn note_key(key: Key, open: &HashMap<Uuid, Open>, dirty: &mut Vec<Uuid>, queue_due: &mut bool) {
    match key {
        Key::One(k) if k == QUEUE_KEY => *queue_due = true,
        Key::One(k) => {
            if open.contains_key(&k) && !dirty.contains(&k) {
                dirty.push(k);
            }
        }
        Key::All => {
            *queue_due = true;
            dirty.clear();
            dirty.extend(open.keys().copied());
        }
    }
}

async fn agent_session(state: AppState, mut socket: WebSocket, p: Principal, t: Tr) {
    let mut keys = state.chat_hub.follow(&[QUEUE_KEY]);
    let (mut writers, mut refusals) = Writers::new(state.clone(), p.clone(), t);
    let mut open: HashMap<Uuid, Open> = HashMap::new();
    let mut queue_due = true;
    loop {
        if queue_due {
            queue_due = false;
            let Some(frame) = queue_frame(&state, &p).await else {
                return;
            };
            if socket.send(Message::Text(frame.into())).await.is_err() {
                return;
            }
        }
        let mut dirty: Vec<Uuid> = Vec::new();
        tokio::select! {
            got = socket.recv() => match got {
                Some(Ok(Message::Text(text))) => {
                    let Ok(f) = serde_json::from_str::<AgentFrame>(&text) else {
                        continue;
                    };
                    match f.kind.as_str() {
                        "open" => {
                            open.entry(f.chat).or_default();
                            keys.add(f.chat);
                            dirty.push(f.chat);
                        }
                        "close" => {
                            open.remove(&f.chat);
                            keys.remove(f.chat);
                            writers.forget(f.chat);
                        }
                        "say" => writers.write(f.chat, Write::Say(f.text)),
                        "end" => writers.write(f.chat, Write::End),
                        _ => {}
                    }
                }
                Some(Ok(Message::Close(_))) | None | Some(Err(_)) => return,
                Some(Ok(_)) => {}
            },
            refusal = refusals.recv() => {
                let Some(frame) = refusal else { return };
                if socket.send(Message::Text(frame.into())).await.is_err() {
                    return;
                }
            },
            key = keys.recv() => match key {
                Some(key) => note_key(key, &open, &mut dirty, &mut queue_due),
                None => return,
            },
            _ = tokio::time::sleep(QUEUE_REFRESH) => {
                queue_due = true;
                dirty.extend(open.keys().copied());
            }
        }
        // A burst of keys (many visitors writing at once) is taken together: each chat is
        // read once however many of its keys came meanwhile.
        while let Some(key) = keys.try_recv() {
            note_key(key, &open, &mut dirty, &mut queue_due);
        }
        for chat in dirty {
            if let Some(o) = open.get_mut(&chat) {
                if !push_chat(&state, &mut socket, &p, chat, o).await {
                    return;
                }
            }
        }
    }
}
