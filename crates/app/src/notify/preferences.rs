//! Who gets what: notification preferences and the outbox's per-channel rate limits.

use super::*;

impl App {
    pub async fn get_preference(
        &self,
        principal: &Principal,
        recipient_key: &str,
    ) -> Result<Option<Preference>, AppError> {
        Self::may_touch_preference(principal, recipient_key, false)?;
        let mut tx = self.store.read().await?;
        Ok(tx.get_preference(recipient_key).await?)
    }

    /// Who may read (`write == false`) or change a recipient's preferences: a staff
    /// member their own; another staff member's only an administrator (`manage_users`) —
    /// an agent must not silence a supervisor's SLA alerts; a customer's whoever may see
    /// (`view_customers`) or edit (`edit_customers`) customer records. A key of neither
    /// form is left to the validation that names it.
    pub(super) fn may_touch_preference(
        principal: &Principal,
        recipient_key: &str,
        write: bool,
    ) -> Result<(), AppError> {
        let (kind, id) = recipient_key.split_once(':').unwrap_or(("", ""));
        let Ok(id) = Uuid::parse_str(id) else {
            return Ok(());
        };
        match kind {
            "user" if id == principal.user_id && !id.is_nil() => Ok(()),
            "user" => principal.require(Permission::ManageUsers),
            "customer" if write => principal.require(Permission::EditCustomers),
            "customer" => principal.require(Permission::ViewCustomers),
            _ => Ok(()),
        }
    }

    /// Sets how a recipient wants to be reached (see [`Self::may_touch_preference`] for
    /// who may), audited in the same transaction.
    pub async fn set_preference(
        &self,
        principal: &Principal,
        mut pref: Preference,
    ) -> Result<Preference, AppError> {
        Self::may_touch_preference(principal, &pref.recipient_key, true)?;
        let mut fields = Vec::new();
        let key_ok = pref
            .recipient_key
            .split_once(':')
            .is_some_and(|(kind, id)| {
                matches!(kind, "user" | "customer") && Uuid::parse_str(id).is_ok()
            });
        if !key_ok {
            fields.push(FieldError::new(
                "recipient_key",
                "invalid",
                "recipient_key must be user:<id> or customer:<id>",
            ));
        }
        if let Some(c) = &pref.channel {
            if !CHANNELS.contains(&c.as_str()) || c == "webhook" {
                fields.push(FieldError::new(
                    "channel",
                    "unknown",
                    "channel must be email or in_app",
                ));
            }
        }
        if let Some(l) = &pref.locale {
            check_locale(l, &mut fields);
        }
        match (pref.quiet_start, pref.quiet_end) {
            (None, None) => {}
            (Some(s), Some(e)) if QuietHours::new(s, e).is_some() => {}
            _ => fields.push(FieldError::new(
                "quiet_start",
                "invalid",
                "quiet hours need both a start and an end, in minutes 0 to 1439",
            )),
        }
        if jiff::tz::TimeZone::get(&pref.timezone).is_err() {
            fields.push(FieldError::new(
                "timezone",
                "unknown",
                "timezone must be an IANA zone such as Asia/Shanghai",
            ));
        }
        fail_if_any(fields)?;
        pref.updated_at = self.now();
        let mut tx = self.store.write().await?;
        tx.upsert_preference(&pref).await?;
        // Names what is set, never a value that could identify a customer.
        let mut set = Vec::new();
        for (field, present) in [
            ("channel", pref.channel.is_some()),
            ("locale", pref.locale.is_some()),
            ("quiet_hours", pref.quiet_start.is_some()),
        ] {
            if present {
                set.push(field);
            }
        }
        set.push("timezone");
        self.audit(
            &mut *tx,
            principal,
            AuditAction::PreferenceSet,
            "preference",
            Some(pref.recipient_key.clone()),
            serde_json::json!({ "fields": set }),
        )
        .await?;
        tx.commit().await?;
        Ok(pref)
    }

    pub async fn list_rate_limits(
        &self,
        principal: &Principal,
    ) -> Result<Vec<RateLimit>, AppError> {
        principal.require(Permission::ViewDeliveries)?;
        let mut tx = self.store.read().await?;
        Ok(tx.list_rate_limits().await?)
    }

    /// Sets a channel's rate (messages per second, and how many may go at once).
    pub async fn set_rate_limit(
        &self,
        principal: &Principal,
        limit: RateLimit,
    ) -> Result<RateLimit, AppError> {
        principal.require(Permission::ManageNotifications)?;
        let mut fields = Vec::new();
        if !CHANNELS.contains(&limit.channel.as_str()) {
            fields.push(FieldError::new(
                "channel",
                "unknown",
                format!("channel must be one of {}", CHANNELS.join(", ")),
            ));
        }
        if !(1..=100_000).contains(&limit.per_second) {
            fields.push(FieldError::new(
                "per_second",
                "range",
                "per_second must be 1 to 100000",
            ));
        }
        if !(1..=100_000).contains(&limit.burst) {
            fields.push(FieldError::new(
                "burst",
                "range",
                "burst must be 1 to 100000",
            ));
        }
        fail_if_any(fields)?;
        let mut tx = self.store.write().await?;
        let rate = |l: Option<&RateLimit>| {
            serde_json::json!({
                "per_second": l.map(|l| l.per_second),
                "burst": l.map(|l| l.burst),
            })
        };
        let before = rate(
            tx.list_rate_limits()
                .await?
                .iter()
                .find(|l| l.channel == limit.channel),
        );
        tx.set_rate_limit(&limit, self.now()).await?;
        self.audit(
            &mut *tx,
            principal,
            AuditAction::RateLimitSet,
            "rate_limit",
            Some(limit.channel.clone()),
            serde_json::json!({ "changed": crate::audit::changes(&before, &rate(Some(&limit))) }),
        )
        .await?;
        tx.commit().await?;
        Ok(limit)
    }

    pub async fn remove_rate_limit(
        &self,
        principal: &Principal,
        channel: &str,
    ) -> Result<(), AppError> {
        principal.require(Permission::ManageNotifications)?;
        let mut tx = self.store.write().await?;
        if !tx.remove_rate_limit(channel).await? {
            return Err(AppError::NotFound("rate limit"));
        }
        self.audit(
            &mut *tx,
            principal,
            AuditAction::RateLimitRemove,
            "rate_limit",
            Some(channel.to_string()),
            serde_json::json!({}),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}
