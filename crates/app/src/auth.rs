//! Who is acting: signing in and out, sessions, API tokens, and the one permission check.

use crate::secrets::{self, API_TOKEN_PREFIX, SESSION_PREFIX};
use crate::{App, AppError, FieldError};
use jiff::SignedDuration;
use serde_json::json;
use tripdesk_domain::audit::AuditAction;
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
    /// A payment gateway's notification, authenticated by its signature (see
    /// `App::payment_gateway_principal`).
    PaymentGateway { provider: String },
    /// A traveler confirming receipt of their pre-trip documents through the link of one
    /// sending (no account, no role).
    TripLink { send_id: Uuid },
    /// A customer choosing a refund or postponement through the signed link of an
    /// incident's remedies (no account, no role).
    RemedyLink { incident_id: Uuid },
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
    /// The principal of `user` acting through `credential`.
    pub fn of(user: &User, credential: Credential) -> Self {
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

    /// Which tickets the principal sees and acts on — the one visibility rule
    /// (`tripdesk_domain::desk::visibility`); use cases apply it through
    /// `App::ticket_for` (a single ticket) and `Principal::scope_tickets` (lists).
    pub fn ticket_scope(&self) -> tripdesk_domain::desk::Scope {
        tripdesk_domain::desk::visibility(&self.roles, self.department_id)
    }

    /// Narrows a ticket list to the principal's scope, as a filter of the query itself, so
    /// pages and counts stay right.
    pub fn scope_tickets(&self, filter: &mut tripdesk_store::TicketFilter) {
        filter.groups = match self.ticket_scope() {
            tripdesk_domain::desk::Scope::All => None,
            tripdesk_domain::desk::Scope::Groups(ids) => Some(ids),
        };
    }

    /// Whether the principal sees `ticket`.
    pub fn sees_ticket(&self, ticket: &tripdesk_store::Ticket) -> bool {
        self.ticket_scope().admits(ticket.group_id)
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

/// How sign-in attempts are throttled. Every attempt is counted *before* its password is
/// checked, against three fixed windows at once, in one transaction (`INSERT … ON CONFLICT DO
/// UPDATE … RETURNING` per key, so parallel attempts on any number of nodes queue on the rows
/// and each sees its own place): one over any bound is refused with 429 and counts nowhere.
/// A successful sign-in clears its (username, address) counter and gives its count back to
/// the other two.
///
/// - **per (username, address)**: `per_user_address` attempts per `window` — what stops one
///   guesser; it locks out only the guesser's address, not the real user elsewhere;
/// - **per address**: `per_address` per `window` — one address trying many usernames;
/// - **per username, from everywhere**: `per_user` per `user_window` — a slower bound for
///   guesses spread over many addresses. It stays above what one address can reach
///   (`per_user_address` × `user_window` / `window`), so one attacker cannot lock the real
///   user out.
///
/// Addresses and usernames are kept only as keyed hashes (the vault's blind index).
#[derive(Debug, Clone)]
pub struct LoginThrottle {
    pub per_user_address: u32,
    pub per_address: u32,
    pub window: SignedDuration,
    pub per_user: u32,
    pub user_window: SignedDuration,
}

impl Default for LoginThrottle {
    fn default() -> Self {
        Self {
            per_user_address: 5,
            per_address: 50,
            window: SignedDuration::from_mins(15),
            per_user: 50,
            user_window: SignedDuration::from_hours(1),
        }
    }
}

/// Throttle rows older than this are pruned on sign-in (longer than any window).
const THROTTLE_KEEP: SignedDuration = SignedDuration::from_hours(24);

impl App {
    /// The throttle's `(key, limit, window)` for a sign-in, in the one order every sign-in
    /// takes them (so two never wait on each other's rows in opposite orders).
    fn login_throttle_keys(
        &self,
        username: &str,
        client_ip: Option<&str>,
    ) -> Vec<(String, u32, SignedDuration)> {
        // Keyed by the vault's blind-index key (always loaded in `serve`); a SHA-256 where a
        // process runs without the vault (tests, tools). The key names no person in clear:
        // a password typed into the username field must not end up in the database.
        let hash = |kind: &str, value: &str| match self.vault() {
            Ok(keys) => keys.blind_index(kind, value)[..32].to_string(),
            Err(_) => secrets::token_hash(&format!("{kind}\0{value}"))[..32].to_string(),
        };
        let t = &self.settings.login_throttle;
        let address = client_ip.unwrap_or("-");
        let mut keys = vec![(
            format!(
                "login:pair:{}",
                hash("login_pair", &format!("{username}\0{address}"))
            ),
            t.per_user_address,
            t.window,
        )];
        if let Some(ip) = client_ip {
            keys.push((
                format!("login:ip:{}", hash("client_ip", ip)),
                t.per_address,
                t.window,
            ));
        }
        keys.push((
            format!("login:user:{}", hash("login_user", username)),
            t.per_user,
            t.user_window,
        ));
        keys
    }

    /// Signs in with a username and password, throttled across all nodes as
    /// [`LoginThrottle`] says: the attempt is counted before the password is checked.
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
        let keys = self.login_throttle_keys(&username, client_ip);

        // Reserve the attempt: count it against every bound, and only then check the password.
        // Over a bound, the transaction is dropped, so a refused attempt uses up nothing.
        let mut tx = self.store.write().await?;
        for (key, limit, window) in &keys {
            let counted = tx
                .record_login_failure(key, now, window.as_millis() as i64)
                .await?;
            if counted.count > *limit {
                drop(tx);
                let ends = counted.window_start + *window;
                return Err(AppError::Throttled {
                    retry_after_secs: ends.duration_since(now).as_secs().max(1) as u64,
                });
            }
        }
        tx.commit().await?;

        let mut tx = self.store.read().await?;
        let user = tx.get_user_by_username(&username).await?;
        drop(tx);
        let hash = user
            .as_ref()
            .map(|u| u.password_hash.clone())
            .unwrap_or_else(|| secrets::DUMMY_HASH.to_string());
        let password_ok = secrets::verify_password(password.to_string(), hash).await?;
        let user = match user {
            Some(u) if password_ok && u.disabled_at.is_none() => u,
            _ => {
                let mut tx = self.store.write().await?;
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
                        action: AuditAction::AuthLoginFailed.code().into(),
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
        // The (username, address) counter starts again; the wider bounds get their count back.
        let (pair, others) = keys.split_first().expect("the pair key is always first");
        tx.clear_login_failures(&pair.0).await?;
        for (key, _, window) in others {
            tx.release_login_attempt(key, now, window.as_millis() as i64)
                .await?;
        }
        tx.delete_expired_sessions(now).await?;
        self.audit(
            &mut *tx,
            &principal,
            AuditAction::AuthLogin,
            "session",
            Some(session.id.to_string()),
            json!({ "client_ip": client_ip }),
        )
        .await?;
        tx.commit().await?;
        // Expired counters go in a transaction of their own: it locks rows no sign-in orders
        // itself around, so it must not hold the keys above while it waits for them.
        let mut tx = self.store.write().await?;
        tx.prune_login_throttle(now - THROTTLE_KEEP).await?;
        tx.commit().await?;
        Ok(SignedIn {
            token,
            session,
            principal,
        })
    }

    /// Resolves a bearer or cookie token (session or API token) to its principal.
    /// Every request is checked against the database (sessions and tokens are shared by all
    /// nodes: signing out on one ends the session on every other at once), in one statement
    /// (`Store::session_owner`).
    pub async fn authenticate(&self, token: &str) -> Result<Principal, AppError> {
        const INVALID: AppError = AppError::Unauthenticated("the token is invalid or expired");
        let now = self.now();
        let hash = &secrets::token_hash(token);
        if token.starts_with(SESSION_PREFIX) {
            let Some((session, user)) = self.store.session_owner(hash).await? else {
                return Err(INVALID);
            };
            if session.expires_at <= now {
                return Err(INVALID);
            }
            let user = active(user)?;
            // Sliding expiry, written at most about once per half-life of the session.
            let ttl = self.settings.session_ttl;
            if session.expires_at.duration_since(now) < ttl / 2 {
                let mut tx = self.store.write().await?;
                tx.extend_session(session.id, now + ttl).await?;
                tx.commit().await?;
            }
            Ok(Principal::of(
                &user,
                Credential::Session {
                    session_id: session.id,
                    csrf_token: session.csrf_token,
                },
            ))
        } else if token.starts_with(API_TOKEN_PREFIX) {
            let Some((record, user)) = self.store.api_token_owner(hash).await? else {
                return Err(INVALID);
            };
            if record.revoked_at.is_some() || record.expires_at.is_some_and(|e| e <= now) {
                return Err(INVALID);
            }
            let user = active(user)?;
            // Record use at minute granularity to keep writes rare.
            if record
                .last_used_at
                .is_none_or(|t| now.duration_since(t) > SignedDuration::from_mins(1))
            {
                let mut tx = self.store.write().await?;
                tx.touch_api_token(record.id, now).await?;
                tx.commit().await?;
            }
            Ok(Principal::of(
                &user,
                Credential::ApiToken {
                    token_id: record.id,
                },
            ))
        } else {
            Err(INVALID)
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
                AuditAction::AuthLogout,
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
        let name = tripdesk_domain::text::single_line(name, 80)
            .map_err(|e| AppError::Validation(vec![FieldError::text("name", e)]))?;
        let name = name.as_str();
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
            AuditAction::ApiTokenCreate,
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
            AuditAction::ApiTokenRevoke,
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

/// The account, unless disabled.
fn active(user: User) -> Result<User, AppError> {
    if user.disabled_at.is_none() {
        Ok(user)
    } else {
        Err(AppError::Unauthenticated("the account is disabled"))
    }
}

/// The one check of a signed inbound webhook (`tripdesk_vault::webhook`: payment gateways,
/// the SMS provider, the CTI): `signature` is the `X-Tripdesk-Signature` header, `body` the
/// bytes received, `now_s` this server's clock. 401 naming what is wrong.
pub(crate) fn check_webhook_signature(
    secret: &str,
    signature: Option<&str>,
    body: &[u8],
    now_s: i64,
) -> Result<(), AppError> {
    use tripdesk_vault::webhook::{verify, VerifyError};
    let Some(signature) = signature else {
        return Err(AppError::Unauthenticated(
            "the X-Tripdesk-Signature header is missing",
        ));
    };
    verify(secret, signature, body, now_s).map_err(|e| {
        AppError::Unauthenticated(match e {
            VerifyError::Malformed => "the X-Tripdesk-Signature header is malformed",
            VerifyError::Stale => "the signature's timestamp is more than 5 minutes from now",
            VerifyError::Mismatch => "the signature does not match",
        })
    })
}
