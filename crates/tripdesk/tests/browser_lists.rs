//! Staff lists in a real headless Chromium: the desk's default queue pages to its last ticket
//! with the one pager (following 下一页 until it is gone shows every open ticket once, as many
//! as the count says), a ticket created now is on its first page, and the desk fits a 390 px
//! wide phone. Screenshots: `docs/screenshots/lists-*.png`.
//!
//! Needs `apt-get install chromium chromium-driver fonts-noto-cjk` (`scripts/test` does it).

mod common;

use std::collections::HashSet;
use std::time::Duration;

use anyhow::{ensure, Context};
use fantoccini::{Client, Locator};

use common::chromium::{start_demo_in_chromium, Session};

const STEP: Duration = Duration::from_secs(15);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn desk_pages_to_its_last_ticket_shows_new_work_first_and_fits_a_phone() -> anyhow::Result<()>
{
    let session = start_demo_in_chromium().await?;
    let outcome = walk(&session).await;
    session.finish(outcome).await
}

async fn walk(s: &Session) -> anyhow::Result<()> {
    let c = &s.client;
    // A general complaint filed now, the kind the old order (level, then oldest) left off the
    // first page behind every older urgent and important ticket.
    let (id, number) = create_ticket(&s.base).await?;

    c.set_window_size(1366, 900).await?;
    sign_in(c, &s.base, "li.na").await?;
    c.goto(&format!("{}/desk", s.base)).await?;
    wait(c, Locator::Css("table.desk-inbox")).await?;
    let total = shown_total(c).await?;
    ensure!(
        total > 100,
        "the demo has more open tickets than one page holds: {total}"
    );
    let first = row_numbers(c).await?;
    ensure!(
        first.first() == Some(&number),
        "the ticket created now ({number}) is the first row of the default queue: {:?}",
        &first[..first.len().min(5)]
    );
    ensure!(
        c.find(Locator::Css(&format!("a[href='/desk/tickets/{id}']")))
            .await
            .is_ok(),
        "its link is on page 1"
    );
    ensure!(
        c.find(Locator::Css(".pager a[rel=prev]")).await.is_err(),
        "page 1 has no previous page"
    );
    shot(s, "lists-desk-page1.png").await?;

    // Follow 下一页 until it disappears: every ticket once, as many as the count says.
    let mut seen: HashSet<String> = HashSet::new();
    let mut rows = 0usize;
    let mut pages = 0;
    loop {
        pages += 1;
        ensure!(pages <= 50, "the pager ends");
        let numbers = row_numbers(c).await?;
        rows += numbers.len();
        for n in numbers {
            ensure!(seen.insert(n.clone()), "{n} appears on two pages");
        }
        ensure!(
            shown_total(c).await? == total,
            "the count stays {total} on page {pages}"
        );
        let label = c
            .find(Locator::Css(".pager .pager-page"))
            .await?
            .text()
            .await?;
        ensure!(
            label.starts_with(&format!("第 {pages} 页")),
            "page label {label:?}"
        );
        match c.find(Locator::Css(".pager a[rel=next]")).await {
            Ok(next) => {
                ensure!(next.text().await? == "下一页", "the next link reads 下一页");
                let before = c.current_url().await?;
                next.click().await?;
                wait_for_url_change(c, &before).await?;
                wait(c, Locator::Css("table.desk-inbox")).await?;
            }
            Err(_) => break,
        }
    }
    ensure!(pages >= 2, "more than one page: {pages}");
    ensure!(
        rows as u64 == total,
        "following 下一页 to the end shows {rows} tickets; the count says {total}"
    );
    ensure!(
        c.find(Locator::Css(".pager a[rel=prev]")).await.is_ok(),
        "the last page links back"
    );
    // The screenshot shows the pager under the last rows.
    c.execute(
        "document.querySelector('.pager').scrollIntoView({block: 'end'});",
        vec![],
    )
    .await?;
    shot(s, "lists-desk-last-page.png").await?;

    // The pager keeps the tab and the filters: page 2 of "all" with a kind filter.
    c.goto(&format!("{}/desk?queue=all&kind=complaint", s.base))
        .await?;
    wait(c, Locator::Css("table.desk-inbox")).await?;
    if let Ok(next) = c.find(Locator::Css(".pager a[rel=next]")).await {
        let href = next.attr("href").await?.unwrap_or_default();
        ensure!(
            href.contains("queue=all")
                && href.contains("kind=complaint")
                && href.contains("page=2"),
            "the next link keeps the tab and the filter: {href}"
        );
    }

    // A phone: a 390 px wide page (the window widened by the desktop scrollbar a phone does
    // not have), no horizontal scroll, the subject visible.
    c.set_window_size(390, 844).await?;
    c.goto(&format!("{}/desk", s.base)).await?;
    wait(c, Locator::Css("table.desk-inbox")).await?;
    let client_width = |c: &Client| {
        let c = c.clone();
        async move {
            let v = c
                .execute("return document.documentElement.clientWidth;", vec![])
                .await?;
            anyhow::Ok(v.as_f64().context("clientWidth")?)
        }
    };
    let scrollbar = 390.0 - client_width(c).await?;
    if scrollbar > 0.0 {
        c.set_window_size(390 + scrollbar as u32, 844).await?;
        c.goto(&format!("{}/desk", s.base)).await?;
        wait(c, Locator::Css("table.desk-inbox")).await?;
    }
    ensure!(
        client_width(c).await? == 390.0,
        "the page is 390 px wide: {}",
        client_width(c).await?
    );
    let widths = c
        .execute(
            "const subject = document.querySelector('table.desk-inbox tbody td.c-subj');\
             const r = subject.getBoundingClientRect();\
             return [document.documentElement.scrollWidth, document.documentElement.clientWidth, \
                     r.left, r.right, r.height];",
            vec![],
        )
        .await?;
    let w: Vec<f64> = serde_json::from_value(widths)?;
    ensure!(
        w[0] <= 390.0 && w[0] <= w[1],
        "the desk scrolls sideways at 390 px: scrollWidth {} (clientWidth {})",
        w[0],
        w[1]
    );
    ensure!(
        w[2] >= 0.0 && w[3] <= w[1] && w[4] > 0.0,
        "the subject is on screen: left {} right {} height {}",
        w[2],
        w[3],
        w[4]
    );
    shot(s, "lists-desk-390.png").await?;
    Ok(())
}

/// A general web-form complaint through the API (as the intake of the public form would file
/// it); its id and number.
async fn create_ticket(base: &str) -> anyhow::Result<(String, String)> {
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(20))
        .build()?;
    let login: serde_json::Value = http
        .post(format!("{base}/api/v1/auth/login"))
        .json(&serde_json::json!({"username": "li.na", "password": "tripdesk-demo"}))
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    let token = login["token"].as_str().context("token")?;
    let t: serde_json::Value = http
        .post(format!("{base}/api/v1/tickets"))
        .bearer_auth(token)
        .json(&serde_json::json!({
            "kind": "complaint", "channel": "web_form", "level": "general",
            "subject": "网页投诉：行程单上的集合时间与短信不一致",
            "description": "客户通过官网表单投诉：行程单写 7:30 集合，短信通知是 8:00，导致错过大巴。",
            "customer": {"name": "周敏"}
        }))
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    Ok((
        t["id"].as_str().context("id")?.to_string(),
        t["number"].as_str().context("number")?.to_string(),
    ))
}

async fn sign_in(c: &Client, base: &str, username: &str) -> anyhow::Result<()> {
    c.goto(&format!("{base}/")).await?;
    wait(c, Locator::Id("username"))
        .await?
        .send_keys(username)
        .await?;
    c.find(Locator::Id("password"))
        .await?
        .send_keys("tripdesk-demo")
        .await?;
    c.find(Locator::Css("button[type=submit]"))
        .await?
        .click()
        .await?;
    wait(c, Locator::Css("form[action='/logout']")).await?;
    Ok(())
}

async fn wait(c: &Client, what: Locator<'_>) -> anyhow::Result<fantoccini::elements::Element> {
    let found = c.wait().at_most(STEP).for_element(what).await;
    let url = c
        .current_url()
        .await
        .map(|u| u.to_string())
        .unwrap_or_default();
    found.with_context(|| format!("waiting for {what:?} on {url}"))
}

/// Bounded polling until the address changes (a click on a link).
async fn wait_for_url_change(c: &Client, before: &url::Url) -> anyhow::Result<()> {
    let until = std::time::Instant::now() + STEP;
    while c.current_url().await? == *before {
        ensure!(
            std::time::Instant::now() < until,
            "the page did not change from {before}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    Ok(())
}

/// The ticket numbers in the inbox, in order.
async fn row_numbers(c: &Client) -> anyhow::Result<Vec<String>> {
    let mut out = Vec::new();
    for a in c
        .find_all(Locator::Css("table.desk-inbox tbody td.c-num a"))
        .await?
    {
        out.push(a.text().await?.trim().to_string());
    }
    Ok(out)
}

/// The queue's count under the table ("共 145 件").
async fn shown_total(c: &Client) -> anyhow::Result<u64> {
    let text = c.find(Locator::Css("p.count")).await?.text().await?;
    let digits: String = text.chars().filter(char::is_ascii_digit).collect();
    digits
        .parse()
        .with_context(|| format!("a count in {text:?}"))
}

async fn shot(s: &Session, name: &str) -> anyhow::Result<()> {
    let png = s.client.screenshot().await?;
    std::fs::write(s.shots.join(name), png).with_context(|| format!("write {name}"))?;
    Ok(())
}
