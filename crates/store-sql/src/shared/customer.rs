// Customer repository, shared by both backends: `include!`d where `Db` and `SqlTx` are
// bound. (This file is not a module of its own.)

use super::{Db, SqlTx};
use super::shared_rows::Insert;
use crate::convert::{err, id, ms, opt_id, opt_ms, opt_ts, ts};
use sqlx::{QueryBuilder, Row};
use tripdesk_store::{
    Consent, Customer, CustomerFilter, CustomerIdentifier, CustomerRepo, DuplicateMatch,
    StoreError,
};
use uuid::Uuid;

fn tags_to_text(tags: &[String]) -> String {
    if tags.is_empty() {
        String::new()
    } else {
        format!(",{},", tags.join(","))
    }
}

fn tags_from_text(text: &str) -> Vec<String> {
    text.split(',')
        .filter(|t| !t.is_empty())
        .map(str::to_string)
        .collect()
}

fn customer_from_row(row: &<Db as sqlx::Database>::Row) -> Result<Customer, StoreError> {
    Ok(Customer {
        id: id(&row.try_get::<String, _>("id").map_err(err)?)?,
        name: row.try_get("name").map_err(err)?,
        birth_date_sealed: row.try_get("birth_date_sealed").map_err(err)?,
        diet_sealed: row.try_get("diet_sealed").map_err(err)?,
        allergies_sealed: row.try_get("allergies_sealed").map_err(err)?,
        accessibility_sealed: row.try_get("accessibility_sealed").map_err(err)?,
        preferred_language: row.try_get("preferred_language").map_err(err)?,
        preferred_channel: row.try_get("preferred_channel").map_err(err)?,
        source_channel: row.try_get("source_channel").map_err(err)?,
        tags: tags_from_text(&row.try_get::<String, _>("tags").map_err(err)?),
        notes: row.try_get("notes").map_err(err)?,
        created_by: opt_id(row.try_get("created_by").map_err(err)?)?,
        updated_by: opt_id(row.try_get("updated_by").map_err(err)?)?,
        created_at: ts(row.try_get("created_at").map_err(err)?)?,
        updated_at: ts(row.try_get("updated_at").map_err(err)?)?,
        erased_at: opt_ts(row.try_get("erased_at").map_err(err)?)?,
        merged_into: opt_id(row.try_get("merged_into").map_err(err)?)?,
    })
}

fn identifier_from_row(row: &<Db as sqlx::Database>::Row) -> Result<CustomerIdentifier, StoreError> {
    Ok(CustomerIdentifier {
        id: id(&row.try_get::<String, _>("id").map_err(err)?)?,
        customer_id: id(&row.try_get::<String, _>("customer_id").map_err(err)?)?,
        kind: row.try_get("kind").map_err(err)?,
        blind_index: row.try_get("blind_index").map_err(err)?,
        sealed: row.try_get("sealed").map_err(err)?,
        masked: row.try_get("masked").map_err(err)?,
        is_primary: row.try_get::<i64, _>("is_primary").map_err(err)? != 0,
        created_at: ts(row.try_get("created_at").map_err(err)?)?,
    })
}

fn consent_from_row(row: &<Db as sqlx::Database>::Row) -> Result<Consent, StoreError> {
    Ok(Consent {
        id: id(&row.try_get::<String, _>("id").map_err(err)?)?,
        customer_id: id(&row.try_get::<String, _>("customer_id").map_err(err)?)?,
        purpose: row.try_get("purpose").map_err(err)?,
        granted: row.try_get::<i64, _>("granted").map_err(err)? != 0,
        channel: row.try_get("channel").map_err(err)?,
        text_version: row.try_get("text_version").map_err(err)?,
        recorded_at: ts(row.try_get("recorded_at").map_err(err)?)?,
        recorded_by: opt_id(row.try_get("recorded_by").map_err(err)?)?,
    })
}

fn push_customer_filter(qb: &mut QueryBuilder<'_, Db>, f: &CustomerFilter) {
    qb.push(" WHERE 1=1");
    if !f.include_inactive {
        qb.push(" AND c.erased_at IS NULL AND c.merged_into IS NULL");
    }
    if let Some(q) = f.name.as_deref().map(str::trim).filter(|q| !q.is_empty()) {
        let escaped = q
            .to_lowercase()
            .replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_");
        qb.push(" AND LOWER(c.name) LIKE ")
            .push_bind(format!("%{escaped}%"))
            .push(" ESCAPE '\\'");
    }
    if let Some(tag) = f.tag.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
        // Tags hold no commas, so ",tag," matches one whole tag.
        let escaped = tag
            .replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_");
        qb.push(" AND c.tags LIKE ")
            .push_bind(format!("%,{escaped},%"))
            .push(" ESCAPE '\\'");
    }
    if let Some(ids) = &f.ids {
        if ids.is_empty() {
            qb.push(" AND 1=0");
        } else {
            qb.push(" AND c.id IN (");
            let mut sep = qb.separated(", ");
            for i in ids {
                sep.push_bind(i.to_string());
            }
            sep.push_unseparated(")");
        }
    }
}

#[async_trait::async_trait]
impl CustomerRepo for SqlTx {
    async fn insert_customer(&mut self, c: &Customer) -> Result<(), StoreError> {
        // Sent with the transaction's next statement (`shared/rows.rs`).
        let row = Insert::new(
            "customers",
            "id, name, birth_date_sealed, diet_sealed, allergies_sealed, accessibility_sealed, \
             preferred_language, preferred_channel, source_channel, tags, notes, created_by, \
             updated_by, created_at, updated_at, erased_at, merged_into",
        )
        .val(c.id.to_string())
        .val(&c.name)
        .val(&c.birth_date_sealed)
        .val(&c.diet_sealed)
        .val(&c.allergies_sealed)
        .val(&c.accessibility_sealed)
        .val(&c.preferred_language)
        .val(&c.preferred_channel)
        .val(&c.source_channel)
        .val(tags_to_text(&c.tags))
        .val(&c.notes)
        .val(c.created_by.map(|u| u.to_string()))
        .val(c.updated_by.map(|u| u.to_string()))
        .val(ms(c.created_at))
        .val(ms(c.updated_at))
        .val(opt_ms(c.erased_at))
        .val(c.merged_into.map(|u| u.to_string()));
        self.insert_row(row).await
    }

    async fn update_customer(&mut self, c: &Customer) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE customers SET name = $2, birth_date_sealed = $3, diet_sealed = $4, \
             allergies_sealed = $5, accessibility_sealed = $6, preferred_language = $7, \
             preferred_channel = $8, source_channel = $9, tags = $10, notes = $11, updated_by = $12, \
             updated_at = $13, erased_at = $14, merged_into = $15 WHERE id = $1",
        )
        .bind(c.id.to_string())
        .bind(&c.name)
        .bind(&c.birth_date_sealed)
        .bind(&c.diet_sealed)
        .bind(&c.allergies_sealed)
        .bind(&c.accessibility_sealed)
        .bind(&c.preferred_language)
        .bind(&c.preferred_channel)
        .bind(&c.source_channel)
        .bind(tags_to_text(&c.tags))
        .bind(&c.notes)
        .bind(c.updated_by.map(|u| u.to_string()))
        .bind(ms(c.updated_at))
        .bind(opt_ms(c.erased_at))
        .bind(c.merged_into.map(|u| u.to_string()))
        .execute(self.db().await?)
        .await
        .map_err(err)?;
        Ok(done.rows_affected() == 1)
    }

    async fn get_customer(&mut self, customer_id: Uuid) -> Result<Option<Customer>, StoreError> {
        let row = sqlx::query("SELECT * FROM customers c WHERE c.id = $1")
            .bind(customer_id.to_string())
            .fetch_optional(self.db().await?)
            .await
            .map_err(err)?;
        row.as_ref().map(customer_from_row).transpose()
    }

    async fn list_customers(&mut self, f: &CustomerFilter) -> Result<Vec<Customer>, StoreError> {
        let mut qb = QueryBuilder::<Db>::new("SELECT * FROM customers c");
        push_customer_filter(&mut qb, f);
        qb.push(" ORDER BY c.created_at DESC, c.id DESC LIMIT ")
            .push_bind(i64::from(f.limit.clamp(1, 10_000)))
            .push(" OFFSET ")
            .push_bind(i64::from(f.offset));
        let rows = qb.build().fetch_all(self.db().await?).await.map_err(err)?;
        rows.iter().map(customer_from_row).collect()
    }

    async fn count_customers(&mut self, f: &CustomerFilter) -> Result<u64, StoreError> {
        let mut qb = QueryBuilder::<Db>::new("SELECT COUNT(*) AS n FROM customers c");
        push_customer_filter(&mut qb, f);
        let row = qb.build().fetch_one(self.db().await?).await.map_err(err)?;
        Ok(row.try_get::<i64, _>("n").map_err(err)? as u64)
    }

    async fn insert_identifier(&mut self, i: &CustomerIdentifier) -> Result<(), StoreError> {
        // Sent with the transaction's next statement (`shared/rows.rs`): identifiers are not
        // unique (two customers may share one: the duplicate check finds them).
        let row = Insert::new(
            "customer_identifiers",
            "id, customer_id, kind, blind_index, sealed, masked, is_primary, created_at",
        )
        .val(i.id.to_string())
        .val(i.customer_id.to_string())
        .val(&i.kind)
        .val(&i.blind_index)
        .val(&i.sealed)
        .val(&i.masked)
        .val(i64::from(i.is_primary))
        .val(ms(i.created_at));
        self.insert_row(row).await
    }

    async fn update_identifier(&mut self, i: &CustomerIdentifier) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE customer_identifiers SET customer_id = $2, sealed = $3, masked = $4, \
             is_primary = $5 WHERE id = $1",
        )
        .bind(i.id.to_string())
        .bind(i.customer_id.to_string())
        .bind(&i.sealed)
        .bind(&i.masked)
        .bind(i64::from(i.is_primary))
        .execute(self.db().await?)
        .await
        .map_err(err)?;
        Ok(done.rows_affected() == 1)
    }

    async fn delete_identifier(&mut self, identifier_id: Uuid) -> Result<bool, StoreError> {
        let done = sqlx::query("DELETE FROM customer_identifiers WHERE id = $1")
            .bind(identifier_id.to_string())
            .execute(self.db().await?)
            .await
            .map_err(err)?;
        Ok(done.rows_affected() == 1)
    }

    async fn list_identifiers(&mut self, customer_id: Uuid) -> Result<Vec<CustomerIdentifier>, StoreError> {
        self.list_identifiers_of(&[customer_id]).await
    }

    async fn list_identifiers_of(&mut self, customer_ids: &[Uuid]) -> Result<Vec<CustomerIdentifier>, StoreError> {
        if customer_ids.is_empty() {
            return Ok(Vec::new());
        }
        let mut qb = QueryBuilder::<Db>::new("SELECT * FROM customer_identifiers WHERE customer_id IN (");
        let mut sep = qb.separated(", ");
        for c in customer_ids {
            sep.push_bind(c.to_string());
        }
        sep.push_unseparated(")");
        qb.push(" ORDER BY customer_id, is_primary DESC, kind, created_at, id");
        let rows = qb.build().fetch_all(self.db().await?).await.map_err(err)?;
        rows.iter().map(identifier_from_row).collect()
    }

    async fn find_customers_by_identifier(&mut self, kind: &str, blind_index: &str) -> Result<Vec<Uuid>, StoreError> {
        let rows = sqlx::query(
            "SELECT DISTINCT i.customer_id FROM customer_identifiers i \
             JOIN customers c ON c.id = i.customer_id \
             WHERE i.kind = $1 AND i.blind_index = $2 AND c.erased_at IS NULL AND c.merged_into IS NULL \
             ORDER BY i.customer_id",
        )
        .bind(kind)
        .bind(blind_index)
        .fetch_all(self.db().await?)
        .await
        .map_err(err)?;
        rows.iter()
            .map(|r| id(&r.try_get::<String, _>("customer_id").map_err(err)?))
            .collect()
    }

    async fn find_duplicates(&mut self, customer_id: Uuid) -> Result<Vec<DuplicateMatch>, StoreError> {
        let rows = sqlx::query(
            // The live-customer check is a correlated subquery rather than a join: the
            // planner cannot start from `customers` then (without statistics — a fresh table,
            // autovacuum off — it took every customer for a match and scanned them all, 25 ms
            // at 4,000 customers against 0.4 ms), it looks up each match by primary key.
            "SELECT DISTINCT o.customer_id AS other, o.kind AS kind FROM customer_identifiers m \
             JOIN customer_identifiers o ON o.kind = m.kind AND o.blind_index = m.blind_index \
               AND o.customer_id <> m.customer_id \
             WHERE m.customer_id = $1 \
               AND (SELECT 1 FROM customers c WHERE c.id = o.customer_id \
                    AND c.erased_at IS NULL AND c.merged_into IS NULL) IS NOT NULL \
             ORDER BY other, kind",
        )
        .bind(customer_id.to_string())
        .fetch_all(self.db().await?)
        .await
        .map_err(err)?;
        rows.iter()
            .map(|r| {
                Ok(DuplicateMatch {
                    customer_id: id(&r.try_get::<String, _>("other").map_err(err)?)?,
                    kind: r.try_get("kind").map_err(err)?,
                })
            })
            .collect()
    }

    async fn insert_consent(&mut self, c: &Consent) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO customer_consents (id, customer_id, purpose, granted, channel, text_version, \
             recorded_at, recorded_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(c.id.to_string())
        .bind(c.customer_id.to_string())
        .bind(&c.purpose)
        .bind(i64::from(c.granted))
        .bind(&c.channel)
        .bind(&c.text_version)
        .bind(ms(c.recorded_at))
        .bind(c.recorded_by.map(|u| u.to_string()))
        .execute(self.db().await?)
        .await
        .map_err(err)?;
        Ok(())
    }

    async fn list_consents(&mut self, customer_id: Uuid) -> Result<Vec<Consent>, StoreError> {
        let rows = sqlx::query(
            "SELECT * FROM customer_consents WHERE customer_id = $1 ORDER BY recorded_at, id",
        )
        .bind(customer_id.to_string())
        .fetch_all(self.db().await?)
        .await
        .map_err(err)?;
        rows.iter().map(consent_from_row).collect()
    }

    async fn move_consents(&mut self, from: Uuid, to: Uuid) -> Result<u64, StoreError> {
        let done = sqlx::query("UPDATE customer_consents SET customer_id = $2 WHERE customer_id = $1")
            .bind(from.to_string())
            .bind(to.to_string())
            .execute(self.db().await?)
            .await
            .map_err(err)?;
        Ok(done.rows_affected())
    }

    async fn identifiers_to_reseal(&mut self, prefix: &str, limit: u32) -> Result<Vec<CustomerIdentifier>, StoreError> {
        let rows = sqlx::query(
            "SELECT * FROM customer_identifiers WHERE substr(sealed, 1, $1) <> $2 ORDER BY id LIMIT $3",
        )
        .bind(prefix.chars().count() as i32)
        .bind(prefix)
        .bind(i64::from(limit.max(1)))
        .fetch_all(self.db().await?)
        .await
        .map_err(err)?;
        rows.iter().map(identifier_from_row).collect()
    }

    async fn customers_to_reseal(&mut self, prefix: &str, limit: u32) -> Result<Vec<Customer>, StoreError> {
        let mut qb = QueryBuilder::<Db>::new("SELECT * FROM customers c WHERE 1=0");
        for col in ["birth_date_sealed", "diet_sealed", "allergies_sealed", "accessibility_sealed"] {
            qb.push(format!(" OR ({col} IS NOT NULL AND substr({col}, 1, "))
                .push_bind(prefix.chars().count() as i32)
                .push(") <> ")
                .push_bind(prefix.to_string())
                .push(")");
        }
        qb.push(" ORDER BY c.id LIMIT ").push_bind(i64::from(limit.max(1)));
        let rows = qb.build().fetch_all(self.db().await?).await.map_err(err)?;
        rows.iter().map(customer_from_row).collect()
    }
}
