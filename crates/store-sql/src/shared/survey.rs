// Survey repository, shared by both backends: `include!`d where `Db` and `SqlTx` are bound.

use super::{Db, SqlTx};
use crate::convert::{err, id, ms, opt_ts, ts};
use sqlx::Row;
use tripdesk_store::{StoreError, Survey, SurveyAnswers, SurveyRepo};
use uuid::Uuid;

const SURVEY_COLUMNS: &str = "id, ticket_id, token_hash, agent_id, created_at, expires_at, emailed, \
    used_at, satisfaction, overall_rating, suggestions, reason";

fn survey_from_row(row: &<Db as sqlx::Database>::Row) -> Result<Survey, StoreError> {
    let text = |name: &str| -> Result<String, StoreError> { row.try_get(name).map_err(err) };
    let satisfaction: Option<i64> = row.try_get("satisfaction").map_err(err)?;
    let overall_rating: Option<i64> = row.try_get("overall_rating").map_err(err)?;
    let rating = |v: i64| {
        u8::try_from(v)
            .ok()
            .filter(|r| (1..=5).contains(r))
            .ok_or_else(|| StoreError::Corrupt("survey rating out of range".into()))
    };
    let answers = match (satisfaction, overall_rating) {
        (Some(s), Some(o)) => Some(SurveyAnswers {
            satisfaction: rating(s)?,
            overall_rating: rating(o)?,
            suggestions: row.try_get("suggestions").map_err(err)?,
            reason: row.try_get("reason").map_err(err)?,
        }),
        _ => None,
    };
    Ok(Survey {
        id: id(&text("id")?)?,
        ticket_id: id(&text("ticket_id")?)?,
        token_hash: text("token_hash")?,
        agent_id: id(&text("agent_id")?)?,
        created_at: ts(row.try_get("created_at").map_err(err)?)?,
        expires_at: ts(row.try_get("expires_at").map_err(err)?)?,
        emailed: row.try_get::<i64, _>("emailed").map_err(err)? != 0,
        used_at: opt_ts(row.try_get("used_at").map_err(err)?)?,
        answers,
    })
}

#[async_trait::async_trait]
impl SurveyRepo for SqlTx {
    async fn insert_survey(&mut self, s: &Survey) -> Result<(), StoreError> {
        let a = s.answers.as_ref();
        sqlx::query(&format!(
            "INSERT INTO surveys ({SURVEY_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)"
        ))
        .bind(s.id.to_string())
        .bind(s.ticket_id.to_string())
        .bind(&s.token_hash)
        .bind(s.agent_id.to_string())
        .bind(ms(s.created_at))
        .bind(ms(s.expires_at))
        .bind(i64::from(s.emailed))
        .bind(s.used_at.map(ms))
        .bind(a.map(|a| i64::from(a.satisfaction)))
        .bind(a.map(|a| i64::from(a.overall_rating)))
        .bind(a.and_then(|a| a.suggestions.clone()))
        .bind(a.and_then(|a| a.reason.clone()))
        .execute(self.db().await?)
        .await
        .map_err(err)?;
        Ok(())
    }

    async fn get_survey_by_token_hash(&mut self, token_hash: &str) -> Result<Option<Survey>, StoreError> {
        let row = sqlx::query(&format!("SELECT {SURVEY_COLUMNS} FROM surveys WHERE token_hash = $1"))
            .bind(token_hash)
            .fetch_optional(self.db().await?)
            .await
            .map_err(err)?;
        row.as_ref().map(survey_from_row).transpose()
    }

    async fn list_surveys(&mut self, ticket_id: Uuid) -> Result<Vec<Survey>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {SURVEY_COLUMNS} FROM surveys WHERE ticket_id = $1 ORDER BY created_at, id"
        ))
        .bind(ticket_id.to_string())
        .fetch_all(self.db().await?)
        .await
        .map_err(err)?;
        rows.iter().map(survey_from_row).collect()
    }

    async fn use_survey(&mut self, survey_id: Uuid, now: jiff::Timestamp, a: &SurveyAnswers) -> Result<bool, StoreError> {
        // One conditional statement: of several requests (on any node) only the first to
        // update the row finds `used_at` still NULL; PostgreSQL re-checks the condition after
        // waiting for the row lock of a concurrent winner.
        let done = sqlx::query(
            "UPDATE surveys SET used_at = $2, satisfaction = $3, overall_rating = $4, \
             suggestions = $5, reason = $6 \
             WHERE id = $1 AND used_at IS NULL AND expires_at > $2",
        )
        .bind(survey_id.to_string())
        .bind(ms(now))
        .bind(i64::from(a.satisfaction))
        .bind(i64::from(a.overall_rating))
        .bind(&a.suggestions)
        .bind(&a.reason)
        .execute(self.db().await?)
        .await
        .map_err(err)?;
        Ok(done.rows_affected() == 1)
    }
}
