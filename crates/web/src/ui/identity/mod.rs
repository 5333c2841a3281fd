//! The dashboard and the staff administration pages: staff accounts with their roles, and
//! departments.

mod text;

pub(crate) use text::TEXT;

use super::session::{FormData, UiForm, UiUser};
use super::{
    error_page, form_errors, local_time, render, role_label, see_other, Chrome, FormError,
};
use crate::i18n::{Lang, Tr};
use crate::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use serde::Deserialize;
use tripdesk_app::identity::{DepartmentInput, NewUser, UserChanges};
use tripdesk_app::{AppError, FieldError};
use tripdesk_domain::identity::{Permission, Role};
use tripdesk_store::{Department, UserFilter};
use uuid::Uuid;

/// The pages of this capability.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(home))
        .route("/admin/users", get(users).post(create_user))
        .route("/admin/users/new", get(new_user))
        .route("/admin/users/{id}", get(edit_user).post(update_user))
        .route(
            "/admin/departments",
            get(departments).post(create_department),
        )
        .route(
            "/admin/departments/{id}",
            get(edit_department).post(update_department),
        )
}

struct Option_ {
    id: String,
    name: String,
    selected: bool,
}

struct RoleOption {
    value: &'static str,
    label: String,
    selected: bool,
}

fn dept_name(lang: Lang, d: &Department) -> String {
    match lang {
        Lang::ZhCn => d.name_zh.clone(),
        Lang::En => d.name_en.clone(),
    }
}

fn dept_options(lang: Lang, depts: &[(Department, u64)], selected: Option<Uuid>) -> Vec<Option_> {
    depts
        .iter()
        .map(|(d, _)| Option_ {
            id: d.id.to_string(),
            name: dept_name(lang, d),
            selected: Some(d.id) == selected,
        })
        .collect()
}

fn role_options(t: Tr, selected: &[Role]) -> Vec<RoleOption> {
    Role::ALL
        .iter()
        .map(|r| RoleOption {
            value: r.as_str(),
            label: role_label(t, *r),
            selected: selected.contains(r),
        })
        .collect()
}

// ---- dashboard ----

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage {
    c: Chrome,
    staff_count: u64,
    department_count: usize,
    queues: Vec<crate::ui::queues::QueueLink>,
}

pub async fn home(State(state): State<AppState>, user: UiUser) -> Response {
    let (staff_count, department_count) = if user.principal.can(Permission::ViewUsers) {
        let filter = UserFilter {
            limit: 1,
            ..Default::default()
        };
        match (
            state.app.list_users(&user.principal, &filter).await,
            state.app.list_departments(&user.principal).await,
        ) {
            (Ok(page), Ok(depts)) => (page.total, depts.len()),
            (Err(e), _) | (_, Err(e)) => return error_page(&state, &user, "", e),
        }
    } else {
        (0, 0)
    };
    render(
        StatusCode::OK,
        &HomePage {
            c: Chrome::new(&state, &user, "home")
                .with_holiday_gaps(&state, &user)
                .await,
            staff_count,
            department_count,
            queues: crate::ui::queues::my_queues(&state, &user).await,
        },
    )
}

// ---- users ----

struct UserRow {
    id: Uuid,
    initial: String,
    display_name: String,
    username: String,
    department: String,
    roles: Vec<String>,
    disabled: bool,
}

#[derive(Template)]
#[template(path = "identity/users.html")]
struct UsersPage {
    c: Chrome,
    can_manage: bool,
    q: String,
    include_disabled: bool,
    departments: Vec<Option_>,
    roles: Vec<RoleOption>,
    rows: Vec<UserRow>,
    count_label: String,
}

#[derive(Deserialize)]
pub struct UsersQuery {
    q: Option<String>,
    department: Option<String>,
    role: Option<String>,
    include_disabled: Option<String>,
}

pub async fn users(
    State(state): State<AppState>,
    user: UiUser,
    Query(q): Query<UsersQuery>,
) -> Response {
    let t = Tr(user.lang);
    let department_id = q
        .department
        .as_deref()
        .and_then(|d| Uuid::parse_str(d).ok());
    let role = q.role.as_deref().and_then(|r| r.parse::<Role>().ok());
    let include_disabled = q.include_disabled.as_deref() == Some("true");
    let filter = UserFilter {
        department_id,
        role,
        query: q.q.clone(),
        include_disabled,
        limit: 500,
        offset: 0,
    };
    let depts = match state.app.list_departments(&user.principal).await {
        Ok(d) => d,
        Err(e) => return error_page(&state, &user, "", e),
    };
    let page = match state.app.list_users(&user.principal, &filter).await {
        Ok(p) => p,
        Err(e) => return error_page(&state, &user, "", e),
    };
    let rows = page
        .users
        .iter()
        .map(|u| UserRow {
            id: u.id,
            initial: u
                .display_name
                .chars()
                .next()
                .map(String::from)
                .unwrap_or_default(),
            display_name: u.display_name.clone(),
            username: u.username.clone(),
            department: u
                .department_id
                .and_then(|id| depts.iter().find(|(d, _)| d.id == id))
                .map(|(d, _)| dept_name(user.lang, d))
                .unwrap_or_default(),
            roles: u.roles.iter().map(|r| role_label(t, *r)).collect(),
            disabled: u.disabled_at.is_some(),
        })
        .collect();
    let page_view = UsersPage {
        can_manage: user.principal.can(Permission::ManageUsers),
        q: q.q.unwrap_or_default(),
        include_disabled,
        departments: dept_options(user.lang, &depts, department_id),
        roles: role_options(t, &role.into_iter().collect::<Vec<_>>()),
        rows,
        count_label: t.s("users.count").replace("{n}", &page.total.to_string()),
        c: Chrome::new(&state, &user, "users"),
    };
    render(StatusCode::OK, &page_view)
}

#[derive(Template)]
#[template(path = "identity/user_form.html")]
struct UserFormPage {
    c: Chrome,
    heading: String,
    action: String,
    editing: bool,
    errors: Vec<FormError>,
    username: String,
    display_name: String,
    email: String,
    departments: Vec<Option_>,
    roles: Vec<RoleOption>,
    locale: String,
    disabled: bool,
}

pub async fn new_user(State(state): State<AppState>, user: UiUser) -> Response {
    if let Err(e) = user.principal.require(Permission::ManageUsers) {
        return error_page(&state, &user, "", e);
    }
    let t = Tr(user.lang);
    let depts = match state.app.list_departments(&user.principal).await {
        Ok(d) => d,
        Err(e) => return error_page(&state, &user, "", e),
    };
    render(
        StatusCode::OK,
        &UserFormPage {
            heading: t.s("users.new").into(),
            action: "/admin/users".into(),
            editing: false,
            errors: Vec::new(),
            username: String::new(),
            display_name: String::new(),
            email: String::new(),
            departments: dept_options(user.lang, &depts, None),
            roles: role_options(t, &[Role::Agent]),
            locale: "zh-CN".into(),
            disabled: false,
            c: Chrome::new(&state, &user, "users"),
        },
    )
}

fn parse_roles(form: &FormData) -> Vec<Role> {
    form.all("roles")
        .iter()
        .filter_map(|r| r.parse().ok())
        .collect()
}

fn parse_department(form: &FormData) -> Option<Uuid> {
    Uuid::parse_str(form.get("department_id")).ok()
}

fn non_empty(s: &str) -> Option<String> {
    let s = s.trim();
    (!s.is_empty()).then(|| s.to_string())
}

pub async fn create_user(State(state): State<AppState>, UiForm { user, form }: UiForm) -> Response {
    let input = NewUser {
        username: form.get("username").into(),
        display_name: form.get("display_name").into(),
        email: non_empty(form.get("email")),
        password: form.get("password").into(),
        department_id: parse_department(&form),
        roles: parse_roles(&form),
        locale: Some(form.get("locale").into()),
    };
    match state.app.create_user(&user.principal, input).await {
        Ok(_) => see_other("/admin/users"),
        Err(e) => match e.into_field_errors("username") {
            Ok(fields) => {
                user_form_again(&state, &user, &form, false, "/admin/users".into(), fields).await
            }
            Err(e) => error_page(&state, &user, "", e),
        },
    }
}

async fn user_form_again(
    state: &AppState,
    user: &UiUser,
    form: &FormData,
    editing: bool,
    action: String,
    fields: Vec<FieldError>,
) -> Response {
    let t = Tr(user.lang);
    let depts = state
        .app
        .list_departments(&user.principal)
        .await
        .unwrap_or_default();
    render(
        StatusCode::UNPROCESSABLE_ENTITY,
        &UserFormPage {
            heading: t.s(if editing { "users.edit" } else { "users.new" }).into(),
            action,
            editing,
            errors: form_errors(t, fields),
            username: form.get("username").into(),
            display_name: form.get("display_name").into(),
            email: form.get("email").into(),
            departments: dept_options(user.lang, &depts, parse_department(form)),
            roles: role_options(t, &parse_roles(form)),
            locale: form.get("locale").into(),
            disabled: form.get("disabled") == "true",
            c: Chrome::new(state, user, "users"),
        },
    )
}

pub async fn edit_user(
    State(state): State<AppState>,
    user: UiUser,
    Path(id): Path<String>,
) -> Response {
    if let Err(e) = user.principal.require(Permission::ManageUsers) {
        return error_page(&state, &user, "", e);
    }
    let Ok(id) = Uuid::parse_str(&id) else {
        return error_page(&state, &user, "", AppError::NotFound("user"));
    };
    let t = Tr(user.lang);
    let target = match state.app.get_user(&user.principal, id).await {
        Ok(u) => u,
        Err(e) => return error_page(&state, &user, "", e),
    };
    let depts = state
        .app
        .list_departments(&user.principal)
        .await
        .unwrap_or_default();
    render(
        StatusCode::OK,
        &UserFormPage {
            heading: t.s("users.edit").into(),
            action: format!("/admin/users/{id}"),
            editing: true,
            errors: Vec::new(),
            username: target.username.clone(),
            display_name: target.display_name.clone(),
            email: target.email.clone().unwrap_or_default(),
            departments: dept_options(user.lang, &depts, target.department_id),
            roles: role_options(t, &target.roles),
            locale: target.locale.clone(),
            disabled: target.disabled_at.is_some(),
            c: Chrome::new(&state, &user, "users"),
        },
    )
}

pub async fn update_user(
    State(state): State<AppState>,
    Path(id): Path<String>,
    UiForm { user, form }: UiForm,
) -> Response {
    let Ok(id) = Uuid::parse_str(&id) else {
        return error_page(&state, &user, "", AppError::NotFound("user"));
    };
    let changes = UserChanges {
        display_name: Some(form.get("display_name").into()),
        email: Some(non_empty(form.get("email"))),
        department_id: Some(parse_department(&form)),
        roles: Some(parse_roles(&form)),
        locale: Some(form.get("locale").into()),
        disabled: Some(form.get("disabled") == "true"),
        password: non_empty(form.get("password")),
    };
    match state.app.update_user(&user.principal, id, changes).await {
        Ok(_) => see_other("/admin/users"),
        Err(AppError::Validation(fields)) => {
            user_form_again(
                &state,
                &user,
                &form,
                true,
                format!("/admin/users/{id}"),
                fields,
            )
            .await
        }
        Err(e) => error_page(&state, &user, "", e),
    }
}

// ---- departments ----

struct DeptRow {
    id: Uuid,
    code: String,
    name_zh: String,
    name_en: String,
    members: u64,
    created: String,
}

#[derive(Template)]
#[template(path = "identity/departments.html")]
struct DepartmentsPage {
    c: Chrome,
    can_manage: bool,
    rows: Vec<DeptRow>,
    editing: bool,
    action: String,
    errors: Vec<FormError>,
    form_code: String,
    form_name_zh: String,
    form_name_en: String,
}

async fn departments_page(
    state: &AppState,
    user: &UiUser,
    editing: Option<Uuid>,
    form: Option<&FormData>,
    fields: Vec<FieldError>,
) -> Response {
    let t = Tr(user.lang);
    let depts = match state.app.list_departments(&user.principal).await {
        Ok(d) => d,
        Err(e) => return error_page(state, user, "", e),
    };
    let current = editing
        .and_then(|id| depts.iter().find(|(d, _)| d.id == id))
        .map(|(d, _)| d.clone());
    if editing.is_some() && current.is_none() {
        return error_page(state, user, "", AppError::NotFound("department"));
    }
    let pick = |name: &str, from_dept: fn(&Department) -> String| -> String {
        match (form, &current) {
            (Some(f), _) => f.get(name).to_string(),
            (None, Some(d)) => from_dept(d),
            (None, None) => String::new(),
        }
    };
    let status = if fields.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let page = DepartmentsPage {
        can_manage: user.principal.can(Permission::ManageUsers),
        rows: depts
            .iter()
            .map(|(d, n)| DeptRow {
                id: d.id,
                code: d.code.clone(),
                name_zh: d.name_zh.clone(),
                name_en: d.name_en.clone(),
                members: *n,
                created: local_time(state, d.created_at),
            })
            .collect(),
        editing: editing.is_some(),
        action: editing.map_or("/admin/departments".into(), |id| {
            format!("/admin/departments/{id}")
        }),
        errors: form_errors(t, fields),
        form_code: pick("code", |d| d.code.clone()),
        form_name_zh: pick("name_zh", |d| d.name_zh.clone()),
        form_name_en: pick("name_en", |d| d.name_en.clone()),
        c: Chrome::new(state, user, "departments"),
    };
    render(status, &page)
}

pub async fn departments(State(state): State<AppState>, user: UiUser) -> Response {
    departments_page(&state, &user, None, None, Vec::new()).await
}

pub async fn edit_department(
    State(state): State<AppState>,
    user: UiUser,
    Path(id): Path<String>,
) -> Response {
    let Ok(id) = Uuid::parse_str(&id) else {
        return error_page(&state, &user, "", AppError::NotFound("department"));
    };
    if let Err(e) = user.principal.require(Permission::ManageUsers) {
        return error_page(&state, &user, "", e);
    }
    departments_page(&state, &user, Some(id), None, Vec::new()).await
}

fn department_input(form: &FormData) -> DepartmentInput {
    DepartmentInput {
        code: form.get("code").into(),
        name_zh: form.get("name_zh").into(),
        name_en: form.get("name_en").into(),
        business_unit_id: None,
    }
}

async fn department_result(
    state: &AppState,
    user: &UiUser,
    editing: Option<Uuid>,
    form: &FormData,
    result: Result<Department, AppError>,
) -> Response {
    match result {
        Ok(_) => see_other("/admin/departments"),
        Err(e) => match e.into_field_errors("code") {
            Ok(fields) => departments_page(state, user, editing, Some(form), fields).await,
            Err(e) => error_page(state, user, "", e),
        },
    }
}

pub async fn create_department(
    State(state): State<AppState>,
    UiForm { user, form }: UiForm,
) -> Response {
    let result = state
        .app
        .create_department(&user.principal, department_input(&form))
        .await;
    department_result(&state, &user, None, &form, result).await
}

pub async fn update_department(
    State(state): State<AppState>,
    Path(id): Path<String>,
    UiForm { user, form }: UiForm,
) -> Response {
    let Ok(id) = Uuid::parse_str(&id) else {
        return error_page(&state, &user, "", AppError::NotFound("department"));
    };
    // Keep the business unit the department already belongs to.
    let mut input = department_input(&form);
    if let Ok(current) = state.app.get_department(&user.principal, id).await {
        input.business_unit_id = current.business_unit_id;
    }
    let result = state
        .app
        .update_department(&user.principal, id, input)
        .await;
    department_result(&state, &user, Some(id), &form, result).await
}
