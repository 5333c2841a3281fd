// Emergencies: incidents, their people, calls, team, checklist and timeline, shared by both
// backends: `include!`d where `Db` and `SqlTx` are bound.

use super::{Db, SqlTx, TOUR_LAST_DAY};
use crate::convert::{day, err, from_json, id, ms, opt_id, opt_ms, opt_ts, to_json, ts};

use jiff::Timestamp;
use sqlx::{QueryBuilder, Row};
use tripdesk_domain::emergency::{
    AnswerVia, IncidentKind, IncidentLevel, IncidentState, PersonStatus, Scope,
    WarningColour,
};
use tripdesk_store::{
    AffectedCount, BroadcastTarget, EmergencyRepo, Incident,
    IncidentCounts, IncidentDelivery, IncidentPerson, PeopleFilter, PersonOrigin, ScopeGuide, SealedContact,
    StoreError,
};
use uuid::Uuid;

type DbRow = <Db as sqlx::Database>::Row;

/// How far before the window a departure may leave and still be on the road in it: tours
/// are shorter than this, and the bound lets the departures' date index do the work.
const LONGEST_TOUR_DAYS: i32 = 60;

pub(super) const INCIDENT_COLUMNS: &str = "id, kind, level, title, description, warning_colour, scope, \
     drill, state, no_answer_minutes, ticket_id, declared_by, declared_at, first_message_at, \
     reported_at, closed_at, closing_summary, version, handling_ended_at, update_reports";
/// A person with their customer's name (one join, not a read per person).
const PERSON_SELECT: &str = "SELECT ip.incident_id, ip.customer_id, ip.origin, ip.booking_id, \
     ip.in_scope, ip.status, ip.answered_at, ip.answered_via, ip.escalated_at, \
     ip.escalated_ticket_id, ip.added_at, c.name AS customer_name \
     FROM incident_people ip JOIN customers c ON c.id = ip.customer_id";

fn bad(what: &str, value: &str) -> StoreError {
    StoreError::Corrupt(format!("unknown {what} `{value}` in the database"))
}

fn uuid_col(row: &DbRow, col: &str) -> Result<Uuid, StoreError> {
    id(&row.try_get::<String, _>(col).map_err(err)?)
}

pub(super) fn incident_from_row(row: &DbRow) -> Result<Incident, StoreError> {
    let kind: String = row.try_get("kind").map_err(err)?;
    let level: String = row.try_get("level").map_err(err)?;
    let colour: Option<String> = row.try_get("warning_colour").map_err(err)?;
    let state: String = row.try_get("state").map_err(err)?;
    let scope: String = row.try_get("scope").map_err(err)?;
    Ok(Incident {
        id: uuid_col(row, "id")?,
        kind: IncidentKind::parse(&kind).ok_or_else(|| bad("incident kind", &kind))?,
        level: IncidentLevel::parse(&level).ok_or_else(|| bad("incident level", &level))?,
        title: row.try_get("title").map_err(err)?,
        description: row.try_get("description").map_err(err)?,
        warning_colour: colour
            .map(|c| WarningColour::parse(&c).ok_or_else(|| bad("warning colour", &c)))
            .transpose()?,
        scope: from_json::<Scope>(&scope, "incident scope")?,
        drill: row.try_get::<i64, _>("drill").map_err(err)? != 0,
        state: IncidentState::parse(&state).ok_or_else(|| bad("incident state", &state))?,
        no_answer_minutes: row.try_get("no_answer_minutes").map_err(err)?,
        ticket_id: opt_id(row.try_get("ticket_id").map_err(err)?)?,
        declared_by: opt_id(row.try_get("declared_by").map_err(err)?)?,
        declared_at: ts(row.try_get("declared_at").map_err(err)?)?,
        first_message_at: opt_ts(row.try_get("first_message_at").map_err(err)?)?,
        reported_at: opt_ts(row.try_get("reported_at").map_err(err)?)?,
        closed_at: opt_ts(row.try_get("closed_at").map_err(err)?)?,
        closing_summary: row.try_get("closing_summary").map_err(err)?,
        handling_ended_at: opt_ts(row.try_get("handling_ended_at").map_err(err)?)?,
        update_reports: row.try_get("update_reports").map_err(err)?,
        version: row.try_get("version").map_err(err)?,
    })
}

fn person_from_row(row: &DbRow) -> Result<IncidentPerson, StoreError> {
    let origin: String = row.try_get("origin").map_err(err)?;
    let status: String = row.try_get("status").map_err(err)?;
    let via: Option<String> = row.try_get("answered_via").map_err(err)?;
    Ok(IncidentPerson {
        incident_id: uuid_col(row, "incident_id")?,
        customer_id: uuid_col(row, "customer_id")?,
        origin: PersonOrigin::parse(&origin).ok_or_else(|| bad("person origin", &origin))?,
        booking_id: opt_id(row.try_get("booking_id").map_err(err)?)?,
        in_scope: row.try_get::<i64, _>("in_scope").map_err(err)? != 0,
        status: PersonStatus::parse(&status).ok_or_else(|| bad("person status", &status))?,
        answered_at: opt_ts(row.try_get("answered_at").map_err(err)?)?,
        answered_via: via
            .map(|v| AnswerVia::parse(&v).ok_or_else(|| bad("answer channel", &v)))
            .transpose()?,
        escalated_at: opt_ts(row.try_get("escalated_at").map_err(err)?)?,
        escalated_ticket_id: opt_id(row.try_get("escalated_ticket_id").map_err(err)?)?,
        added_at: ts(row.try_get("added_at").map_err(err)?)?,
        customer_name: row.try_get("customer_name").map_err(err)?,
    })
}

/// `id sealed` as the broadcast query reads a contact (and the remedies' candidates).
pub(super) fn contact(text: Option<String>) -> Result<Option<SealedContact>, StoreError> {
    let Some(text) = text else { return Ok(None) };
    let (identifier, sealed) = text
        .split_once(' ')
        .ok_or_else(|| StoreError::Corrupt("malformed contact in the broadcast read".into()))?;
    Ok(Some(SealedContact {
        identifier_id: id(identifier)?,
        sealed: sealed.to_string(),
    }))
}

/// The SQL of the primary `kind` identifier (`phone`, `email`) of the customer in
/// `customer_column`, as `id sealed` ([`contact`] reads it back).
pub(super) fn primary_contact(customer_column: &str, kind: &str) -> String {
    format!(
        "(SELECT ci.id || ' ' || ci.sealed FROM customer_identifiers ci \
         WHERE ci.customer_id = {customer_column} AND ci.kind = '{kind}' \
         ORDER BY ci.is_primary DESC, ci.created_at, ci.id LIMIT 1)"
    )
}

/// One way a scope names what it reaches.
enum Cond<'a> {
    /// `column IN (ids)`.
    In(&'static str, &'a [Uuid]),
    /// `column LIKE '%place%'` (places hold no wildcard: the domain refuses them).
    Contains(&'static str, &'a str),
}

/// `(a OR b …)` over `conditions`, or `1 = 0` when there are none.
fn push_any(qb: &mut QueryBuilder<'_, Db>, conditions: &[Cond<'_>]) {
    if conditions.is_empty() {
        qb.push("1 = 0");
        return;
    }
    qb.push("(");
    for (i, c) in conditions.iter().enumerate() {
        if i > 0 {
            qb.push(" OR ");
        }
        match c {
            Cond::In(column, ids) => {
                qb.push(*column).push(" IN (");
                let mut sep = qb.separated(", ");
                for id in *ids {
                    sep.push_bind(id.to_string());
                }
                qb.push(")");
            }
            Cond::Contains(column, place) => {
                qb.push(*column).push(" LIKE ").push_bind(format!("%{place}%"));
            }
        }
    }
    qb.push(")");
}

/// The conditions of `ids` in `id_column` and of each place in `place_columns`.
fn conditions<'a>(
    named: &[(&'static str, &'a [Uuid])],
    place_columns: &[&'static str],
    places: &'a [String],
) -> Vec<Cond<'a>> {
    let mut out: Vec<Cond<'a>> = named
        .iter()
        .filter(|(_, ids)| !ids.is_empty())
        .map(|(c, ids)| Cond::In(c, ids))
        .collect();
    for c in place_columns {
        out.extend(places.iter().map(|p| Cond::Contains(c, p)));
    }
    out
}

/// Pushes the `SELECT customer_id, booking_id` of everyone the scope reaches.
fn push_affected<'a>(qb: &mut QueryBuilder<'a, Db>, scope: &'a Scope) {
    qb.push(
        "SELECT COALESCE(bt.customer_id, x.customer_id) AS customer_id, \
         MIN(x.booking_id) AS booking_id FROM (",
    );
    push_reached_bookings(qb, scope);
    qb.push(
        ") x LEFT JOIN booking_travelers bt ON bt.booking_id = x.booking_id \
         GROUP BY COALESCE(bt.customer_id, x.customer_id)",
    );
}

/// Pushes the condition on `b` (a booking) that the scope reaches it. Shared with the
/// remedies' candidates (`shared/emergency_remedies.rs`).
pub(super) fn push_reached<'a>(qb: &mut QueryBuilder<'a, Db>, scope: &'a Scope) {
    qb.push("b.id IN (SELECT y.booking_id FROM (");
    push_reached_bookings(qb, scope);
    qb.push(") y)");
}

/// Pushes `SELECT booking_id, customer_id` of the bookings the scope reaches: holding
/// inventory and not ended (held, confirmed, changed), overlapping the window, with a room
/// night of an in-scope property from the day before the window to its end, or seats on an
/// in-scope departure whose trip (its package's days) overlaps the window — looked for among
/// those leaving up to the longest tour before it (a booking with both appears twice).
///
/// Each branch joins its bookings directly (no `IN (…)` list of booking ids to build and
/// probe): the lodging branch walks from the properties in scope to their rooms and their
/// nights in the window (the room-night key), the tour branch from the departures in the
/// window to their lines. `CROSS JOIN` keeps that order on SQLite, whose planner otherwise
/// scans every room-night; PostgreSQL plans it as the inner join it is.
fn push_reached_bookings<'a>(qb: &mut QueryBuilder<'a, Db>, scope: &'a Scope) {
    let night_from = scope.from.yesterday().unwrap_or(scope.from);
    qb.push(
        "SELECT b.id AS booking_id, b.customer_id FROM properties p CROSS JOIN rooms r \
         CROSS JOIN room_nights rn CROSS JOIN bookings b \
         WHERE r.property_id = p.id AND rn.room_id = r.id AND b.id = rn.booking_id \
         AND rn.kind = 'booking' AND rn.night >= ",
    )
    .push_bind(day(night_from))
    .push(" AND rn.night <= ")
    .push_bind(day(scope.to));
    push_live_in_window(qb, scope);
    qb.push(" AND ");
    let rooms = conditions(
        &[("p.id", &scope.property_ids)],
        &["p.address", "p.name"],
        &scope.regions,
    );
    push_any(qb, &rooms);
    qb.push(" UNION ALL ");
    push_reached_departures(qb, scope, "b.id, b.customer_id");
}

/// Pushes `SELECT {columns} FROM departures d, tour_packages t, booking_lines l, bookings b`
/// of the bookings on in-scope departures whose trip overlaps the window (the tour branch of
/// [`push_reached_bookings`], also read for the departures' guides).
fn push_reached_departures<'a>(qb: &mut QueryBuilder<'a, Db>, scope: &'a Scope, columns: &str) {
    let departs_from = scope
        .from
        .checked_sub(jiff::Span::new().days(LONGEST_TOUR_DAYS))
        .unwrap_or(scope.from);
    qb.push(format!(
        "SELECT {columns} FROM departures d CROSS JOIN tour_packages t \
         CROSS JOIN booking_lines l CROSS JOIN bookings b \
         WHERE t.id = d.package_id AND l.departure_id = d.id AND b.id = l.booking_id \
         AND d.departs_on >= "
    ))
    .push_bind(day(departs_from))
    .push(" AND d.departs_on <= ")
    .push_bind(day(scope.to))
    // The departure's own trip reaches the window: its lines are read only then.
    .push(format!(" AND {TOUR_LAST_DAY} >= "))
    .push_bind(day(scope.from));
    push_live_in_window(qb, scope);
    qb.push(" AND ");
    let tours = conditions(
        &[("d.id", &scope.departure_ids), ("d.package_id", &scope.package_ids)],
        &["t.destination", "t.name"],
        &scope.regions,
    );
    push_any(qb, &tours);
}

/// ` AND` booking `b` holds inventory and overlaps the scope's window.
fn push_live_in_window<'a>(qb: &mut QueryBuilder<'a, Db>, scope: &'a Scope) {
    qb.push(" AND b.state IN ('held', 'confirmed', 'changed') AND b.ends_on >= ")
        .push_bind(day(scope.from))
        .push(" AND b.starts_on <= ")
        .push_bind(day(scope.to));
}

async fn count(tx: &mut SqlTx, sql: &str, incident: Uuid) -> Result<u64, StoreError> {
    let n: i64 = sqlx::query_scalar(sql)
        .bind(incident.to_string())
        .fetch_one(tx.db().await?)
        .await
        .map_err(err)?;
    Ok(n as u64)
}

#[async_trait::async_trait]
impl EmergencyRepo for SqlTx {
    async fn insert_incident(&mut self, i: &Incident) -> Result<(), StoreError> {
        sqlx::query(&format!(
            "INSERT INTO incidents ({INCIDENT_COLUMNS}) VALUES \
             ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20)"
        ))
        .bind(i.id.to_string())
        .bind(i.kind.as_str())
        .bind(i.level.as_str())
        .bind(&i.title)
        .bind(&i.description)
        .bind(i.warning_colour.map(|c| c.as_str()))
        .bind(to_json(&i.scope))
        .bind(i64::from(i.drill))
        .bind(i.state.as_str())
        .bind(i.no_answer_minutes)
        .bind(i.ticket_id.map(|t| t.to_string()))
        .bind(i.declared_by.map(|t| t.to_string()))
        .bind(ms(i.declared_at))
        .bind(opt_ms(i.first_message_at))
        .bind(opt_ms(i.reported_at))
        .bind(opt_ms(i.closed_at))
        .bind(&i.closing_summary)
        .bind(i.version)
        .bind(opt_ms(i.handling_ended_at))
        .bind(i.update_reports)
        .execute(self.db().await?)
        .await
        .map_err(err)?;
        Ok(())
    }

    async fn get_incident(&mut self, id: Uuid) -> Result<Option<Incident>, StoreError> {
        let row = sqlx::query(&format!("SELECT {INCIDENT_COLUMNS} FROM incidents WHERE id = $1"))
            .bind(id.to_string())
            .fetch_optional(self.db().await?)
            .await
            .map_err(err)?;
        row.as_ref().map(incident_from_row).transpose()
    }

    async fn update_incident(&mut self, i: &Incident, expected: i64) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE incidents SET level = $2, title = $3, description = $4, warning_colour = $5, \
             scope = $6, state = $7, no_answer_minutes = $8, first_message_at = $9, \
             reported_at = $10, closed_at = $11, closing_summary = $12, version = $13, \
             handling_ended_at = $15, update_reports = $16 WHERE id = $1 AND version = $14",
        )
        .bind(i.id.to_string())
        .bind(i.level.as_str())
        .bind(&i.title)
        .bind(&i.description)
        .bind(i.warning_colour.map(|c| c.as_str()))
        .bind(to_json(&i.scope))
        .bind(i.state.as_str())
        .bind(i.no_answer_minutes)
        .bind(opt_ms(i.first_message_at))
        .bind(opt_ms(i.reported_at))
        .bind(opt_ms(i.closed_at))
        .bind(&i.closing_summary)
        .bind(i.version)
        .bind(expected)
        .bind(opt_ms(i.handling_ended_at))
        .bind(i.update_reports)
        .execute(self.db().await?)
        .await
        .map_err(err)?;
        Ok(done.rows_affected() == 1)
    }

    async fn list_incidents(
        &mut self,
        state: Option<IncidentState>,
        limit: u32,
        offset: u64,
    ) -> Result<Vec<Incident>, StoreError> {
        let mut qb: QueryBuilder<'_, Db> =
            QueryBuilder::new(format!("SELECT {INCIDENT_COLUMNS} FROM incidents"));
        if let Some(s) = state {
            qb.push(" WHERE state = ").push_bind(s.as_str());
        }
        qb.push(" ORDER BY declared_at DESC, id DESC LIMIT ")
            .push_bind(i64::from(limit))
            .push(" OFFSET ")
            .push_bind(offset as i64);
        let rows = qb
            .build()
            .fetch_all(self.db().await?)
            .await
            .map_err(err)?;
        rows.iter().map(incident_from_row).collect()
    }

    async fn note_first_message(&mut self, id: Uuid, at: Timestamp) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE incidents SET first_message_at = $2 WHERE id = $1 AND first_message_at IS NULL",
        )
        .bind(id.to_string())
        .bind(ms(at))
        .execute(self.db().await?)
        .await
        .map_err(err)?;
        Ok(())
    }

    async fn compute_affected(
        &mut self,
        incident_id: Uuid,
        scope: &Scope,
        guides: &[Uuid],
        now: Timestamp,
    ) -> Result<AffectedCount, StoreError> {
        let incident = incident_id.to_string();
        let before = count(
            self,
            "SELECT COUNT(*) FROM incident_people WHERE incident_id = $1",
            incident_id,
        )
        .await?;
        // 2: in scope before this recomputation; what the scope still reaches goes back to 1.
        sqlx::query(
            "UPDATE incident_people SET in_scope = 2 \
             WHERE incident_id = $1 AND origin IN ('booking', 'guide') AND in_scope = 1",
        )
        .bind(&incident)
        .execute(self.db().await?)
        .await
        .map_err(err)?;
        let mut qb: QueryBuilder<'_, Db> = QueryBuilder::new(
            "INSERT INTO incident_people (incident_id, customer_id, origin, booking_id, in_scope, \
             status, added_at) SELECT ",
        );
        qb.push_bind(incident.clone())
            .push(", x.customer_id, 'booking', x.booking_id, 1, 'pending', ")
            .push_bind(ms(now))
            .push(" FROM (");
        push_affected(&mut qb, scope);
        qb.push(
            ") x WHERE true ON CONFLICT (incident_id, customer_id) DO UPDATE SET in_scope = 1",
        );
        qb.build()
            .execute(self.db().await?)
            .await
            .map_err(err)?;
        for guide in guides {
            sqlx::query(
                "INSERT INTO incident_people (incident_id, customer_id, origin, booking_id, \
                 in_scope, status, added_at) VALUES ($1, $2, 'guide', NULL, 1, 'pending', $3) \
                 ON CONFLICT (incident_id, customer_id) DO UPDATE SET in_scope = 1",
            )
            .bind(&incident)
            .bind(guide.to_string())
            .bind(ms(now))
            .execute(self.db().await?)
            .await
            .map_err(err)?;
        }
        let dropped = sqlx::query(
            "UPDATE incident_people SET in_scope = 0 WHERE incident_id = $1 AND in_scope = 2",
        )
        .bind(&incident)
        .execute(self.db().await?)
        .await
        .map_err(err)?
        .rows_affected();
        let row = sqlx::query(
            "SELECT COUNT(*) AS people, \
             COALESCE(SUM(CASE WHEN in_scope = 1 THEN 1 ELSE 0 END), 0) AS in_scope \
             FROM incident_people WHERE incident_id = $1",
        )
        .bind(&incident)
        .fetch_one(self.db().await?)
        .await
        .map_err(err)?;
        let after = row.try_get::<i64, _>("people").map_err(err)? as u64;
        let in_scope = row.try_get::<i64, _>("in_scope").map_err(err)? as u64;
        Ok(AffectedCount {
            in_scope,
            added: after - before,
            dropped,
        })
    }

    async fn scope_guides(&mut self, scope: &Scope) -> Result<Vec<ScopeGuide>, StoreError> {
        let mut qb: QueryBuilder<'_, Db> =
            QueryBuilder::new("SELECT DISTINCT g.id, g.guide_name, g.guide_phone FROM (");
        push_reached_departures(&mut qb, scope, "d.id, d.guide_name, d.guide_phone");
        qb.push(") g WHERE g.guide_phone <> '' ORDER BY g.id");
        qb.build()
            .fetch_all(self.db().await?)
            .await
            .map_err(err)?
            .iter()
            .map(|row| {
                Ok(ScopeGuide {
                    departure_id: id(&row.try_get::<String, _>("id").map_err(err)?)?,
                    guide_name: row.try_get("guide_name").map_err(err)?,
                    guide_phone: row.try_get("guide_phone").map_err(err)?,
                })
            })
            .collect()
    }

    async fn add_incident_person(
        &mut self,
        incident_id: Uuid,
        customer_id: Uuid,
        now: Timestamp,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "INSERT INTO incident_people (incident_id, customer_id, origin, booking_id, in_scope, \
             status, added_at) VALUES ($1, $2, 'manual', NULL, 1, 'pending', $3) \
             ON CONFLICT (incident_id, customer_id) DO NOTHING",
        )
        .bind(incident_id.to_string())
        .bind(customer_id.to_string())
        .bind(ms(now))
        .execute(self.db().await?)
        .await
        .map_err(err)?;
        if done.rows_affected() == 1 {
            return Ok(true);
        }
        sqlx::query(
            "UPDATE incident_people SET in_scope = 1 WHERE incident_id = $1 AND customer_id = $2",
        )
        .bind(incident_id.to_string())
        .bind(customer_id.to_string())
        .execute(self.db().await?)
        .await
        .map_err(err)?;
        Ok(false)
    }

    async fn get_incident_person(
        &mut self,
        incident_id: Uuid,
        customer_id: Uuid,
    ) -> Result<Option<IncidentPerson>, StoreError> {
        let row = sqlx::query(&format!(
            "{PERSON_SELECT} WHERE ip.incident_id = $1 AND ip.customer_id = $2"
        ))
        .bind(incident_id.to_string())
        .bind(customer_id.to_string())
        .fetch_optional(self.db().await?)
        .await
        .map_err(err)?;
        row.as_ref().map(person_from_row).transpose()
    }

    async fn list_incident_people(
        &mut self,
        incident_id: Uuid,
        filter: PeopleFilter,
        limit: u32,
        offset: u64,
    ) -> Result<Vec<IncidentPerson>, StoreError> {
        let mut qb: QueryBuilder<'_, Db> = QueryBuilder::new(format!(
            "{PERSON_SELECT} WHERE ip.incident_id = "
        ));
        qb.push_bind(incident_id.to_string()).push(" AND ip.in_scope = 1");
        if let Some(s) = filter.status {
            qb.push(" AND ip.status = ").push_bind(s.as_str());
        }
        if filter.escalated {
            qb.push(" AND ip.escalated_at IS NOT NULL");
        }
        qb.push(" ORDER BY ip.customer_id LIMIT ")
            .push_bind(i64::from(limit))
            .push(" OFFSET ")
            .push_bind(offset as i64);
        let rows = qb
            .build()
            .fetch_all(self.db().await?)
            .await
            .map_err(err)?;
        rows.iter().map(person_from_row).collect()
    }

    async fn incident_counts(&mut self, incident_id: Uuid) -> Result<IncidentCounts, StoreError> {
        let row = sqlx::query(
            "SELECT COUNT(*) AS people, \
             COALESCE(SUM(CASE WHEN status = 'safe' THEN 1 ELSE 0 END), 0) AS safe, \
             COALESCE(SUM(CASE WHEN status = 'needs_help' THEN 1 ELSE 0 END), 0) AS needs_help, \
             COALESCE(SUM(CASE WHEN status = 'pending' THEN 1 ELSE 0 END), 0) AS pending, \
             COALESCE(SUM(CASE WHEN escalated_at IS NOT NULL THEN 1 ELSE 0 END), 0) AS escalated \
             FROM incident_people WHERE incident_id = $1 AND in_scope = 1",
        )
        .bind(incident_id.to_string())
        .fetch_one(self.db().await?)
        .await
        .map_err(err)?;
        let calls = sqlx::query(
            "SELECT COALESCE(SUM(CASE WHEN k.called_at IS NULL AND ip.status <> 'safe' \
             AND ip.in_scope = 1 THEN 1 ELSE 0 END), 0) AS open, \
             COALESCE(SUM(CASE WHEN k.called_at IS NULL THEN 0 ELSE 1 END), 0) AS done \
             FROM incident_calls k JOIN incident_people ip \
             ON ip.incident_id = k.incident_id AND ip.customer_id = k.customer_id \
             WHERE k.incident_id = $1",
        )
        .bind(incident_id.to_string())
        .fetch_one(self.db().await?)
        .await
        .map_err(err)?;
        let n = |r: &DbRow, c: &str| -> Result<u64, StoreError> {
            Ok(r.try_get::<i64, _>(c).map_err(err)? as u64)
        };
        Ok(IncidentCounts {
            people: n(&row, "people")?,
            safe: n(&row, "safe")?,
            needs_help: n(&row, "needs_help")?,
            pending: n(&row, "pending")?,
            escalated: n(&row, "escalated")?,
            calls_open: n(&calls, "open")?,
            calls_done: n(&calls, "done")?,
        })
    }

    async fn broadcast_targets(
        &mut self,
        incident_id: Uuid,
        statuses: &[PersonStatus],
        after: Option<Uuid>,
        limit: u32,
    ) -> Result<Vec<BroadcastTarget>, StoreError> {
        let contact_of = |kind: &str| primary_contact("ip.customer_id", kind);
        let mut qb: QueryBuilder<'_, Db> = QueryBuilder::new(format!(
            "SELECT ip.customer_id, ip.status, {} AS phone, {} AS email, \
             (SELECT c.preferred_language FROM customers c WHERE c.id = ip.customer_id) AS language \
             FROM incident_people ip WHERE ip.incident_id = ",
            contact_of("phone"),
            contact_of("email")
        ));
        qb.push_bind(incident_id.to_string())
            .push(" AND ip.in_scope = 1 AND ip.status IN (");
        {
            let mut sep = qb.separated(", ");
            for s in statuses {
                sep.push_bind(s.as_str());
            }
        }
        qb.push(")");
        if let Some(after) = after {
            qb.push(" AND ip.customer_id > ").push_bind(after.to_string());
        }
        qb.push(" ORDER BY ip.customer_id LIMIT ")
            .push_bind(i64::from(limit));
        let rows = qb
            .build()
            .fetch_all(self.db().await?)
            .await
            .map_err(err)?;
        rows.iter()
            .map(|row| {
                let status: String = row.try_get("status").map_err(err)?;
                Ok(BroadcastTarget {
                    customer_id: uuid_col(row, "customer_id")?,
                    status: PersonStatus::parse(&status)
                        .ok_or_else(|| bad("person status", &status))?,
                    phone: contact(row.try_get("phone").map_err(err)?)?,
                    email: contact(row.try_get("email").map_err(err)?)?,
                    language: row.try_get("language").map_err(err)?,
                })
            })
            .collect()
    }

    async fn record_answer(
        &mut self,
        incident_id: Uuid,
        customer_id: Uuid,
        from: PersonStatus,
        to: PersonStatus,
        via: AnswerVia,
        at: Timestamp,
    ) -> Result<bool, StoreError> {
        let answered = (to != PersonStatus::Pending).then(|| ms(at));
        let via = (to != PersonStatus::Pending).then(|| via.as_str());
        let done = sqlx::query(
            "UPDATE incident_people SET status = $4, answered_at = $5, answered_via = $6 \
             WHERE incident_id = $1 AND customer_id = $2 AND status = $3",
        )
        .bind(incident_id.to_string())
        .bind(customer_id.to_string())
        .bind(from.as_str())
        .bind(to.as_str())
        .bind(answered)
        .bind(via)
        .execute(self.db().await?)
        .await
        .map_err(err)?;
        Ok(done.rows_affected() == 1)
    }

    async fn claim_escalation(
        &mut self,
        incident_id: Uuid,
        customer_id: Uuid,
        at: Timestamp,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE incident_people SET escalated_at = $3 \
             WHERE incident_id = $1 AND customer_id = $2 AND escalated_at IS NULL",
        )
        .bind(incident_id.to_string())
        .bind(customer_id.to_string())
        .bind(ms(at))
        .execute(self.db().await?)
        .await
        .map_err(err)?;
        Ok(done.rows_affected() == 1)
    }

    async fn set_escalation_ticket(
        &mut self,
        incident_id: Uuid,
        customer_id: Uuid,
        ticket_id: Uuid,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE incident_people SET escalated_ticket_id = $3 \
             WHERE incident_id = $1 AND customer_id = $2",
        )
        .bind(incident_id.to_string())
        .bind(customer_id.to_string())
        .bind(ticket_id.to_string())
        .execute(self.db().await?)
        .await
        .map_err(err)?;
        Ok(())
    }

    async fn unanswered_people(
        &mut self,
        incident_id: Uuid,
        limit: u32,
    ) -> Result<Vec<Uuid>, StoreError> {
        let rows: Vec<String> = sqlx::query_scalar(
            "SELECT customer_id FROM incident_people WHERE incident_id = $1 AND status = 'pending' \
             AND in_scope = 1 AND escalated_at IS NULL ORDER BY customer_id LIMIT $2",
        )
        .bind(incident_id.to_string())
        .bind(i64::from(limit))
        .fetch_all(self.db().await?)
        .await
        .map_err(err)?;
        rows.iter().map(|r| id(r)).collect()
    }

    async fn open_incidents_of(&mut self, customer_id: Uuid) -> Result<Vec<Uuid>, StoreError> {
        let rows: Vec<String> = sqlx::query_scalar(
            "SELECT i.id FROM incident_people ip JOIN incidents i ON i.id = ip.incident_id \
             WHERE ip.customer_id = $1 AND ip.in_scope = 1 AND i.state = 'open' \
             ORDER BY i.declared_at DESC, i.id DESC",
        )
        .bind(customer_id.to_string())
        .fetch_all(self.db().await?)
        .await
        .map_err(err)?;
        rows.iter().map(|r| id(r)).collect()
    }

    async fn incident_delivery(&mut self, incident_id: Uuid) -> Result<IncidentDelivery, StoreError> {
        let row = sqlx::query(
            "SELECT COUNT(DISTINCT CASE WHEN state = 'sent' THEN customer_id END) AS people_sent, \
             COALESCE(SUM(CASE WHEN state IN ('queued', 'sending', 'retrying') THEN 1 ELSE 0 END), 0) AS pending, \
             COALESCE(SUM(CASE WHEN state = 'dead' THEN 1 ELSE 0 END), 0) AS dead \
             FROM outbox_messages WHERE related_type = 'incident' AND related_id = $1",
        )
        .bind(incident_id.to_string())
        .fetch_one(self.db().await?)
        .await
        .map_err(err)?;
        let n = |c: &str| -> Result<u64, StoreError> { Ok(row.try_get::<i64, _>(c).map_err(err)? as u64) };
        Ok(IncidentDelivery {
            people_sent: n("people_sent")?,
            pending: n("pending")?,
            dead: n("dead")?,
        })
    }

    async fn incident_instants(
        &mut self,
        incident_id: Uuid,
    ) -> Result<(Vec<Timestamp>, Vec<Timestamp>), StoreError> {
        let sent: Vec<i64> = sqlx::query_scalar(
            "SELECT MIN(m.sent_at) FROM outbox_messages m JOIN incident_people ip \
             ON ip.incident_id = m.related_id AND ip.customer_id = m.customer_id \
             WHERE m.related_type = 'incident' AND m.related_id = $1 AND m.sent_at IS NOT NULL \
             AND ip.in_scope = 1 GROUP BY m.customer_id",
        )
        .bind(incident_id.to_string())
        .fetch_all(self.db().await?)
        .await
        .map_err(err)?;
        let answered: Vec<i64> = sqlx::query_scalar(
            "SELECT answered_at FROM incident_people WHERE incident_id = $1 AND in_scope = 1 \
             AND answered_at IS NOT NULL",
        )
        .bind(incident_id.to_string())
        .fetch_all(self.db().await?)
        .await
        .map_err(err)?;
        Ok((
            sent.into_iter().map(ts).collect::<Result<_, _>>()?,
            answered.into_iter().map(ts).collect::<Result<_, _>>()?,
        ))
    }
}
