// Feedback repository, shared by both backends: `include!`d where `Db`, `SqlTx` and
// `json_text_array` are bound.

use super::{json_text_array, Db, SqlTx};
use crate::convert::{err, id, ms, opt_id, opt_ms, opt_ts, ts};
use sqlx::Row;
use tripdesk_domain::feedback::{Category, ModelKind, Sentiment};
use tripdesk_store::{
    FeedbackFilter, FeedbackItem, FeedbackRepo, FeedbackSource, LearnedCount, StoreError,
};
use uuid::Uuid;

const FEEDBACK_COLUMNS: &str = "source, item_id, ticket_id, at, categories, sentiment, score, \
    classified_at, corrected_by, corrected_at, trained_categories, trained_sentiment";

fn categories_text(c: &[Category]) -> String {
    c.iter().map(|c| c.as_str()).collect::<Vec<_>>().join(",")
}

fn categories_of(text: &str) -> Result<Vec<Category>, StoreError> {
    text.split(',')
        .map(|c| {
            Category::parse(c).ok_or_else(|| StoreError::Corrupt(format!("feedback category {c}")))
        })
        .collect()
}

fn sentiment_of(text: &str) -> Result<Sentiment, StoreError> {
    Sentiment::parse(text).ok_or_else(|| StoreError::Corrupt(format!("feedback sentiment {text}")))
}

fn feedback_from_row(row: &<Db as sqlx::Database>::Row) -> Result<FeedbackItem, StoreError> {
    let text = |name: &str| -> Result<String, StoreError> { row.try_get(name).map_err(err) };
    let source = text("source")?;
    let trained_categories: Option<String> = row.try_get("trained_categories").map_err(err)?;
    let trained_sentiment: Option<String> = row.try_get("trained_sentiment").map_err(err)?;
    let trained = match (trained_categories, trained_sentiment) {
        (Some(c), Some(s)) => Some((categories_of(&c)?, sentiment_of(&s)?)),
        _ => None,
    };
    let score: i64 = row.try_get("score").map_err(err)?;
    Ok(FeedbackItem {
        source: FeedbackSource::parse(&source)
            .ok_or_else(|| StoreError::Corrupt(format!("feedback source {source}")))?,
        item_id: id(&text("item_id")?)?,
        ticket_id: id(&text("ticket_id")?)?,
        at: ts(row.try_get("at").map_err(err)?)?,
        categories: categories_of(&text("categories")?)?,
        sentiment: sentiment_of(&text("sentiment")?)?,
        score: u16::try_from(score).map_err(|_| StoreError::Corrupt("feedback score".into()))?,
        classified_at: ts(row.try_get("classified_at").map_err(err)?)?,
        corrected_by: opt_id(row.try_get("corrected_by").map_err(err)?)?,
        corrected_at: opt_ts(row.try_get("corrected_at").map_err(err)?)?,
        trained,
    })
}

enum Param {
    Text(String),
    Int(i64),
}

/// The WHERE clause of a filter and its parameters (numbered from 1).
fn feedback_where(f: &FeedbackFilter) -> (String, Vec<Param>) {
    let mut conds: Vec<String> = Vec::new();
    let mut params = Vec::new();
    let mut push = |cond: &str, p: Param, params: &mut Vec<Param>| {
        params.push(p);
        conds.push(cond.replace('?', &format!("${}", params.len())));
    };
    if let Some(s) = f.source {
        push("source = ?", Param::Text(s.as_str().into()), &mut params);
    }
    if let Some(c) = f.category {
        push(
            "(',' || categories || ',') LIKE ?",
            Param::Text(format!("%,{},%", c.as_str())),
            &mut params,
        );
    }
    if let Some(s) = f.sentiment {
        push("sentiment = ?", Param::Text(s.as_str().into()), &mut params);
    }
    if let Some(from) = f.from {
        push("at >= ?", Param::Int(ms(from)), &mut params);
    }
    if let Some(until) = f.until {
        push("at < ?", Param::Int(ms(until)), &mut params);
    }
    match f.corrected {
        Some(true) => conds.push("corrected_at IS NOT NULL".into()),
        Some(false) => conds.push("corrected_at IS NULL".into()),
        None => {}
    }
    let clause = if conds.is_empty() {
        String::new()
    } else {
        format!("WHERE {}", conds.join(" AND "))
    };
    (clause, params)
}

#[async_trait::async_trait]
impl FeedbackRepo for SqlTx {
    async fn put_feedback(&mut self, i: &FeedbackItem) -> Result<(), StoreError> {
        sqlx::query(&format!(
            "INSERT INTO feedback_items ({FEEDBACK_COLUMNS}) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) \
             ON CONFLICT (source, item_id) DO UPDATE SET ticket_id = excluded.ticket_id, \
             at = excluded.at, categories = excluded.categories, sentiment = excluded.sentiment, \
             score = excluded.score, classified_at = excluded.classified_at, \
             corrected_by = excluded.corrected_by, corrected_at = excluded.corrected_at, \
             trained_categories = excluded.trained_categories, \
             trained_sentiment = excluded.trained_sentiment"
        ))
        .bind(i.source.as_str())
        .bind(i.item_id.to_string())
        .bind(i.ticket_id.to_string())
        .bind(ms(i.at))
        .bind(categories_text(&i.categories))
        .bind(i.sentiment.as_str())
        .bind(i64::from(i.score))
        .bind(ms(i.classified_at))
        .bind(i.corrected_by.map(|u| u.to_string()))
        .bind(opt_ms(i.corrected_at))
        .bind(i.trained.as_ref().map(|(c, _)| categories_text(c)))
        .bind(i.trained.as_ref().map(|(_, s)| s.as_str()))
        .execute(self.db().await?)
        .await
        .map_err(err)?;
        Ok(())
    }

    async fn get_feedback(
        &mut self,
        source: FeedbackSource,
        item_id: Uuid,
    ) -> Result<Option<FeedbackItem>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {FEEDBACK_COLUMNS} FROM feedback_items WHERE source = $1 AND item_id = $2"
        ))
        .bind(source.as_str())
        .bind(item_id.to_string())
        .fetch_optional(self.db().await?)
        .await
        .map_err(err)?;
        row.as_ref().map(feedback_from_row).transpose()
    }

    async fn list_feedback(
        &mut self,
        filter: &FeedbackFilter,
        limit: u32,
        offset: u32,
    ) -> Result<Vec<FeedbackItem>, StoreError> {
        let (clause, params) = feedback_where(filter);
        let n = params.len();
        let sql = format!(
            "SELECT {FEEDBACK_COLUMNS} FROM feedback_items {clause} \
             ORDER BY at DESC, item_id DESC LIMIT ${} OFFSET ${}",
            n + 1,
            n + 2
        );
        let mut q = sqlx::query(&sql);
        for p in params {
            q = match p {
                Param::Text(s) => q.bind(s),
                Param::Int(i) => q.bind(i),
            };
        }
        let rows = q
            .bind(i64::from(limit))
            .bind(i64::from(offset))
            .fetch_all(self.db().await?)
            .await
            .map_err(err)?;
        rows.iter().map(feedback_from_row).collect()
    }

    async fn count_feedback(&mut self, filter: &FeedbackFilter) -> Result<u64, StoreError> {
        let (clause, params) = feedback_where(filter);
        let sql = format!("SELECT COUNT(*) AS n FROM feedback_items {clause}");
        let mut q = sqlx::query(&sql);
        for p in params {
            q = match p {
                Param::Text(s) => q.bind(s),
                Param::Int(i) => q.bind(i),
            };
        }
        let row = q.fetch_one(self.db().await?).await.map_err(err)?;
        let n: i64 = row.try_get("n").map_err(err)?;
        Ok(n.max(0) as u64)
    }

    async fn ticket_feedback(&mut self, ticket_id: Uuid) -> Result<Vec<FeedbackItem>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {FEEDBACK_COLUMNS} FROM feedback_items WHERE ticket_id = $1 ORDER BY at, item_id"
        ))
        .bind(ticket_id.to_string())
        .fetch_all(self.db().await?)
        .await
        .map_err(err)?;
        rows.iter().map(feedback_from_row).collect()
    }

    async fn learned_counts(&mut self, terms: &[String]) -> Result<Vec<LearnedCount>, StoreError> {
        let mut wanted: Vec<&str> = vec!["#docs", "#tokens"];
        for t in terms {
            if !wanted.contains(&t.as_str()) {
                wanted.push(t);
            }
        }
        // One statement whatever the number of terms (see `json_text_array`).
        let wanted = serde_json::to_string(&wanted).map_err(|e| StoreError::Other(e.to_string()))?;
        let sql = format!(
            "SELECT model, label, term, count FROM feedback_learned WHERE term IN ({})",
            json_text_array(1)
        );
        let q = sqlx::query(&sql).bind(wanted);
        let rows = q.fetch_all(self.db().await?).await.map_err(err)?;
        rows.iter()
            .map(|row| {
                let model: String = row.try_get("model").map_err(err)?;
                Ok(LearnedCount {
                    model: ModelKind::parse(&model)
                        .ok_or_else(|| StoreError::Corrupt(format!("feedback model {model}")))?,
                    label: row.try_get("label").map_err(err)?,
                    term: row.try_get("term").map_err(err)?,
                    count: row.try_get("count").map_err(err)?,
                })
            })
            .collect()
    }

    async fn add_learned(&mut self, counts: &[LearnedCount]) -> Result<(), StoreError> {
        for c in counts {
            sqlx::query(
                "INSERT INTO feedback_learned (model, label, term, count) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (model, term, label) \
                 DO UPDATE SET count = feedback_learned.count + excluded.count",
            )
            .bind(c.model.as_str())
            .bind(&c.label)
            .bind(&c.term)
            .bind(c.count)
            .execute(self.db().await?)
            .await
            .map_err(err)?;
            if c.count < 0 {
                // A count taken back to zero leaves with its term (an erased customer's word
                // must not stay behind as a key).
                sqlx::query("DELETE FROM feedback_learned WHERE model = $1 AND term = $2 AND label = $3 AND count = 0")
                    .bind(c.model.as_str())
                    .bind(&c.term)
                    .bind(&c.label)
                    .execute(self.db().await?)
                    .await
                    .map_err(err)?;
            }
        }
        Ok(())
    }
}
