//! The desk's settings pages (routing rules, reply templates: `manage_desk`) and the
//! supervisor board of open complaints by state and SLA risk (`view_reports`).

use crate::i18n::{Lang, Tr};
use crate::ui::session::{FormData, UiForm, UiUser};
use crate::ui::{error_page, render, see_other_with, Chrome, Flash};
use crate::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;
use std::collections::HashMap;
use tripdesk_app::desk_replies::{ReplyTemplateInput, REPLY_CATEGORIES, REPLY_LOCALES};
use tripdesk_app::desk_routing::{RuleInput, BUSINESS_AREAS};
use tripdesk_app::AppError;
use tripdesk_domain::desk::Channel;
use tripdesk_domain::identity::Permission;
use tripdesk_store::{Department, ReplyTemplate, RoutingRuleRecord, SlaRisk};
use uuid::Uuid;

fn label(t: Tr, prefix: &str, key: &str) -> String {
    t.s(&format!("{prefix}.{key}")).to_string()
}

struct Sel {
    value: String,
    label: String,
    selected: bool,
}

fn dept_name(lang: Lang, groups: &[Department], id: Uuid) -> String {
    groups
        .iter()
        .find(|d| d.id == id)
        .map(|d| {
            if lang == Lang::ZhCn {
                d.name_zh.clone()
            } else {
                d.name_en.clone()
            }
        })
        .unwrap_or_default()
}

#[derive(Deserialize)]
pub struct Done {
    done: Option<String>,
}

fn flash(t: Tr, done: Option<&str>) -> Option<String> {
    match done {
        Some("saved") => Some(t.s("desk.settings.saved").into()),
        Some("deleted") => Some(t.s("desk.settings.deleted").into()),
        _ => None,
    }
}

/// What a failed save shows: field errors, or the error page for anything else.
enum Failure {
    Fields(Vec<String>),
    Page(Response),
}

fn failure(state: &AppState, user: &UiUser, active: &'static str, e: AppError) -> Failure {
    match e {
        AppError::Validation(fields) => {
            Failure::Fields(crate::i18n::field_errors(Tr(user.lang), &fields))
        }
        e @ AppError::Conflict { .. } => {
            Failure::Fields(vec![crate::i18n::app_error(Tr(user.lang), &e)])
        }
        other => Failure::Page(error_page(state, user, active, other)),
    }
}

// ---- routing rules ----

struct RuleRow {
    id: Uuid,
    name: String,
    priority: i32,
    conditions: String,
    group: String,
    enabled: bool,
}

#[derive(Template)]
#[template(path = "desk/rules.html")]
struct RulesPage {
    c: Chrome,
    rows: Vec<RuleRow>,
    can_manage: bool,
    /// The rule being edited (None: the form adds one).
    editing: Option<Uuid>,
    errors: Vec<String>,
    name: String,
    priority: String,
    keywords: String,
    enabled: bool,
    areas: Vec<Sel>,
    channels: Vec<Sel>,
    groups: Vec<Sel>,
}

/// The form's values (from a stored rule, a failed submission, or defaults).
struct RuleForm {
    name: String,
    priority: String,
    area: String,
    keywords: String,
    channel: String,
    group: String,
    enabled: bool,
}

impl RuleForm {
    fn of(r: &RoutingRuleRecord) -> Self {
        Self {
            name: r.name.clone(),
            priority: r.priority.to_string(),
            area: r.business_area.clone().unwrap_or_default(),
            keywords: r.keywords.join(", "),
            channel: r
                .channel
                .map(|c| c.as_str().to_string())
                .unwrap_or_default(),
            group: r.group_id.to_string(),
            enabled: r.enabled,
        }
    }

    fn from_form(f: &FormData) -> Self {
        Self {
            name: f.get("name").into(),
            priority: f.get("priority").into(),
            area: f.get("business_area").into(),
            keywords: f.get("keywords").into(),
            channel: f.get("channel").into(),
            group: f.get("group_id").into(),
            enabled: f.get("enabled") == "true",
        }
    }
}

async fn rules_page(
    state: &AppState,
    user: &UiUser,
    editing: Option<Uuid>,
    form: Option<RuleForm>,
    errors: Vec<String>,
    done: Option<&str>,
) -> Response {
    let t = Tr(user.lang);
    let p = &user.principal;
    let rules = match state.app.list_routing_rules(p).await {
        Ok(r) => r,
        Err(e) => return error_page(state, user, "desk_rules", e),
    };
    let groups = state.app.desk_groups(p).await.unwrap_or_default();
    let form = match (form, editing) {
        (Some(f), _) => f,
        (None, Some(id)) => match rules.iter().find(|r| r.id == id) {
            Some(r) => RuleForm::of(r),
            None => {
                return error_page(
                    state,
                    user,
                    "desk_rules",
                    AppError::NotFound("routing rule"),
                )
            }
        },
        (None, None) => RuleForm {
            name: String::new(),
            priority: "100".into(),
            area: String::new(),
            keywords: String::new(),
            channel: String::new(),
            group: String::new(),
            enabled: true,
        },
    };
    let any = t.s("desk.rules.any");
    let rows = rules
        .iter()
        .map(|r| {
            let mut cond = Vec::new();
            if let Some(a) = &r.business_area {
                cond.push(t.pair(t.s("desk.area"), &area_label(t, a)));
            }
            if !r.keywords.is_empty() {
                let keywords: Vec<&str> = r.keywords.iter().map(String::as_str).collect();
                cond.push(t.pair(t.s("desk.rules.keywords"), &t.list(&keywords)));
            }
            if let Some(c) = r.channel {
                cond.push(t.pair(t.s("desk.channel"), &label(t, "channel", c.as_str())));
            }
            RuleRow {
                id: r.id,
                name: r.name.clone(),
                priority: r.priority,
                conditions: if cond.is_empty() {
                    any.to_string()
                } else {
                    cond.join(" · ")
                },
                group: dept_name(user.lang, &groups, r.group_id),
                enabled: r.enabled,
            }
        })
        .collect();
    let mut c = Chrome::new(state, user, "desk_rules");
    // An old `?done=` link still says so; redirects carry the one flash (ui/flash.rs).
    if let Some(f) = flash(t, done) {
        c.flash = Some(f);
    }
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    render(
        status,
        &RulesPage {
            rows,
            can_manage: p.can(Permission::ManageDesk),
            editing,
            errors,
            areas: BUSINESS_AREAS
                .iter()
                .map(|a| Sel {
                    value: (*a).into(),
                    label: area_label(t, a),
                    selected: form.area == *a,
                })
                .collect(),
            channels: Channel::ALL
                .iter()
                .map(|ch| Sel {
                    value: ch.as_str().into(),
                    label: label(t, "channel", ch.as_str()),
                    selected: form.channel == ch.as_str(),
                })
                .collect(),
            groups: groups
                .iter()
                .map(|d| Sel {
                    value: d.id.to_string(),
                    label: dept_name(user.lang, &groups, d.id),
                    selected: form.group == d.id.to_string(),
                })
                .collect(),
            name: form.name,
            priority: form.priority,
            keywords: form.keywords,
            enabled: form.enabled,
            c,
        },
    )
}

fn area_label(t: Tr, area: &str) -> String {
    if BUSINESS_AREAS.contains(&area) {
        label(t, "desk.area", area)
    } else {
        area.to_string()
    }
}

pub async fn rules(State(state): State<AppState>, user: UiUser, Query(q): Query<Done>) -> Response {
    rules_page(&state, &user, None, None, Vec::new(), q.done.as_deref()).await
}

pub async fn edit_rule(
    State(state): State<AppState>,
    user: UiUser,
    Path(id): Path<String>,
) -> Response {
    match Uuid::parse_str(&id) {
        Ok(id) => rules_page(&state, &user, Some(id), None, Vec::new(), None).await,
        Err(_) => error_page(
            &state,
            &user,
            "desk_rules",
            AppError::NotFound("routing rule"),
        ),
    }
}

fn rule_input(form: &FormData) -> Result<RuleInput, Vec<String>> {
    let priority = form.get("priority").trim();
    let priority = if priority.is_empty() {
        100
    } else {
        priority
            .parse()
            .map_err(|_| vec![format!("priority: {priority}")])?
    };
    Ok(RuleInput {
        name: form.get("name").into(),
        priority,
        business_area: Some(form.get("business_area").to_string()),
        keywords: vec![form.get("keywords").to_string()],
        channel: Channel::parse(form.get("channel")),
        group_id: Uuid::parse_str(form.get("group_id")).ok(),
        enabled: form.get("enabled") == "true",
    })
}

async fn save_rule(state: &AppState, user: &UiUser, id: Option<Uuid>, form: &FormData) -> Response {
    let input = match rule_input(form) {
        Ok(i) => i,
        Err(errors) => {
            return rules_page(
                state,
                user,
                id,
                Some(RuleForm::from_form(form)),
                errors,
                None,
            )
            .await
        }
    };
    let result = match id {
        None => state.app.create_routing_rule(&user.principal, input).await,
        Some(id) => {
            state
                .app
                .update_routing_rule(&user.principal, id, input)
                .await
        }
    };
    match result {
        Ok(_) => see_other_with(
            state,
            user,
            "/desk/rules",
            Flash::done(Tr(user.lang).s("desk.settings.saved")),
        ),
        Err(e) => match failure(state, user, "desk_rules", e) {
            Failure::Fields(errors) => {
                rules_page(
                    state,
                    user,
                    id,
                    Some(RuleForm::from_form(form)),
                    errors,
                    None,
                )
                .await
            }
            Failure::Page(r) => r,
        },
    }
}

pub async fn create_rule(State(state): State<AppState>, UiForm { user, form }: UiForm) -> Response {
    save_rule(&state, &user, None, &form).await
}

pub async fn update_rule(
    State(state): State<AppState>,
    Path(id): Path<String>,
    UiForm { user, form }: UiForm,
) -> Response {
    match Uuid::parse_str(&id) {
        Ok(id) => save_rule(&state, &user, Some(id), &form).await,
        Err(_) => error_page(
            &state,
            &user,
            "desk_rules",
            AppError::NotFound("routing rule"),
        ),
    }
}

pub async fn delete_rule(
    State(state): State<AppState>,
    Path(id): Path<String>,
    UiForm { user, .. }: UiForm,
) -> Response {
    let Ok(id) = Uuid::parse_str(&id) else {
        return error_page(
            &state,
            &user,
            "desk_rules",
            AppError::NotFound("routing rule"),
        );
    };
    match state.app.delete_routing_rule(&user.principal, id).await {
        Ok(()) => see_other_with(
            &state,
            &user,
            "/desk/rules",
            Flash::done(Tr(user.lang).s("desk.settings.deleted")),
        ),
        Err(e) => error_page(&state, &user, "desk_rules", e),
    }
}

// ---- reply templates ----

struct ReplyRow {
    id: Uuid,
    key: String,
    category: String,
    title: String,
    body: String,
}

struct ReplyLocale {
    /// The templates' language (`zh-CN`, `en`), declared on their text.
    code: &'static str,
    label: String,
    rows: Vec<ReplyRow>,
}

#[derive(Template)]
#[template(path = "desk/replies.html")]
struct RepliesPage {
    c: Chrome,
    locales: Vec<ReplyLocale>,
    can_manage: bool,
    editing: Option<Uuid>,
    errors: Vec<String>,
    key: String,
    title: String,
    body: String,
    position: String,
    locale_opts: Vec<Sel>,
    categories: Vec<Sel>,
}

struct ReplyForm {
    key: String,
    locale: String,
    category: String,
    title: String,
    body: String,
    position: String,
}

impl ReplyForm {
    fn of(r: &ReplyTemplate) -> Self {
        Self {
            key: r.key.clone(),
            locale: r.locale.clone(),
            category: r.category.clone(),
            title: r.title.clone(),
            body: r.body.clone(),
            position: r.position.to_string(),
        }
    }

    fn from_form(f: &FormData) -> Self {
        Self {
            key: f.get("key").into(),
            locale: f.get("locale").into(),
            category: f.get("category").into(),
            title: f.get("title").into(),
            body: f.get("body").into(),
            position: f.get("position").into(),
        }
    }
}

async fn replies_page(
    state: &AppState,
    user: &UiUser,
    editing: Option<Uuid>,
    form: Option<ReplyForm>,
    errors: Vec<String>,
    done: Option<&str>,
) -> Response {
    let t = Tr(user.lang);
    let p = &user.principal;
    let templates = match state.app.list_reply_templates(p).await {
        Ok(r) => r,
        Err(e) => return error_page(state, user, "desk_replies", e),
    };
    let form = match (form, editing) {
        (Some(f), _) => f,
        (None, Some(id)) => match templates.iter().find(|r| r.id == id) {
            Some(r) => ReplyForm::of(r),
            None => {
                return error_page(
                    state,
                    user,
                    "desk_replies",
                    AppError::NotFound("reply template"),
                )
            }
        },
        (None, None) => ReplyForm {
            key: String::new(),
            locale: user.lang.code().into(),
            category: "answer".into(),
            title: String::new(),
            body: String::new(),
            position: "100".into(),
        },
    };
    let mut locales = vec![user.lang.code(), user.lang.other().code()];
    locales.dedup();
    let locales = locales
        .into_iter()
        .map(|l| ReplyLocale {
            code: l,
            label: label(t, "desk.locale", l),
            rows: templates
                .iter()
                .filter(|r| r.locale == l)
                .map(|r| ReplyRow {
                    id: r.id,
                    key: r.key.clone(),
                    category: label(t, "desk.cat", &r.category),
                    title: r.title.clone(),
                    body: r.body.clone(),
                })
                .collect(),
        })
        .filter(|l| !l.rows.is_empty())
        .collect();
    let mut c = Chrome::new(state, user, "desk_replies");
    // An old `?done=` link still says so; redirects carry the one flash (ui/flash.rs).
    if let Some(f) = flash(t, done) {
        c.flash = Some(f);
    }
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    render(
        status,
        &RepliesPage {
            locales,
            can_manage: p.can(Permission::ManageDesk),
            editing,
            errors,
            locale_opts: REPLY_LOCALES
                .iter()
                .map(|l| Sel {
                    value: (*l).into(),
                    label: label(t, "desk.locale", l),
                    selected: form.locale == *l,
                })
                .collect(),
            categories: REPLY_CATEGORIES
                .iter()
                .map(|k| Sel {
                    value: (*k).into(),
                    label: label(t, "desk.cat", k),
                    selected: form.category == *k,
                })
                .collect(),
            key: form.key,
            title: form.title,
            body: form.body,
            position: form.position,
            c,
        },
    )
}

pub async fn replies(
    State(state): State<AppState>,
    user: UiUser,
    Query(q): Query<Done>,
) -> Response {
    replies_page(&state, &user, None, None, Vec::new(), q.done.as_deref()).await
}

pub async fn edit_reply(
    State(state): State<AppState>,
    user: UiUser,
    Path(id): Path<String>,
) -> Response {
    match Uuid::parse_str(&id) {
        Ok(id) => replies_page(&state, &user, Some(id), None, Vec::new(), None).await,
        Err(_) => error_page(
            &state,
            &user,
            "desk_replies",
            AppError::NotFound("reply template"),
        ),
    }
}

async fn save_reply(
    state: &AppState,
    user: &UiUser,
    id: Option<Uuid>,
    form: &FormData,
) -> Response {
    let position = form.get("position").trim();
    let position = if position.is_empty() {
        Ok(100)
    } else {
        position.parse::<i32>()
    };
    let Ok(position) = position else {
        return replies_page(
            state,
            user,
            id,
            Some(ReplyForm::from_form(form)),
            vec![format!("position: {}", form.get("position"))],
            None,
        )
        .await;
    };
    let input = ReplyTemplateInput {
        key: form.get("key").into(),
        locale: form.get("locale").into(),
        category: form.get("category").into(),
        title: form.get("title").into(),
        body: form.get("body").into(),
        position,
    };
    let result = match id {
        None => {
            state
                .app
                .create_reply_template(&user.principal, input)
                .await
        }
        Some(id) => {
            state
                .app
                .update_reply_template(&user.principal, id, input)
                .await
        }
    };
    match result {
        Ok(_) => see_other_with(
            state,
            user,
            "/desk/replies",
            Flash::done(Tr(user.lang).s("desk.settings.saved")),
        ),
        Err(e) => match failure(state, user, "desk_replies", e) {
            Failure::Fields(errors) => {
                replies_page(
                    state,
                    user,
                    id,
                    Some(ReplyForm::from_form(form)),
                    errors,
                    None,
                )
                .await
            }
            Failure::Page(r) => r,
        },
    }
}

pub async fn create_reply(
    State(state): State<AppState>,
    UiForm { user, form }: UiForm,
) -> Response {
    save_reply(&state, &user, None, &form).await
}

pub async fn update_reply(
    State(state): State<AppState>,
    Path(id): Path<String>,
    UiForm { user, form }: UiForm,
) -> Response {
    match Uuid::parse_str(&id) {
        Ok(id) => save_reply(&state, &user, Some(id), &form).await,
        Err(_) => error_page(
            &state,
            &user,
            "desk_replies",
            AppError::NotFound("reply template"),
        ),
    }
}

pub async fn delete_reply(
    State(state): State<AppState>,
    Path(id): Path<String>,
    UiForm { user, .. }: UiForm,
) -> Response {
    let Ok(id) = Uuid::parse_str(&id) else {
        return error_page(
            &state,
            &user,
            "desk_replies",
            AppError::NotFound("reply template"),
        );
    };
    match state.app.delete_reply_template(&user.principal, id).await {
        Ok(()) => see_other_with(
            &state,
            &user,
            "/desk/replies",
            Flash::done(Tr(user.lang).s("desk.settings.deleted")),
        ),
        Err(e) => error_page(&state, &user, "desk_replies", e),
    }
}

// ---- the supervisor board ----

struct Card {
    id: Uuid,
    number: String,
    subject: String,
    level: &'static str,
    level_label: String,
    risk: &'static str,
    customer: String,
}

struct Column {
    label: String,
    total: u64,
    on_track: u64,
    at_risk: u64,
    breached: u64,
    cards: Vec<Card>,
    more: String,
}

#[derive(Template)]
#[template(path = "desk/board.html")]
struct BoardPage {
    c: Chrome,
    columns: Vec<Column>,
    total: u64,
    on_track: u64,
    at_risk: u64,
    breached: u64,
}

const CARDS_PER_COLUMN: u32 = 8;

pub async fn board(State(state): State<AppState>, user: UiUser) -> Response {
    let t = Tr(user.lang);
    let b = match state
        .app
        .complaint_board(&user.principal, CARDS_PER_COLUMN)
        .await
    {
        Ok(b) => b,
        Err(e) => return error_page(&state, &user, "desk_board", e),
    };
    let n = |m: &HashMap<SlaRisk, u64>, r| m.get(&r).copied().unwrap_or(0);
    let columns = b
        .columns
        .iter()
        .map(|col| {
            let shown = col.tickets.len() as u64;
            Column {
                label: label(t, "state", col.state.as_str()),
                total: col.total,
                on_track: n(&col.counts, SlaRisk::OnTrack),
                at_risk: n(&col.counts, SlaRisk::AtRisk),
                breached: n(&col.counts, SlaRisk::Breached),
                cards: col
                    .tickets
                    .iter()
                    .map(|bt| Card {
                        id: bt.ticket.id,
                        number: bt.ticket.number.clone(),
                        subject: bt.ticket.subject.clone(),
                        level: bt.ticket.level.as_str(),
                        level_label: label(t, "level", bt.ticket.level.as_str()),
                        risk: bt.risk.as_str(),
                        customer: bt.ticket.customer_name.clone(),
                    })
                    .collect(),
                more: if col.total > shown {
                    t.s("desk.board.more")
                        .replace("{n}", &(col.total - shown).to_string())
                } else {
                    String::new()
                },
            }
        })
        .collect();
    let page = BoardPage {
        columns,
        on_track: n(&b.totals, SlaRisk::OnTrack),
        at_risk: n(&b.totals, SlaRisk::AtRisk),
        breached: n(&b.totals, SlaRisk::Breached),
        total: b.totals.values().sum(),
        c: Chrome::new(&state, &user, "desk_board"),
    };
    render(StatusCode::OK, &page)
}
