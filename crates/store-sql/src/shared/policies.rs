// Cancellation policy versions, shared by both backends: `include!`d where `Db` and `SqlTx`
// are bound. A version names its product in one of three columns (a CHECK holds exactly one).

use super::{Db, SqlTx};
use crate::convert::{day, err, from_json, id, ms, opt_id, parse_day, to_json, ts};

use jiff::civil::Date;
use sqlx::{QueryBuilder, Row};
use tripdesk_domain::bookings::{CancellationPolicy, PolicyTerms};
use tripdesk_store::{PolicyRepo, PolicySubject, PolicyVersion, StoreError};


type DbRow = <Db as sqlx::Database>::Row;

const POLICY_COLUMNS: &str =
    "id, package_id, property_id, room_type_id, effective_from, name, terms, created_by, created_at";

/// Latest effective date first; of one date, the version added last first.
const NEWEST_FIRST: &str = " ORDER BY effective_from DESC, created_at DESC, id DESC";

fn subject_column(subject: &PolicySubject) -> &'static str {
    match subject {
        PolicySubject::Package(_) => "package_id",
        PolicySubject::Property(_) => "property_id",
        PolicySubject::RoomType(_) => "room_type_id",
    }
}

fn version_from_row(row: &DbRow) -> Result<PolicyVersion, StoreError> {
    let text = |name: &str| -> Result<String, StoreError> { row.try_get(name).map_err(err) };
    let maybe = |name: &str| -> Result<Option<String>, StoreError> { row.try_get(name).map_err(err) };
    let subject = match (maybe("package_id")?, maybe("property_id")?, maybe("room_type_id")?) {
        (Some(p), None, None) => PolicySubject::Package(id(&p)?),
        (None, Some(p), None) => PolicySubject::Property(id(&p)?),
        (None, None, Some(t)) => PolicySubject::RoomType(id(&t)?),
        _ => return Err(StoreError::Corrupt("a policy version names one product".into())),
    };
    let terms: PolicyTerms = from_json(&text("terms")?, "policy terms")?;
    Ok(PolicyVersion {
        id: id(&text("id")?)?,
        subject,
        policy: CancellationPolicy {
            name: text("name")?,
            effective_from: parse_day(&text("effective_from")?)?,
            terms,
        },
        created_by: opt_id(maybe("created_by")?)?,
        created_at: ts(row.try_get::<i64, _>("created_at").map_err(err)?)?,
    })
}

#[async_trait::async_trait]
impl PolicyRepo for SqlTx {
    async fn insert_policy_version(&mut self, v: &PolicyVersion) -> Result<(), StoreError> {
        let of = |kind: &str| (v.subject.kind() == kind).then(|| v.subject.id().to_string());
        sqlx::query(&format!(
            "INSERT INTO cancellation_policies ({POLICY_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
        ))
        .bind(v.id.to_string())
        .bind(of("package"))
        .bind(of("property"))
        .bind(of("room_type"))
        .bind(day(v.policy.effective_from))
        .bind(&v.policy.name)
        .bind(to_json(&v.policy.terms))
        .bind(v.created_by.map(|u| u.to_string()))
        .bind(ms(v.created_at))
        .execute(self.db().await?)
        .await
        .map_err(err)?;
        Ok(())
    }

    async fn list_policy_versions(
        &mut self,
        subjects: &[PolicySubject],
        limit: u32,
        offset: u64,
    ) -> Result<Vec<PolicyVersion>, StoreError> {
        if subjects.is_empty() {
            return Ok(Vec::new());
        }
        let mut qb: QueryBuilder<'_, Db> =
            QueryBuilder::new(format!("SELECT {POLICY_COLUMNS} FROM cancellation_policies WHERE "));
        for (i, s) in subjects.iter().enumerate() {
            if i > 0 {
                qb.push(" OR ");
            }
            qb.push(subject_column(s)).push(" = ").push_bind(s.id().to_string());
        }
        qb.push(NEWEST_FIRST)
            .push(" LIMIT ")
            .push_bind(i64::from(limit.clamp(1, 1000)))
            .push(" OFFSET ")
            .push_bind(i64::try_from(offset).unwrap_or(i64::MAX));
        let rows = qb.build().fetch_all(self.db().await?).await.map_err(err)?;
        rows.iter().map(version_from_row).collect()
    }

    async fn policy_in_force(
        &mut self,
        subject: PolicySubject,
        on: Date,
    ) -> Result<Option<PolicyVersion>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {POLICY_COLUMNS} FROM cancellation_policies WHERE {} = $1 AND effective_from <= $2{NEWEST_FIRST} LIMIT 1",
            subject_column(&subject)
        ))
        .bind(subject.id().to_string())
        .bind(day(on))
        .fetch_optional(self.db().await?)
        .await
        .map_err(err)?;
        row.as_ref().map(version_from_row).transpose()
    }
}

