//! `tripdesk bench outbox`: how fast messages go into the outbox and out through SMTP.
//! Figures go to docs/PERFORMANCE.md with the command that produced them.

use crate::config::Config;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tripdesk_app::notify::{Notification, OneOffMessage, Recipient};
use tripdesk_app::App;
use tripdesk_delivery::email::EmailChannel;
use tripdesk_delivery::smtp_sink::SmtpSink;
use tripdesk_delivery::{Channel, Dispatcher};

fn rate(n: usize, d: Duration) -> String {
    format!(
        "{n} in {:.2} s = {:.0} msg/s",
        d.as_secs_f64(),
        n as f64 / d.as_secs_f64().max(1e-9)
    )
}

/// `tripdesk bench outbox`: on the named database, or a new SQLite one in a temporary
/// directory that is removed afterwards.
pub async fn run(
    messages: usize,
    smtp_url: Option<String>,
    workers: Option<usize>,
    db: crate::DbArgs,
) -> anyhow::Result<()> {
    let mut config = crate::load_config(&db, None)?;
    crate::telemetry::init(&config);
    if let Some(w) = workers {
        config.outbox_workers = w.clamp(1, 64);
    }
    let temp = crate::tempfile_dir_unless(&db)?;
    if let Some(dir) = &temp {
        config.data_dir = dir.clone();
    }
    let store = crate::open_store(&config).await?;
    let app = crate::app_for(&config, store.clone());
    let result = outbox(&config, app, messages, smtp_url).await;
    store.close().await;
    if let Some(dir) = temp {
        let _ = std::fs::remove_dir_all(dir);
    }
    result
}

async fn outbox(
    config: &Config,
    app: App,
    messages: usize,
    smtp_url: Option<String>,
) -> anyhow::Result<()> {
    app.install_default_templates().await?;
    let dispatcher_config = config.dispatcher_config();
    println!(
        "outbox benchmark: {} database, {} messages, {} workers, batch {}, {} cores",
        app.store.backend().as_str(),
        messages,
        dispatcher_config.workers,
        dispatcher_config.batch,
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );

    // 1. Enqueue in batches, as a broadcast to many travelers does: rendered from the
    //    template, one transaction per 1,000 recipients.
    let started = Instant::now();
    let mut done = 0;
    while done < messages {
        let n = (messages - done).min(1000);
        let batch: Vec<Notification> = (done..done + n)
            .map(|i| Notification {
                template_key: "booking.confirmed".into(),
                recipient: Recipient {
                    email: Some(format!("traveler{i}@example.com")),
                    locale: Some(if i % 2 == 0 { "zh-CN" } else { "en" }.into()),
                    ..Default::default()
                },
                vars: [
                    ("name", "张伟"),
                    ("booking_no", "SH-20260301-0001"),
                    ("product", "杭州西湖三日游"),
                    ("date", "2026-03-01"),
                    ("amount", "¥3,580.00"),
                    ("pay_by", "2026-02-20 18:00"),
                ]
                .into_iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
                related: Some(("booking".into(), format!("SH-{i}"))),
                emergency: false,
                attachments: Vec::new(),
            })
            .collect();
        let mut tx = app.store.write().await?;
        app.enqueue_notifications(&mut *tx, &batch).await?;
        tx.commit().await?;
        done += n;
    }
    let batch_time = started.elapsed();
    println!(
        "enqueue, 1,000 per transaction (templated): {}",
        rate(messages, batch_time)
    );

    // 2. One message per transaction, as a staff member's one-off message is.
    let single = (messages / 10).clamp(1, 1000);
    let console = App::console_principal();
    let started = Instant::now();
    for i in 0..single {
        app.send_message(
            &console,
            OneOffMessage {
                channel: "email".into(),
                to: format!("guest{i}@example.com"),
                subject: "您的行程单 / Your itinerary".into(),
                body: "您好，附上您的行程单。".into(),
                ..Default::default()
            },
        )
        .await?;
    }
    println!(
        "enqueue, one message per transaction (POST /api/v1/messages path): {}",
        rate(single, started.elapsed())
    );

    // 3. Deliver everything to the SMTP server with this node's workers.
    let total = messages + single;
    let sink = match &smtp_url {
        Some(_) => None,
        None => Some(SmtpSink::start().await?),
    };
    let url = smtp_url
        .clone()
        .unwrap_or_else(|| sink.as_ref().map(|s| s.url()).unwrap_or_default());
    let email = EmailChannel::new(
        &url,
        "山海国际旅行社 <service@shanhai-travel.example>",
        dispatcher_config.workers as u32,
    )
    .map_err(|e| anyhow::anyhow!(e))?;
    let channels: Vec<Arc<dyn Channel>> = vec![Arc::new(email)];
    let started = Instant::now();
    let dispatcher = Dispatcher::start(app.clone(), channels, dispatcher_config);
    let deadline = started + Duration::from_secs(3600);
    loop {
        let counts = app.store.read().await?.count_messages_by_state().await?;
        if counts.sent + counts.dead >= total as u64 {
            let elapsed = started.elapsed();
            dispatcher.shutdown().await;
            println!(
                "delivery to {} ({}): {}; dead {}",
                tripdesk_store_sql::redact_url(&url),
                if sink.is_some() {
                    "built-in Rust SMTP sink"
                } else {
                    "external SMTP server"
                },
                rate(counts.sent as usize, elapsed),
                counts.dead
            );
            if let Some(sink) = &sink {
                println!(
                    "sink received {} messages, {} duplicates",
                    sink.stats
                        .messages
                        .load(std::sync::atomic::Ordering::Relaxed),
                    sink.stats.duplicates()
                );
            }
            return Ok(());
        }
        if Instant::now() > deadline {
            dispatcher.shutdown().await;
            anyhow::bail!("delivery did not finish within an hour: {counts:?}");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
