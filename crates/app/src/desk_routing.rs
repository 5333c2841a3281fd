//! Routing rules: which handling group a ticket belongs to, from its business area, keywords
//! and channel. Rules are stored and edited by supervisors and administrators (`manage_desk`);
//! matching is `tripdesk_domain::desk::route`.
//!
//! **Choice at intake:** inquiries and feedback have no triage step in the workflow, so they
//! get the routed group at once (they show up in that group's queue). Complaints must be
//! triaged before they are assigned (the state machine); for them the routed group is only a
//! suggestion, shown on the ticket and pre-filled in the assign form.

use crate::ttl_cache::CONFIG_CACHE_TTL;
use crate::{App, AppError, FieldError, Principal};
use serde_json::json;
use std::sync::Arc;
use tripdesk_domain::audit::AuditAction;
use tripdesk_domain::desk::{route, Channel, RoutingRule, TicketFacts};
use tripdesk_domain::identity::Permission;
use tripdesk_store::{RoutingRuleRecord, Ticket, Tx};
use uuid::Uuid;

/// A routing rule as submitted.
#[derive(Debug, Clone, Default)]
pub struct RuleInput {
    pub name: String,
    pub priority: i32,
    pub business_area: Option<String>,
    pub keywords: Vec<String>,
    pub channel: Option<Channel>,
    pub group_id: Option<Uuid>,
    pub enabled: bool,
}

/// The group routing suggests for a ticket, and the rule that said so.
#[derive(Debug, Clone, PartialEq)]
pub struct RoutedGroup {
    pub group_id: Uuid,
    pub rule_id: Uuid,
    pub rule_name: String,
}

/// A demo rule: name, priority, business area, keywords, group code.
type DemoRule = (
    &'static str,
    i32,
    Option<&'static str>,
    &'static [&'static str],
    &'static str,
);

/// Business areas the intake form offers (free text is accepted too).
pub const BUSINESS_AREAS: [&str; 6] = [
    "route",
    "guide",
    "logistics",
    "housekeeping",
    "food_beverage",
    "booking",
];

fn clean_keywords(keywords: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for k in keywords
        .iter()
        .flat_map(|k| k.split([',', '，', '\n']))
        .map(str::trim)
        .filter(|k| !k.is_empty())
    {
        if !out.iter().any(|o| o.eq_ignore_ascii_case(k)) {
            out.push(k.to_string());
        }
    }
    out
}

/// Picks the first enabled matching rule.
pub fn match_rules(rules: &[RoutingRuleRecord], ticket: &Ticket) -> Option<RoutedGroup> {
    let enabled: Vec<&RoutingRuleRecord> = rules.iter().filter(|r| r.enabled).collect();
    let domain: Vec<RoutingRule> = enabled
        .iter()
        .map(|r| RoutingRule {
            priority: r.priority,
            business_area: r.business_area.clone(),
            keywords: r.keywords.clone(),
            channel: r.channel,
            // The rule's id stands in for the group code: the winner is found back by it.
            group_code: r.id.to_string(),
        })
        .collect();
    let facts = TicketFacts {
        business_area: ticket.business_area.as_deref(),
        channel: ticket.channel,
        subject: &ticket.subject,
        description: &ticket.description,
    };
    let winner = route(&domain, &facts)?;
    enabled
        .into_iter()
        .find(|r| r.id.to_string() == winner)
        .map(|r| RoutedGroup {
            group_id: r.group_id,
            rule_id: r.id,
            rule_name: r.name.clone(),
        })
}

impl App {
    /// The group the stored rules route `ticket` to, read in the caller's transaction.
    pub async fn route_ticket(
        &self,
        tx: &mut dyn Tx,
        ticket: &Ticket,
    ) -> Result<Option<RoutedGroup>, AppError> {
        let rules = self.routing_rules(tx).await?;
        Ok(match_rules(&rules, ticket))
    }

    /// The stored rules, reused for [`CONFIG_CACHE_TTL`] (every intake routes).
    async fn routing_rules(
        &self,
        tx: &mut dyn Tx,
    ) -> Result<Arc<Vec<RoutingRuleRecord>>, AppError> {
        let cache = &self.config.routing_rules;
        let now = self.now();
        if let Some(rules) = cache.get(&(), now) {
            return Ok(rules);
        }
        let generation = cache.generation();
        let rules = Arc::new(tx.list_routing_rules().await?);
        cache.put((), rules.clone(), generation, now + CONFIG_CACHE_TTL);
        Ok(rules)
    }

    /// The group routing suggests for a stored ticket (shown on the ticket, pre-filled in the
    /// assign form).
    pub async fn suggested_group(
        &self,
        p: &Principal,
        ticket_id: Uuid,
    ) -> Result<Option<RoutedGroup>, AppError> {
        p.require(Permission::ViewDesk)?;
        let mut tx = self.store.read().await?;
        let ticket = self.ticket_for(&mut *tx, p, ticket_id).await?;
        self.route_ticket(&mut *tx, &ticket).await
    }

    pub async fn list_routing_rules(
        &self,
        p: &Principal,
    ) -> Result<Vec<RoutingRuleRecord>, AppError> {
        p.require(Permission::ViewDesk)?;
        let mut tx = self.store.read().await?;
        Ok(tx.list_routing_rules().await?)
    }

    pub async fn get_routing_rule(
        &self,
        p: &Principal,
        id: Uuid,
    ) -> Result<RoutingRuleRecord, AppError> {
        p.require(Permission::ViewDesk)?;
        let mut tx = self.store.read().await?;
        tx.get_routing_rule(id)
            .await?
            .ok_or(AppError::NotFound("routing rule"))
    }

    async fn checked_rule(
        &self,
        tx: &mut dyn Tx,
        input: RuleInput,
    ) -> Result<(RuleInput, Uuid), AppError> {
        let mut fields = Vec::new();
        let name = crate::check_text(&mut fields, "name", &input.name, 80, crate::Lines::One);
        if !(0..=9999).contains(&input.priority) {
            fields.push(FieldError::new(
                "priority",
                "range",
                "priority must be between 0 and 9999",
            ));
        }
        let area = input
            .business_area
            .as_deref()
            .map(str::trim)
            .filter(|a| !a.is_empty())
            .map(str::to_string);
        if area.as_ref().is_some_and(|a| {
            a.chars().count() > 40
                || !a
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        }) {
            fields.push(FieldError::new(
                "business_area",
                "invalid",
                "business area must be up to 40 characters of a-z, 0-9 and _",
            ));
        }
        let keywords = clean_keywords(&input.keywords);
        if keywords.len() > 30
            || keywords
                .iter()
                .any(|k| tripdesk_domain::text::single_line(k, 30).is_err())
        {
            fields.push(FieldError::new(
                "keywords",
                "invalid",
                "at most 30 keywords of at most 30 characters each",
            ));
        }
        let group = match input.group_id {
            None => {
                fields.push(FieldError::new(
                    "group_id",
                    "required",
                    "choose the handling group",
                ));
                Uuid::nil()
            }
            Some(g) => {
                if tx.get_department(g).await?.is_none() {
                    fields.push(FieldError::new(
                        "group_id",
                        "unknown",
                        "no department has this id",
                    ));
                }
                g
            }
        };
        if !fields.is_empty() {
            return Err(AppError::Validation(fields));
        }
        Ok((
            RuleInput {
                name,
                business_area: area,
                keywords,
                ..input
            },
            group,
        ))
    }

    pub async fn create_routing_rule(
        &self,
        p: &Principal,
        input: RuleInput,
    ) -> Result<RoutingRuleRecord, AppError> {
        p.require(Permission::ManageDesk)?;
        let now = self.now();
        let mut tx = self.store.write().await?;
        let (input, group_id) = self.checked_rule(&mut *tx, input).await?;
        let rule = RoutingRuleRecord {
            id: Uuid::now_v7(),
            name: input.name,
            priority: input.priority,
            business_area: input.business_area,
            keywords: input.keywords,
            channel: input.channel,
            group_id,
            enabled: input.enabled,
            created_at: now,
            updated_at: now,
        };
        tx.insert_routing_rule(&rule).await?;
        self.audit(
            &mut *tx,
            p,
            AuditAction::RoutingRuleCreate,
            "routing_rule",
            Some(rule.id.to_string()),
            json!({ "name": rule.name, "group_id": group_id, "priority": rule.priority }),
        )
        .await?;
        tx.commit().await?;
        self.config.invalidate();
        Ok(rule)
    }

    pub async fn update_routing_rule(
        &self,
        p: &Principal,
        id: Uuid,
        input: RuleInput,
    ) -> Result<RoutingRuleRecord, AppError> {
        p.require(Permission::ManageDesk)?;
        let now = self.now();
        let mut tx = self.store.write().await?;
        let old = tx
            .get_routing_rule(id)
            .await?
            .ok_or(AppError::NotFound("routing rule"))?;
        let (input, group_id) = self.checked_rule(&mut *tx, input).await?;
        let rule = RoutingRuleRecord {
            id,
            name: input.name,
            priority: input.priority,
            business_area: input.business_area,
            keywords: input.keywords,
            channel: input.channel,
            group_id,
            enabled: input.enabled,
            created_at: old.created_at,
            updated_at: now,
        };
        if !tx.update_routing_rule(&rule).await? {
            return Err(AppError::NotFound("routing rule"));
        }
        self.audit(
            &mut *tx,
            p,
            AuditAction::RoutingRuleUpdate,
            "routing_rule",
            Some(id.to_string()),
            json!({ "name": rule.name, "group_id": group_id, "priority": rule.priority, "enabled": rule.enabled }),
        )
        .await?;
        tx.commit().await?;
        self.config.invalidate();
        Ok(rule)
    }

    pub async fn delete_routing_rule(&self, p: &Principal, id: Uuid) -> Result<(), AppError> {
        p.require(Permission::ManageDesk)?;
        let mut tx = self.store.write().await?;
        if !tx.delete_routing_rule(id).await? {
            return Err(AppError::NotFound("routing rule"));
        }
        self.audit(
            &mut *tx,
            p,
            AuditAction::RoutingRuleDelete,
            "routing_rule",
            Some(id.to_string()),
            json!({}),
        )
        .await?;
        tx.commit().await?;
        self.config.invalidate();
        Ok(())
    }

    /// The demo organisation's rules: business areas to their groups, keywords as a safety
    /// net, and a catch-all to customer service. Added only when there are none.
    pub(crate) async fn seed_demo_routing_rules(
        &self,
        departments: &[(&str, Uuid)],
    ) -> Result<(), AppError> {
        let group = |code: &str| {
            departments
                .iter()
                .find(|(c, _)| *c == code)
                .map(|(_, id)| *id)
        };
        let rules: [DemoRule; 10] = [
            ("线路与行程", 10, Some("route"), &[], "route_planning"),
            ("导游服务", 10, Some("guide"), &[], "guide_management"),
            ("交通与后勤", 10, Some("logistics"), &[], "logistics"),
            ("客房", 10, Some("housekeeping"), &[], "housekeeping"),
            ("餐饮", 10, Some("food_beverage"), &[], "food_beverage"),
            (
                "关键词：导游",
                50,
                None,
                &["导游", "领队", "guide"],
                "guide_management",
            ),
            (
                "关键词：行程",
                50,
                None,
                &["行程", "线路", "景点", "itinerary"],
                "route_planning",
            ),
            (
                "关键词：车辆与住宿",
                50,
                None,
                &["大巴", "车辆", "司机", "酒店", "bus", "hotel"],
                "logistics",
            ),
            (
                "关键词：餐饮",
                50,
                None,
                &["早餐", "餐厅", "饭菜", "breakfast"],
                "food_beverage",
            ),
            ("其他：客服部", 900, None, &[], "customer_service"),
        ];
        let now = self.now();
        let mut tx = self.store.write().await?;
        if !tx.list_routing_rules().await?.is_empty() {
            return Ok(());
        }
        for (i, (name, priority, area, keywords, code)) in rules.into_iter().enumerate() {
            let Some(group_id) = group(code) else {
                continue;
            };
            tx.insert_routing_rule(&RoutingRuleRecord {
                id: Uuid::now_v7(),
                name: name.into(),
                priority,
                business_area: area.map(str::to_string),
                keywords: keywords.iter().map(|k| k.to_string()).collect(),
                channel: None,
                group_id,
                enabled: true,
                // Distinct instants keep the listed order stable.
                created_at: now + jiff::SignedDuration::from_millis(i as i64),
                updated_at: now,
            })
            .await?;
        }
        tx.commit().await?;
        self.config.invalidate();
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keywords_are_split_trimmed_and_deduplicated() {
        assert_eq!(
            clean_keywords(&["导游, 领队，Guide".into(), "guide".into(), " ".into()]),
            ["导游", "领队", "Guide"]
        );
    }
}
