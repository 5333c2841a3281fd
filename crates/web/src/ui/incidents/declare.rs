//! The declaration form of `/incidents`: kind, level (with the thresholds of the rules shown
//! beside each), title, description, weather warning, drill, and the scope — places by name,
//! properties, packages and departures chosen from the catalog, and the days it covers. A
//! refused form comes back as typed with each message beside its field, in the page's
//! language.

use crate::i18n::Tr;
use crate::ui::session::FormData;
use crate::ui::FormState;
use crate::AppState;
use jiff::civil::Date;
use jiff::ToSpan;
use std::collections::HashMap;
use tripdesk_app::emergency::DeclareIncident;
use tripdesk_app::{FieldError, Principal};
use tripdesk_domain::emergency::{
    IncidentKind, IncidentLevel, Scope, WarningColour, DEFAULT_NO_ANSWER_MINUTES,
};
use tripdesk_store::DepartureFilter;
use uuid::Uuid;

/// One choice of the form: its value, its label and, for a level, its guidance.
pub(super) struct Choice {
    pub value: String,
    pub label: String,
    pub note: String,
}

/// What the form offers to choose from.
pub(super) struct Choices {
    pub kinds: Vec<Choice>,
    pub levels: Vec<Choice>,
    pub colours: Vec<Choice>,
    pub properties: Vec<Choice>,
    pub packages: Vec<Choice>,
    pub departures: Vec<Choice>,
}

/// How many days before today a departure may have left and still be offered (a trip on
/// the road); and after today.
const DEPARTED_DAYS: i64 = 20;
const AHEAD_DAYS: i64 = 62;

fn choice(value: &str, label: impl Into<String>) -> Choice {
    Choice {
        value: value.into(),
        label: label.into(),
        note: String::new(),
    }
}

impl Choices {
    /// The choices for this user: the catalog is read as they may see it (a user who may not
    /// see the catalog still names places).
    pub async fn read(state: &AppState, t: Tr, p: &Principal) -> Self {
        let app = &state.app;
        let properties = app
            .list_properties(p, 100, 0)
            .await
            .map(|pg| pg.items)
            .unwrap_or_default();
        let packages = app
            .list_packages(p, true, 200, 0)
            .await
            .map(|pg| pg.items)
            .unwrap_or_default();
        let today = app.today();
        let departures = app
            .list_departures(
                p,
                DepartureFilter {
                    from: today.checked_sub(DEPARTED_DAYS.days()).ok(),
                    until: today.checked_add(AHEAD_DAYS.days()).ok(),
                    limit: 200,
                    ..Default::default()
                },
            )
            .await
            .map(|pg| pg.items)
            .unwrap_or_default();
        let names: HashMap<Uuid, &str> = packages
            .iter()
            .map(|r| (r.package.id, r.package.name.as_str()))
            .collect();
        Choices {
            kinds: IncidentKind::ALL
                .iter()
                .map(|k| choice(k.as_str(), t.s(&format!("incidents.kind.{}", k.as_str()))))
                .collect(),
            levels: IncidentLevel::ALL
                .iter()
                .map(|l| Choice {
                    value: l.as_str().into(),
                    label: t.s(&format!("incidents.level.{}", l.as_str())).into(),
                    note: t.s(&format!("incidents.guidance.{}", l.as_str())).into(),
                })
                .collect(),
            colours: WarningColour::ALL
                .iter()
                .map(|c| choice(c.as_str(), t.s(&format!("incidents.colour.{}", c.as_str()))))
                .collect(),
            properties: properties
                .iter()
                .map(|x| Choice {
                    value: x.id.to_string(),
                    label: x.name.clone(),
                    note: x.address.clone(),
                })
                .collect(),
            packages: packages
                .iter()
                .map(|r| Choice {
                    value: r.package.id.to_string(),
                    label: r.package.name.clone(),
                    note: r.package.destination.clone(),
                })
                .collect(),
            departures: departures
                .iter()
                .map(|d| {
                    let name = names
                        .get(&d.departure.package_id)
                        .copied()
                        .unwrap_or_default();
                    choice(
                        &d.departure.id.to_string(),
                        format!("{} {name}", d.departure.date),
                    )
                })
                .collect(),
        }
    }
}

/// The form's starting values: a natural disaster of level 较大 over the next three days,
/// escalating those who do not answer after the default minutes.
pub(super) fn defaults(state: &AppState) -> FormState {
    let today = state.app.today();
    let to = today.checked_add(2.days()).unwrap_or(today).to_string();
    FormState::with_defaults(&[
        ("kind", IncidentKind::NaturalDisaster.as_str()),
        ("level", IncidentLevel::Large.as_str()),
        ("scope_from", &today.to_string()),
        ("scope_to", &to),
        ("no_answer_minutes", &DEFAULT_NO_ANSWER_MINUTES.to_string()),
    ])
}

/// The labels the form shows, for its error messages.
const LABELS: &[(&str, &str)] = &[
    ("kind", "incidents.kind"),
    ("level", "incidents.level"),
    ("title", "incidents.form.title"),
    ("description", "incidents.form.description"),
    ("warning_colour", "incidents.form.colour"),
    ("scope", "incidents.form.scope"),
    ("scope.regions", "incidents.form.regions"),
    ("scope.property_ids", "incidents.form.properties"),
    ("scope.package_ids", "incidents.form.packages"),
    ("scope.departure_ids", "incidents.form.departures"),
    ("scope.from", "incidents.form.from"),
    ("scope.to", "incidents.form.to"),
    ("no_answer_minutes", "incidents.form.minutes"),
    ("ticket_id", "incidents.form.ticket"),
];

/// The form as typed with the errors beside their fields.
pub(super) fn refused(t: Tr, form: &FormData, fields: &[FieldError]) -> FormState {
    super::form_refused(t, form, fields, LABELS)
}

/// Place names as typed: separated by 、，, ; or spaces.
fn regions(text: &str) -> Vec<String> {
    text.split(|c: char| c.is_whitespace() || ",，、;；".contains(c))
        .filter(|w| !w.is_empty())
        .map(str::to_string)
        .collect()
}

fn ids(form: &FormData, name: &str, field: &str, errors: &mut Vec<FieldError>) -> Vec<Uuid> {
    let mut out = Vec::new();
    for v in form.all(name) {
        match Uuid::parse_str(v.trim()) {
            Ok(id) => out.push(id),
            Err(_) => {
                errors.push(FieldError::new(
                    field,
                    "invalid",
                    format!("{field} holds an unknown id"),
                ));
                break;
            }
        }
    }
    out
}

/// Reads the posted form into a declaration; what the page itself cannot read (a date, a
/// number, a choice not offered) comes back as field errors.
pub(super) fn read(form: &FormData) -> Result<DeclareIncident, Vec<FieldError>> {
    let mut errors = Vec::new();
    let kind = IncidentKind::parse(form.get("kind"));
    if kind.is_none() {
        errors.push(FieldError::new("kind", "required", "choose a kind"));
    }
    let level = IncidentLevel::parse(form.get("level"));
    if level.is_none() {
        errors.push(FieldError::new("level", "required", "choose a level"));
    }
    let warning_colour = match form.get("warning_colour") {
        "" => None,
        c => match WarningColour::parse(c) {
            Some(c) => Some(c),
            None => {
                errors.push(FieldError::new(
                    "warning_colour",
                    "invalid",
                    "no such colour",
                ));
                None
            }
        },
    };
    let mut date = |name: &str, field: &str| -> Option<Date> {
        let v = form.get(name).trim();
        let parsed = v.parse::<Date>().ok();
        if parsed.is_none() {
            let code = if v.is_empty() { "required" } else { "invalid" };
            errors.push(FieldError::new(field, code, format!("{field} is a date")));
        }
        parsed
    };
    let (from, to) = (
        date("scope_from", "scope.from"),
        date("scope_to", "scope.to"),
    );
    let no_answer_minutes = match form.get("no_answer_minutes").trim() {
        "" => None,
        v => match v.parse::<i64>() {
            Ok(n) => Some(n),
            Err(_) => {
                errors.push(FieldError::new(
                    "no_answer_minutes",
                    "invalid",
                    "no_answer_minutes is a whole number",
                ));
                None
            }
        },
    };
    let property_ids = ids(form, "property_ids", "scope.property_ids", &mut errors);
    let package_ids = ids(form, "package_ids", "scope.package_ids", &mut errors);
    let departure_ids = ids(form, "departure_ids", "scope.departure_ids", &mut errors);
    match (kind, level, from, to) {
        (Some(kind), Some(level), Some(from), Some(to)) if errors.is_empty() => {
            Ok(DeclareIncident {
                kind,
                level,
                title: form.get("title").into(),
                description: form.get("description").into(),
                warning_colour,
                scope: Scope {
                    regions: regions(form.get("scope_regions")),
                    property_ids,
                    package_ids,
                    departure_ids,
                    from,
                    to,
                },
                drill: form.get("drill") == "1",
                no_answer_minutes,
                ticket_id: None,
            })
        }
        _ => Err(errors),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::Lang;
    use axum::body::Bytes;

    #[test]
    fn the_levels_guidance_is_the_rules_text() {
        for l in IncidentLevel::ALL {
            let key = format!("incidents.guidance.{}", l.as_str());
            assert_eq!(Tr(Lang::ZhCn).s(&key), l.guidance_zh(), "{key}");
        }
    }

    #[test]
    fn places_are_split_as_people_type_them() {
        assert_eq!(
            regions("三亚、陵水， 万宁;海口 "),
            ["三亚", "陵水", "万宁", "海口"]
        );
        assert!(regions("  ").is_empty());
    }

    #[test]
    fn a_form_the_page_cannot_read_names_its_fields() {
        let form = FormData::parse(&Bytes::from_static(
            b"kind=flood&level=large&scope_from=2027-09-01&scope_to=soon&no_answer_minutes=x",
        ))
        .unwrap();
        let errors = read(&form).unwrap_err();
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["kind", "scope.to", "no_answer_minutes"]);
        let f = refused(Tr(Lang::ZhCn), &form, &errors);
        assert_eq!(f.get("scope_to"), "soon", "kept as typed");
        assert_eq!(f.error_of("kind"), Some("请填写类型。"));
        let window = FieldError::new("scope.to", "too_long", "the window is longer than 62 days");
        let f = refused(Tr(Lang::ZhCn), &form, std::slice::from_ref(&window));
        assert_eq!(f.error_of("scope.to"), Some("时间范围最长 62 天，请缩短。"));
        let f = refused(Tr(Lang::En), &form, &[window]);
        assert_eq!(
            f.error_of("scope.to"),
            Some("The window may span at most 62 days.")
        );
    }
}
