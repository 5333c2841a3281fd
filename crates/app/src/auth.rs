//! Who is acting: signing in and out, sessions, API tokens, and the one permission check.

use crate::secrets::{self, API_TOKEN_PREFIX, SESSION_PREFIX};
use crate::{App, AppError, FieldError};
use jiff::SignedDuration;
use serde_json::json;
use tripdesk_domain::identity::{roles_grant, Permission, Role};
use tripdesk_store::{ApiToken, Session, User};
use uuid::Uuid;

/// How a principal proved who they are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Credential {
    /// A browser session (cookie) or a login bearer token; writes over the cookie need the CSRF token.
    Session {
        session_id: Uuid,
        csrf_token: String,
    },
    /// A long-lived integration token.
    ApiToken { token_id: Uuid },
    /// The operator at the command line (`tripdesk admin …`).
    Console,
    /// A customer on the public web form (no account; see `App::public_intake_principal`).
    PublicForm,
    /// A customer answering a survey link, recorded on behalf of the agent who sent it.
    Survey { survey_id: Uuid },
}

/// The acting user of a request.
#[derive(Debug, Clone)]
pub struct Principal {
    pub user_id: Uuid,
    pub username: String,
    pub display_name: String,
    pub roles: Vec<Role>,
    pub department_id: Option<Uuid>,
    pub locale: String,
    pub credential: Credential,
}

impl Principal {
    pub(crate) fn of(user: &User, credential: Credential) -> Self {
        Self {
            user_id: user.id,
            username: user.username.clone(),
            display_name: user.display_name.clone(),
            roles: user.roles.clone(),
            department_id: user.department_id,
            locale: user.locale.clone(),
            credential,
        }
    }

    /// Whether the principal holds `permission`.
    pub fn can(&self, permission: Permission) -> bool {
        roles_grant(&self.roles, permission)
    }

    /// The one permission check of tripdesk.
    pub fn require(&self, permission: Permission) -> Result<(), AppError> {
        if self.can(permission) {
            Ok(())
        } else {
            Err(AppError::Forbidden(permission.as_str()))
        }
    }
}

/// A successful sign-in: the session and the token to hand to the client (shown once).
#[derive(Debug)]
pub struct SignedIn {
    pub token: String,
    pub session: Session,
    pub principal: Principal,
}

/// A new API token and its plaintext (shown once).
#[derive(Debug)]
pub struct IssuedToken {
    pub token: String,
    pub record: ApiToken,
}

impl App {
    /// Signs in with a username and password. Throttled per username and per client address
    /// across all nodes (the counters live in the database).
    pub async fn login(
        &self,
        username: &str,
        password: &str,
        client_ip: Option<&str>,
    ) -> Result<SignedIn, AppError> {
        let mut fields = Vec::new();
        if username.trim().is_empty() {
            fields.push(FieldError::new(
                "username",
                "required",
                "username is required",
            ));
        }
        if password.is_empty() {
            fields.push(FieldError::new(
                "password",
                "required",
                "password is required",
            ));
        }
        if !fields.is_empty() {
            return Err(AppError::Validation(fields));
        }
        let username = username.trim().to_lowercase();
        let now = self.now();
        let window = self.settings.throttle_window;
        let window_ms = window.as_millis() as i64;
        let user_key = format!("user:{username}");
        let ip_key = client_ip.map(|ip| format!("ip:{ip}"));

        let mut tx = self.store.read().await?;
        let user_failures = tx.login_failures(&user_key, now, window_ms).await?;
        let ip_failures = match &ip_key {
            Some(k) => tx.login_failures(k, now, window_ms).await?,
            None => 0,
        };
        let user = tx.get_user_by_username(&username).await?;
        drop(tx);
        if user_failures >= self.settings.max_failures_per_user
            || ip_failures >= self.settings.max_failures_per_ip
        {
            return Err(AppError::Throttled {
                retry_after_secs: window.as_secs().max(1) as u64,
            });
        }

        let hash = user
            .as_ref()
            .map(|u| u.password_hash.clone())
            .unwrap_or_else(|| secrets::DUMMY_HASH.to_string());
        let password_ok = secrets::verify_password(password.to_string(), hash).await?;
        let user = match user {
            Some(u) if password_ok && u.disabled_at.is_none() => u,
            _ => {
                let mut tx = self.store.write().await?;
                tx.record_login_failure(&user_key, now, window_ms).await?;
                if let Some(k) = &ip_key {
                    tx.record_login_failure(k, now, window_ms).await?;
                }
                // The typed username is recorded only when it names an account: a password
                // typed into the username field must not end up in the log.
                let (actor_id, actor_name) = match &user {
                    Some(u) => (Some(u.id), u.username.clone()),
                    None => (None, "(unknown)".to_string()),
                };
                self.append_audit(
                    &mut *tx,
                    &tripdesk_store::NewAuditEntry {
                        id: Uuid::now_v7(),
                        at: now,
                        actor_id,
                        actor_name,
                        action: "auth.login_failed".into(),
                        entity_type: "user".into(),
                        entity_id: actor_id.map(|id| id.to_string()),
                        summary: json!({ "client_ip": client_ip }).to_string(),
                    },
                )
                .await?;
                tx.commit().await?;
                return Err(AppError::Unauthenticated("wrong username or password"));
            }
        };

        let token = secrets::new_token(SESSION_PREFIX);
        let session = Session {
            id: Uuid::now_v7(),
            token_hash: secrets::token_hash(&token),
            user_id: user.id,
            csrf_token: secrets::new_token(""),
            created_at: now,
            expires_at: now + self.settings.session_ttl,
        };
        let principal = Principal::of(
            &user,
            Credential::Session {
                session_id: session.id,
                csrf_token: session.csrf_token.clone(),
            },
        );
        let mut tx = self.store.write().await?;
        tx.insert_session(&session).await?;
        tx.clear_login_failures(&user_key).await?;
        tx.delete_expired_sessions(now).await?;
        self.audit(
            &mut *tx,
            &principal,
            "auth.login",
            "session",
            Some(session.id.to_string()),
            json!({ "client_ip": client_ip }),
        )
        .await?;
        tx.commit().await?;
        Ok(SignedIn {
            token,
            session,
            principal,
        })
    }

    /// Resolves a bearer or cookie token (session or API token) to its principal.
    /// Every request is checked against the database (sessions and tokens are shared by all
    /// nodes: signing out on one ends the session on every other at once).
    pub async fn authenticate(&self, token: &str) -> Result<Principal, AppError> {
        const INVALID: AppError = AppError::Unauthenticated("the token is invalid or expired");
        let now = self.now();
        let hash = &secrets::token_hash(token);
        if token.starts_with(SESSION_PREFIX) {
            let mut tx = self.store.read().await?;
            let Some(session) = tx.get_session_by_token_hash(hash).await? else {
                return Err(INVALID);
            };
            if session.expires_at <= now {
                return Err(INVALID);
            }
            let user = self.active_user(&mut *tx, session.user_id).await?;
            drop(tx);
            // Sliding expiry, written at most about once per half-life of the session.
            let ttl = self.settings.session_ttl;
            if session.expires_at.duration_since(now) < ttl / 2 {
                let mut tx = self.store.write().await?;
                tx.extend_session(session.id, now + ttl).await?;
                tx.commit().await?;
            }
            let principal = Principal::of(
                &user,
                Credential::Session {
                    session_id: session.id,
                    csrf_token: session.csrf_token,
                },
            );
            Ok(principal)
        } else if token.starts_with(API_TOKEN_PREFIX) {
            let mut tx = self.store.read().await?;
            let Some(record) = tx.get_api_token_by_hash(hash).await? else {
                return Err(INVALID);
            };
            if record.revoked_at.is_some() || record.expires_at.is_some_and(|e| e <= now) {
                return Err(INVALID);
            }
            let user = self.active_user(&mut *tx, record.user_id).await?;
            drop(tx);
            // Record use at minute granularity to keep writes rare.
            if record
                .last_used_at
                .is_none_or(|t| now.duration_since(t) > SignedDuration::from_mins(1))
            {
                let mut tx = self.store.write().await?;
                tx.touch_api_token(record.id, now).await?;
                tx.commit().await?;
            }
            let principal = Principal::of(
                &user,
                Credential::ApiToken {
                    token_id: record.id,
                },
            );
            Ok(principal)
        } else {
            Err(INVALID)
        }
    }

    async fn active_user(
        &self,
        tx: &mut dyn tripdesk_store::Tx,
        user_id: Uuid,
    ) -> Result<User, AppError> {
        match tx.get_user(user_id).await? {
            Some(u) if u.disabled_at.is_none() => Ok(u),
            _ => Err(AppError::Unauthenticated("the account is disabled")),
        }
    }

    /// Ends the principal's session (API tokens are revoked, not logged out).
    pub async fn logout(&self, principal: &Principal) -> Result<(), AppError> {
        if let Credential::Session { session_id, .. } = &principal.credential {
            let mut tx = self.store.write().await?;
            tx.delete_session(*session_id).await?;
            self.audit(
                &mut *tx,
                principal,
                "auth.logout",
                "session",
                Some(session_id.to_string()),
                json!({}),
            )
            .await?;
            tx.commit().await?;
        }
        Ok(())
    }

    /// Issues a long-lived API token acting as `principal`'s own account.
    pub async fn issue_api_token(
        &self,
        principal: &Principal,
        name: &str,
        expires_in_days: Option<u32>,
    ) -> Result<IssuedToken, AppError> {
        principal.require(Permission::ManageApiTokens)?;
        let name = name.trim();
        if name.is_empty() || name.chars().count() > 80 {
            return Err(AppError::field(
                "name",
                "length",
                "name must be 1 to 80 characters",
            ));
        }
        if expires_in_days.is_some_and(|d| d == 0 || d > 3650) {
            return Err(AppError::field(
                "expires_in_days",
                "range",
                "expires_in_days must be between 1 and 3650",
            ));
        }
        let now = self.now();
        let token = secrets::new_token(API_TOKEN_PREFIX);
        let record = ApiToken {
            id: Uuid::now_v7(),
            user_id: principal.user_id,
            name: name.to_string(),
            prefix: token.chars().take(8).collect(),
            token_hash: secrets::token_hash(&token),
            created_at: now,
            expires_at: expires_in_days
                .map(|d| now + SignedDuration::from_hours(24 * i64::from(d))),
            revoked_at: None,
            last_used_at: None,
        };
        let mut tx = self.store.write().await?;
        tx.insert_api_token(&record).await?;
        self.audit(
            &mut *tx,
            principal,
            "api_token.create",
            "api_token",
            Some(record.id.to_string()),
            json!({ "name": record.name, "prefix": record.prefix, "expires_at": record.expires_at }),
        )
        .await?;
        tx.commit().await?;
        Ok(IssuedToken { token, record })
    }

    pub async fn list_api_tokens(&self, principal: &Principal) -> Result<Vec<ApiToken>, AppError> {
        principal.require(Permission::ManageApiTokens)?;
        let mut tx = self.store.read().await?;
        Ok(tx.list_api_tokens(None).await?)
    }

    pub async fn revoke_api_token(&self, principal: &Principal, id: Uuid) -> Result<(), AppError> {
        principal.require(Permission::ManageApiTokens)?;
        let mut tx = self.store.write().await?;
        if !tx.revoke_api_token(id, self.now()).await? {
            return Err(AppError::NotFound("API token"));
        }
        self.audit(
            &mut *tx,
            principal,
            "api_token.revoke",
            "api_token",
            Some(id.to_string()),
            json!({}),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The principal used by command-line administration (`tripdesk admin …`).
    pub fn console_principal() -> Principal {
        Principal {
            user_id: Uuid::nil(),
            username: "console".into(),
            display_name: "console".into(),
            roles: vec![Role::Admin],
            department_id: None,
            locale: "zh-CN".into(),
            credential: Credential::Console,
        }
    }
}
