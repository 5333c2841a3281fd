// Assessment repository, shared by both backends: `include!`d where `Db` and `SqlTx` are bound.

use super::{Db, SqlTx};
use crate::convert::{day, err, id, ms, opt_id, opt_ms, opt_ts, parse_day, ts};
use jiff::civil::Date;
use jiff::Timestamp;
use sqlx::Row;
use tripdesk_domain::assessment::{ActionKind, CycleState, Marks, RaterKind, Subject};
use tripdesk_store::{
    AssessmentAction, AssessmentCycle, AssessmentRepo, StaffRating, StoreError, TrainingRecord,
};
use uuid::Uuid;

const CYCLE_COLUMNS: &str = "id, month, state, opened_by, opened_at, closed_by, closed_at";
const RATING_COLUMNS: &str = "id, cycle_id, ratee_id, rater_id, kind, satisfaction, response_time, \
    problem_solving, product_knowledge, communication, comment, at";
const TRAINING_COLUMNS: &str = "id, user_id, title, on_date, hours_tenths, recorded_by, recorded_at";
const ACTION_COLUMNS: &str =
    "id, cycle_id, subject, subject_id, kind, note, recorded_by, recorded_at";
const MARK_COLUMNS: [&str; 5] = [
    "satisfaction",
    "response_time",
    "problem_solving",
    "product_knowledge",
    "communication",
];

fn corrupt(what: &str) -> StoreError {
    StoreError::Corrupt(format!("assessment {what}"))
}

fn cycle_from_row(row: &<Db as sqlx::Database>::Row) -> Result<AssessmentCycle, StoreError> {
    let text = |name: &str| -> Result<String, StoreError> { row.try_get(name).map_err(err) };
    Ok(AssessmentCycle {
        id: id(&text("id")?)?,
        month: text("month")?,
        state: CycleState::parse(&text("state")?).ok_or_else(|| corrupt("cycle state"))?,
        opened_by: id(&text("opened_by")?)?,
        opened_at: ts(row.try_get("opened_at").map_err(err)?)?,
        closed_by: opt_id(row.try_get("closed_by").map_err(err)?)?,
        closed_at: opt_ts(row.try_get("closed_at").map_err(err)?)?,
    })
}

fn rating_from_row(row: &<Db as sqlx::Database>::Row) -> Result<StaffRating, StoreError> {
    let text = |name: &str| -> Result<String, StoreError> { row.try_get(name).map_err(err) };
    let mut marks: Marks = [None; 5];
    for (slot, col) in marks.iter_mut().zip(MARK_COLUMNS) {
        let v: Option<i64> = row.try_get(col).map_err(err)?;
        *slot = v
            .map(|v| u8::try_from(v).map_err(|_| corrupt("mark")))
            .transpose()?;
    }
    Ok(StaffRating {
        id: id(&text("id")?)?,
        cycle_id: id(&text("cycle_id")?)?,
        ratee_id: id(&text("ratee_id")?)?,
        rater_id: id(&text("rater_id")?)?,
        kind: RaterKind::parse(&text("kind")?).ok_or_else(|| corrupt("rater kind"))?,
        marks,
        comment: row.try_get("comment").map_err(err)?,
        at: ts(row.try_get("at").map_err(err)?)?,
    })
}

fn training_from_row(row: &<Db as sqlx::Database>::Row) -> Result<TrainingRecord, StoreError> {
    let text = |name: &str| -> Result<String, StoreError> { row.try_get(name).map_err(err) };
    Ok(TrainingRecord {
        id: id(&text("id")?)?,
        user_id: id(&text("user_id")?)?,
        title: text("title")?,
        on_date: parse_day(&text("on_date")?)?,
        hours_tenths: row.try_get("hours_tenths").map_err(err)?,
        recorded_by: id(&text("recorded_by")?)?,
        recorded_at: ts(row.try_get("recorded_at").map_err(err)?)?,
    })
}

fn action_from_row(row: &<Db as sqlx::Database>::Row) -> Result<AssessmentAction, StoreError> {
    let text = |name: &str| -> Result<String, StoreError> { row.try_get(name).map_err(err) };
    Ok(AssessmentAction {
        id: id(&text("id")?)?,
        cycle_id: id(&text("cycle_id")?)?,
        subject: Subject::parse(&text("subject")?).ok_or_else(|| corrupt("subject"))?,
        subject_id: id(&text("subject_id")?)?,
        kind: ActionKind::parse(&text("kind")?).ok_or_else(|| corrupt("action kind"))?,
        note: text("note")?,
        recorded_by: id(&text("recorded_by")?)?,
        recorded_at: ts(row.try_get("recorded_at").map_err(err)?)?,
    })
}

#[async_trait::async_trait]
impl AssessmentRepo for SqlTx {
    async fn insert_cycle(&mut self, c: &AssessmentCycle) -> Result<(), StoreError> {
        sqlx::query(&format!(
            "INSERT INTO assessment_cycles ({CYCLE_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7)"
        ))
        .bind(c.id.to_string())
        .bind(&c.month)
        .bind(c.state.as_str())
        .bind(c.opened_by.to_string())
        .bind(ms(c.opened_at))
        .bind(c.closed_by.map(|u| u.to_string()))
        .bind(opt_ms(c.closed_at))
        .execute(self.db().await?)
        .await
        .map_err(err)?;
        Ok(())
    }

    async fn get_cycle(&mut self, month: &str) -> Result<Option<AssessmentCycle>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {CYCLE_COLUMNS} FROM assessment_cycles WHERE month = $1"
        ))
        .bind(month)
        .fetch_optional(self.db().await?)
        .await
        .map_err(err)?;
        row.as_ref().map(cycle_from_row).transpose()
    }

    async fn list_cycles(
        &mut self,
        limit: u32,
        offset: u32,
    ) -> Result<Vec<AssessmentCycle>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {CYCLE_COLUMNS} FROM assessment_cycles ORDER BY month DESC LIMIT $1 OFFSET $2"
        ))
        .bind(i64::from(limit))
        .bind(i64::from(offset))
        .fetch_all(self.db().await?)
        .await
        .map_err(err)?;
        rows.iter().map(cycle_from_row).collect()
    }

    async fn close_cycle(&mut self, id: Uuid, by: Uuid, at: Timestamp) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE assessment_cycles SET state = 'closed', closed_by = $2, closed_at = $3 \
             WHERE id = $1 AND state = 'open'",
        )
        .bind(id.to_string())
        .bind(by.to_string())
        .bind(ms(at))
        .execute(self.db().await?)
        .await
        .map_err(err)?;
        Ok(done.rows_affected() == 1)
    }

    async fn put_rating(&mut self, r: &StaffRating) -> Result<(), StoreError> {
        let mark = |i: usize| r.marks[i].map(i64::from);
        sqlx::query(&format!(
            "INSERT INTO assessment_ratings ({RATING_COLUMNS}) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) \
             ON CONFLICT (cycle_id, ratee_id, rater_id, kind) DO UPDATE SET \
             satisfaction = excluded.satisfaction, response_time = excluded.response_time, \
             problem_solving = excluded.problem_solving, \
             product_knowledge = excluded.product_knowledge, \
             communication = excluded.communication, comment = excluded.comment, at = excluded.at"
        ))
        .bind(r.id.to_string())
        .bind(r.cycle_id.to_string())
        .bind(r.ratee_id.to_string())
        .bind(r.rater_id.to_string())
        .bind(r.kind.as_str())
        .bind(mark(0))
        .bind(mark(1))
        .bind(mark(2))
        .bind(mark(3))
        .bind(mark(4))
        .bind(&r.comment)
        .bind(ms(r.at))
        .execute(self.db().await?)
        .await
        .map_err(err)?;
        Ok(())
    }

    async fn list_ratings(&mut self, cycle_id: Uuid) -> Result<Vec<StaffRating>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {RATING_COLUMNS} FROM assessment_ratings WHERE cycle_id = $1 ORDER BY at, id"
        ))
        .bind(cycle_id.to_string())
        .fetch_all(self.db().await?)
        .await
        .map_err(err)?;
        rows.iter().map(rating_from_row).collect()
    }

    async fn survey_satisfaction(
        &mut self,
        from: Timestamp,
        until: Timestamp,
    ) -> Result<Vec<(Uuid, u8)>, StoreError> {
        let rows = sqlx::query(
            "SELECT COALESCE(t.assignee_id, t.created_by) AS agent, s.satisfaction \
             FROM surveys s JOIN tickets t ON t.id = s.ticket_id \
             WHERE s.used_at >= $1 AND s.used_at < $2 AND s.satisfaction IS NOT NULL \
             AND COALESCE(t.assignee_id, t.created_by) IS NOT NULL \
             ORDER BY s.used_at, s.id",
        )
        .bind(ms(from))
        .bind(ms(until))
        .fetch_all(self.db().await?)
        .await
        .map_err(err)?;
        rows.iter()
            .map(|row| {
                let agent: String = row.try_get("agent").map_err(err)?;
                let s: i64 = row.try_get("satisfaction").map_err(err)?;
                Ok((
                    id(&agent)?,
                    u8::try_from(s).map_err(|_| corrupt("satisfaction"))?,
                ))
            })
            .collect()
    }

    async fn drill_counts(
        &mut self,
        from: Timestamp,
        until: Timestamp,
    ) -> Result<Vec<(Uuid, u64)>, StoreError> {
        let rows = sqlx::query(
            "SELECT m.user_id, COUNT(DISTINCT i.id) AS n FROM incidents i \
             JOIN incident_team m ON m.incident_id = i.id \
             WHERE i.drill <> 0 AND i.declared_at >= $1 AND i.declared_at < $2 \
             GROUP BY m.user_id ORDER BY m.user_id",
        )
        .bind(ms(from))
        .bind(ms(until))
        .fetch_all(self.db().await?)
        .await
        .map_err(err)?;
        rows.iter()
            .map(|row| {
                let user: String = row.try_get("user_id").map_err(err)?;
                let n: i64 = row.try_get("n").map_err(err)?;
                Ok((id(&user)?, n.max(0) as u64))
            })
            .collect()
    }

    async fn insert_training(&mut self, t: &TrainingRecord) -> Result<(), StoreError> {
        sqlx::query(&format!(
            "INSERT INTO training_records ({TRAINING_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7)"
        ))
        .bind(t.id.to_string())
        .bind(t.user_id.to_string())
        .bind(&t.title)
        .bind(day(t.on_date))
        .bind(t.hours_tenths)
        .bind(t.recorded_by.to_string())
        .bind(ms(t.recorded_at))
        .execute(self.db().await?)
        .await
        .map_err(err)?;
        Ok(())
    }

    async fn list_training(
        &mut self,
        from: Date,
        until: Date,
    ) -> Result<Vec<TrainingRecord>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {TRAINING_COLUMNS} FROM training_records \
             WHERE on_date >= $1 AND on_date < $2 ORDER BY on_date, id"
        ))
        .bind(day(from))
        .bind(day(until))
        .fetch_all(self.db().await?)
        .await
        .map_err(err)?;
        rows.iter().map(training_from_row).collect()
    }

    async fn insert_assessment_action(&mut self, a: &AssessmentAction) -> Result<(), StoreError> {
        sqlx::query(&format!(
            "INSERT INTO assessment_actions ({ACTION_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
        ))
        .bind(a.id.to_string())
        .bind(a.cycle_id.to_string())
        .bind(a.subject.as_str())
        .bind(a.subject_id.to_string())
        .bind(a.kind.as_str())
        .bind(&a.note)
        .bind(a.recorded_by.to_string())
        .bind(ms(a.recorded_at))
        .execute(self.db().await?)
        .await
        .map_err(err)?;
        Ok(())
    }

    async fn list_assessment_actions(
        &mut self,
        cycle_id: Uuid,
    ) -> Result<Vec<AssessmentAction>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {ACTION_COLUMNS} FROM assessment_actions WHERE cycle_id = $1 \
             ORDER BY recorded_at, id"
        ))
        .bind(cycle_id.to_string())
        .fetch_all(self.db().await?)
        .await
        .map_err(err)?;
        rows.iter().map(action_from_row).collect()
    }
}
