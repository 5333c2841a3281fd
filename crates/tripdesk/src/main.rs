//! `tripdesk`: the one binary. See `tripdesk --help`.

mod bench;
mod bench_bookings;
mod bench_broadcast;
mod bench_broadcast_seed;
mod bench_chat;
mod bench_email;
mod bench_http;
mod bench_inbox;
mod bench_outbox;
mod bench_quality;
mod bench_search;
mod bench_seed;
mod bench_tickets;
mod bench_usage;
mod calendar_cmd;
mod config;
mod telemetry;
mod vault_keys;
use vault_keys::{app_with_keys, check_keys, load_keys, reencrypt};

use anyhow::{bail, Context};
use clap::{Args, Parser, Subcommand};
use config::{Config, Overrides};
use std::io::Read;
use std::path::PathBuf;
use std::sync::Arc;
use tripdesk_app::{App, AppSettings};
use tripdesk_delivery::email::EmailChannel;
use tripdesk_delivery::inapp::InAppChannel;
use tripdesk_delivery::webhook::WebhookChannel;
use tripdesk_delivery::{Channel, Dispatcher};
use tripdesk_domain::clock::SystemClock;
use tripdesk_store::Store;
use tripdesk_vault::KeyRing;

/// mimalloc for every allocation of the process, the bundled SQLite's included (see Cargo.toml).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Environment variable holding the vault key file's TOML text (wins over `vault_key_file`).
pub(crate) const VAULT_KEYS_ENV: &str = "TRIPDESK_VAULT_KEYS";

#[derive(Parser)]
#[command(
    name = "tripdesk",
    version,
    about = "Customer-service operations for travel agencies, hotels and homestays"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

/// Where the data lives; every command that touches the database takes these.
#[derive(Args, Clone, Default)]
pub(crate) struct DbArgs {
    /// Directory holding the SQLite database (default: ./data).
    #[arg(long, env = "TRIPDESK_DATA_DIR")]
    pub data_dir: Option<PathBuf>,
    /// PostgreSQL URL (postgres://…); when set, used instead of SQLite.
    #[arg(long, env = "TRIPDESK_DATABASE_URL")]
    database_url: Option<String>,
    /// TOML configuration file.
    #[arg(long, env = "TRIPDESK_CONFIG")]
    config: Option<PathBuf>,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the web UI and the API.
    Serve {
        /// Address to listen on (default 127.0.0.1:8080; port 0 takes a free port). The
        /// address bound is printed on stdout: `listening on http://…`.
        #[arg(long, env = "TRIPDESK_ADDR")]
        addr: Option<String>,
        /// Create the vault key file if it does not exist (otherwise serve refuses to start
        /// without keys).
        #[arg(long)]
        create_keys: bool,
        #[command(flatten)]
        db: DbArgs,
    },
    /// Fill a data directory with a demo organisation, print the logins, and serve.
    Demo {
        /// Address to listen on (default 127.0.0.1:8080; port 0 takes a free port). The
        /// address bound is printed on stdout: `listening on http://…`.
        #[arg(long, env = "TRIPDESK_ADDR")]
        addr: Option<String>,
        #[command(flatten)]
        db: DbArgs,
    },
    /// Apply database migrations and exit (serve does this too).
    Migrate {
        #[command(flatten)]
        db: DbArgs,
    },
    /// Administration from the command line.
    Admin {
        #[command(subcommand)]
        command: AdminCommand,
    },
    /// The vault keys that encrypt customer personal data.
    Keys {
        #[command(subcommand)]
        command: KeysCommand,
    },
    /// The tamper-evident audit log.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
    /// Write a consistent copy of the database while it keeps serving.
    Backup {
        /// The file to write (must not exist).
        #[arg(long)]
        to: PathBuf,
        #[command(flatten)]
        db: DbArgs,
    },
    /// Working-day calendars: working dates in a range, due instants.
    Calendar {
        #[command(subcommand)]
        command: calendar_cmd::CalendarCommand,
    },
    /// Rebuild the search index from the records (after an upgrade that changed the text
    /// analysis, or a change of `search_dictionary`). Searches keep answering meanwhile.
    SearchReindex {
        #[command(flatten)]
        db: DbArgs,
    },
    /// Classify the complaint and feedback tickets that came before classification (after
    /// an upgrade): those already classified or corrected by staff are left as they are.
    FeedbackClassify {
        #[command(flatten)]
        db: DbArgs,
    },
    /// Benchmarks whose figures go to docs/PERFORMANCE.md.
    Bench {
        #[command(subcommand)]
        command: bench::BenchCommand,
    },
}

#[derive(Subcommand)]
enum KeysCommand {
    /// Create a new key file (0600) at `vault_key_file`; refuses to overwrite one.
    Init {
        #[command(flatten)]
        db: DbArgs,
    },
    /// Add a new data key, make it active, and re-encrypt every sealed value under it.
    /// Stop other nodes first (or restart them afterwards) so they load the new key.
    Rotate {
        /// Rows per transaction while re-encrypting.
        #[arg(long, default_value_t = 500)]
        batch: u32,
        #[command(flatten)]
        db: DbArgs,
    },
    /// Re-encrypt values still sealed under an older key (continues an interrupted rotation).
    Reencrypt {
        #[arg(long, default_value_t = 500)]
        batch: u32,
        #[command(flatten)]
        db: DbArgs,
    },
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Check the hash chain of the audit log; exits non-zero naming the first broken entry.
    Verify {
        #[command(flatten)]
        db: DbArgs,
    },
}

#[derive(Subcommand)]
enum AdminCommand {
    /// Create an administrator account.
    Create {
        #[arg(long)]
        username: String,
        /// Read the password from standard input (one line).
        #[arg(long, required = true)]
        password_stdin: bool,
        #[command(flatten)]
        db: DbArgs,
    },
}

pub(crate) fn load_config(db: &DbArgs, addr: Option<String>) -> anyhow::Result<Config> {
    Config::load(
        db.config.as_deref(),
        Overrides {
            addr,
            data_dir: db.data_dir.clone(),
            database_url: db.database_url.clone(),
        },
    )
}

pub(crate) async fn open_store(config: &Config) -> anyhow::Result<Arc<dyn Store>> {
    let location = config.location()?;
    tracing::info!(database = %location.describe(), "opening database");
    tripdesk_store_sql::open(&location, &config.pool_settings())
        .await
        .with_context(|| format!("cannot open the database at {}", location.describe()))
}

pub(crate) fn app_for(config: &Config, store: Arc<dyn Store>) -> App {
    let app = App::new(
        store,
        Arc::new(SystemClock),
        AppSettings {
            session_ttl: jiff::SignedDuration::from_hours(i64::from(config.session_hours)),
            notify: tripdesk_app::notify::NotifySettings {
                max_attempts: config.outbox_max_attempts,
                retry_base: jiff::SignedDuration::from_secs(config.outbox_retry_base_secs as i64),
                // The same condition as `channels_for`: without it mail would never leave.
                email: config.smtp_url.is_some() && config.smtp_from.is_some(),
                // The same condition as `channels_for`: an SMS is refused when enqueued without it.
                sms: config.sms_config().is_some(),
                sms_webhook_secret: config
                    .sms_webhook_secret
                    .as_ref()
                    .map(|s| tripdesk_vault::Secret::new(s.0.trim().to_string())),
                // The same condition as `channels_for`.
                wechat: config.wechat_config().is_some(),
                ..Default::default()
            },
            public_desk: tripdesk_app::public_desk::PublicDeskSettings {
                per_ip: config.public_form_per_ip_hour,
                total: config.public_form_per_hour,
                window: jiff::SignedDuration::from_hours(1),
            },
            login_throttle: tripdesk_app::auth::LoginThrottle {
                per_user_address: config.login_attempts_per_user_address,
                per_address: config.login_attempts_per_address,
                window: jiff::SignedDuration::from_mins(i64::from(config.login_window_mins)),
                per_user: config.login_attempts_per_user_hour,
                user_window: jiff::SignedDuration::from_hours(1),
            },
            // Checked when the configuration was loaded.
            wechat: config.wechat_account().ok().flatten(),
            cti_webhook_secret: config
                .cti_webhook_secret
                .as_ref()
                .map(|s| tripdesk_vault::Secret::new(s.0.trim().to_string())),
            summary_recipients: config.summary_recipient_list(),
        },
    )
    .with_pdf_fonts(match &config.pdf_font {
        Some(regular) => tripdesk_pdf::FontSource::Files {
            regular: regular.clone(),
            bold: config.pdf_font_bold.clone(),
        },
        None => tripdesk_pdf::FontSource::System,
    });
    // The administrator's search words (checked when the configuration was loaded).
    match config.search_words() {
        Ok(Some(words)) => match app.clone().with_search_words(&words) {
            Ok(with_words) => with_words,
            Err(e) => {
                tracing::error!(error = %e, "search_dictionary not used");
                app
            }
        },
        Ok(None) => app,
        Err(e) => {
            tracing::error!(error = %e, "search_dictionary not used");
            app
        }
    }
}

/// The app of a console command (`admin create`, `migrate`, `calendar …`): with the vault keys
/// when they exist, so its audit entries carry their MACs like the server's (a keyed audit
/// chain refuses unkeyed entries), without them before `keys init`.
pub(crate) fn console_app(config: &Config, store: Arc<dyn Store>) -> App {
    let app = app_for(config, store);
    let have_keys = std::env::var(VAULT_KEYS_ENV).is_ok_and(|t| !t.trim().is_empty())
        || config.key_file().exists();
    match have_keys.then(|| load_keys(config, false)) {
        Some(Ok(keys)) => app.with_vault(keys),
        Some(Err(e)) => {
            tracing::warn!(error = %e, "the vault keys could not be loaded");
            app
        }
        None => app,
    }
}

/// The delivery channels of this node: email when SMTP is configured, in-app and webhooks.
fn channels_for(config: &Config, app: &App) -> anyhow::Result<Vec<Arc<dyn Channel>>> {
    let mut channels: Vec<Arc<dyn Channel>> = Vec::new();
    match (&config.smtp_url, &config.smtp_from) {
        (Some(url), Some(from)) => {
            let email = EmailChannel::new(&url.0, from, config.outbox_workers as u32)
                .map_err(|e| anyhow::anyhow!(e))?;
            tracing::info!(smtp = ?url, "email goes out through SMTP");
            channels.push(Arc::new(email));
        }
        _ => tracing::warn!(
            "smtp_url is not set: email messages stay queued until SMTP is configured"
        ),
    }
    channels.push(Arc::new(InAppChannel::new(app)));
    channels.push(Arc::new(WebhookChannel::new(app)));
    match config.sms_config() {
        Some(sms) => {
            tracing::info!(provider = %sms.base_url, "SMS goes out through the provider");
            channels.push(Arc::new(
                tripdesk_delivery::sms::SmsChannel::new(app, sms)
                    .map_err(|e| anyhow::anyhow!(e))?,
            ));
        }
        None => tracing::info!("sms_base_url is not set: SMS is refused when enqueued"),
    }
    if let Some(wechat) = config.wechat_config() {
        tracing::info!(api = %wechat.base_url, "WeChat replies go out as customer-service messages");
        channels.push(Arc::new(
            tripdesk_delivery::wechat::WechatChannel::new(app, wechat)
                .map_err(|e| anyhow::anyhow!(e))?,
        ));
    }
    Ok(channels)
}

fn web_config(config: &Config) -> tripdesk_web::WebConfig {
    tripdesk_web::WebConfig {
        cookie_secure: config.cookie_secure,
        request_timeout: std::time::Duration::from_secs(config.request_timeout_secs),
        body_limit: config.body_limit_bytes,
        public_url: config
            .public_url
            .as_deref()
            .map(|u| u.trim().trim_end_matches('/').to_string())
            .filter(|u| !u.is_empty()),
        trust_forwarded_for: config.trust_forwarded_for,
        chat_origins: config.chat_origin_list(),
    }
}

/// Serves until `shutdown` completes (a signal for `serve`, the end of the run for a bench).
pub(crate) async fn serve(
    config: &Config,
    app: App,
    on_ready: impl FnOnce(std::net::SocketAddr),
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let addr = config.socket_addr()?;
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .with_context(|| format!("cannot listen on {addr}"))?;
    let local = listener.local_addr()?;
    let store = app.store.clone();
    let engine = tripdesk_app::sla::engine::SlaEngine::spawn(
        app.clone(),
        tripdesk_app::sla::engine::EngineSettings {
            recheck: std::time::Duration::from_secs(config.sla_recheck_secs),
            ..Default::default()
        },
    )
    .await;
    let linker = tripdesk_app::audit::AuditLinker::spawn(app.clone());
    if let (Some(_), Some(rate)) = (config.sms_config(), config.sms_rate_per_sec) {
        app.configure_sms_rate(i64::from(rate))
            .await
            .context("cannot set the SMS rate limit")?;
    }
    let dispatcher = Dispatcher::start(
        app.clone(),
        channels_for(config, &app)?,
        config.dispatcher_config(),
    );
    let watcher = tripdesk_app::email_in::idle::MailboxWatcher::spawn(app.clone());
    let jobs = tripdesk_app::jobs::JobWorker::spawn(
        app.clone(),
        tripdesk_app::jobs::standard_registry()?,
        tripdesk_app::jobs::WorkerSettings::default(),
    )
    .await;
    let state = tripdesk_web::AppState::new(app, web_config(config)).await?;
    let router = tripdesk_web::router(state);
    tracing::info!(addr = %local, "serving");
    on_ready(local);
    axum::serve(
        listener,
        router.into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await?;
    tracing::info!("shutting down: finishing deliveries in flight");
    dispatcher.shutdown().await;
    watcher.shutdown().await;
    tracing::info!("shutting down: finishing jobs in flight");
    jobs.shutdown().await;
    tracing::info!("shutting down: waiting for the database");
    engine.shutdown().await;
    linker.shutdown().await;
    store.close().await;
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    tripdesk_delivery::install_tls_provider();
    let cli = Cli::parse();
    match run(cli).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("tripdesk: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Serve {
            addr,
            create_keys,
            db,
        } => {
            let config = load_config(&db, addr)?;
            telemetry::init(&config);
            // Keys first: no point opening (and migrating) the database without them.
            let keys = load_keys(&config, create_keys)?;
            let store = open_store(&config).await?;
            let app = app_with_keys(&config, store, keys).await?;
            // Each default is checked and installed under the store's seeding lock, so nodes
            // started together on an empty database all come up (see `Store::write_seeding`).
            app.ensure_builtin_calendars().await?;
            // The desk and the SLA engine alert through these; an administrator's edits are
            // kept (only missing templates are added, e.g. those an upgrade brings).
            app.install_default_templates().await?;
            app.install_default_reply_templates().await?;
            serve(&config, app, announce, shutdown_signal()).await
        }
        Command::Demo { addr, db } => {
            let config = load_config(&db, addr)?;
            telemetry::init(&config);
            // The demo makes its own key file beside its database.
            let keys = load_keys(&config, true)?;
            let store = open_store(&config).await?;
            let app = app_with_keys(&config, store, keys).await?;
            let fresh = app.seed_demo().await?;
            // On existing demo data: the templates an upgrade brings.
            app.install_default_templates().await?;
            serve(
                &config,
                app,
                |local| {
                    announce(local);
                    print_demo_banner(local, fresh);
                },
                shutdown_signal(),
            )
            .await
        }
        Command::Migrate { db } => {
            let config = load_config(&db, None)?;
            telemetry::init(&config);
            let store = open_store(&config).await?;
            console_app(&config, store.clone())
                .ensure_builtin_calendars()
                .await?;
            store.close().await;
            println!("database is migrated: {}", config.location()?.describe());
            Ok(())
        }
        Command::Admin {
            command:
                AdminCommand::Create {
                    username,
                    password_stdin: _,
                    db,
                },
        } => {
            let config = load_config(&db, None)?;
            telemetry::init(&config);
            let mut password = String::new();
            std::io::stdin()
                .read_to_string(&mut password)
                .context("reading the password from standard input")?;
            let password = password.lines().next().unwrap_or("").to_string();
            if password.is_empty() {
                bail!("no password on standard input");
            }
            let store = open_store(&config).await?;
            let app = console_app(&config, store.clone());
            let result = app.bootstrap_admin(&username, &password).await;
            store.close().await;
            match result {
                Ok(user) => {
                    println!("created administrator {} ({})", user.username, user.id);
                    Ok(())
                }
                Err(tripdesk_app::AppError::Validation(fields)) => {
                    let msgs: Vec<_> = fields
                        .iter()
                        .map(|f| format!("{}: {}", f.field, f.message))
                        .collect();
                    bail!("{}", msgs.join("; "))
                }
                Err(e) => bail!("{e}"),
            }
        }
        Command::Keys {
            command: KeysCommand::Init { db },
        } => {
            let config = load_config(&db, None)?;
            telemetry::init(&config);
            let path = config.key_file();
            if path.exists() {
                bail!("{} already exists; it is never overwritten", path.display());
            }
            load_keys(&config, true)?;
            println!(
                "created vault keys at {} (mode 0600). Back this file up: without it the customer \
                 data cannot be read.",
                path.display()
            );
            Ok(())
        }
        Command::Keys {
            command: KeysCommand::Rotate { batch, db },
        } => {
            let config = load_config(&db, None)?;
            telemetry::init(&config);
            if std::env::var_os(VAULT_KEYS_ENV).is_some() {
                bail!(
                    "the keys come from {VAULT_KEYS_ENV}; rotate by adding a key to that TOML \
                     (a new entry under [keys] and `active` naming it), then run `tripdesk keys reencrypt`"
                );
            }
            let path = config.key_file();
            let mut ring = KeyRing::load_file(&path)
                .with_context(|| format!("cannot load the vault keys from {}", path.display()))?;
            let store = open_store(&config).await?;
            // The current keys must open the data before anything changes.
            check_keys(
                &app_for(&config, store.clone()).with_vault(Arc::new(KeyRing::load_file(&path)?)),
            )
            .await?;
            let kid = ring.add_key_and_activate();
            ring.replace_key_file(&path)
                .with_context(|| format!("cannot write {}", path.display()))?;
            println!("new active key {kid} written to {}", path.display());
            let app = app_for(&config, store.clone()).with_vault(Arc::new(ring));
            app.record_key_rotation(&kid).await?;
            let result = reencrypt(&app, batch).await;
            store.close().await;
            result?;
            println!("restart every other tripdesk node so it loads key {kid}");
            Ok(())
        }
        Command::Keys {
            command: KeysCommand::Reencrypt { batch, db },
        } => {
            let config = load_config(&db, None)?;
            telemetry::init(&config);
            let store = open_store(&config).await?;
            let app = app_for(&config, store.clone()).with_vault(load_keys(&config, false)?);
            let result = reencrypt(&app, batch).await;
            store.close().await;
            result
        }
        Command::Audit {
            command: AuditCommand::Verify { db },
        } => {
            let config = load_config(&db, None)?;
            telemetry::init(&config);
            // The MACs need the keys: without them a rewritten chain would pass.
            let keys = load_keys(&config, false)
                .context("`audit verify` checks the chain's MACs with the vault keys")?;
            let store = open_store(&config).await?;
            let result = app_for(&config, store.clone())
                .with_vault(keys)
                .verify_audit()
                .await;
            store.close().await;
            match result? {
                Ok(v) => {
                    let keyed = match v.first_keyed {
                        Some(1) => "every entry keyed".to_string(),
                        Some(first) => format!(
                            "keyed from entry {first} on (entries before it are covered by its MAC)"
                        ),
                        None => "empty".to_string(),
                    };
                    println!(
                        "audit log intact: {} entries, {keyed}, head {} {}",
                        v.entries, v.head_seq, v.head_hash
                    );
                    Ok(())
                }
                Err(broken) => bail!("audit log BROKEN: {broken}"),
            }
        }
        Command::Calendar { command } => calendar_cmd::run(command).await,
        Command::Bench { command } => bench::run(command).await,
        Command::SearchReindex { db } => {
            let config = load_config(&db, None)?;
            telemetry::init(&config);
            let store = open_store(&config).await?;
            let started = std::time::Instant::now();
            let report = console_app(&config, store.clone())
                .rebuild_search_index()
                .await?;
            store.close().await;
            println!(
                "search index rebuilt in {:.1} s: {} tickets, {} messages, {} bookings, {} products",
                started.elapsed().as_secs_f64(),
                report.tickets,
                report.messages,
                report.bookings,
                report.products
            );
            Ok(())
        }
        Command::FeedbackClassify { db } => {
            let config = load_config(&db, None)?;
            telemetry::init(&config);
            let store = open_store(&config).await?;
            let started = std::time::Instant::now();
            let classified = console_app(&config, store.clone())
                .classify_unclassified_tickets()
                .await;
            store.close().await;
            println!(
                "{} tickets classified in {:.1} s",
                classified?,
                started.elapsed().as_secs_f64()
            );
            Ok(())
        }
        Command::Backup { to, db } => {
            let config = load_config(&db, None)?;
            telemetry::init(&config);
            match config.location()? {
                tripdesk_store_sql::Location::Postgres(url) => backup_postgres(&url, &to),
                tripdesk_store_sql::Location::SqliteDir(_) => {
                    let store = open_store(&config).await?;
                    let result = store.backup_to(&to).await;
                    store.close().await;
                    result?;
                    println!("backup written to {}", to.display());
                    Ok(())
                }
            }
        }
    }
}

/// A fresh directory for the benchmark's SQLite database unless a database was named.
pub(crate) fn tempfile_dir_unless(db: &DbArgs) -> anyhow::Result<Option<PathBuf>> {
    if db.data_dir.is_some() || db.database_url.is_some() {
        return Ok(None);
    }
    let dir = std::env::temp_dir().join(format!("tripdesk-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    Ok(Some(dir))
}

/// PostgreSQL backups are pg_dump's job: a consistent snapshot in the custom format.
fn backup_postgres(url: &str, to: &std::path::Path) -> anyhow::Result<()> {
    if to.exists() {
        bail!("{} already exists; choose a new file", to.display());
    }
    let status = std::process::Command::new("pg_dump")
        .arg("--format=custom")
        .arg("--file")
        .arg(to)
        .arg("--dbname")
        .arg(url)
        .status()
        .context("running pg_dump (install the PostgreSQL client tools)")?;
    if !status.success() {
        bail!("pg_dump failed with {status}");
    }
    println!(
        "backup written to {} (restore with pg_restore)",
        to.display()
    );
    Ok(())
}

/// The one line on stdout saying where the server listens, e.g. with `--addr 127.0.0.1:0`
/// the port the system chose (scripts and tests read it).
fn announce(local: std::net::SocketAddr) {
    println!("listening on http://{local}");
}

fn print_demo_banner(addr: std::net::SocketAddr, fresh: bool) {
    let host = if addr.ip().is_unspecified() {
        "127.0.0.1".to_string()
    } else {
        addr.ip().to_string()
    };
    println!();
    println!(
        "  tripdesk demo {}",
        if fresh {
            "(new demo data)"
        } else {
            "(existing data)"
        }
    );
    println!(
        "  Open http://{host}:{}/ and sign in. Every demo password is: {}",
        addr.port(),
        tripdesk_app::demo::DEMO_PASSWORD
    );
    println!();
    for login in App::demo_logins() {
        println!(
            "    {:<12} {:<14} {}",
            login.username, login.display_name, login.what
        );
    }
    println!();
}
