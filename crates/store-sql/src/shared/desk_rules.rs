// Desk settings and views, shared by both backends: `include!`d where `Db` and `SqlTx` are
// bound. The `DeskRepo` impl in `desk.rs` calls these.

use super::shared_desk::{ticket_from_row, TICKET_COLUMNS};
use super::shared_sla::{clock_from_row, event_from_row, CLOCK_COLUMNS, EVENT_COLUMNS};
use super::{Db, SqlTx};
use tripdesk_store::signal::Topic;
use crate::convert::{err, id, ms, opt_id, ts};
use jiff::Timestamp;
use sqlx::{QueryBuilder, Row};
use tripdesk_domain::desk::Channel;
use tripdesk_store::{
    BoardCount, BoardTicket, ReplyTemplate, RoutingRuleRecord, SlaClockRecord, SlaEventRecord,
    SlaRisk, StoreError,
};
use uuid::Uuid;

const RULE_COLUMNS: &str = "id, name, priority, business_area, keywords, channel, group_id, \
    enabled, created_at, updated_at";

const REPLY_COLUMNS: &str =
    "id, key, locale, category, title, body, position, updated_by, created_at, updated_at";

/// The open-clock condition the risk index covers (`c` is the clock).
const OPEN_CLOCK: &str =
    "c.subject_type = 'ticket' AND c.state IN ('running', 'breached') AND c.stopped_at IS NULL";

/// The risk of ticket `t` at `$1`: 2 breached, 1 past a warning, 0 on track. Each ticket's
/// own clocks are looked up (`super::TICKET_CLOCKS`: by subject on SQLite, whose planner
/// otherwise walked every at-risk clock for every ticket — minutes at 30 % at risk).
fn risk_rank_sql() -> String {
    let clocks = super::TICKET_CLOCKS;
    format!(
        "CAST(CASE WHEN EXISTS (SELECT 1 FROM {clocks} WHERE {OPEN_CLOCK} AND c.subject_id = t.id \
         AND c.due_at <= $1) THEN 2 \
         WHEN EXISTS (SELECT 1 FROM {clocks} WHERE {OPEN_CLOCK} AND c.subject_id = t.id \
         AND COALESCE(c.warn_at, c.due_at) <= $1) THEN 1 ELSE 0 END AS BIGINT)"
    )
}

/// `AND id IN (tickets with an open clock breached or past its warning at `now`)`.
pub(super) fn push_risk_filter(qb: &mut QueryBuilder<'_, Db>, now: Timestamp) {
    qb.push(format!(
        " AND id IN (SELECT c.subject_id FROM sla_clocks c WHERE {OPEN_CLOCK} \
         AND COALESCE(c.warn_at, c.due_at) <= "
    ))
    .push_bind(ms(now))
    .push(")");
}

fn rule_from_row(row: &<Db as sqlx::Database>::Row) -> Result<RoutingRuleRecord, StoreError> {
    let keywords: String = row.try_get("keywords").map_err(err)?;
    let channel: Option<String> = row.try_get("channel").map_err(err)?;
    let priority: i64 = row.try_get("priority").map_err(err)?;
    let enabled: i64 = row.try_get("enabled").map_err(err)?;
    Ok(RoutingRuleRecord {
        id: id(&row.try_get::<String, _>("id").map_err(err)?)?,
        name: row.try_get("name").map_err(err)?,
        priority: i32::try_from(priority)
            .map_err(|_| StoreError::Corrupt("routing rule priority out of range".into()))?,
        business_area: row.try_get("business_area").map_err(err)?,
        keywords: keywords
            .split(',')
            .filter(|k| !k.is_empty())
            .map(str::to_string)
            .collect(),
        channel: channel
            .map(|c| {
                Channel::parse(&c)
                    .ok_or_else(|| StoreError::Corrupt("unknown channel in a routing rule".into()))
            })
            .transpose()?,
        group_id: id(&row.try_get::<String, _>("group_id").map_err(err)?)?,
        enabled: enabled != 0,
        created_at: ts(row.try_get("created_at").map_err(err)?)?,
        updated_at: ts(row.try_get("updated_at").map_err(err)?)?,
    })
}

fn reply_from_row(row: &<Db as sqlx::Database>::Row) -> Result<ReplyTemplate, StoreError> {
    let position: i64 = row.try_get("position").map_err(err)?;
    Ok(ReplyTemplate {
        id: id(&row.try_get::<String, _>("id").map_err(err)?)?,
        key: row.try_get("key").map_err(err)?,
        locale: row.try_get("locale").map_err(err)?,
        category: row.try_get("category").map_err(err)?,
        title: row.try_get("title").map_err(err)?,
        body: row.try_get("body").map_err(err)?,
        position: i32::try_from(position)
            .map_err(|_| StoreError::Corrupt("reply template position out of range".into()))?,
        updated_by: opt_id(row.try_get("updated_by").map_err(err)?)?,
        created_at: ts(row.try_get("created_at").map_err(err)?)?,
        updated_at: ts(row.try_get("updated_at").map_err(err)?)?,
    })
}

fn bind_rule<'q>(
    q: sqlx::query::Query<'q, Db, <Db as sqlx::Database>::Arguments<'q>>,
    r: &'q RoutingRuleRecord,
) -> sqlx::query::Query<'q, Db, <Db as sqlx::Database>::Arguments<'q>> {
    q.bind(r.id.to_string())
        .bind(&r.name)
        .bind(i64::from(r.priority))
        .bind(&r.business_area)
        .bind(r.keywords.join(","))
        .bind(r.channel.map(|c| c.as_str()))
        .bind(r.group_id.to_string())
        .bind(i64::from(r.enabled))
        .bind(ms(r.created_at))
        .bind(ms(r.updated_at))
}

fn bind_reply<'q>(
    q: sqlx::query::Query<'q, Db, <Db as sqlx::Database>::Arguments<'q>>,
    t: &'q ReplyTemplate,
) -> sqlx::query::Query<'q, Db, <Db as sqlx::Database>::Arguments<'q>> {
    q.bind(t.id.to_string())
        .bind(&t.key)
        .bind(&t.locale)
        .bind(&t.category)
        .bind(&t.title)
        .bind(&t.body)
        .bind(i64::from(t.position))
        .bind(t.updated_by.map(|u| u.to_string()))
        .bind(ms(t.created_at))
        .bind(ms(t.updated_at))
}

/// Ids per `IN (…)` list: well under both backends' parameter limits.
const IDS_PER_QUERY: usize = 500;

impl SqlTx {
    pub(super) async fn list_routing_rules_sql(&mut self) -> Result<Vec<RoutingRuleRecord>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {RULE_COLUMNS} FROM routing_rules ORDER BY priority, created_at, id"
        ))
        .fetch_all(self.db().await?)
        .await
        .map_err(err)?;
        rows.iter().map(rule_from_row).collect()
    }

    pub(super) async fn get_routing_rule_sql(&mut self, rule_id: Uuid) -> Result<Option<RoutingRuleRecord>, StoreError> {
        let row = sqlx::query(&format!("SELECT {RULE_COLUMNS} FROM routing_rules WHERE id = $1"))
            .bind(rule_id.to_string())
            .fetch_optional(self.db().await?)
            .await
            .map_err(err)?;
        row.as_ref().map(rule_from_row).transpose()
    }

    pub(super) async fn insert_routing_rule_sql(&mut self, r: &RoutingRuleRecord) -> Result<(), StoreError> {
        let sql = format!(
            "INSERT INTO routing_rules ({RULE_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
        );
        bind_rule(sqlx::query(&sql), r).execute(self.db().await?).await.map_err(err)?;
        self.note_signal(Topic::Config, None);
        Ok(())
    }

    pub(super) async fn update_routing_rule_sql(&mut self, r: &RoutingRuleRecord) -> Result<bool, StoreError> {
        // created_at ($9) never changes; it is bound to keep one binder.
        let sql = "UPDATE routing_rules SET name = $2, priority = $3, business_area = $4, \
             keywords = $5, channel = $6, group_id = $7, enabled = $8, updated_at = $10 \
             WHERE id = $1 AND created_at = $9";
        let done = bind_rule(sqlx::query(sql), r).execute(self.db().await?).await.map_err(err)?;
        self.note_signal(Topic::Config, None);
        Ok(done.rows_affected() == 1)
    }

    pub(super) async fn delete_routing_rule_sql(&mut self, rule_id: Uuid) -> Result<bool, StoreError> {
        let done = sqlx::query("DELETE FROM routing_rules WHERE id = $1")
            .bind(rule_id.to_string())
            .execute(self.db().await?)
            .await
            .map_err(err)?;
        self.note_signal(Topic::Config, None);
        Ok(done.rows_affected() == 1)
    }

    pub(super) async fn list_reply_templates_sql(&mut self) -> Result<Vec<ReplyTemplate>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {REPLY_COLUMNS} FROM reply_templates ORDER BY locale, position, key"
        ))
        .fetch_all(self.db().await?)
        .await
        .map_err(err)?;
        rows.iter().map(reply_from_row).collect()
    }

    pub(super) async fn get_reply_template_sql(&mut self, template_id: Uuid) -> Result<Option<ReplyTemplate>, StoreError> {
        let row = sqlx::query(&format!("SELECT {REPLY_COLUMNS} FROM reply_templates WHERE id = $1"))
            .bind(template_id.to_string())
            .fetch_optional(self.db().await?)
            .await
            .map_err(err)?;
        row.as_ref().map(reply_from_row).transpose()
    }

    pub(super) async fn insert_reply_template_sql(&mut self, t: &ReplyTemplate, if_absent: bool) -> Result<bool, StoreError> {
        let sql = format!(
            "INSERT INTO reply_templates ({REPLY_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10){}",
            if if_absent { " ON CONFLICT (key, locale) DO NOTHING" } else { "" }
        );
        let done = bind_reply(sqlx::query(&sql), t).execute(self.db().await?).await.map_err(err)?;
        Ok(done.rows_affected() == 1)
    }

    pub(super) async fn update_reply_template_sql(&mut self, t: &ReplyTemplate) -> Result<bool, StoreError> {
        let sql = "UPDATE reply_templates SET key = $2, locale = $3, category = $4, title = $5, \
             body = $6, position = $7, updated_by = $8, updated_at = $10 \
             WHERE id = $1 AND created_at = $9";
        let done = bind_reply(sqlx::query(sql), t).execute(self.db().await?).await.map_err(err)?;
        Ok(done.rows_affected() == 1)
    }

    pub(super) async fn delete_reply_template_sql(&mut self, template_id: Uuid) -> Result<bool, StoreError> {
        let done = sqlx::query("DELETE FROM reply_templates WHERE id = $1")
            .bind(template_id.to_string())
            .execute(self.db().await?)
            .await
            .map_err(err)?;
        Ok(done.rows_affected() == 1)
    }

    pub(super) async fn ticket_sla_clocks_sql(&mut self, ids: &[Uuid]) -> Result<Vec<SlaClockRecord>, StoreError> {
        let mut out = Vec::new();
        for chunk in ids.chunks(IDS_PER_QUERY) {
            let mut qb = QueryBuilder::<Db>::new(format!(
                "SELECT {CLOCK_COLUMNS} FROM sla_clocks WHERE subject_type = 'ticket' AND subject_id IN ("
            ));
            let mut sep = qb.separated(", ");
            for t in chunk {
                sep.push_bind(t.to_string());
            }
            qb.push(") ORDER BY started_at, id");
            let rows = qb.build().fetch_all(self.db().await?).await.map_err(err)?;
            for row in &rows {
                out.push(clock_from_row(row)?);
            }
        }
        Ok(out)
    }

    pub(super) async fn ticket_sla_events_sql(&mut self, ticket_id: Uuid) -> Result<Vec<SlaEventRecord>, StoreError> {
        let columns = EVENT_COLUMNS
            .split(", ")
            .map(|c| format!("e.{}", c.trim()))
            .collect::<Vec<_>>()
            .join(", ");
        let rows = sqlx::query(&format!(
            "SELECT {columns} FROM sla_events e JOIN sla_clocks c ON c.id = e.clock_id \
             WHERE c.subject_type = 'ticket' AND c.subject_id = $1 ORDER BY e.at, e.recorded_at, e.id"
        ))
        .bind(ticket_id.to_string())
        .fetch_all(self.db().await?)
        .await
        .map_err(err)?;
        rows.iter().map(event_from_row).collect()
    }

    pub(super) async fn complaint_board_counts_sql(&mut self, now: Timestamp) -> Result<Vec<BoardCount>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT state, risk, COUNT(*) AS n FROM (SELECT t.state AS state, {} AS risk \
             FROM {} WHERE t.kind = 'complaint' AND t.state <> 'closed') b \
             GROUP BY state, risk ORDER BY state, risk",
            risk_rank_sql(),
            super::OPEN_TICKETS
        ))
        .bind(ms(now))
        .fetch_all(self.db().await?)
        .await
        .map_err(err)?;
        rows.iter()
            .map(|r| {
                Ok(BoardCount {
                    state: r.try_get("state").map_err(err)?,
                    risk: SlaRisk::from_rank(r.try_get::<i64, _>("risk").map_err(err)?),
                    count: r.try_get::<i64, _>("n").map_err(err)? as u64,
                })
            })
            .collect()
    }

    pub(super) async fn complaint_board_tickets_sql(
        &mut self,
        now: Timestamp,
        per_state: u32,
    ) -> Result<Vec<BoardTicket>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT * FROM (SELECT a.*, ROW_NUMBER() OVER (PARTITION BY a.state \
             ORDER BY a.risk DESC, a.priority, a.created_at, a.id) AS rn \
             FROM (SELECT {TICKET_COLUMNS}, {} AS risk FROM {} \
             WHERE t.kind = 'complaint' AND t.state <> 'closed') a) b \
             WHERE rn <= $2 ORDER BY state, rn",
            risk_rank_sql(),
            super::OPEN_TICKETS
        ))
        .bind(ms(now))
        .bind(i64::from(per_state))
        .fetch_all(self.db().await?)
        .await
        .map_err(err)?;
        rows.iter()
            .map(|r| {
                Ok(BoardTicket {
                    ticket: ticket_from_row(r)?,
                    risk: SlaRisk::from_rank(r.try_get::<i64, _>("risk").map_err(err)?),
                })
            })
            .collect()
    }
}
