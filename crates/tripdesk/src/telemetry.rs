//! Logs: human-readable or JSON lines, filtered by `log_level` (or `RUST_LOG`). Request logs
//! carry the request id; personal data is never logged (paths only, never query strings).

use crate::config::Config;
use tracing_subscriber::EnvFilter;

pub fn init(config: &Config) {
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new(format!("{},sqlx=warn", config.log_level)));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let result = if config.log_format == "json" {
        builder
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .try_init()
    } else {
        builder.try_init()
    };
    if result.is_err() {
        eprintln!("tripdesk: logging was already initialised");
    }
}
