// Web chats, shared by both backends: `include!`d where `Db` and `SqlTx` are bound.

use super::{Db, SqlTx};
use crate::convert::{err, id, ms, opt_id, opt_ms, opt_ts, ts};
use sqlx::{QueryBuilder, Row};
use tripdesk_domain::chat::{Author, ChatState};
use tripdesk_store::signal::Topic;
use tripdesk_store::{
    Chat, ChatFilter, ChatListed, ChatMessage, ChatRepo, StoreError, CHAT_QUEUE_KEY,
};
use uuid::Uuid;

type DbRow = <Db as sqlx::Database>::Row;

const CHAT_COLUMNS: &str = "ch.id, ch.customer_id, ch.state, ch.agent_id, ch.ticket_id, \
     ch.started_at, ch.due_at, ch.answered_at, ch.ended_at, ch.last_seq, ch.last_at, ch.version";
const MESSAGE_COLUMNS: &str = "id, chat_id, seq, author, agent_id, body_sealed, at";

fn chat_from_row(row: &DbRow) -> Result<Chat, StoreError> {
    let state: String = row.try_get("state").map_err(err)?;
    Ok(Chat {
        id: id(&row.try_get::<String, _>("id").map_err(err)?)?,
        customer_id: id(&row.try_get::<String, _>("customer_id").map_err(err)?)?,
        state: ChatState::parse(&state)
            .ok_or_else(|| StoreError::Corrupt(format!("unknown chat state `{state}`")))?,
        agent_id: opt_id(row.try_get("agent_id").map_err(err)?)?,
        ticket_id: opt_id(row.try_get("ticket_id").map_err(err)?)?,
        started_at: ts(row.try_get("started_at").map_err(err)?)?,
        due_at: opt_ts(row.try_get("due_at").map_err(err)?)?,
        answered_at: opt_ts(row.try_get("answered_at").map_err(err)?)?,
        ended_at: opt_ts(row.try_get("ended_at").map_err(err)?)?,
        last_seq: row.try_get("last_seq").map_err(err)?,
        last_at: ts(row.try_get("last_at").map_err(err)?)?,
        version: row.try_get("version").map_err(err)?,
    })
}

fn message_from_row(row: &DbRow) -> Result<ChatMessage, StoreError> {
    let author: String = row.try_get("author").map_err(err)?;
    Ok(ChatMessage {
        id: id(&row.try_get::<String, _>("id").map_err(err)?)?,
        chat_id: id(&row.try_get::<String, _>("chat_id").map_err(err)?)?,
        seq: row.try_get("seq").map_err(err)?,
        author: Author::parse(&author)
            .ok_or_else(|| StoreError::Corrupt(format!("unknown chat author `{author}`")))?,
        agent_id: opt_id(row.try_get("agent_id").map_err(err)?)?,
        body_sealed: row.try_get("body_sealed").map_err(err)?,
        at: ts(row.try_get("at").map_err(err)?)?,
    })
}

/// `WHERE …` of a chat filter (the chats table is `ch`).
fn push_filter<'a>(qb: &mut QueryBuilder<'a, Db>, f: &'a ChatFilter) {
    qb.push(" WHERE 1 = 1");
    if !f.states.is_empty() {
        qb.push(" AND ch.state IN (");
        let mut sep = qb.separated(", ");
        for s in &f.states {
            sep.push_bind(s.as_str());
        }
        qb.push(")");
    }
    if let Some(a) = f.agent_id {
        qb.push(" AND ch.agent_id = ").push_bind(a.to_string());
    }
    if let Some(c) = f.customer_id {
        qb.push(" AND ch.customer_id = ").push_bind(c.to_string());
    }
}

#[async_trait::async_trait]
impl ChatRepo for SqlTx {
    async fn insert_chat(&mut self, c: &Chat) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO chats (id, customer_id, state, agent_id, ticket_id, started_at, \
             answered_at, ended_at, last_seq, last_at, version, due_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
        )
        .bind(c.id.to_string())
        .bind(c.customer_id.to_string())
        .bind(c.state.as_str())
        .bind(c.agent_id.map(|u| u.to_string()))
        .bind(c.ticket_id.map(|u| u.to_string()))
        .bind(ms(c.started_at))
        .bind(opt_ms(c.answered_at))
        .bind(opt_ms(c.ended_at))
        .bind(c.last_seq)
        .bind(ms(c.last_at))
        .bind(c.version)
        .bind(opt_ms(c.due_at))
        .execute(self.db().await?)
        .await
        .map_err(err)?;
        self.note_signal_key(Topic::Chat, c.id);
        self.note_signal_key(Topic::Chat, CHAT_QUEUE_KEY);
        Ok(())
    }

    async fn get_chat(&mut self, chat: Uuid) -> Result<Option<Chat>, StoreError> {
        let row = sqlx::query(&format!("SELECT {CHAT_COLUMNS} FROM chats ch WHERE ch.id = $1"))
            .bind(chat.to_string())
            .fetch_optional(self.db().await?)
            .await
            .map_err(err)?;
        row.as_ref().map(chat_from_row).transpose()
    }

    async fn update_chat(&mut self, c: &Chat, expected: i64) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE chats SET state = $2, agent_id = $3, ticket_id = $4, answered_at = $5, \
             ended_at = $6, version = $7, due_at = $9 WHERE id = $1 AND version = $8",
        )
        .bind(c.id.to_string())
        .bind(c.state.as_str())
        .bind(c.agent_id.map(|u| u.to_string()))
        .bind(c.ticket_id.map(|u| u.to_string()))
        .bind(opt_ms(c.answered_at))
        .bind(opt_ms(c.ended_at))
        .bind(c.version)
        .bind(expected)
        .bind(opt_ms(c.due_at))
        .execute(self.db().await?)
        .await
        .map_err(err)?;
        let changed = done.rows_affected() == 1;
        if changed {
            self.note_signal_key(Topic::Chat, c.id);
            self.note_signal_key(Topic::Chat, CHAT_QUEUE_KEY);
        }
        Ok(changed)
    }

    async fn append_chat_message(&mut self, m: &ChatMessage) -> Result<Option<i64>, StoreError> {
        // The row lock of this update orders the writers of one chat.
        let seq: Option<i64> = sqlx::query_scalar(
            "UPDATE chats SET last_seq = last_seq + 1, last_at = $2 WHERE id = $1 \
             RETURNING last_seq",
        )
        .bind(m.chat_id.to_string())
        .bind(ms(m.at))
        .fetch_optional(self.db().await?)
        .await
        .map_err(err)?;
        let Some(seq) = seq else {
            return Ok(None);
        };
        self.note_signal_key(Topic::Chat, m.chat_id);
        sqlx::query(&format!(
            "INSERT INTO chat_messages ({MESSAGE_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7)"
        ))
        .bind(m.id.to_string())
        .bind(m.chat_id.to_string())
        .bind(seq)
        .bind(m.author.as_str())
        .bind(m.agent_id.map(|u| u.to_string()))
        .bind(&m.body_sealed)
        .bind(ms(m.at))
        .execute(self.db().await?)
        .await
        .map_err(err)?;
        Ok(Some(seq))
    }

    async fn list_chat_messages(
        &mut self,
        chat: Uuid,
        after_seq: i64,
        limit: u32,
    ) -> Result<Vec<ChatMessage>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {MESSAGE_COLUMNS} FROM chat_messages WHERE chat_id = $1 AND seq > $2 \
             ORDER BY seq LIMIT $3"
        ))
        .bind(chat.to_string())
        .bind(after_seq)
        .bind(i64::from(limit))
        .fetch_all(self.db().await?)
        .await
        .map_err(err)?;
        rows.iter().map(message_from_row).collect()
    }

    async fn list_chats(
        &mut self,
        filter: &ChatFilter,
        limit: u32,
        offset: u64,
    ) -> Result<Vec<ChatListed>, StoreError> {
        let mut qb: QueryBuilder<'_, Db> = QueryBuilder::new(format!(
            "SELECT {CHAT_COLUMNS}, c.name AS customer_name FROM chats ch \
             JOIN customers c ON c.id = ch.customer_id"
        ));
        push_filter(&mut qb, filter);
        qb.push(" ORDER BY ch.started_at, ch.id LIMIT ")
            .push_bind(i64::from(limit))
            .push(" OFFSET ")
            .push_bind(offset as i64);
        let rows = qb
            .build()
            .fetch_all(self.db().await?)
            .await
            .map_err(err)?;
        rows.iter()
            .map(|row| {
                Ok(ChatListed {
                    chat: chat_from_row(row)?,
                    customer_name: row.try_get("customer_name").map_err(err)?,
                })
            })
            .collect()
    }

    async fn count_chats(&mut self, filter: &ChatFilter) -> Result<u64, StoreError> {
        let mut qb: QueryBuilder<'_, Db> = QueryBuilder::new("SELECT COUNT(*) FROM chats ch");
        push_filter(&mut qb, filter);
        let n: i64 = qb
            .build_query_scalar()
            .fetch_one(self.db().await?)
            .await
            .map_err(err)?;
        Ok(n as u64)
    }

    async fn erase_chat_messages(&mut self, customer: Uuid) -> Result<u64, StoreError> {
        let done = sqlx::query(
            "UPDATE chat_messages SET body_sealed = NULL WHERE body_sealed IS NOT NULL \
             AND chat_id IN (SELECT id FROM chats WHERE customer_id = $1)",
        )
        .bind(customer.to_string())
        .execute(self.db().await?)
        .await
        .map_err(err)?;
        Ok(done.rows_affected())
    }
}
