//! Configuration: defaults, then the TOML file (`--config`), then `TRIPDESK_*` environment
//! variables, then command-line flags — each later source wins. Validated once at start-up.

use anyhow::{bail, Context};
use figment::providers::{Env, Format, Serialized, Toml};
use figment::Figment;
use serde::{Deserialize, Serialize};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

/// Every option of tripdesk. The README lists them.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Address to listen on.
    pub addr: String,
    /// Directory for the SQLite database (and later keys and attachments).
    pub data_dir: PathBuf,
    /// `postgres://…` to use PostgreSQL instead of SQLite.
    pub database_url: Option<String>,
    /// Connections in the pool (per node).
    pub max_connections: u32,
    /// SQLite only: fsync every commit (`true`) or rely on the WAL (`false`, durable across
    /// a process kill but not a power cut).
    pub sqlite_synchronous_full: bool,
    /// Mark the session cookie Secure (serve behind HTTPS).
    pub cookie_secure: bool,
    /// Hours a session lives without activity.
    pub session_hours: u32,
    /// Seconds before a request is cut off with 408.
    pub request_timeout_secs: u64,
    /// Largest request body in bytes.
    pub body_limit_bytes: usize,
    /// `pretty` (human) or `json` (one object per line) logs.
    pub log_format: String,
    /// Log filter, e.g. `info` or `tripdesk=debug,info`.
    pub log_level: String,
    /// The vault's key file (default `<data_dir>/vault-keys.toml`). The environment variable
    /// `TRIPDESK_VAULT_KEYS`, holding the file's TOML text, wins over it.
    pub vault_key_file: Option<PathBuf>,
    /// Longest time the SLA engine sleeps without looking at the store again (seconds).
    pub sla_recheck_secs: u64,
    /// SMTP server for email: `smtp://host:port`, `smtp://user:pass@host:587?tls=required`
    /// (STARTTLS) or `smtps://user:pass@host:465`. Without it email messages stay queued.
    pub smtp_url: Option<SmtpUrl>,
    /// Sender of emails, e.g. `山海客服 <service@example.com>`.
    pub smtp_from: Option<String>,
    /// Delivery workers per node.
    pub outbox_workers: usize,
    /// Messages a worker claims at once.
    pub outbox_batch: u32,
    /// Seconds a claim holds; a crashed node's messages are sent again after this.
    pub outbox_lease_secs: u64,
    /// Attempts before a message is dead (an admin can requeue it).
    pub outbox_max_attempts: i64,
    /// First retry delay in seconds, doubled per attempt up to an hour.
    pub outbox_retry_base_secs: u64,
    /// The address customers reach this server at, e.g. `https://desk.example.com`, used in
    /// the links emailed to them (survey links). Unset: the address staff use.
    pub public_url: Option<String>,
    /// The agency's own sites that embed the web chat widget (`/chat/widget.js`) from another
    /// origin, comma-separated, e.g. `https://www.example.com,https://m.example.com`. Unset:
    /// only pages of this server (and the same origin) may open chats.
    pub chat_origins: Option<String>,
    /// E-mail addresses, comma-separated, that receive the weekly and monthly summaries
    /// (PDF and XLSX attached). Unset: every active supervisor and administrator with an
    /// e-mail address.
    pub summary_recipients: Option<String>,
    /// Public contact-form submissions accepted per client address per hour.
    pub public_form_per_ip_hour: u32,
    /// Public contact-form submissions accepted from everyone per hour.
    pub public_form_per_hour: u32,
    /// Behind a reverse proxy: the client address is the last `X-Forwarded-For` entry.
    pub trust_forwarded_for: bool,
    /// Sign-in attempts per (username, client address) per `login_window_mins`.
    pub login_attempts_per_user_address: u32,
    /// Sign-in attempts per client address (any usernames) per `login_window_mins`.
    pub login_attempts_per_address: u32,
    /// The window of the two bounds above, in minutes.
    pub login_window_mins: u32,
    /// Sign-in attempts per username from all addresses together per hour.
    pub login_attempts_per_user_hour: u32,
    /// The CJK font printable documents (PDF) are set in: an OpenType/TrueType file or
    /// collection (`.ttc`). Unset: the first of the well-known system paths (Debian's
    /// fonts-noto-cjk: /usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc).
    pub pdf_font: Option<PathBuf>,
    /// Its bold face, when `pdf_font` is set (bold is drawn from the regular face otherwise).
    pub pdf_font_bold: Option<PathBuf>,
    /// Search: a word list added to the built-in dictionaries (jieba's format, one
    /// `word [frequency] [tag]` a line, `#` comments), e.g. the agency's own place and product
    /// names. Run `tripdesk search-reindex` after changing it.
    pub search_dictionary: Option<PathBuf>,
    /// The SMS provider's API, e.g. `https://sms.example.com` (tripdesk POSTs
    /// `{sms_base_url}/sms/send`). Unset: no SMS channel, and an SMS is refused when enqueued.
    pub sms_base_url: Option<String>,
    /// The provider account's access key id (required with `sms_base_url`).
    pub sms_access_key_id: Option<String>,
    /// Its secret: the HMAC-SHA256 key each send is signed with (required with
    /// `sms_base_url`; never printed).
    pub sms_access_key_secret: Option<Hidden>,
    /// The agency's approved signature, e.g. `【云途旅行】` (sent without the 【】).
    pub sms_sign_name: Option<String>,
    /// The provider-approved template the text goes out in: one variable, `${content}`.
    pub sms_template_code: Option<String>,
    /// SMS sent per second across all nodes (the channel's rate limit). Unset: no limit.
    pub sms_rate_per_sec: Option<u32>,
    /// Seconds to wait for the provider's answer (1–25).
    pub sms_timeout_secs: u64,
    /// The secret the provider signs delivery receipts and replies with (at least 16
    /// characters; never printed). Unset: they are refused (401).
    pub sms_webhook_secret: Option<Hidden>,
    /// The secret the PBX's CTI signs its call events with (`POST /api/v1/calls/events`; at
    /// least 16 characters; never printed). Unset: they are refused (401).
    pub cti_webhook_secret: Option<Hidden>,
    /// The WeChat official account's Token (公众号 › 基本配置 › 服务器配置: 3–32 letters and
    /// digits; never printed). Set: `/api/v1/wechat/push` answers WeChat's server-address
    /// check and receives pushes. Unset: it answers 401.
    pub wechat_token: Option<Hidden>,
    /// Its EncodingAESKey (43 characters; never printed), for safe and compatible mode.
    /// Unset: only plaintext-mode pushes are read.
    pub wechat_encoding_aes_key: Option<Hidden>,
    /// The account's AppID (`wx…`), which every safe-mode message must carry (required with
    /// `wechat_encoding_aes_key`).
    pub wechat_app_id: Option<String>,
    /// The account's AppSecret (never printed). Set with `wechat_app_id`: agents' replies on
    /// WeChat tickets go out as customer-service messages (客服消息) within WeChat's 48-hour
    /// window. Unset: such replies go by the customer's phone or email, if any.
    pub wechat_app_secret: Option<Hidden>,
    /// WeChat's API address; the default is WeChat's own. Tests point it at a loopback
    /// listener.
    pub wechat_api_base_url: String,
}

/// A secret option: printed as `***`.
#[derive(Clone, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Hidden(pub String);

impl std::fmt::Debug for Hidden {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("***")
    }
}

/// The SMTP URL; printed with its password hidden.
#[derive(Clone, Serialize, Deserialize)]
#[serde(transparent)]
pub struct SmtpUrl(pub String);

impl std::fmt::Debug for SmtpUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&tripdesk_store_sql::redact_url(&self.0))
    }
}

impl Default for Config {
    fn default() -> Self {
        Self {
            addr: "127.0.0.1:8080".into(),
            data_dir: PathBuf::from("data"),
            database_url: None,
            max_connections: 16,
            sqlite_synchronous_full: false,
            cookie_secure: false,
            session_hours: 12,
            request_timeout_secs: 30,
            body_limit_bytes: 1024 * 1024,
            log_format: "pretty".into(),
            log_level: "info".into(),
            vault_key_file: None,
            sla_recheck_secs: tripdesk_store::signal::FALLBACK_POLL.as_secs(),
            smtp_url: None,
            smtp_from: None,
            outbox_workers: 4,
            outbox_batch: 20,
            outbox_lease_secs: 120,
            outbox_max_attempts: 8,
            outbox_retry_base_secs: 30,
            public_url: None,
            chat_origins: None,
            summary_recipients: None,
            public_form_per_ip_hour: 10,
            public_form_per_hour: 600,
            trust_forwarded_for: false,
            login_attempts_per_user_address: 5,
            login_attempts_per_address: 50,
            login_window_mins: 15,
            login_attempts_per_user_hour: 50,
            pdf_font: None,
            pdf_font_bold: None,
            search_dictionary: None,
            sms_base_url: None,
            sms_access_key_id: None,
            sms_access_key_secret: None,
            sms_sign_name: None,
            sms_template_code: None,
            sms_rate_per_sec: None,
            sms_timeout_secs: 10,
            sms_webhook_secret: None,
            cti_webhook_secret: None,
            wechat_token: None,
            wechat_encoding_aes_key: None,
            wechat_app_id: None,
            wechat_app_secret: None,
            wechat_api_base_url: tripdesk_delivery::wechat::DEFAULT_BASE_URL.into(),
        }
    }
}

/// Values given on the command line (they win over everything else).
#[derive(Debug, Default, Serialize)]
pub struct Overrides {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub addr: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data_dir: Option<PathBuf>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub database_url: Option<String>,
}

/// Keys read from `TRIPDESK_<KEY>` environment variables (other TRIPDESK_ variables, such as
/// the test suite's, are not configuration).
const ENV_KEYS: [&str; 47] = [
    "addr",
    "data_dir",
    "database_url",
    "max_connections",
    "sqlite_synchronous_full",
    "cookie_secure",
    "session_hours",
    "request_timeout_secs",
    "body_limit_bytes",
    "log_format",
    "log_level",
    "vault_key_file",
    "sla_recheck_secs",
    "smtp_url",
    "smtp_from",
    "outbox_workers",
    "outbox_batch",
    "outbox_lease_secs",
    "outbox_max_attempts",
    "outbox_retry_base_secs",
    "public_url",
    "chat_origins",
    "summary_recipients",
    "public_form_per_ip_hour",
    "public_form_per_hour",
    "trust_forwarded_for",
    "login_attempts_per_user_address",
    "login_attempts_per_address",
    "login_window_mins",
    "login_attempts_per_user_hour",
    "pdf_font",
    "pdf_font_bold",
    "search_dictionary",
    "sms_base_url",
    "sms_access_key_id",
    "sms_access_key_secret",
    "sms_sign_name",
    "sms_template_code",
    "sms_rate_per_sec",
    "sms_timeout_secs",
    "sms_webhook_secret",
    "wechat_token",
    "wechat_encoding_aes_key",
    "wechat_app_id",
    "cti_webhook_secret",
    "wechat_app_secret",
    "wechat_api_base_url",
];

impl Config {
    /// [`Config::chat_origins`] as a list (trimmed, empty entries dropped).
    pub fn chat_origin_list(&self) -> Vec<String> {
        self.chat_origins
            .as_deref()
            .unwrap_or_default()
            .split(',')
            .map(|o| o.trim().trim_end_matches('/').to_string())
            .filter(|o| !o.is_empty())
            .collect()
    }

    /// [`Config::summary_recipients`] as a list (trimmed, empty entries dropped).
    pub fn summary_recipient_list(&self) -> Vec<String> {
        self.summary_recipients
            .as_deref()
            .unwrap_or_default()
            .split(',')
            .map(|o| o.trim().to_string())
            .filter(|o| !o.is_empty())
            .collect()
    }

    pub fn load(file: Option<&Path>, overrides: Overrides) -> anyhow::Result<Self> {
        let mut figment = Figment::from(Serialized::defaults(Config::default()));
        if let Some(file) = file {
            if !file.exists() {
                bail!("config file {} does not exist", file.display());
            }
            figment = figment.merge(Toml::file_exact(file));
        }
        let mut config: Config = figment
            .merge(Env::prefixed("TRIPDESK_").only(&ENV_KEYS))
            .merge(Serialized::defaults(overrides))
            .extract()
            .context("invalid configuration")?;
        // An empty value (e.g. TRIPDESK_SMTP_URL="") means "not set".
        if config
            .smtp_url
            .as_ref()
            .is_some_and(|u| u.0.trim().is_empty())
        {
            config.smtp_url = None;
        }
        if config
            .public_url
            .as_ref()
            .is_some_and(|u| u.trim().is_empty())
        {
            config.public_url = None;
        }
        // The same for the SMS options.
        for value in [
            &mut config.sms_base_url,
            &mut config.sms_access_key_id,
            &mut config.sms_sign_name,
            &mut config.sms_template_code,
            &mut config.wechat_app_id,
        ] {
            if value.as_ref().is_some_and(|v| v.trim().is_empty()) {
                *value = None;
            }
        }
        for value in [
            &mut config.sms_access_key_secret,
            &mut config.sms_webhook_secret,
            &mut config.cti_webhook_secret,
            &mut config.wechat_token,
            &mut config.wechat_encoding_aes_key,
            &mut config.wechat_app_secret,
        ] {
            if value.as_ref().is_some_and(|v| v.0.trim().is_empty()) {
                *value = None;
            }
        }
        config.validate()?;
        Ok(config)
    }

    /// The SMS channel's settings, when `sms_base_url` is set (validated at load).
    pub fn sms_config(&self) -> Option<tripdesk_delivery::sms::SmsConfig> {
        Some(tripdesk_delivery::sms::SmsConfig {
            base_url: self.sms_base_url.as_ref()?.trim().to_string(),
            access_key_id: self.sms_access_key_id.clone()?.trim().to_string(),
            access_key_secret: tripdesk_vault::Secret::new(
                self.sms_access_key_secret.as_ref()?.0.clone(),
            ),
            sign_name: self.sms_sign_name.clone()?,
            template_code: self.sms_template_code.clone()?.trim().to_string(),
            timeout: std::time::Duration::from_secs(self.sms_timeout_secs),
        })
    }

    /// The WeChat official account, when `wechat_token` is set (validated at load).
    pub fn wechat_account(&self) -> anyhow::Result<Option<tripdesk_wechat::Account>> {
        let Some(token) = &self.wechat_token else {
            if self.wechat_encoding_aes_key.is_some()
                || self.wechat_app_id.is_some()
                || self.wechat_app_secret.is_some()
            {
                bail!(
                    "wechat_encoding_aes_key, wechat_app_id and wechat_app_secret need wechat_token"
                );
            }
            return Ok(None);
        };
        if self.wechat_app_secret.is_some() && self.wechat_app_id.is_none() {
            bail!("wechat_app_secret needs wechat_app_id");
        }
        let safe = match (&self.wechat_encoding_aes_key, &self.wechat_app_id) {
            (None, None) => None,
            (None, Some(_)) if self.wechat_app_secret.is_some() => None,
            (None, Some(_)) => bail!(
                "wechat_app_id goes with wechat_encoding_aes_key (safe mode) or wechat_app_secret (replies)"
            ),
            (Some(key), Some(app_id)) => Some(
                tripdesk_wechat::SafeMode::new(key.0.trim(), app_id.trim()).map_err(|_| {
                    anyhow::anyhow!(
                        "wechat_encoding_aes_key must be the 43 characters the WeChat platform shows, \
                         and wechat_app_id the account's AppID"
                    )
                })?,
            ),
            _ => bail!("wechat_encoding_aes_key and wechat_app_id go together"),
        };
        let account = tripdesk_wechat::Account::new(token.0.trim(), safe)
            .map_err(|_| anyhow::anyhow!("wechat_token must be 3 to 32 letters and digits"))?;
        Ok(Some(account))
    }

    /// The WeChat channel's settings, when `wechat_app_secret` is set (validated at load).
    pub fn wechat_config(&self) -> Option<tripdesk_delivery::wechat::WechatConfig> {
        Some(tripdesk_delivery::wechat::WechatConfig {
            base_url: self.wechat_api_base_url.trim().to_string(),
            app_id: self.wechat_app_id.clone()?.trim().to_string(),
            app_secret: tripdesk_vault::Secret::new(
                self.wechat_app_secret.as_ref()?.0.trim().to_string(),
            ),
            timeout: std::time::Duration::from_secs(10),
        })
    }

    fn validate_sms(&self) -> anyhow::Result<()> {
        if !(1..=25).contains(&self.sms_timeout_secs) {
            bail!("sms_timeout_secs must be between 1 and 25");
        }
        if self
            .sms_rate_per_sec
            .is_some_and(|r| !(1..=100_000).contains(&r))
        {
            bail!("sms_rate_per_sec must be between 1 and 100000");
        }
        if self
            .sms_webhook_secret
            .as_ref()
            .is_some_and(|s| s.0.trim().chars().count() < 16)
        {
            bail!("sms_webhook_secret must be at least 16 characters");
        }
        if self
            .cti_webhook_secret
            .as_ref()
            .is_some_and(|s| s.0.trim().chars().count() < 16)
        {
            bail!("cti_webhook_secret must be at least 16 characters");
        }
        let Some(url) = &self.sms_base_url else {
            return Ok(());
        };
        let u = url.trim();
        if !(u.starts_with("http://") || u.starts_with("https://"))
            || u.contains(char::is_whitespace)
            || url::Url::parse(u).is_err()
        {
            bail!(
                "sms_base_url must be an http:// or https:// address, e.g. https://sms.example.com"
            );
        }
        if self.sms_access_key_id.is_none() || self.sms_access_key_secret.is_none() {
            bail!("sms_access_key_id and sms_access_key_secret are required with sms_base_url");
        }
        let sign = self
            .sms_sign_name
            .as_deref()
            .map(tripdesk_delivery::sms::bare_sign_name);
        if sign.is_none_or(|s| !(2..=12).contains(&s.chars().count())) {
            bail!("sms_sign_name is required with sms_base_url: the approved signature, 2 to 12 characters, e.g. 【云途旅行】");
        }
        let code_ok = self.sms_template_code.as_deref().is_some_and(|c| {
            let c = c.trim();
            (1..=64).contains(&c.len())
                && c.chars()
                    .all(|ch| ch.is_ascii_alphanumeric() || ch == '_' || ch == '-')
        });
        if !code_ok {
            bail!("sms_template_code is required with sms_base_url: the approved template's code, e.g. SMS_123456789");
        }
        Ok(())
    }

    fn validate(&self) -> anyhow::Result<()> {
        self.socket_addr()?;
        self.search_words()?;
        self.wechat_account()?;
        let wechat_url = self.wechat_api_base_url.trim();
        if !(wechat_url.starts_with("http://") || wechat_url.starts_with("https://"))
            || url::Url::parse(wechat_url).is_err()
        {
            bail!("wechat_api_base_url must be an http:// or https:// address");
        }
        if !["pretty", "json"].contains(&self.log_format.as_str()) {
            bail!("log_format must be \"pretty\" or \"json\"");
        }
        if self.max_connections == 0 || self.max_connections > 1000 {
            bail!("max_connections must be between 1 and 1000");
        }
        if self.session_hours == 0 || self.session_hours > 24 * 30 {
            bail!("session_hours must be between 1 and 720");
        }
        if self.request_timeout_secs == 0 {
            bail!("request_timeout_secs must be at least 1");
        }
        if self.sla_recheck_secs == 0 || self.sla_recheck_secs > 3600 {
            bail!("sla_recheck_secs must be between 1 and 3600");
        }
        if self.body_limit_bytes < 1024 {
            bail!("body_limit_bytes must be at least 1024");
        }
        self.location()?;
        if let Some(url) = &self.smtp_url {
            let u = url.0.trim();
            if !(u.starts_with("smtp://") || u.starts_with("smtps://")) {
                bail!("smtp_url must start with smtp:// or smtps://");
            }
            if self
                .smtp_from
                .as_deref()
                .is_none_or(|f| f.trim().is_empty())
            {
                bail!("smtp_from is required with smtp_url (e.g. \"客服 <service@example.com>\")");
            }
        }
        if let Some(url) = &self.public_url {
            let u = url.trim();
            if !(u.starts_with("http://") || u.starts_with("https://"))
                || u.contains(char::is_whitespace)
            {
                bail!("public_url must be an http:// or https:// address, e.g. https://desk.example.com");
            }
        }
        for origin in self.chat_origin_list() {
            if !(origin.starts_with("http://") || origin.starts_with("https://"))
                || origin.contains(char::is_whitespace)
                || origin
                    .split_once("://")
                    .is_none_or(|(_, host)| host.is_empty() || host.contains('/'))
            {
                bail!("chat_origins lists sites as scheme and host, e.g. https://www.example.com; not {origin}");
            }
        }
        if self.public_form_per_ip_hour == 0 || self.public_form_per_hour == 0 {
            bail!("public_form_per_ip_hour and public_form_per_hour must be at least 1");
        }
        if self.login_attempts_per_user_address == 0
            || self.login_attempts_per_address == 0
            || self.login_attempts_per_user_hour == 0
        {
            bail!("login_attempts_per_user_address, login_attempts_per_address and login_attempts_per_user_hour must be at least 1");
        }
        if !(1..=24 * 60).contains(&self.login_window_mins) {
            bail!("login_window_mins must be between 1 and 1440");
        }
        // One address alone must not reach the per-username bound, or a guesser could lock
        // the real user out from their own address.
        let one_address_per_hour = u64::from(self.login_attempts_per_user_address)
            * 60u64.div_ceil(u64::from(self.login_window_mins));
        if u64::from(self.login_attempts_per_user_hour) <= one_address_per_hour {
            bail!(
                "login_attempts_per_user_hour must be above what one address may try in an hour \
                 ({one_address_per_hour} with login_attempts_per_user_address and login_window_mins), \
                 or one guesser could lock the real user out"
            );
        }
        if self.outbox_workers == 0 || self.outbox_workers > 64 {
            bail!("outbox_workers must be between 1 and 64");
        }
        if self.outbox_batch == 0 || self.outbox_batch > 1000 {
            bail!("outbox_batch must be between 1 and 1000");
        }
        if self.outbox_lease_secs < 4 {
            bail!("outbox_lease_secs must be at least 4");
        }
        if !(1..=100).contains(&self.outbox_max_attempts) {
            bail!("outbox_max_attempts must be between 1 and 100");
        }
        if self.outbox_retry_base_secs == 0 {
            bail!("outbox_retry_base_secs must be at least 1");
        }
        self.validate_sms()?;
        Ok(())
    }

    /// The dispatcher settings of this node.
    pub fn dispatcher_config(&self) -> tripdesk_delivery::DispatcherConfig {
        let lease = std::time::Duration::from_secs(self.outbox_lease_secs);
        tripdesk_delivery::DispatcherConfig {
            workers: self.outbox_workers,
            batch: self.outbox_batch,
            lease,
            // A send never outlasts its claim: at most a quarter of the lease, at most 30 s.
            send_timeout: (lease / 4).min(std::time::Duration::from_secs(30)),
            ..Default::default()
        }
    }

    pub fn socket_addr(&self) -> anyhow::Result<SocketAddr> {
        self.addr
            .parse()
            .with_context(|| format!("addr {:?} is not an address like 127.0.0.1:8080", self.addr))
    }

    pub fn location(&self) -> anyhow::Result<tripdesk_store_sql::Location> {
        tripdesk_store_sql::Location::from_options(
            self.database_url.as_deref(),
            self.data_dir.clone(),
        )
        .map_err(|e| anyhow::anyhow!(e))
    }

    /// Where the vault's key file is (whether or not it exists).
    /// The administrator's search words (`search_dictionary`), checked: readable, and every
    /// line a word with an optional whole-number frequency.
    pub fn search_words(&self) -> anyhow::Result<Option<String>> {
        let Some(path) = &self.search_dictionary else {
            return Ok(None);
        };
        let words = std::fs::read_to_string(path)
            .with_context(|| format!("search_dictionary: cannot read {}", path.display()))?;
        for (i, line) in words.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let mut parts = line.split_whitespace();
            let word = parts.next().unwrap_or_default();
            let freq_ok = parts.next().is_none_or(|f| f.parse::<usize>().is_ok());
            if !freq_ok || !word.chars().all(tripdesk_domain::search::is_word_char) {
                bail!(
                    "search_dictionary: line {} of {} is not `word [frequency] [tag]`",
                    i + 1,
                    path.display()
                );
            }
        }
        Ok(Some(words))
    }

    pub fn key_file(&self) -> PathBuf {
        self.vault_key_file
            .clone()
            .unwrap_or_else(|| self.data_dir.join("vault-keys.toml"))
    }

    pub fn pool_settings(&self) -> tripdesk_store_sql::PoolSettings {
        tripdesk_store_sql::PoolSettings {
            max_connections: self.max_connections,
            sqlite_synchronous_full: self.sqlite_synchronous_full,
            // Under a burst, requests queue for a connection (or the writer) rather than
            // fail: as long as the request itself may take, and no longer.
            acquire_timeout: std::time::Duration::from_secs(self.request_timeout_secs),
        }
    }
}

#[cfg(test)]
#[allow(clippy::result_large_err)] // figment::Jail's closure signature
#[path = "config_tests.rs"]
mod tests;
