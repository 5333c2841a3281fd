//! Routing rules: business area, keywords and channel map a ticket to a handling group.

use super::Channel;
use serde::{Deserialize, Serialize};

/// What routing looks at.
#[derive(Debug, Clone)]
pub struct TicketFacts<'a> {
    pub business_area: Option<&'a str>,
    pub channel: Channel,
    pub subject: &'a str,
    pub description: &'a str,
}

/// One rule. Every condition present must hold; the first matching rule (lowest `priority`)
/// wins. A rule with no conditions is a catch-all.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoutingRule {
    pub priority: i32,
    /// e.g. `route`, `guide`, `logistics`, `housekeeping`, `food_beverage`.
    pub business_area: Option<String>,
    /// Any of these words in the subject or description (case-insensitive).
    pub keywords: Vec<String>,
    pub channel: Option<Channel>,
    /// Code of the handling group (department) to route to.
    pub group_code: String,
}

impl RoutingRule {
    fn matches(&self, t: &TicketFacts<'_>) -> bool {
        if let Some(area) = &self.business_area {
            if t.business_area != Some(area.as_str()) {
                return false;
            }
        }
        if let Some(channel) = self.channel {
            if t.channel != channel {
                return false;
            }
        }
        if !self.keywords.is_empty() {
            let text = format!("{} {}", t.subject, t.description).to_lowercase();
            if !self
                .keywords
                .iter()
                .any(|k| !k.trim().is_empty() && text.contains(&k.to_lowercase()))
            {
                return false;
            }
        }
        true
    }
}

/// The group code of the first matching rule, by priority then position.
pub fn route<'r>(rules: &'r [RoutingRule], ticket: &TicketFacts<'_>) -> Option<&'r str> {
    let mut ordered: Vec<(usize, &RoutingRule)> = rules.iter().enumerate().collect();
    ordered.sort_by_key(|(i, r)| (r.priority, *i));
    ordered
        .into_iter()
        .find(|(_, r)| r.matches(ticket))
        .map(|(_, r)| r.group_code.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(
        priority: i32,
        area: Option<&str>,
        keywords: &[&str],
        channel: Option<Channel>,
        group: &str,
    ) -> RoutingRule {
        RoutingRule {
            priority,
            business_area: area.map(str::to_string),
            keywords: keywords.iter().map(|k| k.to_string()).collect(),
            channel,
            group_code: group.into(),
        }
    }

    fn facts<'a>(area: Option<&'a str>, channel: Channel, subject: &'a str) -> TicketFacts<'a> {
        TicketFacts {
            business_area: area,
            channel,
            subject,
            description: "",
        }
    }

    #[test]
    fn first_matching_rule_by_priority_wins() {
        let rules = vec![
            rule(100, None, &[], None, "customer_service"),
            rule(10, Some("route"), &[], None, "route_planning"),
            rule(5, None, &["导游", "guide"], None, "guide_management"),
            rule(20, None, &["房间", "卫生"], None, "housekeeping"),
            rule(
                30,
                None,
                &["早餐", "餐厅"],
                Some(Channel::OnSite),
                "food_beverage",
            ),
        ];
        assert_eq!(
            route(&rules, &facts(Some("route"), Channel::Phone, "行程变更")),
            Some("route_planning")
        );
        assert_eq!(
            route(&rules, &facts(Some("route"), Channel::Phone, "导游态度差")),
            Some("guide_management")
        );
        assert_eq!(
            route(&rules, &facts(None, Channel::Email, "The GUIDE was late")),
            Some("guide_management")
        );
        assert_eq!(
            route(&rules, &facts(None, Channel::Chat, "房间有异味")),
            Some("housekeeping")
        );
        assert_eq!(
            route(&rules, &facts(None, Channel::OnSite, "早餐太咸")),
            Some("food_beverage")
        );
        assert_eq!(
            route(&rules, &facts(None, Channel::Phone, "早餐太咸")),
            Some("customer_service"),
            "channel must match"
        );
        assert_eq!(
            route(&rules[1..], &facts(None, Channel::Phone, "其他")),
            None
        );
    }

    #[test]
    fn blank_keywords_never_match_everything() {
        let rules = vec![rule(1, None, &[" "], None, "x")];
        assert_eq!(route(&rules, &facts(None, Channel::Phone, "任何")), None);
    }
}
