// A customer's conversation across channels, shared by both backends: `include!`d where `Db`
// and `SqlTx` are bound.

use super::{Db, SqlTx};
use crate::convert::{err, id, ms, opt_id, ts};
use sqlx::{QueryBuilder, Row};
use tripdesk_store::{
    ConversationEntry, ConversationQuery, ConversationRepo, ConversationSource, StoreError,
};

/// The ticket events that are messages: the first one (a ticket's description, the customer's
/// words whoever typed them in), the agents'
/// replies and the customer's own by any channel (`customer_email`, `customer_wechat`…).
/// The first message of a ticket a chat became is the chat's transcript, already there as
/// the chat's messages (found through the customer's chats: `chats` has no index on
/// `ticket_id`, and a customer has few chats).
const TICKET_MESSAGES: &str = "SELECT 'ticket' AS source, e.id AS id, e.at AS at, \
     t.id AS ticket_id, t.number AS ticket_number, t.channel AS channel, e.kind AS kind, \
     CASE WHEN e.kind = 'created' THEN t.customer_name ELSE e.actor_name END AS actor, \
     CASE WHEN e.kind = 'created' THEN t.description ELSE e.body END AS body, \
     CAST(NULL AS TEXT) AS body_sealed, e.data AS data \
     FROM ticket_events e JOIN tickets t ON t.id = e.ticket_id \
     WHERE (e.kind IN ('created', 'reply') OR e.kind LIKE 'customer\\_%' ESCAPE '\\') \
     AND NOT (e.kind = 'created' AND EXISTS (SELECT 1 FROM chats c \
     WHERE c.customer_id = t.customer_id AND c.ticket_id = t.id)) \
     AND t.customer_id = ";

#[async_trait::async_trait]
impl ConversationRepo for SqlTx {
    async fn customer_conversation(
        &mut self,
        q: &ConversationQuery,
    ) -> Result<Vec<ConversationEntry>, StoreError> {
        let customer = q.customer_id.to_string();
        let mut qb: QueryBuilder<'_, Db> = QueryBuilder::new("SELECT * FROM (");
        qb.push(TICKET_MESSAGES).push_bind(customer.clone());
        match q.groups.as_deref() {
            None => {}
            Some([]) => {
                qb.push(" AND 1 = 0");
            }
            Some(groups) => {
                qb.push(" AND t.group_id IN (");
                let mut ids = qb.separated(", ");
                for g in groups {
                    ids.push_bind(g.to_string());
                }
                ids.push_unseparated(")");
            }
        }
        qb.push(
            " UNION ALL SELECT 'chat', m.id, m.at, c.ticket_id, CAST(NULL AS TEXT), 'chat', \
             m.author, CAST(NULL AS TEXT), CAST(NULL AS TEXT), m.body_sealed, CAST(NULL AS TEXT) \
             FROM chat_messages m JOIN chats c ON c.id = m.chat_id WHERE c.customer_id = ",
        )
        .push_bind(customer.clone());
        qb.push(
            " UNION ALL SELECT 'call', k.id, k.started_at, k.ticket_id, \
             (SELECT n.number FROM tickets n WHERE n.id = k.ticket_id), \
             'phone', k.direction || ':' || k.disposition, k.agent, CAST(NULL AS TEXT), \
             CAST(NULL AS TEXT), CAST(k.ring_secs AS TEXT) || ',' || CAST(k.talk_secs AS TEXT) \
             FROM calls k WHERE k.customer_id = ",
        )
        .push_bind(customer);
        qb.push(") x");
        if let Some((at, before)) = q.before {
            qb.push(" WHERE x.at < ")
                .push_bind(ms(at))
                .push(" OR (x.at = ")
                .push_bind(ms(at))
                .push(" AND x.id < ")
                .push_bind(before.to_string())
                .push(")");
        }
        qb.push(" ORDER BY x.at DESC, x.id DESC LIMIT ")
            .push_bind(i64::from(q.limit))
            .push(" OFFSET ")
            .push_bind(i64::from(q.offset));
        let rows = qb
            .build()
            .fetch_all(self.db().await?)
            .await
            .map_err(err)?;
        rows.iter()
            .map(|row| {
                let source: String = row.try_get("source").map_err(err)?;
                Ok(ConversationEntry {
                    source: ConversationSource::parse(&source).ok_or_else(|| {
                        StoreError::Corrupt(format!("unknown conversation source `{source}`"))
                    })?,
                    id: id(&row.try_get::<String, _>("id").map_err(err)?)?,
                    at: ts(row.try_get("at").map_err(err)?)?,
                    ticket_id: opt_id(row.try_get("ticket_id").map_err(err)?)?,
                    ticket_number: row.try_get("ticket_number").map_err(err)?,
                    channel: row.try_get("channel").map_err(err)?,
                    kind: row.try_get("kind").map_err(err)?,
                    actor: row.try_get("actor").map_err(err)?,
                    body: row.try_get("body").map_err(err)?,
                    body_sealed: row.try_get("body_sealed").map_err(err)?,
                    data: row.try_get("data").map_err(err)?,
                })
            })
            .collect()
    }
}
