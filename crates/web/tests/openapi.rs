//! The API document tells clients the truth: every `$ref` resolves, no two request or response
//! types share a schema name (a client built from the document would send the wrong body), the
//! integer bounds it declares are the bounds the server enforces, and list totals are counts.

mod common;

use axum::http::{Method, StatusCode};
use common::*;
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

async fn document(h: &Harness) -> Value {
    let r = h.call(Method::GET, "/api/v1/openapi.json", &[], None).await;
    assert_eq!(r.status, StatusCode::OK);
    r.body
}

fn refs(v: &Value, out: &mut BTreeSet<String>) {
    match v {
        Value::Object(m) => {
            for (k, v) in m {
                if k == "$ref" {
                    out.insert(v.as_str().unwrap_or_default().to_string());
                } else {
                    refs(v, out);
                }
            }
        }
        Value::Array(a) => a.iter().for_each(|v| refs(v, out)),
        _ => {}
    }
}

#[tokio::test]
async fn every_ref_in_the_document_resolves() {
    let h = harness().await;
    let doc = document(&h).await;
    let mut found = BTreeSet::new();
    refs(&doc, &mut found);
    assert!(!found.is_empty());
    let dangling: Vec<&String> = found
        .iter()
        .filter(|r| {
            let Some(name) = r.strip_prefix("#/components/schemas/") else {
                return true;
            };
            doc["components"]["schemas"][name].is_null()
        })
        .collect();
    assert!(
        dangling.is_empty(),
        "$refs that point nowhere: {dangling:?}"
    );
}

/// Every error is answered as `application/problem+json`; an error response documented with
/// another content type fails schemathesis' content-type check (ST105), as the change-quote
/// operation's 422 once did.
#[tokio::test]
async fn every_error_response_is_documented_as_problem_json() {
    let h = harness().await;
    let doc = document(&h).await;
    let mut wrong = Vec::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for (method, op) in item.as_object().expect("path item") {
            let Some(responses) = op["responses"].as_object() else {
                continue;
            };
            for (status, response) in responses {
                if status.as_str() < "400" {
                    continue;
                }
                let types: Vec<&String> = response["content"]
                    .as_object()
                    .map(|c| c.keys().collect())
                    .unwrap_or_default();
                if types.iter().any(|t| *t != "application/problem+json") {
                    wrong.push(format!("{method} {path} {status}: {types:?}"));
                }
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "error responses not problem+json: {wrong:#?}"
    );
}

/// utoipa names a schema after its Rust type and keeps the last one registered: two
/// `ToSchema` types of the same name make one of them vanish from the document. Read the
/// sources of every crate whose types reach the document and demand unique names.
#[test]
fn schema_type_names_are_unique() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut names: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for krate in ["web", "app", "domain", "store"] {
        let mut stack = vec![root.join(krate).join("src")];
        while let Some(dir) = stack.pop() {
            for entry in std::fs::read_dir(&dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    stack.push(path);
                } else if path.extension().is_some_and(|e| e == "rs") {
                    let text = std::fs::read_to_string(&path).unwrap();
                    for name in schema_types(&text) {
                        names
                            .entry(name)
                            .or_default()
                            .push(path.display().to_string());
                    }
                }
            }
        }
    }
    assert!(names.len() > 50, "found only {} schema types", names.len());
    let twice: Vec<_> = names.iter().filter(|(_, at)| at.len() > 1).collect();
    assert!(twice.is_empty(), "schema names used twice: {twice:?}");
}

/// The schema names of the types that derive `ToSchema` in one source file: the type's name,
/// or the one given with `schema(as = …)`; also when derived under `cfg_attr` (the domain's
/// enums behind its `openapi` feature).
fn schema_types(text: &str) -> Vec<String> {
    let ident = |s: &str| -> String {
        s.trim()
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect()
    };
    let mut out = Vec::new();
    let (mut deriving, mut renamed) = (false, None);
    for line in text.lines().map(str::trim) {
        if line.starts_with("#[") {
            deriving |= line.contains("derive(") && line.contains("ToSchema");
            if let Some((_, rest)) = line.split_once("schema(as = ") {
                renamed = Some(ident(rest.rsplit("::").next().unwrap_or(rest)));
            }
            continue;
        }
        if line.starts_with("///") || line.is_empty() {
            continue;
        }
        let decl = line
            .strip_prefix("pub struct ")
            .or_else(|| line.strip_prefix("pub enum "))
            .or_else(|| line.strip_prefix("pub(crate) struct "))
            .or_else(|| line.strip_prefix("pub(crate) enum "))
            .or_else(|| line.strip_prefix("struct "))
            .or_else(|| line.strip_prefix("enum "));
        if let (true, Some(decl)) = (deriving, decl) {
            out.push(renamed.take().unwrap_or_else(|| ident(decl)));
        }
        (deriving, renamed) = (false, None);
    }
    out
}

#[tokio::test]
async fn message_bodies_are_described_as_they_are_read() {
    let h = harness().await;
    let doc = document(&h).await;
    let body_of = |path: &str| -> Value {
        let r = doc["paths"][path]["post"]["requestBody"]["content"]["application/json"]["schema"]
            ["$ref"]
            .as_str()
            .unwrap_or_else(|| panic!("{path} has no body $ref"))
            .rsplit('/')
            .next()
            .unwrap()
            .to_string();
        doc["components"]["schemas"][&r].clone()
    };
    let one_off = body_of("/api/v1/messages");
    for field in ["channel", "to", "subject", "body"] {
        assert!(
            one_off["properties"][field].is_object(),
            "POST /api/v1/messages lacks {field}: {one_off}"
        );
    }
    let reply = body_of("/api/v1/tickets/{id}/messages");
    assert!(reply["properties"]["kind"].is_object(), "{reply}");
    assert!(reply["properties"]["channel"].is_null(), "{reply}");
}

/// The GET operations that take the query parameter `name`: (path, the parameter).
/// GET operations declaring the query parameter `name`. Lists under a resource
/// (`/departures/{id}/waitlist`) are left out: their path names a record these generic
/// probes do not have; their own tests check their bounds (`tests/waitlist.rs`). The path
/// comes with the operation's required query parameters set to their documented examples
/// (`/search?q=…`) and ends in `?` or `&`, ready for the probed parameter.
fn get_operations_with(doc: &Value, name: &str) -> Vec<(String, Value)> {
    doc["paths"]
        .as_object()
        .unwrap()
        .iter()
        .filter(|(path, _)| !path.contains('{'))
        .filter_map(|(path, item)| {
            let params = item["get"]["parameters"].as_array()?;
            let p = params.iter().find(|p| p["name"] == name)?;
            let mut query = form_urlencoded::Serializer::new(String::new());
            for required in params
                .iter()
                .filter(|r| r["in"] == "query" && r["required"] == json!(true))
            {
                let example = required["example"]
                    .as_str()
                    .or_else(|| required["schema"]["example"].as_str())
                    .unwrap_or_else(|| {
                        panic!("{path}: required {} has no example", required["name"])
                    });
                query.append_pair(required["name"].as_str().unwrap(), example);
            }
            let query = query.finish();
            let path = if query.is_empty() {
                format!("{path}?")
            } else {
                format!("{path}?{query}&")
            };
            Some((path, p.clone()))
        })
        .collect()
}

/// Every list operation declares `offset` as int32 from 0; a value beyond is refused with 400
/// naming it — on every operation that has one, found from the document itself.
#[tokio::test]
async fn list_offsets_beyond_the_declared_bound_are_refused() {
    let h = harness().await;
    let doc = document(&h).await;
    let token = h.token("admin").await;
    let lists = get_operations_with(&doc, "offset");
    for (path, offset) in &lists {
        assert_eq!(offset["schema"]["maximum"], json!(2147483647), "{path}");
        let r = h.get(&format!("{path}offset=2147483648"), &token).await;
        assert_problem(&r, StatusCode::BAD_REQUEST, "bad_query");
        assert_eq!(field_of(&r), "offset", "{path}: {}", r.text);
        let r = h.get(&format!("{path}offset=2147483647"), &token).await;
        assert_eq!(r.status, StatusCode::OK, "{path}: {}", r.text);
    }
    assert!(
        lists.len() >= 5,
        "only {} lists have an offset",
        lists.len()
    );
}

#[tokio::test]
async fn an_inbox_page_past_the_end_reports_the_true_total() {
    let h = harness().await;
    let agent = h.token("li.na").await;
    for i in 0..3 {
        let r = h
            .json(
                Method::POST,
                "/api/v1/tickets",
                Some(&agent),
                json!({"kind": "inquiry", "channel": "phone", "subject": format!("咨询行程 {i}"),
                       "description": "想了解行程安排", "customer": {"name": "张伟", "phone": "13912345678"}}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    }
    let first = h.get("/api/v1/desk/inbox?queue=all", &agent).await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.text);
    let total = first.body["total"].as_u64().unwrap();
    assert!(total >= 3, "{}", first.text);
    for uri in [
        "/api/v1/desk/inbox?queue=all&offset=500",
        "/api/v1/desk/inbox?queue=all&offset=1&limit=1",
        "/api/v1/desk/inbox?queue=all&offset=2&limit=5",
    ] {
        let r = h.get(uri, &agent).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        assert_eq!(r.body["total"].as_u64(), Some(total), "{uri}: {}", r.text);
    }
}

/// Every list's `limit` is refused outside the bounds the document declares for it, and its
/// maximum is accepted — on every operation that has one, found from the document itself.
#[tokio::test]
async fn list_limits_are_the_declared_ones() {
    let h = harness().await;
    let doc = document(&h).await;
    let token = h.token("admin").await;
    let lists = get_operations_with(&doc, "limit");
    for (path, limit) in &lists {
        let min = limit["schema"]["minimum"].as_u64().expect(path);
        let max = limit["schema"]["maximum"].as_u64().expect(path);
        assert_eq!(min, 1, "{path}");
        for bad in [min - 1, max + 1] {
            let r = h.get(&format!("{path}limit={bad}"), &token).await;
            assert_eq!(
                r.status,
                StatusCode::BAD_REQUEST,
                "{path}?limit={bad}: {}",
                r.text
            );
            assert_eq!(field_of(&r), "limit", "{path}: {}", r.text);
        }
        let r = h.get(&format!("{path}limit={max}"), &token).await;
        assert_eq!(r.status, StatusCode::OK, "{path}?limit={max}: {}", r.text);
    }
    assert!(lists.len() >= 7, "only {} lists have a limit", lists.len());
}

/// The inbox's `state` filter is declared as the workflow's states, all of them.
#[tokio::test]
async fn the_inbox_state_filter_lists_every_workflow_state() {
    let h = harness().await;
    let doc = document(&h).await;
    let params = doc["paths"]["/api/v1/desk/inbox"]["get"]["parameters"]
        .as_array()
        .unwrap();
    let state = params.iter().find(|p| p["name"] == "state").unwrap();
    let pattern = state["schema"]["pattern"].as_str().unwrap();
    let listed: BTreeSet<&str> = pattern
        .trim_start_matches("^(")
        .trim_end_matches(")$")
        .split('|')
        .collect();
    let all: BTreeSet<&str> = tripdesk_domain::desk::State::ALL
        .iter()
        .map(|s| s.as_str())
        .collect();
    assert_eq!(listed, all);
}

/// The editor's preview checks a template as saving does: an empty subject is refused.
#[tokio::test]
async fn a_template_preview_is_checked_as_a_save_is() {
    let h = harness().await;
    let token = h.token("admin").await;
    let r = h
        .api(
            Method::POST,
            "/api/v1/template-preview",
            &token,
            json!({"template": {"key": "booking.confirmed", "locale": "zh-CN", "subject": "",
                   "body_text": "您好 {{ name }}"}, "vars": {}}),
        )
        .await;
    assert_problem(&r, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    assert_eq!(field_of(&r), "subject", "{}", r.text);
}

/// The audit log's `from`/`to` are declared `date-time`: a blank or padded value is refused, not
/// read as "no bound".
#[tokio::test]
async fn audit_bounds_are_instants_or_absent() {
    let h = harness().await;
    let token = h.token("admin").await;
    for bad in [
        "to=",
        "from=",
        "to=%202026-01-01T00:00:00Z",
        "from=2026-01-01",
    ] {
        let r = h.get(&format!("/api/v1/audit?{bad}"), &token).await;
        assert_problem(&r, StatusCode::BAD_REQUEST, "bad_query");
    }
    let r = h
        .get(
            "/api/v1/audit?from=2026-01-01T00:00:00%2B08:00&to=2030-01-01T00:00:00Z",
            &token,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
}

/// The names a schema of the document allows: a component's `enum`, or the inline `enum` of
/// a parameter given as `path:method:parameter`.
fn enum_names(doc: &Value, at: &str) -> BTreeSet<String> {
    let schema = match at.split(':').collect::<Vec<_>>()[..] {
        [path, method, param] => doc["paths"][path][method]["parameters"]
            .as_array()
            .unwrap_or_else(|| panic!("{path} {method} has no parameters"))
            .iter()
            .find(|p| p["name"] == param)
            .unwrap_or_else(|| panic!("{path} {method} has no parameter {param}"))["schema"]
            .clone(),
        _ => doc["components"]["schemas"][at].clone(),
    };
    // `Option<T>` parameters are `oneOf: [null, T]` or `type: [T, null]`; take the enum.
    let list = schema["enum"]
        .as_array()
        .or_else(|| {
            schema["oneOf"]
                .as_array()
                .and_then(|o| o.iter().find_map(|s| s["enum"].as_array()))
        })
        .unwrap_or_else(|| panic!("{at} is not an enum: {schema}"));
    list.iter()
        .filter_map(|v| v.as_str().map(str::to_string))
        .collect()
}

/// Each enum the API takes or shows is the domain's (or the use case's) own type, so the
/// document lists exactly its variants under today's wire names: a variant added to the
/// type (and to its `ALL`) reaches the document, and one missing from `ALL` fails here.
#[tokio::test]
async fn every_variant_of_each_domain_enum_is_in_the_document() {
    use serde::de::DeserializeOwned;
    use std::fmt::Debug;
    fn check<T: DeserializeOwned + PartialEq + Debug>(doc: &Value, at: &str, all: &[T]) {
        let names = enum_names(doc, at);
        let parsed: Vec<T> = names
            .iter()
            .map(|n| {
                serde_json::from_value(json!(n))
                    .unwrap_or_else(|e| panic!("{at}: `{n}` is not a variant: {e}"))
            })
            .collect();
        assert_eq!(parsed.len(), all.len(), "{at}: {names:?} against {all:?}");
        for v in all {
            assert!(parsed.contains(v), "{at} lacks {v:?}: {names:?}");
        }
    }
    use tripdesk_app::bookings::matching::OfferKind;
    use tripdesk_app::desk_replies::MessageKind;
    use tripdesk_app::sla::ClockAction;
    use tripdesk_domain::calendar::CalendarMode;
    use tripdesk_domain::catalog::{Diet, ScoreKind, Tag};
    use tripdesk_domain::desk::{Channel, Level, Step, TicketKind};
    use tripdesk_domain::identity::Role;
    use tripdesk_domain::sla::ClockKind;
    use tripdesk_store::MessageState;

    let h = harness().await;
    let doc = document(&h).await;
    check(&doc, "TicketKindName", &TicketKind::ALL);
    check(&doc, "TicketChannelName", &Channel::ALL);
    check(&doc, "TicketLevelName", &Level::ALL);
    check(&doc, "TicketStepName", &Step::ALL);
    check(&doc, "RoleName", &Role::ALL);
    check(&doc, "KindName", &ClockKind::ALL);
    check(&doc, "ModeName", &CalendarMode::ALL);
    check(&doc, "StateName", &MessageState::ALL);
    check(&doc, "MessageKindName", &MessageKind::ALL);
    check(&doc, "OfferKindName", &OfferKind::ALL);
    check(&doc, "ScoreKindName", &ScoreKind::ALL);
    check(&doc, "ProductTagName", &Tag::ALL);
    check(&doc, "DietName", &Diet::ALL);
    {
        use tripdesk_domain::bookings::refund::LodgingPresetKind;
        use tripdesk_domain::bookings::{LodgingCharge, TripScope};
        check(&doc, "LodgingPresetName", &LodgingPresetKind::ALL);
        check(&doc, "LodgingChargeName", &LodgingCharge::ALL);
        check(&doc, "TripScopeName", &TripScope::ALL);
    }
    {
        use tripdesk_domain::emergency::{RemedyChoice, RemedyState, RemedyVia};
        check(&doc, "RemedyChoiceName", &RemedyChoice::ALL);
        check(&doc, "RemedyStateName", &RemedyState::ALL);
        check(&doc, "RemedyViaName", &RemedyVia::ALL);
    }
    check(
        &doc,
        "/api/v1/sla/clocks/{id}/{action}:post:action",
        &ClockAction::ALL,
    );
    // The inbox's queues are the use case's names (no enum of their own): everyone's and the
    // desk's role queues.
    let queues = enum_names(&doc, "/api/v1/desk/inbox:get:queue");
    let want: BTreeSet<String> = tripdesk_app::desk_board::QUEUES
        .iter()
        .map(|q| q.to_string())
        .chain(
            tripdesk_app::role_queues::ROLE_QUEUES
                .iter()
                .filter(|q| q.capability == "desk")
                .map(|q| q.key.to_string()),
        )
        .collect();
    assert_eq!(queues, want);
}
