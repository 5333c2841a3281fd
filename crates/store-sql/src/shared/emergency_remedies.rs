// Bulk remedies under force majeure: the bookings an incident may offer a refund or a
// postponement to, the offers (one per incident and booking) and the one choice each
// records. Shared by both backends: `include!`d where `Db` and `SqlTx` are bound.

use super::shared_emergency::{contact, primary_contact, push_reached};
use super::{Db, SqlTx};
use crate::convert::{err, from_json, id, ms, opt_id, opt_ts, parse_day, ts};

use jiff::Timestamp;
use sqlx::{QueryBuilder, Row};
use tripdesk_domain::bookings::BookingState;
use tripdesk_domain::emergency::{RemedyChoice, RemedyState, RemedyVia, Scope};
use tripdesk_domain::notify::DeliveryChannel;
use tripdesk_store::{
    IncidentRemedy, IncidentRemedyRepo, RemedyCandidate, RemedyCounts, RemedyRow, StoreError,
};
use uuid::Uuid;

type DbRow = <Db as sqlx::Database>::Row;

/// Offers inserted per statement (14 binds each: well under SQLite's limit).
const INSERT_CHUNK: usize = 500;

/// An offer with its booking as it stands (one join, not a read per row).
const REMEDY_SELECT: &str = "SELECT x.incident_id, x.booking_id, x.customer_id, x.state, \
     x.paid_fen, x.refund_fen, x.postpone_free, x.notified_via, x.offered_by, x.offered_at, \
     x.chosen_at, x.chosen_via, x.chosen_by, x.refund_id, x.ticket_id, x.withdrawn_at, \
     b.confirmation_no, b.state AS booking_state, b.starts_on, b.ends_on, \
     c.name AS customer_name \
     FROM incident_remedies x JOIN bookings b ON b.id = x.booking_id \
     JOIN customers c ON c.id = x.customer_id";

fn bad(what: &str, value: &str) -> StoreError {
    StoreError::Corrupt(format!("unknown {what} `{value}` in the database"))
}

fn uuid_col(row: &DbRow, col: &str) -> Result<Uuid, StoreError> {
    id(&row.try_get::<String, _>(col).map_err(err)?)
}

fn booking_state(row: &DbRow, col: &str) -> Result<BookingState, StoreError> {
    let s: String = row.try_get(col).map_err(err)?;
    BookingState::parse(&s).ok_or_else(|| bad("booking state", &s))
}

fn day_col(row: &DbRow, col: &str) -> Result<jiff::civil::Date, StoreError> {
    parse_day(&row.try_get::<String, _>(col).map_err(err)?)
}

fn remedy_from_row(row: &DbRow) -> Result<RemedyRow, StoreError> {
    let state: String = row.try_get("state").map_err(err)?;
    let notified: Option<String> = row.try_get("notified_via").map_err(err)?;
    let via: Option<String> = row.try_get("chosen_via").map_err(err)?;
    Ok(RemedyRow {
        remedy: IncidentRemedy {
            incident_id: uuid_col(row, "incident_id")?,
            booking_id: uuid_col(row, "booking_id")?,
            customer_id: uuid_col(row, "customer_id")?,
            state: RemedyState::parse(&state).ok_or_else(|| bad("remedy state", &state))?,
            paid_fen: row.try_get("paid_fen").map_err(err)?,
            refund_fen: row.try_get("refund_fen").map_err(err)?,
            postpone_free: row.try_get::<i64, _>("postpone_free").map_err(err)? != 0,
            notified_via: notified
                .map(|c| DeliveryChannel::parse(&c).ok_or_else(|| bad("channel", &c)))
                .transpose()?,
            offered_by: opt_id(row.try_get("offered_by").map_err(err)?)?,
            offered_at: ts(row.try_get("offered_at").map_err(err)?)?,
            chosen_at: opt_ts(row.try_get("chosen_at").map_err(err)?)?,
            chosen_via: via
                .map(|v| RemedyVia::parse(&v).ok_or_else(|| bad("remedy channel", &v)))
                .transpose()?,
            chosen_by: opt_id(row.try_get("chosen_by").map_err(err)?)?,
            refund_id: opt_id(row.try_get("refund_id").map_err(err)?)?,
            ticket_id: opt_id(row.try_get("ticket_id").map_err(err)?)?,
            withdrawn_at: opt_ts(row.try_get("withdrawn_at").map_err(err)?)?,
        },
        confirmation_no: row.try_get("confirmation_no").map_err(err)?,
        booking_state: booking_state(row, "booking_state")?,
        starts_on: day_col(row, "starts_on")?,
        ends_on: day_col(row, "ends_on")?,
        customer_name: row.try_get("customer_name").map_err(err)?,
    })
}

fn candidate_from_row(row: &DbRow) -> Result<RemedyCandidate, StoreError> {
    let policy: Option<String> = row.try_get("policy").map_err(err)?;
    Ok(RemedyCandidate {
        booking_id: uuid_col(row, "id")?,
        customer_id: uuid_col(row, "customer_id")?,
        state: booking_state(row, "state")?,
        confirmation_no: row.try_get("confirmation_no").map_err(err)?,
        starts_on: day_col(row, "starts_on")?,
        ends_on: day_col(row, "ends_on")?,
        total_fen: row.try_get("total_fen").map_err(err)?,
        paid_fen: row.try_get("paid_fen").map_err(err)?,
        owed_fen: row.try_get("owed_fen").map_err(err)?,
        policy: policy
            .map(|p| from_json(&p, "booking policy"))
            .transpose()?,
        phone: contact(row.try_get("phone").map_err(err)?)?,
        email: contact(row.try_get("email").map_err(err)?)?,
    })
}

#[async_trait::async_trait]
impl IncidentRemedyRepo for SqlTx {
    async fn remedy_candidates(
        &mut self,
        incident_id: Uuid,
        scope: &Scope,
        after: Option<Uuid>,
        limit: u32,
    ) -> Result<Vec<RemedyCandidate>, StoreError> {
        let incident = incident_id.to_string();
        let mut qb: QueryBuilder<'_, Db> = QueryBuilder::new(format!(
            "SELECT b.id, b.customer_id, b.state, b.confirmation_no, b.starts_on, b.ends_on, \
             b.total_fen, b.paid_fen, b.policy, \
             CAST(COALESCE((SELECT SUM(r.refund_fen) FROM booking_refunds r \
               WHERE r.booking_id = b.id AND r.paid_at IS NULL AND r.refund_fen > 0), 0) \
               AS BIGINT) AS owed_fen, \
             {} AS phone, {} AS email FROM bookings b WHERE ",
            primary_contact("b.customer_id", "phone"),
            primary_contact("b.customer_id", "email"),
        ));
        push_reached(&mut qb, scope);
        // Someone of the booking is in the incident's scope: its travelers, or its customer
        // when it names none (as the people were found).
        qb.push(
            " AND EXISTS (SELECT 1 FROM incident_people ip WHERE ip.incident_id = ",
        )
        .push_bind(incident.clone())
        .push(
            " AND ip.in_scope = 1 AND (ip.customer_id IN (SELECT bt.customer_id \
             FROM booking_travelers bt WHERE bt.booking_id = b.id) OR (ip.customer_id = \
             b.customer_id AND NOT EXISTS (SELECT 1 FROM booking_travelers bt2 \
             WHERE bt2.booking_id = b.id)))) \
             AND NOT EXISTS (SELECT 1 FROM incident_remedies x WHERE x.incident_id = ",
        )
        .push_bind(incident)
        .push(" AND x.booking_id = b.id)");
        if let Some(after) = after {
            qb.push(" AND b.id > ").push_bind(after.to_string());
        }
        qb.push(" ORDER BY b.id LIMIT ").push_bind(i64::from(limit));
        let rows = qb
            .build()
            .fetch_all(self.db().await?)
            .await
            .map_err(err)?;
        rows.iter().map(candidate_from_row).collect()
    }

    async fn insert_remedies(
        &mut self,
        offers: &[IncidentRemedy],
    ) -> Result<Vec<Uuid>, StoreError> {
        let mut inserted = Vec::with_capacity(offers.len());
        for chunk in offers.chunks(INSERT_CHUNK) {
            let mut qb: QueryBuilder<'_, Db> = QueryBuilder::new(
                "INSERT INTO incident_remedies (incident_id, booking_id, customer_id, state, \
                 paid_fen, refund_fen, postpone_free, notified_via, offered_by, offered_at, \
                 chosen_at, chosen_via, chosen_by, withdrawn_at) ",
            );
            qb.push_values(chunk, |mut v, o| {
                v.push_bind(o.incident_id.to_string())
                    .push_bind(o.booking_id.to_string())
                    .push_bind(o.customer_id.to_string())
                    .push_bind(o.state.as_str())
                    .push_bind(o.paid_fen)
                    .push_bind(o.refund_fen)
                    .push_bind(i64::from(o.postpone_free))
                    .push_bind(o.notified_via.map(|c| c.as_str()))
                    .push_bind(o.offered_by.map(|u| u.to_string()))
                    .push_bind(ms(o.offered_at))
                    .push_bind(o.chosen_at.map(ms))
                    .push_bind(o.chosen_via.map(|v| v.as_str()))
                    .push_bind(o.chosen_by.map(|u| u.to_string()))
                    .push_bind(o.withdrawn_at.map(ms));
            });
            qb.push(" ON CONFLICT (incident_id, booking_id) DO NOTHING RETURNING booking_id");
            let rows: Vec<String> = qb
                .build_query_scalar()
                .fetch_all(self.db().await?)
                .await
                .map_err(err)?;
            for r in rows {
                inserted.push(id(&r)?);
            }
        }
        Ok(inserted)
    }

    async fn get_remedy(
        &mut self,
        incident_id: Uuid,
        booking_id: Uuid,
    ) -> Result<Option<RemedyRow>, StoreError> {
        let row = sqlx::query(&format!(
            "{REMEDY_SELECT} WHERE x.incident_id = $1 AND x.booking_id = $2"
        ))
        .bind(incident_id.to_string())
        .bind(booking_id.to_string())
        .fetch_optional(self.db().await?)
        .await
        .map_err(err)?;
        row.as_ref().map(remedy_from_row).transpose()
    }

    async fn list_remedies(
        &mut self,
        incident_id: Uuid,
        state: Option<RemedyState>,
        limit: u32,
        offset: u64,
    ) -> Result<Vec<RemedyRow>, StoreError> {
        let mut qb: QueryBuilder<'_, Db> =
            QueryBuilder::new(format!("{REMEDY_SELECT} WHERE x.incident_id = "));
        qb.push_bind(incident_id.to_string());
        if let Some(s) = state {
            qb.push(" AND x.state = ").push_bind(s.as_str());
        }
        qb.push(" ORDER BY x.booking_id LIMIT ")
            .push_bind(i64::from(limit))
            .push(" OFFSET ")
            .push_bind(offset as i64);
        let rows = qb
            .build()
            .fetch_all(self.db().await?)
            .await
            .map_err(err)?;
        rows.iter().map(remedy_from_row).collect()
    }

    async fn remedies_of_customer(
        &mut self,
        incident_id: Uuid,
        customer_id: Uuid,
    ) -> Result<Vec<RemedyRow>, StoreError> {
        let rows = sqlx::query(&format!(
            "{REMEDY_SELECT} WHERE x.incident_id = $1 AND x.customer_id = $2 \
             ORDER BY x.booking_id"
        ))
        .bind(incident_id.to_string())
        .bind(customer_id.to_string())
        .fetch_all(self.db().await?)
        .await
        .map_err(err)?;
        rows.iter().map(remedy_from_row).collect()
    }

    async fn remedy_counts(&mut self, incident_id: Uuid) -> Result<RemedyCounts, StoreError> {
        let rows = sqlx::query(
            "SELECT state, COUNT(*) AS n, CAST(COALESCE(SUM(refund_fen), 0) AS BIGINT) AS fen \
             FROM incident_remedies WHERE incident_id = $1 GROUP BY state",
        )
        .bind(incident_id.to_string())
        .fetch_all(self.db().await?)
        .await
        .map_err(err)?;
        let mut out = RemedyCounts::default();
        for row in &rows {
            let state: String = row.try_get("state").map_err(err)?;
            let n = row.try_get::<i64, _>("n").map_err(err)? as u64;
            let fen = row.try_get::<i64, _>("fen").map_err(err)?;
            match RemedyState::parse(&state).ok_or_else(|| bad("remedy state", &state))? {
                RemedyState::Offered => (out.offered, out.waiting_refund_fen) = (n, fen),
                RemedyState::Refund => (out.refund, out.refunded_fen) = (n, fen),
                RemedyState::Postpone => out.postpone = n,
                RemedyState::Withdrawn => out.withdrawn = n,
            }
        }
        Ok(out)
    }

    async fn record_remedy_choice(
        &mut self,
        incident_id: Uuid,
        booking_id: Uuid,
        choice: RemedyChoice,
        via: RemedyVia,
        by: Option<Uuid>,
        at: Timestamp,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE incident_remedies SET state = $3, chosen_at = $4, chosen_via = $5, \
             chosen_by = $6 WHERE incident_id = $1 AND booking_id = $2 AND state = 'offered'",
        )
        .bind(incident_id.to_string())
        .bind(booking_id.to_string())
        .bind(RemedyState::from(choice).as_str())
        .bind(ms(at))
        .bind(via.as_str())
        .bind(by.map(|u| u.to_string()))
        .execute(self.db().await?)
        .await
        .map_err(err)?;
        Ok(done.rows_affected() == 1)
    }

    async fn set_remedy_outcome(
        &mut self,
        incident_id: Uuid,
        booking_id: Uuid,
        refund_id: Option<Uuid>,
        ticket_id: Option<Uuid>,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE incident_remedies SET refund_id = $3, ticket_id = $4 \
             WHERE incident_id = $1 AND booking_id = $2",
        )
        .bind(incident_id.to_string())
        .bind(booking_id.to_string())
        .bind(refund_id.map(|u| u.to_string()))
        .bind(ticket_id.map(|u| u.to_string()))
        .execute(self.db().await?)
        .await
        .map_err(err)?;
        Ok(())
    }

    async fn withdraw_remedies(
        &mut self,
        booking_id: Uuid,
        at: Timestamp,
    ) -> Result<Vec<Uuid>, StoreError> {
        let rows: Vec<String> = sqlx::query_scalar(
            "UPDATE incident_remedies SET state = 'withdrawn', withdrawn_at = $2 \
             WHERE booking_id = $1 AND state = 'offered' RETURNING incident_id",
        )
        .bind(booking_id.to_string())
        .bind(ms(at))
        .fetch_all(self.db().await?)
        .await
        .map_err(err)?;
        let mut out = rows.iter().map(|r| id(r)).collect::<Result<Vec<_>, _>>()?;
        out.sort();
        Ok(out)
    }
}
