//! The vault's keys at the command line: loading them (environment or key file), checking
//! that they open the stored data, and re-encrypting after a rotation.

use crate::config::Config;
use crate::{app_for, VAULT_KEYS_ENV};
use anyhow::{bail, Context};
use std::sync::Arc;
use tripdesk_app::App;
use tripdesk_store::Store;
use tripdesk_vault::KeyRing;

/// Loads the vault keys: `TRIPDESK_VAULT_KEYS` if set, else the key file; with `create`, a
/// missing key file is generated (0600).
pub(crate) fn load_keys(config: &Config, create: bool) -> anyhow::Result<Arc<KeyRing>> {
    if let Some(text) = std::env::var(VAULT_KEYS_ENV)
        .ok()
        .filter(|t| !t.trim().is_empty())
    {
        let ring = KeyRing::from_toml(&text)
            .with_context(|| format!("the keys in {VAULT_KEYS_ENV} are invalid"))?;
        tracing::info!(
            source = VAULT_KEYS_ENV,
            active_key = ring.active_key_id(),
            "vault keys loaded"
        );
        return Ok(Arc::new(ring));
    }
    let path = config.key_file();
    if !path.exists() {
        if !create {
            bail!(
                "no vault keys: {} does not exist and {VAULT_KEYS_ENV} is not set. Create them with                  `tripdesk keys init` (or start with `serve --create-keys`), then back the file up:                  without it the customer data cannot be read",
                path.display()
            );
        }
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("cannot create {}", dir.display()))?;
        }
        KeyRing::generate()
            .write_key_file(&path)
            .with_context(|| format!("cannot write the vault key file {}", path.display()))?;
        tracing::warn!(path = %path.display(), "created new vault keys; back this file up");
    }
    let ring = KeyRing::load_file(&path)
        .with_context(|| format!("cannot load the vault keys from {}", path.display()))?;
    tracing::info!(path = %path.display(), active_key = ring.active_key_id(), "vault keys loaded");
    Ok(Arc::new(ring))
}

/// The app with its keys, refusing keys that do not open the stored data.
pub(crate) async fn app_with_keys(
    config: &Config,
    store: Arc<dyn Store>,
    keys: Arc<KeyRing>,
) -> anyhow::Result<App> {
    let app = app_for(config, store).with_vault(keys);
    check_keys(&app).await?;
    // Entries written before the keys existed get covered by a keyed one now.
    if app.anchor_audit_chain().await? {
        tracing::info!("the audit chain is keyed from here on");
    }
    Ok(app)
}

/// The keys open the stored data, or an error that says why (the detail, not just "503").
pub(crate) async fn check_keys(app: &App) -> anyhow::Result<()> {
    app.check_vault_keys().await.map_err(|e| match e {
        tripdesk_app::AppError::Unavailable(detail) => anyhow::anyhow!(detail),
        other => anyhow::anyhow!(other),
    })
}

/// Re-encrypts in batches, printing progress; a rerun continues where this one stopped.
pub(crate) async fn reencrypt(app: &App, batch: u32) -> anyhow::Result<()> {
    if batch == 0 {
        bail!("--batch must be at least 1");
    }
    let report = app
        .reseal_all(batch, |r| {
            println!(
                "  re-encrypted {} identifiers, {} customer records, {} attachments, {} other values so far",
                r.identifiers,
                r.customers,
                r.attachments,
                r.others_total()
            )
        })
        .await
        .context("re-encryption stopped; run `tripdesk keys reencrypt` to continue")?;
    println!(
        "all sealed values are under the active key ({} identifiers, {} customer records, {} attachments, {} other values re-encrypted)",
        report.identifiers,
        report.customers,
        report.attachments,
        report.others_total()
    );
    Ok(())
}
