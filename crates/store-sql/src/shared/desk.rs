// Desk repository, shared by both backends: `include!`d where `Db` and `SqlTx` are bound.

use super::{Db, SqlTx};
use super::shared_rows::Insert;
use crate::convert::{err, id, ms, opt_id, opt_ms, opt_ts, ts};
use sqlx::{QueryBuilder, Row};
use tripdesk_domain::desk::{Channel, CompensationKind, Level, State, TicketKind};
use tripdesk_store::{
    BoardCount, BoardTicket, DeskRepo, DeskTask, ReplyTemplate, RoutingRuleRecord, SlaClockRecord,
    SlaEventRecord, StoreError, Ticket, TicketEvent, TicketFilter, TicketOrder,
};
use uuid::Uuid;

fn corrupt(what: &str) -> StoreError {
    StoreError::Corrupt(format!("unknown {what} in tickets"))
}

pub(super) fn ticket_from_row(row: &<Db as sqlx::Database>::Row) -> Result<Ticket, StoreError> {
    let text = |name: &str| -> Result<String, StoreError> { row.try_get(name).map_err(err) };
    let tags: String = text("tags")?;
    Ok(Ticket {
        id: id(&text("id")?)?,
        number: text("number")?,
        kind: TicketKind::parse(&text("kind")?).ok_or_else(|| corrupt("kind"))?,
        channel: Channel::parse(&text("channel")?).ok_or_else(|| corrupt("channel"))?,
        level: Level::parse(&text("level")?).ok_or_else(|| corrupt("level"))?,
        state: State::parse(&text("state")?).ok_or_else(|| corrupt("state"))?,
        subject: text("subject")?,
        description: text("description")?,
        customer_id: opt_id(row.try_get("customer_id").map_err(err)?)?,
        customer_name: text("customer_name")?,
        booking_ref: row.try_get("booking_ref").map_err(err)?,
        business_area: row.try_get("business_area").map_err(err)?,
        tags: tags.split(',').filter(|t| !t.is_empty()).map(str::to_string).collect(),
        group_id: opt_id(row.try_get("group_id").map_err(err)?)?,
        assignee_id: opt_id(row.try_get("assignee_id").map_err(err)?)?,
        compensation_kind: row
            .try_get::<Option<String>, _>("compensation_kind")
            .map_err(err)?
            .map(|k| CompensationKind::parse(&k).ok_or_else(|| corrupt("compensation kind")))
            .transpose()?,
        compensation_amount_fen: row.try_get("compensation_amount_fen").map_err(err)?,
        compensation_approved_by: opt_id(row.try_get("compensation_approved_by").map_err(err)?)?,
        compensation_approved_at: opt_ts(row.try_get("compensation_approved_at").map_err(err)?)?,
        cause: row.try_get("cause").map_err(err)?,
        responsible_department_id: opt_id(row.try_get("responsible_department_id").map_err(err)?)?,
        responsible_person: row.try_get("responsible_person").map_err(err)?,
        last_satisfaction: row
            .try_get::<Option<i64>, _>("last_satisfaction")
            .map_err(err)?
            .map(|s| s as u8),
        created_by: opt_id(row.try_get("created_by").map_err(err)?)?,
        created_at: ts(row.try_get("created_at").map_err(err)?)?,
        updated_at: ts(row.try_get("updated_at").map_err(err)?)?,
        resolved_at: opt_ts(row.try_get("resolved_at").map_err(err)?)?,
        closed_at: opt_ts(row.try_get("closed_at").map_err(err)?)?,
        version: row.try_get("version").map_err(err)?,
    })
}

/// Tags are stored as `,a,b,` so one tag is found with `LIKE '%,a,%'`.
fn tags_text(tags: &[String]) -> String {
    if tags.is_empty() {
        String::new()
    } else {
        format!(",{},", tags.join(","))
    }
}

fn push_ticket_filter(qb: &mut QueryBuilder<'_, Db>, f: &TicketFilter) {
    qb.push(" WHERE 1=1");
    if let Some(kind) = f.kind {
        qb.push(" AND kind = ").push_bind(kind.as_str());
    }
    if let Some(level) = f.level {
        // A ticket's priority is its level's, written with it by `bind_ticket` (the only
        // writer of either column), one priority per level: filtering on the priority alone
        // selects the same tickets, and the queue indexes (which lead with priority) answer
        // it without reading a row — `level = …` too made the urgent badge read 1,000.
        qb.push(" AND priority = ").push_bind(level.priority());
    }
    // States are written as literals (the domain's own names, never user text): a planner
    // can use a partial index (`WHERE state = 'closed'`, migration 0011) only for a
    // predicate it can see when preparing the statement.
    let mut states = String::new();
    match f.states.as_slice() {
        [] => {}
        [one] => states.push_str(&format!(" AND state = '{}'", one.as_str())),
        many => {
            let names: Vec<String> = many.iter().map(|s| format!("'{}'", s.as_str())).collect();
            states.push_str(&format!(" AND state IN ({})", names.join(", ")));
        }
    }
    if f.open_only {
        states.push_str(" AND state <> 'closed'");
    }
    qb.push(&states);
    if let Some(g) = f.group_id {
        qb.push(" AND group_id = ").push_bind(g.to_string());
    }
    // The viewer's scope. One group (a handler's department) is an equality, which the
    // per-group queue indexes (migrations 0008, 0011) answer as they answer "my group".
    match f.groups.as_deref() {
        None => {}
        Some([]) => {
            qb.push(" AND 1 = 0");
        }
        Some([g]) => {
            qb.push(" AND group_id = ").push_bind(g.to_string());
        }
        Some(many) => {
            qb.push(" AND group_id IN (");
            let mut ids = qb.separated(", ");
            for g in many {
                ids.push_bind(g.to_string());
            }
            ids.push_unseparated(")");
        }
    }
    if let Some(a) = f.assignee_id {
        qb.push(" AND assignee_id = ").push_bind(a.to_string());
    }
    // Assigned to me, or an open task of mine on it: a union of two index searches (the
    // assignee's partial queue index, found through the same state predicate, and
    // `desk_tasks_open_assignee_idx`), not an OR that would walk every open ticket.
    if let Some(u) = f.mine {
        qb.push(" AND id IN (SELECT id FROM tickets WHERE assignee_id = ")
            .push_bind(u.to_string())
            .push(&states)
            .push(" UNION ALL SELECT ticket_id FROM desk_tasks WHERE done_at IS NULL AND assignee_id = ")
            .push_bind(u.to_string())
            .push(")");
    }
    if let Some((kind, u)) = &f.open_task {
        qb.push(" AND id IN (SELECT ticket_id FROM desk_tasks WHERE done_at IS NULL AND assignee_id = ")
            .push_bind(u.to_string())
            .push(" AND kind = ")
            .push_bind(kind.clone())
            .push(")");
    }
    if let Some(fen) = f.awaiting_approval_above {
        qb.push(" AND compensation_amount_fen > ")
            .push_bind(fen)
            .push(" AND compensation_approved_at IS NULL");
    }
    if f.unassigned {
        qb.push(" AND assignee_id IS NULL");
    }
    if let Some(c) = f.customer_id {
        qb.push(" AND customer_id = ").push_bind(c.to_string());
    }
    if let Some(ch) = f.channel {
        qb.push(" AND channel = ").push_bind(ch.as_str());
    }
    if let Some(now) = f.sla_risk_at {
        super::shared_desk_rules::push_risk_filter(qb, now);
    }
}

fn bind_ticket<'q>(
    q: sqlx::query::Query<'q, Db, <Db as sqlx::Database>::Arguments<'q>>,
    t: &Ticket,
) -> sqlx::query::Query<'q, Db, <Db as sqlx::Database>::Arguments<'q>> {
    super::shared_rows::bind_row(q, ticket_row(t))
}

/// A ticket as a row of `TICKET_COLUMNS`: what every INSERT and UPDATE of a whole ticket binds.
fn ticket_row(t: &Ticket) -> Insert {
    Insert::new("tickets", TICKET_COLUMNS)
        .val(t.id.to_string())
        .val(&t.number)
        .val(t.kind.as_str())
        .val(t.channel.as_str())
        .val(t.level.as_str())
        .val(t.level.priority())
        .val(t.state.as_str())
        .val(&t.subject)
        .val(&t.description)
        .val(t.customer_id.map(|c| c.to_string()))
        .val(&t.customer_name)
        .val(&t.booking_ref)
        .val(&t.business_area)
        .val(tags_text(&t.tags))
        .val(t.group_id.map(|g| g.to_string()))
        .val(t.assignee_id.map(|a| a.to_string()))
        .val(t.compensation_kind.map(|k| k.as_str()))
        .val(t.compensation_amount_fen)
        .val(t.compensation_approved_by.map(|u| u.to_string()))
        .val(opt_ms(t.compensation_approved_at))
        .val(&t.cause)
        .val(t.responsible_department_id.map(|d| d.to_string()))
        .val(&t.responsible_person)
        .val(t.last_satisfaction.map(i64::from))
        .val(t.created_by.map(|u| u.to_string()))
        .val(ms(t.created_at))
        .val(ms(t.updated_at))
        .val(opt_ms(t.resolved_at))
        .val(opt_ms(t.closed_at))
        .val(t.version)
}

pub(super) const TICKET_COLUMNS: &str = "id, number, kind, channel, level, priority, state, subject, description, \
    customer_id, customer_name, booking_ref, business_area, tags, group_id, assignee_id, \
    compensation_kind, compensation_amount_fen, compensation_approved_by, compensation_approved_at, \
    cause, responsible_department_id, responsible_person, last_satisfaction, created_by, \
    created_at, updated_at, resolved_at, closed_at, version";

#[async_trait::async_trait]
impl DeskRepo for SqlTx {
    async fn next_in_sequence(&mut self, name: &str) -> Result<i64, StoreError> {
        if let Some((_, sequence)) = super::SEQUENCES.iter().find(|(n, _)| *n == name) {
            // Not rolled back with the transaction: no row held until the commit.
            return self.next_from_sequence(sequence).await;
        }
        let row = sqlx::query(
            "INSERT INTO counters (name, value) VALUES ($1, 1) \
             ON CONFLICT (name) DO UPDATE SET value = counters.value + 1 RETURNING value",
        )
        .bind(name)
        .fetch_one(self.db().await?)
        .await
        .map_err(err)?;
        row.try_get("value").map_err(err)
    }

    async fn insert_ticket(&mut self, t: &Ticket) -> Result<(), StoreError> {
        // Sent with the transaction's next statement (`shared/rows.rs`).
        self.insert_row(ticket_row(t)).await
    }

    async fn insert_tickets(&mut self, tickets: &[Ticket]) -> Result<(), StoreError> {
        // Rows per statement: 500 × the columns stays under both drivers' bind limits
        // (SQLite 32,766, PostgreSQL 65,535). The placeholders are the backend's own, as the
        // query builder writes them: `$n` on SQLite is a *named* parameter, which the driver
        // looks up by name one by one — quadratic in a 15,000-parameter statement (1M tickets
        // took ~9 minutes to seed, 98 % of it in `sqlite3_bind_parameter_name`); `?` is not.
        let columns = TICKET_COLUMNS.split(',').count();
        for chunk in tickets.chunks(500) {
            let mut shape = QueryBuilder::<Db>::new(format!("INSERT INTO tickets ({TICKET_COLUMNS}) "));
            shape.push_values(chunk, |mut row, _| {
                for _ in 0..columns {
                    row.push_bind(0i64);
                }
            });
            let mut q = sqlx::query(shape.sql());
            for t in chunk {
                q = bind_ticket(q, t);
            }
            q.execute(self.db().await?).await.map_err(err)?;
        }
        Ok(())
    }

    async fn update_ticket(&mut self, t: &Ticket) -> Result<bool, StoreError> {
        // Same bind order as insert; number/kind/created_* never change but are rewritten
        // with their stored values.
        let sql = "UPDATE tickets SET number = $2, kind = $3, channel = $4, level = $5, priority = $6, \
             state = $7, subject = $8, description = $9, customer_id = $10, customer_name = $11, \
             booking_ref = $12, business_area = $13, tags = $14, group_id = $15, assignee_id = $16, \
             compensation_kind = $17, compensation_amount_fen = $18, compensation_approved_by = $19, \
             compensation_approved_at = $20, cause = $21, responsible_department_id = $22, \
             responsible_person = $23, last_satisfaction = $24, created_by = $25, created_at = $26, \
             updated_at = $27, resolved_at = $28, closed_at = $29, version = $30 \
             WHERE id = $1 AND version = $30 - 1";
        let done = bind_ticket(sqlx::query(sql), t).execute(self.db().await?).await.map_err(err)?;
        Ok(done.rows_affected() == 1)
    }

    async fn get_ticket(&mut self, ticket_id: Uuid) -> Result<Option<Ticket>, StoreError> {
        let row = sqlx::query(&format!("SELECT {TICKET_COLUMNS} FROM tickets WHERE id = $1{}", self.row_lock()))
            .bind(ticket_id.to_string())
            .fetch_optional(self.db().await?)
            .await
            .map_err(err)?;
        row.as_ref().map(ticket_from_row).transpose()
    }

    async fn ticket_number(&mut self, ticket_id: Uuid) -> Result<Option<String>, StoreError> {
        sqlx::query_scalar("SELECT number FROM tickets WHERE id = $1")
            .bind(ticket_id.to_string())
            .fetch_optional(self.db().await?)
            .await
            .map_err(err)
    }

    async fn get_ticket_by_number(&mut self, number: &str) -> Result<Option<Ticket>, StoreError> {
        let row = sqlx::query(&format!("SELECT {TICKET_COLUMNS} FROM tickets WHERE number = $1"))
            .bind(number)
            .fetch_optional(self.db().await?)
            .await
            .map_err(err)?;
        row.as_ref().map(ticket_from_row).transpose()
    }

    async fn list_tickets(&mut self, f: &TicketFilter) -> Result<Vec<Ticket>, StoreError> {
        let mut qb = QueryBuilder::<Db>::new(format!("SELECT {TICKET_COLUMNS} FROM tickets"));
        push_ticket_filter(&mut qb, f);
        qb.push(match f.order {
            TicketOrder::Level => " ORDER BY priority, created_at, id LIMIT ",
            // Walks tickets_open_recent_idx backwards for the open queue (migration 0025).
            TicketOrder::Newest => " ORDER BY created_at DESC, id DESC LIMIT ",
        })
            .push_bind(i64::from(f.limit.clamp(1, 500)))
            .push(" OFFSET ")
            .push_bind(i64::from(f.offset));
        let rows = qb.build().fetch_all(self.db().await?).await.map_err(err)?;
        rows.iter().map(ticket_from_row).collect()
    }

    async fn tickets_after(&mut self, after: Option<Uuid>, limit: u32) -> Result<Vec<Ticket>, StoreError> {
        // The primary key's order (UUIDv7 text sorts as the UUID does).
        let mut qb = QueryBuilder::<Db>::new(format!("SELECT {TICKET_COLUMNS} FROM tickets"));
        if let Some(after) = after {
            qb.push(" WHERE id > ").push_bind(after.to_string());
        }
        qb.push(" ORDER BY id LIMIT ").push_bind(i64::from(limit.clamp(1, 500)));
        let rows = qb.build().fetch_all(self.db().await?).await.map_err(err)?;
        rows.iter().map(ticket_from_row).collect()
    }

    async fn count_tickets(&mut self, f: &TicketFilter) -> Result<u64, StoreError> {
        let mut qb = QueryBuilder::<Db>::new("SELECT COUNT(*) AS n FROM tickets");
        push_ticket_filter(&mut qb, f);
        let row = qb.build().fetch_one(self.db().await?).await.map_err(err)?;
        Ok(row.try_get::<i64, _>("n").map_err(err)? as u64)
    }

    async fn count_tickets_capped(&mut self, filters: &[TicketFilter], cap: u64) -> Result<Vec<u64>, StoreError> {
        if filters.is_empty() {
            return Ok(Vec::new());
        }
        let cap = cap.min(i64::MAX as u64) as i64;
        let mut qb = QueryBuilder::<Db>::new("SELECT ");
        for (i, f) in filters.iter().enumerate() {
            if i > 0 {
                qb.push(", ");
            }
            qb.push("(SELECT COUNT(*) FROM (SELECT 1 FROM tickets");
            push_ticket_filter(&mut qb, f);
            qb.push(" LIMIT ").push_bind(cap).push(") AS capped) AS c").push(i.to_string());
        }
        let row = qb.build().fetch_one(self.db().await?).await.map_err(err)?;
        (0..filters.len())
            .map(|i| Ok(row.try_get::<i64, _>(i).map_err(err)? as u64))
            .collect()
    }

    async fn insert_ticket_event(&mut self, e: &TicketEvent) -> Result<(), StoreError> {
        let row = Insert::new(
            "ticket_events",
            "id, ticket_id, at, actor_id, actor_name, kind, step, from_state, to_state, body, data",
        )
        .val(e.id.to_string())
        .val(e.ticket_id.to_string())
        .val(ms(e.at))
        .val(e.actor_id.map(|a| a.to_string()))
        .val(&e.actor_name)
        .val(&e.kind)
        .val(&e.step)
        .val(&e.from_state)
        .val(&e.to_state)
        .val(&e.body)
        .val(&e.data);
        self.insert_row(row).await
    }

    async fn list_ticket_events(&mut self, ticket_id: Uuid) -> Result<Vec<TicketEvent>, StoreError> {
        let rows = sqlx::query("SELECT * FROM ticket_events WHERE ticket_id = $1 ORDER BY at, id")
            .bind(ticket_id.to_string())
            .fetch_all(self.db().await?)
            .await
            .map_err(err)?;
        rows.iter()
            .map(|row| {
                Ok(TicketEvent {
                    id: id(&row.try_get::<String, _>("id").map_err(err)?)?,
                    ticket_id: id(&row.try_get::<String, _>("ticket_id").map_err(err)?)?,
                    at: ts(row.try_get("at").map_err(err)?)?,
                    actor_id: opt_id(row.try_get("actor_id").map_err(err)?)?,
                    actor_name: row.try_get("actor_name").map_err(err)?,
                    kind: row.try_get("kind").map_err(err)?,
                    step: row.try_get("step").map_err(err)?,
                    from_state: row.try_get("from_state").map_err(err)?,
                    to_state: row.try_get("to_state").map_err(err)?,
                    body: row.try_get("body").map_err(err)?,
                    data: row.try_get("data").map_err(err)?,
                })
            })
            .collect()
    }

    async fn add_ticket_handler(&mut self, ticket_id: Uuid, user_id: Uuid) -> Result<(), StoreError> {
        sqlx::query("INSERT INTO ticket_handlers (ticket_id, user_id) VALUES ($1, $2) ON CONFLICT DO NOTHING")
            .bind(ticket_id.to_string())
            .bind(user_id.to_string())
            .execute(self.db().await?)
            .await
            .map_err(err)?;
        Ok(())
    }

    async fn ticket_handlers(&mut self, ticket_id: Uuid) -> Result<Vec<Uuid>, StoreError> {
        let rows = sqlx::query("SELECT user_id FROM ticket_handlers WHERE ticket_id = $1 ORDER BY user_id")
            .bind(ticket_id.to_string())
            .fetch_all(self.db().await?)
            .await
            .map_err(err)?;
        rows.iter().map(|r| id(&r.try_get::<String, _>("user_id").map_err(err)?)).collect()
    }

    async fn insert_desk_task(&mut self, t: &DeskTask) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO desk_tasks (id, ticket_id, kind, department_id, assignee_id, title, body, \
             created_at, due_at, done_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(t.id.to_string())
        .bind(t.ticket_id.to_string())
        .bind(&t.kind)
        .bind(t.department_id.map(|d| d.to_string()))
        .bind(t.assignee_id.map(|a| a.to_string()))
        .bind(&t.title)
        .bind(&t.body)
        .bind(ms(t.created_at))
        .bind(opt_ms(t.due_at))
        .bind(opt_ms(t.done_at))
        .execute(self.db().await?)
        .await
        .map_err(err)?;
        Ok(())
    }

    async fn complete_desk_tasks(
        &mut self,
        ticket_id: Uuid,
        kind: &str,
        at: jiff::Timestamp,
    ) -> Result<u64, StoreError> {
        let done = sqlx::query(
            "UPDATE desk_tasks SET done_at = $3 WHERE ticket_id = $1 AND kind = $2 AND done_at IS NULL",
        )
        .bind(ticket_id.to_string())
        .bind(kind)
        .bind(ms(at))
        .execute(self.db().await?)
        .await
        .map_err(err)?;
        Ok(done.rows_affected())
    }

    async fn list_desk_tasks(&mut self, ticket_id: Uuid) -> Result<Vec<DeskTask>, StoreError> {
        let rows = sqlx::query("SELECT * FROM desk_tasks WHERE ticket_id = $1 ORDER BY created_at, id")
            .bind(ticket_id.to_string())
            .fetch_all(self.db().await?)
            .await
            .map_err(err)?;
        rows.iter()
            .map(|row| {
                Ok(DeskTask {
                    id: id(&row.try_get::<String, _>("id").map_err(err)?)?,
                    ticket_id: id(&row.try_get::<String, _>("ticket_id").map_err(err)?)?,
                    kind: row.try_get("kind").map_err(err)?,
                    department_id: opt_id(row.try_get("department_id").map_err(err)?)?,
                    assignee_id: opt_id(row.try_get("assignee_id").map_err(err)?)?,
                    title: row.try_get("title").map_err(err)?,
                    body: row.try_get("body").map_err(err)?,
                    created_at: ts(row.try_get("created_at").map_err(err)?)?,
                    due_at: opt_ts(row.try_get("due_at").map_err(err)?)?,
                    done_at: opt_ts(row.try_get("done_at").map_err(err)?)?,
                })
            })
            .collect()
    }

    async fn list_routing_rules(&mut self) -> Result<Vec<RoutingRuleRecord>, StoreError> {
        self.list_routing_rules_sql().await
    }
    async fn get_routing_rule(&mut self, rule_id: Uuid) -> Result<Option<RoutingRuleRecord>, StoreError> {
        self.get_routing_rule_sql(rule_id).await
    }
    async fn insert_routing_rule(&mut self, rule: &RoutingRuleRecord) -> Result<(), StoreError> {
        self.insert_routing_rule_sql(rule).await
    }
    async fn update_routing_rule(&mut self, rule: &RoutingRuleRecord) -> Result<bool, StoreError> {
        self.update_routing_rule_sql(rule).await
    }
    async fn delete_routing_rule(&mut self, rule_id: Uuid) -> Result<bool, StoreError> {
        self.delete_routing_rule_sql(rule_id).await
    }
    async fn list_reply_templates(&mut self) -> Result<Vec<ReplyTemplate>, StoreError> {
        self.list_reply_templates_sql().await
    }
    async fn get_reply_template(&mut self, template_id: Uuid) -> Result<Option<ReplyTemplate>, StoreError> {
        self.get_reply_template_sql(template_id).await
    }
    async fn insert_reply_template(&mut self, template: &ReplyTemplate) -> Result<(), StoreError> {
        self.insert_reply_template_sql(template, false).await.map(|_| ())
    }
    async fn insert_reply_template_if_absent(&mut self, template: &ReplyTemplate) -> Result<bool, StoreError> {
        self.insert_reply_template_sql(template, true).await
    }
    async fn update_reply_template(&mut self, template: &ReplyTemplate) -> Result<bool, StoreError> {
        self.update_reply_template_sql(template).await
    }
    async fn delete_reply_template(&mut self, template_id: Uuid) -> Result<bool, StoreError> {
        self.delete_reply_template_sql(template_id).await
    }
    async fn ticket_sla_clocks(&mut self, ticket_ids: &[Uuid]) -> Result<Vec<SlaClockRecord>, StoreError> {
        self.ticket_sla_clocks_sql(ticket_ids).await
    }
    async fn ticket_sla_events(&mut self, ticket_id: Uuid) -> Result<Vec<SlaEventRecord>, StoreError> {
        self.ticket_sla_events_sql(ticket_id).await
    }
    async fn complaint_board_counts(&mut self, now: jiff::Timestamp) -> Result<Vec<BoardCount>, StoreError> {
        self.complaint_board_counts_sql(now).await
    }
    async fn complaint_board_tickets(&mut self, now: jiff::Timestamp, per_state: u32) -> Result<Vec<BoardTicket>, StoreError> {
        self.complaint_board_tickets_sql(now, per_state).await
    }
}
