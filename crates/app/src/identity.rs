//! Staff administration: users, their roles and departments.

use crate::{secrets, App, AppError, FieldError, OnDuplicate, Principal};
use serde::{Deserialize, Serialize};
use serde_json::json;
use tripdesk_domain::audit::AuditAction;
use tripdesk_domain::identity::{validate_password, validate_username, Permission, Role};
use tripdesk_store::{Department, User, UserFilter};
use uuid::Uuid;

const DEPARTMENT_CODE_TAKEN: &str = "another department already has this code";

/// Supported interface languages.
pub const LOCALES: [&str; 2] = ["zh-CN", "en"];

/// Input for a new staff account.
#[derive(Debug, Clone)]
pub struct NewUser {
    pub username: String,
    pub display_name: String,
    pub email: Option<String>,
    pub password: String,
    pub department_id: Option<Uuid>,
    pub roles: Vec<Role>,
    pub locale: Option<String>,
}

/// Changes to a staff account; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct UserChanges {
    pub display_name: Option<String>,
    /// `Some(None)` clears the email.
    pub email: Option<Option<String>>,
    /// `Some(None)` removes the user from any department.
    pub department_id: Option<Option<Uuid>>,
    pub roles: Option<Vec<Role>>,
    pub locale: Option<String>,
    pub disabled: Option<bool>,
    pub password: Option<String>,
}

/// Input for a department or group.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DepartmentInput {
    pub code: String,
    pub name_zh: String,
    pub name_en: String,
    pub business_unit_id: Option<Uuid>,
}

/// A page of users and the total matching the filter.
#[derive(Debug)]
pub struct UserPage {
    pub users: Vec<User>,
    pub total: u64,
}

fn check_display_name(name: &str, fields: &mut Vec<FieldError>) {
    crate::check_text(fields, "display_name", name, 80, crate::Lines::One);
}

fn check_email(email: &str, fields: &mut Vec<FieldError>) {
    let e = email.trim();
    let ok = e.len() <= 254
        && e.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
        })
        && !e.chars().any(char::is_whitespace);
    if !ok {
        fields.push(FieldError::new(
            "email",
            "invalid",
            "email is not a valid address",
        ));
    }
}

fn check_locale(locale: &str, fields: &mut Vec<FieldError>) {
    if !LOCALES.contains(&locale) {
        fields.push(FieldError::new(
            "locale",
            "unknown",
            "locale must be zh-CN or en",
        ));
    }
}

fn check_roles(roles: &[Role], fields: &mut Vec<FieldError>) {
    if roles.is_empty() {
        fields.push(FieldError::new(
            "roles",
            "required",
            "at least one role is required",
        ));
    }
}

fn fail_if_any(fields: Vec<FieldError>) -> Result<(), AppError> {
    if fields.is_empty() {
        Ok(())
    } else {
        Err(AppError::Validation(fields))
    }
}

impl App {
    pub async fn list_users(
        &self,
        principal: &Principal,
        filter: &UserFilter,
    ) -> Result<UserPage, AppError> {
        principal.require(Permission::ViewUsers)?;
        let mut tx = self.store.read().await?;
        let users = tx.list_users(filter).await?;
        let total = tx.count_users(filter).await?;
        Ok(UserPage { users, total })
    }

    pub async fn get_user(&self, principal: &Principal, id: Uuid) -> Result<User, AppError> {
        if principal.user_id != id {
            principal.require(Permission::ViewUsers)?;
        }
        let mut tx = self.store.read().await?;
        tx.get_user(id).await?.ok_or(AppError::NotFound("user"))
    }

    pub async fn create_user(
        &self,
        principal: &Principal,
        input: NewUser,
    ) -> Result<User, AppError> {
        principal.require(Permission::ManageUsers)?;
        let username = input.username.trim().to_lowercase();
        let mut fields = Vec::new();
        if let Err(why) = validate_username(&username) {
            fields.push(FieldError::new(
                "username",
                "invalid",
                format!("username {why}"),
            ));
        }
        check_display_name(&input.display_name, &mut fields);
        if let Some(email) = &input.email {
            check_email(email, &mut fields);
        }
        if let Err(why) = validate_password(&input.password) {
            fields.push(FieldError::new(
                "password",
                "weak",
                format!("password {why}"),
            ));
        }
        check_roles(&input.roles, &mut fields);
        let locale = input.locale.unwrap_or_else(|| "zh-CN".into());
        check_locale(&locale, &mut fields);
        fail_if_any(fields)?;

        let password_hash = secrets::hash_password(input.password).await?;
        let now = self.now();
        let user = User {
            id: Uuid::now_v7(),
            username,
            display_name: input.display_name.trim().to_string(),
            email: input.email.map(|e| e.trim().to_string()),
            password_hash,
            department_id: input.department_id,
            roles: input.roles,
            locale,
            disabled_at: None,
            created_at: now,
            updated_at: now,
        };
        let mut tx = self.store.write().await?;
        if let Some(dept) = user.department_id {
            if tx.get_department(dept).await?.is_none() {
                return Err(AppError::field(
                    "department_id",
                    "unknown",
                    "no department has this id",
                ));
            }
        }
        tx.insert_user(&user).await.on_duplicate(
            "username_taken",
            Some("username"),
            "this username is already taken",
        )?;
        self.audit(
            &mut *tx,
            principal,
            AuditAction::UserCreate,
            "user",
            Some(user.id.to_string()),
            json!({
                "username": user.username,
                "display_name": user.display_name,
                "roles": user.roles,
                "department_id": user.department_id,
                "locale": user.locale,
            }),
        )
        .await?;
        tx.commit().await?;
        Ok(user)
    }

    pub async fn update_user(
        &self,
        principal: &Principal,
        id: Uuid,
        changes: UserChanges,
    ) -> Result<User, AppError> {
        principal.require(Permission::ManageUsers)?;
        let mut fields = Vec::new();
        if let Some(name) = &changes.display_name {
            check_display_name(name, &mut fields);
        }
        if let Some(Some(email)) = &changes.email {
            check_email(email, &mut fields);
        }
        if let Some(roles) = &changes.roles {
            check_roles(roles, &mut fields);
        }
        if let Some(locale) = &changes.locale {
            check_locale(locale, &mut fields);
        }
        if let Some(pw) = &changes.password {
            if let Err(why) = validate_password(pw) {
                fields.push(FieldError::new(
                    "password",
                    "weak",
                    format!("password {why}"),
                ));
            }
        }
        if changes.disabled == Some(true) && id == principal.user_id {
            fields.push(FieldError::new(
                "disabled",
                "self",
                "you cannot disable your own account",
            ));
        }
        if id == principal.user_id
            && changes
                .roles
                .as_ref()
                .is_some_and(|r| !r.contains(&Role::Admin))
        {
            fields.push(FieldError::new(
                "roles",
                "self",
                "you cannot remove the admin role from yourself",
            ));
        }
        fail_if_any(fields)?;
        let new_hash = match changes.password.clone() {
            Some(pw) => Some(secrets::hash_password(pw).await?),
            None => None,
        };

        let now = self.now();
        let mut tx = self.store.write().await?;
        let mut user = tx.get_user(id).await?.ok_or(AppError::NotFound("user"))?;
        let before = user.clone();
        let password_changed = new_hash.is_some();
        if let Some(name) = changes.display_name {
            user.display_name = name.trim().to_string();
        }
        if let Some(email) = changes.email {
            user.email = email.map(|e| e.trim().to_string());
        }
        if let Some(dept) = changes.department_id {
            if let Some(d) = dept {
                if tx.get_department(d).await?.is_none() {
                    return Err(AppError::field(
                        "department_id",
                        "unknown",
                        "no department has this id",
                    ));
                }
            }
            user.department_id = dept;
        }
        if let Some(roles) = changes.roles {
            user.roles = roles;
        }
        if let Some(locale) = changes.locale {
            user.locale = locale;
        }
        let mut sign_out = false;
        if let Some(disabled) = changes.disabled {
            if disabled && user.disabled_at.is_none() {
                user.disabled_at = Some(now);
                sign_out = true;
            } else if !disabled {
                user.disabled_at = None;
            }
        }
        if let Some(hash) = new_hash {
            user.password_hash = hash;
            sign_out = true;
        }
        user.updated_at = now;
        tx.update_user(&user).await?;
        if sign_out {
            tx.delete_sessions_of_user(user.id).await?;
        }
        user.roles.sort();
        user.roles.dedup();
        let mut changed = serde_json::Map::new();
        if user.display_name != before.display_name {
            changed.insert("display_name".into(), json!(user.display_name));
        }
        if user.email != before.email {
            // That it changed, never the address (personal data; the log is immutable).
            changed.insert("email".into(), json!("changed"));
        }
        if user.department_id != before.department_id {
            changed.insert("department_id".into(), json!(user.department_id));
        }
        if user.roles != before.roles {
            changed.insert("roles".into(), json!(user.roles));
        }
        if user.locale != before.locale {
            changed.insert("locale".into(), json!(user.locale));
        }
        if user.disabled_at.is_some() != before.disabled_at.is_some() {
            changed.insert("disabled".into(), json!(user.disabled_at.is_some()));
        }
        if password_changed {
            // That it changed, never the password or its hash.
            changed.insert("password".into(), json!("changed"));
        }
        self.audit(
            &mut *tx,
            principal,
            AuditAction::UserUpdate,
            "user",
            Some(user.id.to_string()),
            json!({ "username": user.username, "changed": changed }),
        )
        .await?;
        tx.commit().await?;
        Ok(user)
    }

    pub async fn list_departments(
        &self,
        principal: &Principal,
    ) -> Result<Vec<(Department, u64)>, AppError> {
        principal.require(Permission::ViewUsers)?;
        let mut tx = self.store.read().await?;
        let departments = tx.list_departments().await?;
        let counts = tx.count_users_by_department().await?;
        Ok(departments
            .into_iter()
            .map(|d| {
                let n = counts
                    .iter()
                    .find(|(id, _)| *id == d.id)
                    .map_or(0, |(_, n)| *n);
                (d, n)
            })
            .collect())
    }

    pub async fn get_department(
        &self,
        principal: &Principal,
        id: Uuid,
    ) -> Result<Department, AppError> {
        principal.require(Permission::ViewUsers)?;
        let mut tx = self.store.read().await?;
        tx.get_department(id)
            .await?
            .ok_or(AppError::NotFound("department"))
    }

    fn check_department(input: &DepartmentInput) -> Result<(), AppError> {
        let mut fields = Vec::new();
        let code = input.code.trim();
        if code.is_empty()
            || code.len() > 40
            || !code
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        {
            fields.push(FieldError::new(
                "code",
                "invalid",
                "code must be 1 to 40 characters of a-z, 0-9 and _",
            ));
        }
        for (field, value) in [("name_zh", &input.name_zh), ("name_en", &input.name_en)] {
            crate::check_text(&mut fields, field, value, 80, crate::Lines::One);
        }
        fail_if_any(fields)
    }

    pub async fn create_department(
        &self,
        principal: &Principal,
        input: DepartmentInput,
    ) -> Result<Department, AppError> {
        principal.require(Permission::ManageUsers)?;
        Self::check_department(&input)?;
        let now = self.now();
        let dept = Department {
            id: Uuid::now_v7(),
            code: input.code.trim().to_string(),
            name_zh: input.name_zh.trim().to_string(),
            name_en: input.name_en.trim().to_string(),
            business_unit_id: input.business_unit_id,
            created_at: now,
            updated_at: now,
        };
        let mut tx = self.store.write().await?;
        tx.insert_department(&dept).await.on_duplicate(
            "department_code_taken",
            Some("code"),
            DEPARTMENT_CODE_TAKEN,
        )?;
        self.audit(
            &mut *tx,
            principal,
            AuditAction::DepartmentCreate,
            "department",
            Some(dept.id.to_string()),
            json!({ "code": dept.code, "name_zh": dept.name_zh, "name_en": dept.name_en }),
        )
        .await?;
        tx.commit().await?;
        Ok(dept)
    }

    pub async fn update_department(
        &self,
        principal: &Principal,
        id: Uuid,
        input: DepartmentInput,
    ) -> Result<Department, AppError> {
        principal.require(Permission::ManageUsers)?;
        Self::check_department(&input)?;
        let mut tx = self.store.write().await?;
        let mut dept = tx
            .get_department(id)
            .await?
            .ok_or(AppError::NotFound("department"))?;
        dept.code = input.code.trim().to_string();
        dept.name_zh = input.name_zh.trim().to_string();
        dept.name_en = input.name_en.trim().to_string();
        dept.business_unit_id = input.business_unit_id;
        dept.updated_at = self.now();
        tx.update_department(&dept).await.on_duplicate(
            "department_code_taken",
            Some("code"),
            DEPARTMENT_CODE_TAKEN,
        )?;
        self.audit(
            &mut *tx,
            principal,
            AuditAction::DepartmentUpdate,
            "department",
            Some(dept.id.to_string()),
            json!({ "code": dept.code, "name_zh": dept.name_zh, "name_en": dept.name_en }),
        )
        .await?;
        tx.commit().await?;
        Ok(dept)
    }

    /// Creates the first administrator from the command line (no principal needed).
    pub async fn bootstrap_admin(&self, username: &str, password: &str) -> Result<User, AppError> {
        let principal = Self::console_principal();
        self.create_user(
            &principal,
            NewUser {
                username: username.into(),
                display_name: username.into(),
                email: None,
                password: password.into(),
                department_id: None,
                roles: vec![Role::Admin],
                locale: None,
            },
        )
        .await
    }
}
