//! SLA compliance figures: met, breached and running clocks per policy and period.

use super::*;

impl App {
    /// Compliance per target (and breakdown value) for clocks started in the period.
    pub async fn sla_compliance(
        &self,
        principal: &Principal,
        q: &ComplianceQuery,
    ) -> Result<Vec<ComplianceRow>, AppError> {
        principal.require(Permission::ViewReports)?;
        if q.to <= q.from {
            return Err(AppError::field("to", "reversed", "to must be after from"));
        }
        let longest = SignedDuration::from_hours(24 * 366 * i64::from(MAX_RANGE_YEARS));
        if q.to.duration_since(q.from) > longest {
            return Err(AppError::field(
                "to",
                "calendar.range_too_long",
                format!("the period must not be longer than {MAX_RANGE_YEARS} years"),
            ));
        }
        let now = self.now();
        let mut tx = self.store.read().await?;
        let policies = tx.list_sla_policies().await?;
        let clocks = tx
            .list_sla_clocks(&SlaClockFilter {
                target_key: q.target_key.clone(),
                started_from: Some(q.from),
                started_before: Some(q.to),
                ..Default::default()
            })
            .await?;
        let mut calendars: HashMap<String, Arc<Calendar>> = HashMap::new();
        let mut groups: BTreeMap<(String, Option<String>), Vec<_>> = BTreeMap::new();
        for rec in &clocks {
            let name = rec.clock.calendar();
            let cal = match calendars.get(name) {
                Some(c) => c.clone(),
                None => {
                    let c = self.load_calendar(&mut *tx, name).await?;
                    calendars.insert(name.to_string(), c.clone());
                    c
                }
            };
            if rec.clock.state() == ClockState::Cancelled {
                // Cancelled clocks count nowhere (and make no group of their own).
                continue;
            }
            let sample = rec
                .clock
                .compliance_sample(now, &cal)
                .map_err(|e| sla_error("from", e))?;
            let group = match q.by {
                None => None,
                Some(Breakdown::Channel) => rec.channel.clone(),
                Some(Breakdown::Department) => rec.department_id.map(|d| d.to_string()),
                Some(Breakdown::Agent) => rec.agent_id.map(|a| a.to_string()),
            };
            groups
                .entry((rec.clock.target_key().to_string(), group))
                .or_default()
                .push(sample);
        }
        let mut rows = Vec::new();
        // Every policy appears (with zeros) when there is no breakdown; then any target that
        // only old clocks still use.
        if q.by.is_none() {
            for p in &policies {
                if q.target_key.as_deref().is_some_and(|k| k != p.target.key) {
                    continue;
                }
                groups.entry((p.target.key.to_string(), None)).or_default();
            }
        }
        for ((key, group), samples) in groups {
            let policy = policies.iter().find(|p| p.target.key == key);
            let kind = policy.map(|p| p.target.kind).or_else(|| {
                clocks
                    .iter()
                    .find(|c| c.clock.target_key() == key)
                    .map(|c| c.clock.kind())
            });
            rows.push(ComplianceRow {
                name_zh: policy.map_or_else(|| key.clone(), |p| p.target.name_zh.to_string()),
                name_en: policy.map_or_else(|| key.clone(), |p| p.target.name_en.to_string()),
                kind: kind.unwrap_or(ClockKind::CalendarHours),
                target_key: key,
                group,
                figures: compliance(&samples),
            });
        }
        // Built-in targets in the brief's order, then the rest by key.
        let rank = |k: &str| {
            DEFAULT_TARGETS
                .iter()
                .position(|t| t.key == k)
                .unwrap_or(usize::MAX)
        };
        rows.sort_by(|a, b| {
            (rank(&a.target_key), &a.target_key, &a.group).cmp(&(
                rank(&b.target_key),
                &b.target_key,
                &b.group,
            ))
        });
        Ok(rows)
    }
}
