//! What an audit entry records: one closed list of actions, each with a stable dotted code
//! (`<entity>.<verb>`) that is stored in the log, hashed into the chain and used by filters.
//!
//! A code never changes once entries carry it: the chain hashes the text, and filters saved
//! by people name it. A new action is a new variant with a new code (and its labels in the
//! web crate's text table, which a test checks). Codes read back from the log are text: an
//! entry written by an older release keeps its code even if the variant is gone.

macro_rules! audit_actions {
    ($( $(#[$doc:meta])* $variant:ident = $code:literal, )*) => {
        /// One kind of audited change or access.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum AuditAction {
            $( $(#[$doc])* $variant, )*
        }

        impl AuditAction {
            /// Every action, in the order the filters list them (grouped by entity).
            pub const ALL: &'static [AuditAction] = &[$(AuditAction::$variant,)*];

            /// The stable code stored in the log, e.g. `sla_policy.update`.
            pub const fn code(self) -> &'static str {
                match self {
                    $(AuditAction::$variant => $code,)*
                }
            }
        }
    };
}

audit_actions! {
    /// A sign-in refused (wrong password, throttled, disabled account).
    AuthLoginFailed = "auth.login_failed",
    AuthLogin = "auth.login",
    AuthLogout = "auth.logout",
    ApiTokenCreate = "api_token.create",
    ApiTokenRevoke = "api_token.revoke",
    UserCreate = "user.create",
    /// Any change to an account: name, e-mail, department, roles, locale, disabling, password.
    UserUpdate = "user.update",
    DepartmentCreate = "department.create",
    DepartmentUpdate = "department.update",
    CustomerCreate = "customer.create",
    /// A customer created by the intake of a ticket.
    CustomerCreateAtIntake = "customer.create_at_intake",
    /// One customer created by a file import (one entry per row).
    CustomerImport = "customer.import",
    /// A whole import file (one entry per file).
    CustomerImportFile = "customer.import_file",
    CustomerUpdate = "customer.update",
    /// A sensitive value shown in plaintext.
    CustomerReveal = "customer.reveal",
    CustomerConsent = "customer.consent",
    CustomerMerge = "customer.merge",
    /// The record that was merged into another (on the merged record).
    CustomerMergedInto = "customer.merged_into",
    /// The PIPL copy of one customer's data.
    CustomerExport = "customer.export",
    CustomerExportList = "customer.export_list",
    CustomerErase = "customer.erase",
    TicketCreated = "ticket.created",
    /// A workflow step on a ticket.
    TicketStep = "ticket.step",
    TicketLevelChanged = "ticket.level_changed",
    TicketAttachment = "ticket.attachment",
    TicketAttachmentDownload = "ticket.attachment_download",
    /// An inquiry turned into a complaint.
    TicketConvert = "ticket.convert",
    /// The satisfaction survey sent, on the ticket's timeline.
    TicketSurveySent = "ticket.survey_sent",
    /// The satisfaction survey sent (its own record).
    SurveySend = "survey.send",
    /// Staff corrected a text's categories and sentiment (the classifier learns from it).
    FeedbackCorrect = "feedback.correct",
    /// A month's staff assessment opened.
    AssessmentOpen = "assessment.open",
    /// A month's staff assessment closed (its results final).
    AssessmentClose = "assessment.close",
    /// A supervisor, peer or self rating entered (or replaced).
    AssessmentRate = "assessment.rate",
    /// A reward or correction recorded on a month's results.
    AssessmentAction = "assessment.action",
    /// A training attended, recorded.
    TrainingRecord = "training.record",
    ReplyTemplateCreate = "reply_template.create",
    ReplyTemplateUpdate = "reply_template.update",
    ReplyTemplateDelete = "reply_template.delete",
    RoutingRuleCreate = "routing_rule.create",
    RoutingRuleUpdate = "routing_rule.update",
    RoutingRuleDelete = "routing_rule.delete",
    /// Someone's notification preferences.
    PreferenceSet = "preference.set",
    /// An SLA clock reached its warning point (the engine).
    SlaWarning = "sla.warning",
    /// An SLA clock passed its deadline (the engine).
    SlaBreach = "sla.breach",
    SlaPolicyUpdate = "sla_policy.update",
    /// A clock started by hand (API), not by a desk step.
    SlaClockStart = "sla_clock.start",
    SlaClockPause = "sla_clock.pause",
    SlaClockResume = "sla_clock.resume",
    SlaClockStop = "sla_clock.stop",
    SlaClockCancel = "sla_clock.cancel",
    CalendarCreate = "calendar.create",
    CalendarUpdate = "calendar.update",
    CalendarDelete = "calendar.delete",
    /// Holiday years written (an import, a notice, the shipped data).
    CalendarHolidaysImported = "calendar.holidays_imported",
    CalendarHolidaysDeleted = "calendar.holidays_deleted",
    /// The administrators told that a year's holiday arrangement is missing (the engine).
    CalendarHolidaysMissing = "calendar.holidays_missing",
    /// A notification template saved (a new version).
    MessageTemplateSave = "message_template.save",
    /// A notification template deleted (every version of a key and locale).
    MessageTemplateDelete = "message_template.delete",
    WebhookCreate = "webhook.create",
    WebhookUpdate = "webhook.update",
    WebhookDelete = "webhook.delete",
    /// A payment gateway allowed to post signed payment notifications (its secret made).
    PaymentGatewayCreate = "payment_gateway.create",
    PaymentGatewayDelete = "payment_gateway.delete",
    RateLimitSet = "rate_limit.set",
    RateLimitRemove = "rate_limit.remove",
    /// A dead outbox message given another round of attempts.
    MessageRequeue = "message.requeue",
    /// A dead background job given another round of attempts.
    JobRetry = "job.retry",
    /// The key figures published on the public commitments page chosen.
    QualityPublish = "quality.publish",
    CatalogPackageSave = "catalog.package_save",
    CatalogDepartureCreate = "catalog.departure_create",
    /// A departure's guide (name and phone on the pre-trip documents) set or taken off.
    CatalogDepartureGuide = "catalog.departure_guide",
    CatalogPropertySave = "catalog.property_save",
    CatalogRoomTypeSave = "catalog.room_type_save",
    CatalogRoomSave = "catalog.room_save",
    CatalogBlocksImport = "catalog.blocks_import",
    /// A secret-token iCalendar feed URL made for a room or a room type.
    CatalogFeedCreate = "catalog.feed_create",
    /// A room subscribed to an OTA's calendar address (fetched and imported on a schedule).
    CatalogSubscriptionCreate = "catalog.subscription_create",
    /// A room's OTA calendar subscription ended (its blocks kept or released).
    CatalogSubscriptionDelete = "catalog.subscription_delete",
    /// A version of a product's cancellation policy added (tiers or a lodging preset, from
    /// its effective date).
    CatalogPolicyAdd = "catalog.policy_add",
    BookingCreate = "booking.create",
    BookingConfirm = "booking.confirm",
    BookingCancel = "booking.cancel",
    BookingComplete = "booking.complete",
    BookingPayment = "booking.payment",
    /// The expiry job freed the inventory of a hold that ran out unpaid.
    BookingExpire = "booking.expire",
    /// Guests of a room booking arrived at the front desk (the registration clock starts).
    BookingArrived = "booking.arrived",
    /// Check-in registration completed, with whether the welcome pack was given.
    BookingRegistered = "booking.registered",
    /// Staff told the customer of the booking's confirmation by phone or in person.
    BookingConfirmationTold = "booking.confirmation_told",
    /// A cancellation's refund paid out (the refund-payment clock stops).
    BookingRefundPaid = "booking.refund_paid",
    /// A customer put on a sold-out departure's waitlist.
    BookingWaitlistJoin = "booking.waitlist_join",
    /// The pre-trip documents sent to the customer (channel, content hash; never the address).
    BookingDocumentsSent = "booking.documents_sent",
    /// The traveler confirmed receiving the pre-trip documents through their link.
    BookingDocumentsReceived = "booking.documents_received",
    /// A change of dates, room or party quoted for the customer to accept (no inventory taken).
    BookingChangeQuoted = "booking.change_quoted",
    /// A quoted change accepted: lines, inventory and total moved, before and after recorded.
    BookingChanged = "booking.changed",
    /// An incident declared (kind, level, scope, drill; the affected people counted).
    IncidentDeclare = "incident.declare",
    /// An incident's scope, level or description changed (the people recomputed).
    IncidentUpdate = "incident.update",
    /// A broadcast to an incident's people (audience, channels, how many messages).
    IncidentBroadcast = "incident.broadcast",
    /// A person added to an incident by hand.
    IncidentPersonAdd = "incident.person_add",
    /// Staff recorded a traveler's answer (a call, the guide on site).
    IncidentAnswer = "incident.answer",
    /// A team role assigned or cleared.
    IncidentTeam = "incident.team",
    /// A checklist item ticked or unticked.
    IncidentChecklist = "incident.checklist",
    /// A voice-call task's outcome recorded.
    IncidentCall = "incident.call",
    /// The first report to the tourism authority recorded.
    IncidentReport = "incident.report",
    /// An update report (续报) to the tourism authority recorded.
    IncidentUpdateReport = "incident.update_report",
    /// An incident's handling declared ended (处置结束); its closing summary is then due.
    IncidentHandlingEnd = "incident.handling_end",
    /// An incident closed with its summary.
    IncidentClose = "incident.close",
    /// Refund or postponement offered under force majeure to an incident's affected bookings
    /// (how many offered, by channel, and skipped by reason).
    IncidentRemedyOffer = "incident.remedy_offer",
    /// A customer's choice of refund or postponement recorded (by their link, or by staff
    /// as the customer gave it).
    IncidentRemedyChoice = "incident.remedy_choice",
    /// A cost of an incident entered for its report (what, how much; never changed after).
    IncidentCost = "incident.cost",
    /// A file of the PBX's call-detail records imported (lines, calls, new calls; no numbers).
    CallsImport = "calls.import",
    /// An IMAP mailbox configured for inbound email (host, user; never the password).
    MailboxCreate = "mailbox.create",
    /// An IMAP mailbox's polling turned on or off.
    MailboxEnable = "mailbox.enable",
    /// Every sealed value re-encrypted under the active key.
    VaultReseal = "vault.reseal",
    /// A new vault key made active (`tripdesk keys rotate`).
    VaultRotate = "vault.rotate",
    /// Unkeyed entries covered by a keyed one at start (the chain is keyed from here on).
    AuditChainKeyed = "audit.chain_keyed",
}

impl AuditAction {
    /// The action with this code.
    pub fn from_code(code: &str) -> Option<AuditAction> {
        AuditAction::ALL.iter().copied().find(|a| a.code() == code)
    }

    /// The part before the dot (`customer` for `customer.reveal`): the filters' groups.
    pub fn group(self) -> &'static str {
        let code = self.code();
        &code[..code.find('.').expect("every code has a dot")]
    }

    /// The groups in the order of [`AuditAction::ALL`], each once.
    pub fn groups() -> Vec<&'static str> {
        let mut out: Vec<&'static str> = Vec::new();
        for a in AuditAction::ALL {
            if !out.contains(&a.group()) {
                out.push(a.group());
            }
        }
        out
    }

    /// Whether `filter` names actions: a code, or a group followed by a dot (`customer.`).
    /// Anything else matches nothing and is refused by the filters.
    pub fn is_filter(filter: &str) -> bool {
        match filter.strip_suffix('.') {
            Some(group) => AuditAction::ALL.iter().any(|a| a.group() == group),
            None => AuditAction::from_code(filter).is_some(),
        }
    }
}

impl std::fmt::Display for AuditAction {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.code())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn codes_are_unique_dotted_and_round_trip() {
        let mut seen = HashSet::new();
        for &a in AuditAction::ALL {
            let code = a.code();
            assert!(seen.insert(code), "{code} is used twice");
            let (group, verb) = code.split_once('.').expect("a dot");
            for part in [group, verb] {
                assert!(
                    !part.is_empty()
                        && part
                            .bytes()
                            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_'),
                    "{code}: lower-case words joined by one dot"
                );
            }
            assert_eq!(AuditAction::from_code(code), Some(a));
            assert_eq!(a.to_string(), code);
            assert_eq!(a.group(), group);
        }
        assert_eq!(AuditAction::from_code("customer.nothing"), None);
        assert_eq!(AuditAction::from_code(""), None);
    }

    /// The codes entries carry today: changing one would make old entries unfilterable (and
    /// the chain hashes the text, so old entries cannot be renamed).
    #[test]
    fn the_codes_of_existing_entries_stay() {
        for code in [
            "auth.login_failed",
            "auth.login",
            "auth.logout",
            "api_token.create",
            "api_token.revoke",
            "user.create",
            "user.update",
            "department.create",
            "department.update",
            "customer.create",
            "customer.create_at_intake",
            "customer.import",
            "customer.import_file",
            "customer.update",
            "customer.reveal",
            "customer.consent",
            "customer.merge",
            "customer.merged_into",
            "customer.export",
            "customer.export_list",
            "customer.erase",
            "ticket.created",
            "ticket.step",
            "ticket.level_changed",
            "ticket.attachment",
            "ticket.attachment_download",
            "ticket.convert",
            "ticket.survey_sent",
            "survey.send",
            "reply_template.create",
            "reply_template.update",
            "reply_template.delete",
            "routing_rule.create",
            "routing_rule.update",
            "routing_rule.delete",
            "preference.set",
            "sla.warning",
            "sla.breach",
            "calendar.holidays_imported",
            "calendar.holidays_missing",
            "vault.reseal",
            "vault.rotate",
            "audit.chain_keyed",
        ] {
            assert!(AuditAction::from_code(code).is_some(), "{code} vanished");
        }
    }

    #[test]
    fn filters_are_codes_or_groups() {
        assert!(AuditAction::is_filter("customer.reveal"));
        assert!(AuditAction::is_filter("customer."));
        assert!(AuditAction::is_filter("sla_policy."));
        assert!(!AuditAction::is_filter("customer"));
        assert!(!AuditAction::is_filter("cust"));
        assert!(!AuditAction::is_filter("customer.rev"));
        assert!(!AuditAction::is_filter("."));
        assert!(!AuditAction::is_filter(""));
        let groups = AuditAction::groups();
        assert_eq!(groups[0], "auth");
        let unique: HashSet<_> = groups.iter().collect();
        assert_eq!(unique.len(), groups.len());
        for &a in AuditAction::ALL {
            assert!(groups.contains(&a.group()));
        }
    }
}
