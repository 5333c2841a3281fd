// Identity repository, shared by both backends: `include!`d where `Db` and `SqlTx` are bound.
// (This file is not a module of its own; see the crate documentation.)

use super::{Db, SqlTx};
use crate::convert::{err, id, ms, opt_id, opt_ms, opt_ts, ts};
use jiff::Timestamp;
use uuid::Uuid;
use sqlx::{QueryBuilder, Row};
use tripdesk_domain::identity::Role;
use tripdesk_store::{
    ApiToken, BusinessUnit, Department, IdentityRepo, Organization, Session, StoreError, User,
    UserFilter, WindowCount,
};

const USER_COLUMNS: &str = "u.id, u.username, u.display_name, u.email, u.password_hash, \
    u.department_id, u.locale, u.disabled_at, u.created_at, u.updated_at";

fn department_from_row(row: &<Db as sqlx::Database>::Row) -> Result<Department, StoreError> {
    Ok(Department {
        id: id(&row.try_get::<String, _>("id").map_err(err)?)?,
        code: row.try_get("code").map_err(err)?,
        name_zh: row.try_get("name_zh").map_err(err)?,
        name_en: row.try_get("name_en").map_err(err)?,
        business_unit_id: opt_id(row.try_get("business_unit_id").map_err(err)?)?,
        created_at: ts(row.try_get("created_at").map_err(err)?)?,
        updated_at: ts(row.try_get("updated_at").map_err(err)?)?,
    })
}

fn user_from_row(row: &<Db as sqlx::Database>::Row) -> Result<User, StoreError> {
    Ok(User {
        id: id(&row.try_get::<String, _>("id").map_err(err)?)?,
        username: row.try_get("username").map_err(err)?,
        display_name: row.try_get("display_name").map_err(err)?,
        email: row.try_get("email").map_err(err)?,
        password_hash: row.try_get("password_hash").map_err(err)?,
        department_id: opt_id(row.try_get("department_id").map_err(err)?)?,
        roles: Vec::new(),
        locale: row.try_get("locale").map_err(err)?,
        disabled_at: opt_ts(row.try_get("disabled_at").map_err(err)?)?,
        created_at: ts(row.try_get("created_at").map_err(err)?)?,
        updated_at: ts(row.try_get("updated_at").map_err(err)?)?,
    })
}

fn role_from_text(text: &str) -> Result<Role, StoreError> {
    text.parse()
        .map_err(|_| StoreError::Corrupt("unknown role in user_roles".into()))
}

fn session_from_row(row: &<Db as sqlx::Database>::Row) -> Result<Session, StoreError> {
    Ok(Session {
        id: id(&row.try_get::<String, _>("id").map_err(err)?)?,
        token_hash: row.try_get("token_hash").map_err(err)?,
        user_id: id(&row.try_get::<String, _>("user_id").map_err(err)?)?,
        csrf_token: row.try_get("csrf_token").map_err(err)?,
        created_at: ts(row.try_get("created_at").map_err(err)?)?,
        expires_at: ts(row.try_get("expires_at").map_err(err)?)?,
    })
}

fn api_token_from_row(row: &<Db as sqlx::Database>::Row) -> Result<ApiToken, StoreError> {
    Ok(ApiToken {
        id: id(&row.try_get::<String, _>("id").map_err(err)?)?,
        user_id: id(&row.try_get::<String, _>("user_id").map_err(err)?)?,
        name: row.try_get("name").map_err(err)?,
        prefix: row.try_get("prefix").map_err(err)?,
        token_hash: row.try_get("token_hash").map_err(err)?,
        created_at: ts(row.try_get("created_at").map_err(err)?)?,
        expires_at: opt_ts(row.try_get("expires_at").map_err(err)?)?,
        revoked_at: opt_ts(row.try_get("revoked_at").map_err(err)?)?,
        last_used_at: opt_ts(row.try_get("last_used_at").map_err(err)?)?,
    })
}

/// One row per role of the owner (a user with no role: one row, `role` NULL).
fn owner_from_rows(rows: &[<Db as sqlx::Database>::Row]) -> Result<Option<User>, StoreError> {
    let Some(first) = rows.first() else {
        return Ok(None);
    };
    let mut user = user_from_row(first)?;
    for row in rows {
        if let Some(role) = row.try_get::<Option<String>, _>("role").map_err(err)? {
            user.roles.push(role_from_text(&role)?);
        }
    }
    user.roles.sort();
    user.roles.dedup();
    Ok(Some(user))
}

/// `Store::session_owner` on `conn`: the session, its user and roles in one statement.
pub(super) async fn session_owner(
    conn: &mut <Db as sqlx::Database>::Connection,
    token_hash: &str,
) -> Result<Option<(Session, User)>, StoreError> {
    let rows = sqlx::query(&format!(
        "SELECT s.id AS s_id, s.token_hash AS s_token_hash, s.csrf_token AS s_csrf_token, \
         s.created_at AS s_created_at, s.expires_at AS s_expires_at, {USER_COLUMNS}, r.role \
         FROM sessions s JOIN users u ON u.id = s.user_id \
         LEFT JOIN user_roles r ON r.user_id = u.id WHERE s.token_hash = $1"
    ))
    .bind(token_hash)
    .fetch_all(conn)
    .await
    .map_err(err)?;
    let Some(user) = owner_from_rows(&rows)? else {
        return Ok(None);
    };
    let row = &rows[0];
    let session = Session {
        id: id(&row.try_get::<String, _>("s_id").map_err(err)?)?,
        token_hash: row.try_get("s_token_hash").map_err(err)?,
        user_id: user.id,
        csrf_token: row.try_get("s_csrf_token").map_err(err)?,
        created_at: ts(row.try_get("s_created_at").map_err(err)?)?,
        expires_at: ts(row.try_get("s_expires_at").map_err(err)?)?,
    };
    Ok(Some((session, user)))
}

/// `Store::api_token_owner` on `conn`: the token, its user and roles in one statement.
pub(super) async fn api_token_owner(
    conn: &mut <Db as sqlx::Database>::Connection,
    token_hash: &str,
) -> Result<Option<(ApiToken, User)>, StoreError> {
    let rows = sqlx::query(&format!(
        "SELECT t.id AS t_id, t.name AS t_name, t.prefix AS t_prefix, \
         t.token_hash AS t_token_hash, t.created_at AS t_created_at, \
         t.expires_at AS t_expires_at, t.revoked_at AS t_revoked_at, \
         t.last_used_at AS t_last_used_at, {USER_COLUMNS}, r.role \
         FROM api_tokens t JOIN users u ON u.id = t.user_id \
         LEFT JOIN user_roles r ON r.user_id = u.id WHERE t.token_hash = $1"
    ))
    .bind(token_hash)
    .fetch_all(conn)
    .await
    .map_err(err)?;
    let Some(user) = owner_from_rows(&rows)? else {
        return Ok(None);
    };
    let row = &rows[0];
    let token = ApiToken {
        id: id(&row.try_get::<String, _>("t_id").map_err(err)?)?,
        user_id: user.id,
        name: row.try_get("t_name").map_err(err)?,
        prefix: row.try_get("t_prefix").map_err(err)?,
        token_hash: row.try_get("t_token_hash").map_err(err)?,
        created_at: ts(row.try_get("t_created_at").map_err(err)?)?,
        expires_at: opt_ts(row.try_get("t_expires_at").map_err(err)?)?,
        revoked_at: opt_ts(row.try_get("t_revoked_at").map_err(err)?)?,
        last_used_at: opt_ts(row.try_get("t_last_used_at").map_err(err)?)?,
    };
    Ok(Some((token, user)))
}

/// Appends `WHERE …` for a user filter (on alias `u`).
fn push_user_filter(qb: &mut QueryBuilder<'_, Db>, filter: &UserFilter) {
    qb.push(" WHERE 1=1");
    if !filter.include_disabled {
        qb.push(" AND u.disabled_at IS NULL");
    }
    if let Some(dept) = filter.department_id {
        qb.push(" AND u.department_id = ").push_bind(dept.to_string());
    }
    if let Some(role) = filter.role {
        qb.push(" AND EXISTS (SELECT 1 FROM user_roles ur WHERE ur.user_id = u.id AND ur.role = ")
            .push_bind(role.as_str())
            .push(")");
    }
    if let Some(q) = filter.query.as_deref().map(str::trim).filter(|q| !q.is_empty()) {
        let escaped = q
            .to_lowercase()
            .replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_");
        let pattern = format!("%{escaped}%");
        qb.push(" AND (LOWER(u.username) LIKE ")
            .push_bind(pattern.clone())
            .push(" ESCAPE '\\' OR LOWER(u.display_name) LIKE ")
            .push_bind(pattern)
            .push(" ESCAPE '\\')");
    }
}

impl SqlTx {
    async fn load_roles(&mut self, user: &mut User) -> Result<(), StoreError> {
        let rows = sqlx::query("SELECT role FROM user_roles WHERE user_id = $1 ORDER BY role")
            .bind(user.id.to_string())
            .fetch_all(self.db().await?)
            .await
            .map_err(err)?;
        user.roles = rows
            .iter()
            .map(|r| role_from_text(&r.try_get::<String, _>("role").map_err(err)?))
            .collect::<Result<_, _>>()?;
        user.roles.sort();
        Ok(())
    }

    async fn replace_roles(&mut self, user: &User) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM user_roles WHERE user_id = $1")
            .bind(user.id.to_string())
            .execute(self.db().await?)
            .await
            .map_err(err)?;
        let mut roles = user.roles.clone();
        roles.sort();
        roles.dedup();
        for role in roles {
            sqlx::query("INSERT INTO user_roles (user_id, role) VALUES ($1, $2)")
                .bind(user.id.to_string())
                .bind(role.as_str())
                .execute(self.db().await?)
                .await
                .map_err(err)?;
        }
        Ok(())
    }

    async fn one_user(&mut self, sql: &str, key: String) -> Result<Option<User>, StoreError> {
        let row = sqlx::query(sql)
            .bind(key)
            .fetch_optional(self.db().await?)
            .await
            .map_err(err)?;
        match row {
            None => Ok(None),
            Some(row) => {
                let mut user = user_from_row(&row)?;
                self.load_roles(&mut user).await?;
                Ok(Some(user))
            }
        }
    }
}

#[async_trait::async_trait]
impl IdentityRepo for SqlTx {
    async fn get_organization(&mut self) -> Result<Option<Organization>, StoreError> {
        let row = sqlx::query(
            "SELECT id, name, timezone, created_at FROM organization ORDER BY created_at LIMIT 1",
        )
        .fetch_optional(self.db().await?)
        .await
        .map_err(err)?;
        row.map(|row| {
            Ok(Organization {
                id: id(&row.try_get::<String, _>("id").map_err(err)?)?,
                name: row.try_get("name").map_err(err)?,
                timezone: row.try_get("timezone").map_err(err)?,
                created_at: ts(row.try_get("created_at").map_err(err)?)?,
            })
        })
        .transpose()
    }

    async fn insert_organization(&mut self, org: &Organization) -> Result<(), StoreError> {
        sqlx::query("INSERT INTO organization (id, name, timezone, created_at) VALUES ($1, $2, $3, $4)")
            .bind(org.id.to_string())
            .bind(&org.name)
            .bind(&org.timezone)
            .bind(ms(org.created_at))
            .execute(self.db().await?)
            .await
            .map_err(err)?;
        Ok(())
    }

    async fn update_organization(&mut self, org: &Organization) -> Result<(), StoreError> {
        sqlx::query("UPDATE organization SET name = $2, timezone = $3 WHERE id = $1")
            .bind(org.id.to_string())
            .bind(&org.name)
            .bind(&org.timezone)
            .execute(self.db().await?)
            .await
            .map_err(err)?;
        Ok(())
    }

    async fn insert_business_unit(&mut self, unit: &BusinessUnit) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO business_units (id, kind, name, created_at) VALUES ($1, $2, $3, $4)",
        )
        .bind(unit.id.to_string())
        .bind(&unit.kind)
        .bind(&unit.name)
        .bind(ms(unit.created_at))
        .execute(self.db().await?)
        .await
        .map_err(err)?;
        Ok(())
    }

    async fn list_business_units(&mut self) -> Result<Vec<BusinessUnit>, StoreError> {
        let rows = sqlx::query("SELECT id, kind, name, created_at FROM business_units ORDER BY created_at, id")
            .fetch_all(self.db().await?)
            .await
            .map_err(err)?;
        rows.iter()
            .map(|row| {
                Ok(BusinessUnit {
                    id: id(&row.try_get::<String, _>("id").map_err(err)?)?,
                    kind: row.try_get("kind").map_err(err)?,
                    name: row.try_get("name").map_err(err)?,
                    created_at: ts(row.try_get("created_at").map_err(err)?)?,
                })
            })
            .collect()
    }

    async fn insert_department(&mut self, d: &Department) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO departments (id, code, name_zh, name_en, business_unit_id, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(d.id.to_string())
        .bind(&d.code)
        .bind(&d.name_zh)
        .bind(&d.name_en)
        .bind(d.business_unit_id.map(|u| u.to_string()))
        .bind(ms(d.created_at))
        .bind(ms(d.updated_at))
        .execute(self.db().await?)
        .await
        .map_err(err)?;
        Ok(())
    }

    async fn update_department(&mut self, d: &Department) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE departments SET code = $2, name_zh = $3, name_en = $4, business_unit_id = $5, \
             updated_at = $6 WHERE id = $1",
        )
        .bind(d.id.to_string())
        .bind(&d.code)
        .bind(&d.name_zh)
        .bind(&d.name_en)
        .bind(d.business_unit_id.map(|u| u.to_string()))
        .bind(ms(d.updated_at))
        .execute(self.db().await?)
        .await
        .map_err(err)?;
        Ok(done.rows_affected() == 1)
    }

    async fn get_department(&mut self, dept_id: Uuid) -> Result<Option<Department>, StoreError> {
        let row = sqlx::query("SELECT * FROM departments WHERE id = $1")
            .bind(dept_id.to_string())
            .fetch_optional(self.db().await?)
            .await
            .map_err(err)?;
        row.as_ref().map(department_from_row).transpose()
    }

    async fn list_departments(&mut self) -> Result<Vec<Department>, StoreError> {
        let rows = sqlx::query("SELECT * FROM departments ORDER BY created_at, id")
            .fetch_all(self.db().await?)
            .await
            .map_err(err)?;
        rows.iter().map(department_from_row).collect()
    }

    async fn count_users_by_department(&mut self) -> Result<Vec<(Uuid, u64)>, StoreError> {
        let rows = sqlx::query(
            "SELECT department_id, COUNT(*) AS n FROM users \
             WHERE department_id IS NOT NULL AND disabled_at IS NULL GROUP BY department_id",
        )
        .fetch_all(self.db().await?)
        .await
        .map_err(err)?;
        rows.iter()
            .map(|row| {
                let dept: String = row.try_get("department_id").map_err(err)?;
                let n: i64 = row.try_get("n").map_err(err)?;
                Ok((id(&dept)?, n as u64))
            })
            .collect()
    }

    async fn insert_user(&mut self, u: &User) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO users (id, username, display_name, email, password_hash, department_id, \
             locale, disabled_at, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(u.id.to_string())
        .bind(&u.username)
        .bind(&u.display_name)
        .bind(&u.email)
        .bind(&u.password_hash)
        .bind(u.department_id.map(|d| d.to_string()))
        .bind(&u.locale)
        .bind(opt_ms(u.disabled_at))
        .bind(ms(u.created_at))
        .bind(ms(u.updated_at))
        .execute(self.db().await?)
        .await
        .map_err(err)?;
        self.replace_roles(u).await
    }

    async fn update_user(&mut self, u: &User) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE users SET username = $2, display_name = $3, email = $4, password_hash = $5, \
             department_id = $6, locale = $7, disabled_at = $8, updated_at = $9 WHERE id = $1",
        )
        .bind(u.id.to_string())
        .bind(&u.username)
        .bind(&u.display_name)
        .bind(&u.email)
        .bind(&u.password_hash)
        .bind(u.department_id.map(|d| d.to_string()))
        .bind(&u.locale)
        .bind(opt_ms(u.disabled_at))
        .bind(ms(u.updated_at))
        .execute(self.db().await?)
        .await
        .map_err(err)?;
        if done.rows_affected() != 1 {
            return Ok(false);
        }
        self.replace_roles(u).await?;
        Ok(true)
    }

    async fn get_user(&mut self, user_id: Uuid) -> Result<Option<User>, StoreError> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users u WHERE u.id = $1");
        self.one_user(&sql, user_id.to_string()).await
    }

    async fn get_user_by_username(&mut self, username: &str) -> Result<Option<User>, StoreError> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users u WHERE u.username = $1");
        self.one_user(&sql, username.to_string()).await
    }

    async fn list_users(&mut self, filter: &UserFilter) -> Result<Vec<User>, StoreError> {
        let mut qb = QueryBuilder::<Db>::new(format!(
            "SELECT {USER_COLUMNS}, r.role AS role FROM (SELECT * FROM users u"
        ));
        push_user_filter(&mut qb, filter);
        qb.push(" ORDER BY u.username LIMIT ")
            .push_bind(i64::from(filter.limit.clamp(1, 1000)))
            .push(" OFFSET ")
            .push_bind(i64::from(filter.offset))
            .push(") u LEFT JOIN user_roles r ON r.user_id = u.id ORDER BY u.username, r.role");
        let rows = qb.build().fetch_all(self.db().await?).await.map_err(err)?;
        let mut users: Vec<User> = Vec::new();
        for row in &rows {
            let user_id = id(&row.try_get::<String, _>("id").map_err(err)?)?;
            if users.last().map(|u| u.id) != Some(user_id) {
                users.push(user_from_row(row)?);
            }
            if let Some(role) = row.try_get::<Option<String>, _>("role").map_err(err)? {
                users.last_mut().expect("pushed above").roles.push(role_from_text(&role)?);
            }
        }
        for user in &mut users {
            user.roles.sort();
        }
        Ok(users)
    }

    async fn count_users(&mut self, filter: &UserFilter) -> Result<u64, StoreError> {
        let mut qb = QueryBuilder::<Db>::new("SELECT COUNT(*) AS n FROM users u");
        push_user_filter(&mut qb, filter);
        let row = qb.build().fetch_one(self.db().await?).await.map_err(err)?;
        Ok(row.try_get::<i64, _>("n").map_err(err)? as u64)
    }

    async fn insert_session(&mut self, s: &Session) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO sessions (id, token_hash, user_id, csrf_token, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(s.id.to_string())
        .bind(&s.token_hash)
        .bind(s.user_id.to_string())
        .bind(&s.csrf_token)
        .bind(ms(s.created_at))
        .bind(ms(s.expires_at))
        .execute(self.db().await?)
        .await
        .map_err(err)?;
        Ok(())
    }

    async fn get_session_by_token_hash(&mut self, token_hash: &str) -> Result<Option<Session>, StoreError> {
        let row = sqlx::query("SELECT * FROM sessions WHERE token_hash = $1")
            .bind(token_hash)
            .fetch_optional(self.db().await?)
            .await
            .map_err(err)?;
        row.as_ref().map(session_from_row).transpose()
    }

    async fn extend_session(&mut self, session_id: Uuid, expires_at: Timestamp) -> Result<(), StoreError> {
        sqlx::query("UPDATE sessions SET expires_at = $2 WHERE id = $1")
            .bind(session_id.to_string())
            .bind(ms(expires_at))
            .execute(self.db().await?)
            .await
            .map_err(err)?;
        Ok(())
    }

    async fn delete_session(&mut self, session_id: Uuid) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM sessions WHERE id = $1")
            .bind(session_id.to_string())
            .execute(self.db().await?)
            .await
            .map_err(err)?;
        Ok(())
    }

    async fn delete_sessions_of_user(&mut self, user_id: Uuid) -> Result<u64, StoreError> {
        let done = sqlx::query("DELETE FROM sessions WHERE user_id = $1")
            .bind(user_id.to_string())
            .execute(self.db().await?)
            .await
            .map_err(err)?;
        Ok(done.rows_affected())
    }

    async fn delete_expired_sessions(&mut self, now: Timestamp) -> Result<u64, StoreError> {
        let done = sqlx::query("DELETE FROM sessions WHERE expires_at <= $1")
            .bind(ms(now))
            .execute(self.db().await?)
            .await
            .map_err(err)?;
        Ok(done.rows_affected())
    }

    async fn insert_api_token(&mut self, t: &ApiToken) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO api_tokens (id, user_id, name, prefix, token_hash, created_at, expires_at, \
             revoked_at, last_used_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(t.id.to_string())
        .bind(t.user_id.to_string())
        .bind(&t.name)
        .bind(&t.prefix)
        .bind(&t.token_hash)
        .bind(ms(t.created_at))
        .bind(opt_ms(t.expires_at))
        .bind(opt_ms(t.revoked_at))
        .bind(opt_ms(t.last_used_at))
        .execute(self.db().await?)
        .await
        .map_err(err)?;
        Ok(())
    }

    async fn get_api_token_by_hash(&mut self, token_hash: &str) -> Result<Option<ApiToken>, StoreError> {
        let row = sqlx::query("SELECT * FROM api_tokens WHERE token_hash = $1")
            .bind(token_hash)
            .fetch_optional(self.db().await?)
            .await
            .map_err(err)?;
        row.as_ref().map(api_token_from_row).transpose()
    }

    async fn list_api_tokens(&mut self, user_id: Option<Uuid>) -> Result<Vec<ApiToken>, StoreError> {
        let mut qb = QueryBuilder::<Db>::new("SELECT * FROM api_tokens");
        if let Some(user_id) = user_id {
            qb.push(" WHERE user_id = ").push_bind(user_id.to_string());
        }
        qb.push(" ORDER BY created_at DESC, id");
        let rows = qb.build().fetch_all(self.db().await?).await.map_err(err)?;
        rows.iter().map(api_token_from_row).collect()
    }

    async fn revoke_api_token(&mut self, token_id: Uuid, at: Timestamp) -> Result<bool, StoreError> {
        let done = sqlx::query("UPDATE api_tokens SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL")
            .bind(token_id.to_string())
            .bind(ms(at))
            .execute(self.db().await?)
            .await
            .map_err(err)?;
        Ok(done.rows_affected() == 1)
    }

    async fn touch_api_token(&mut self, token_id: Uuid, at: Timestamp) -> Result<(), StoreError> {
        sqlx::query("UPDATE api_tokens SET last_used_at = $2 WHERE id = $1")
            .bind(token_id.to_string())
            .bind(ms(at))
            .execute(self.db().await?)
            .await
            .map_err(err)?;
        Ok(())
    }

    async fn record_login_failure(&mut self, key: &str, now: Timestamp, window_ms: i64) -> Result<WindowCount, StoreError> {
        // One statement, so concurrent counts on several nodes all land: the row lock taken by
        // the upsert makes the next one wait and then count on top.
        let row = sqlx::query(
            "INSERT INTO login_throttle (key, failures, window_start) VALUES ($1, 1, $2) \
             ON CONFLICT (key) DO UPDATE SET \
               failures = CASE WHEN login_throttle.window_start + $3 <= $2 THEN 1 ELSE login_throttle.failures + 1 END, \
               window_start = CASE WHEN login_throttle.window_start + $3 <= $2 THEN $2 ELSE login_throttle.window_start END \
             RETURNING failures, window_start",
        )
        .bind(key)
        .bind(ms(now))
        .bind(window_ms)
        .fetch_one(self.db().await?)
        .await
        .map_err(err)?;
        Ok(WindowCount {
            count: row.try_get::<i64, _>("failures").map_err(err)?.clamp(0, i64::from(u32::MAX)) as u32,
            window_start: ts(row.try_get("window_start").map_err(err)?)?,
        })
    }

    async fn release_login_attempt(&mut self, key: &str, now: Timestamp, window_ms: i64) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE login_throttle SET failures = failures - 1 \
             WHERE key = $1 AND failures > 0 AND window_start + $3 > $2",
        )
        .bind(key)
        .bind(ms(now))
        .bind(window_ms)
        .execute(self.db().await?)
        .await
        .map_err(err)?;
        Ok(())
    }

    async fn prune_login_throttle(&mut self, before: Timestamp) -> Result<u64, StoreError> {
        let done = sqlx::query("DELETE FROM login_throttle WHERE window_start < $1")
            .bind(ms(before))
            .execute(self.db().await?)
            .await
            .map_err(err)?;
        Ok(done.rows_affected())
    }

    async fn login_failures(&mut self, key: &str, now: Timestamp, window_ms: i64) -> Result<u32, StoreError> {
        let row = sqlx::query("SELECT failures FROM login_throttle WHERE key = $1 AND window_start + $3 > $2")
            .bind(key)
            .bind(ms(now))
            .bind(window_ms)
            .fetch_optional(self.db().await?)
            .await
            .map_err(err)?;
        Ok(match row {
            Some(row) => row.try_get::<i64, _>("failures").map_err(err)? as u32,
            None => 0,
        })
    }

    async fn clear_login_failures(&mut self, key: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM login_throttle WHERE key = $1")
            .bind(key)
            .execute(self.db().await?)
            .await
            .map_err(err)?;
        Ok(())
    }
}
