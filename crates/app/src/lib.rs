//! tripdesk's use cases. A use case takes the acting [`Principal`], checks its permission
//! once (through [`Principal::require`]), applies the domain rules, and commits everything it
//! changes through one store transaction. Handlers in `tripdesk-web` only translate HTTP to
//! these calls and back.

pub mod assessment;
pub mod audit;
pub mod auth;
pub mod bookings;
pub mod calendar;
pub mod calendar_provisional;
pub mod chat;
pub mod conversation;
pub mod customers;
pub mod demo;
mod demo_assessment;
mod demo_bookings;
mod demo_desk;
mod demo_drill;
pub mod desk;
pub mod desk_attachments;
pub mod desk_board;
pub mod desk_effects;
pub mod desk_replies;
pub mod desk_routing;
pub mod email_in;
pub mod emergency;
pub mod erasure;
mod error;
pub mod feedback;
pub mod idempotency;
pub mod identity;
pub mod import;
pub mod jobs;
pub mod keys;
pub mod notify;
pub mod page;
pub mod personal_data;
pub mod phone;
mod printing;
pub mod public_desk;
pub mod quality;
pub mod reply_route;
pub mod role_queues;
pub mod search;
pub mod secrets;
pub mod sla;
pub mod sms;
pub mod sms_in;
pub mod summaries;
pub mod ttl_cache;
pub mod webhook_events;
pub mod wechat;
pub mod wechat_in;

pub(crate) use error::OnDuplicate;
pub use error::{check_optional_text, check_text, AppError, FieldError, Lines};

use std::sync::Arc;
use tripdesk_domain::clock::Clock;
use tripdesk_store::Store;
use tripdesk_vault::KeyRing;

/// Settings the use cases need (from the binary's configuration).
#[derive(Debug, Clone)]
pub struct AppSettings {
    /// How long a browser session lives without activity.
    pub session_ttl: jiff::SignedDuration,
    /// How sign-in attempts are throttled (see [`auth::LoginThrottle`]).
    pub login_throttle: auth::LoginThrottle,
    /// Delivery retries of the outbox.
    pub notify: notify::NotifySettings,
    /// Limits of the public web form.
    pub public_desk: public_desk::PublicDeskSettings,
    /// The WeChat official account whose pushes are received (`wechat_token` & co.); without
    /// it the push endpoint answers 401.
    pub wechat: Option<tripdesk_wechat::Account>,
    /// The secret the PBX's CTI signs its call events with (`cti_webhook_secret`); without
    /// it they are refused (401).
    pub cti_webhook_secret: Option<tripdesk_vault::Secret<String>>,
    /// Who receives the periodic summaries by e-mail (`summary_recipients`); empty: every
    /// active supervisor and administrator with an e-mail address.
    pub summary_recipients: Vec<String>,
}

impl Default for AppSettings {
    fn default() -> Self {
        Self {
            session_ttl: jiff::SignedDuration::from_hours(12),
            login_throttle: auth::LoginThrottle::default(),
            notify: notify::NotifySettings::default(),
            public_desk: public_desk::PublicDeskSettings::default(),
            wechat: None,
            cti_webhook_secret: None,
            summary_recipients: Vec::new(),
        }
    }
}

/// The application: the store, the clock, the settings and the vault keys every use case
/// shares.
#[derive(Clone)]
pub struct App {
    pub store: Arc<dyn Store>,
    pub clock: Arc<dyn Clock>,
    pub settings: Arc<AppSettings>,
    /// The keys sealing customer personal data; customer use cases refuse to run without.
    vault: Option<Arc<KeyRing>>,
    /// Calendars loaded for SLA and calendar arithmetic, checked against their revision.
    calendars: Arc<calendar::CalendarCache>,
    /// This process's name in SLA events (host and process id).
    node: Arc<str>,
    /// SLA policies and routing rules (see [`ttl_cache::CONFIG_CACHE_TTL`]).
    config: Arc<ttl_cache::ConfigCache>,
    /// The inbox's "breaching soon" badge count per set of filters and ticket scope (see
    /// [`desk_board::BREACHING_COUNT_TTL`]).
    breaching_counts:
        Arc<ttl_cache::TtlCache<(desk_board::InboxFilters, tripdesk_domain::desk::Scope), u64>>,
    /// Held by the one request recounting an expired breaching count.
    breaching_counting: Arc<tokio::sync::Mutex<()>>,
    /// The capabilities holding personal data, which the PIPL copy and erasure fan out to.
    personal_data: Arc<personal_data::PersonalDataRegistry>,
    /// The search index's analysis (segmenter and dictionaries), shared by indexing and queries.
    search: Arc<tripdesk_domain::search::Analyzer>,
    /// The PDF renderer (see [`App::render_pdf`]).
    printer: Arc<printing::Printer>,
}

impl App {
    pub fn new(store: Arc<dyn Store>, clock: Arc<dyn Clock>, settings: AppSettings) -> Self {
        let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
            .ok()
            .map(|h| h.trim().to_string())
            .filter(|h| !h.is_empty())
            .unwrap_or_else(|| "node".into());
        Self {
            store,
            clock,
            settings: Arc::new(settings),
            vault: None,
            calendars: Arc::default(),
            node: format!("{host}:{}", std::process::id()).into(),
            config: Arc::default(),
            breaching_counts: Arc::default(),
            breaching_counting: Arc::default(),
            personal_data: Arc::new(personal_data::PersonalDataRegistry::built_in()),
            search: search::default_analyzer(),
            printer: Arc::new(printing::Printer::new(tripdesk_pdf::FontSource::System)),
        }
    }

    /// The same application with the vault's keys loaded.
    pub fn with_vault(mut self, keys: Arc<KeyRing>) -> Self {
        self.vault = Some(keys);
        self
    }

    /// The vault's keys, or 503 when this process was started without them.
    pub fn vault(&self) -> Result<&KeyRing, AppError> {
        self.vault
            .as_deref()
            .ok_or_else(|| AppError::Unavailable("the vault keys are not loaded".into()))
    }

    /// The same application under another node name (tests run several nodes in one process).
    pub fn with_node(mut self, node: &str) -> Self {
        self.node = node.into();
        self
    }

    /// This process's name in SLA events.
    pub fn node(&self) -> &str {
        &self.node
    }

    /// Today's civil date where the organisation works (China), for rules such as "a birth
    /// date is not in the future".
    pub fn today(&self) -> jiff::civil::Date {
        self.now()
            .to_zoned(tripdesk_domain::calendar::china_time_zone())
            .date()
    }

    /// The current instant, at the millisecond precision the store keeps, so that what a
    /// use case returns equals what a later read returns.
    pub fn now(&self) -> jiff::Timestamp {
        let now = self.clock.now();
        jiff::Timestamp::from_millisecond(now.as_millisecond()).unwrap_or(now)
    }
}

pub use auth::Principal;
