//! The steps a browser walk is made of (sign in, wait for an element, fill a field, take a
//! workflow step, keep a screenshot checked for Content-Security-Policy violations), on the
//! session of `common::chromium` (re-exported here). A browser test includes it with
//! `#[path = "common/browser.rs"] mod chromium;` beside `mod common;`, so the other test
//! binaries do not compile it.
#![allow(dead_code)]

use std::path::Path;

use anyhow::{bail, ensure, Context};
use fantoccini::{Client, Locator};

pub use crate::common::chromium::*;

/// Where the demo of a browser test keeps its data: on PostgreSQL when the run names one (a
/// fresh database of its own, kept while the returned store lives, named in `env` for the
/// server), else SQLite in the demo's directory (`env` untouched, no store). A test binary
/// calling it belongs in the list of browser tests `.ci/run` runs again on PostgreSQL.
pub async fn demo_database(
    env: &mut Vec<(&'static str, String)>,
) -> Option<tripdesk_store_sql::testing::TestStore> {
    std::env::var("TRIPDESK_TEST_DATABASE_URL").ok()?;
    let store = tripdesk_store_sql::testing::fresh_store().await;
    if let tripdesk_store_sql::Location::Postgres(url) = &store.location {
        env.push(("TRIPDESK_DATABASE_URL", url.clone()));
    }
    Some(store)
}

impl Session {
    pub fn browser(&self) -> Browser<'_> {
        Browser {
            c: &self.client,
            base: &self.base,
            shots: &self.shots,
        }
    }
}

pub struct Browser<'a> {
    pub c: &'a Client,
    pub base: &'a str,
    pub shots: &'a Path,
}

impl Browser<'_> {
    pub async fn sign_in_as(&self, username: &str) -> anyhow::Result<()> {
        let c = self.c;
        c.goto(&format!("{}/", self.base)).await?;
        if let Ok(out) = c.find(Locator::Css("form[action='/logout'] button")).await {
            out.click().await?;
        }
        self.wait(Locator::Id("username")).await?;
        self.fill("username", username).await?;
        self.fill("password", "tripdesk-demo").await?;
        c.find(Locator::Css("button[type=submit]"))
            .await?
            .click()
            .await?;
        self.heading("欢迎回来").await
    }

    pub async fn sign_out(&self) -> anyhow::Result<()> {
        self.c.goto(&format!("{}/", self.base)).await?;
        if let Ok(out) = self
            .c
            .find(Locator::Css("form[action='/logout'] button"))
            .await
        {
            out.click().await?;
            self.wait(Locator::Id("username")).await?;
        }
        Ok(())
    }

    pub async fn click(&self, what: Locator<'_>) -> anyhow::Result<()> {
        self.wait(what).await?.click().await?;
        Ok(())
    }

    /// Clicks what submits a form and waits for the page the server answers with, so that
    /// what is read next is read from that page, never from the one the click left (which
    /// may hold the same element: a flash, a state).
    pub async fn submit(&self, what: Locator<'_>) -> anyhow::Result<()> {
        let button = self.wait(what).await?;
        self.c
            .execute("document.documentElement.dataset.left = '1';", vec![])
            .await?;
        button.click().await?;
        self.c
            .wait()
            .at_most(STEP)
            .for_element(Locator::Css("html:not([data-left])"))
            .await
            .with_context(|| format!("no page came after submitting with {what:?}"))?;
        Ok(())
    }

    /// Takes a step with the ticket page's step form: `selects` by visible label, `fields`
    /// typed.
    pub async fn step(
        &self,
        step: &str,
        selects: &[(&str, &str)],
        fields: &[(&str, &str)],
    ) -> anyhow::Result<()> {
        let c = self.c;
        c.find(Locator::Id("step"))
            .await?
            .select_by_value(step)
            .await
            .with_context(|| format!("step {step} is not offered"))?;
        for (id, label) in selects {
            c.find(Locator::Id(id))
                .await?
                .select_by_label(label)
                .await
                .with_context(|| format!("{id}: no option {label:?}"))?;
        }
        for (id, value) in fields {
            self.fill(id, value).await?;
        }
        self.submit(Locator::Css("form[action$='/step'] button[type=submit]"))
            .await
    }

    /// Waits until the ticket page shows `state` (after a step's redirect).
    pub async fn expect_state(&self, state: &str) -> anyhow::Result<()> {
        let found = self
            .wait(Locator::XPath(&format!(
                "//div[@class='page-head']//span[@class='tag' and normalize-space(.)='{state}']"
            )))
            .await;
        if found.is_err() {
            let alert = match self.c.find(Locator::Css("[role=alert]")).await {
                Ok(a) => a.text().await.unwrap_or_default(),
                Err(_) => String::new(),
            };
            bail!("the ticket did not reach {state:?}; alert: {alert:?}");
        }
        Ok(())
    }

    pub async fn wait(&self, what: Locator<'_>) -> anyhow::Result<fantoccini::elements::Element> {
        let found = self.c.wait().at_most(STEP).for_element(what).await;
        match found {
            Ok(e) => Ok(e),
            Err(e) => {
                let url = self.c.current_url().await.map(|u| u.to_string());
                Err(e).with_context(|| format!("waiting for {what:?} on {url:?}"))
            }
        }
    }

    /// Waits for an `h1` containing `text`: the page after a click or a post has arrived.
    pub async fn heading(&self, text: &str) -> anyhow::Result<()> {
        self.wait(Locator::XPath(&format!("//h1[contains(., '{text}')]")))
            .await
            .map(drop)
    }

    pub async fn fill(&self, id: &str, value: &str) -> anyhow::Result<()> {
        let field = self.c.find(Locator::Id(id)).await?;
        field.clear().await?;
        field.send_keys(value).await?;
        Ok(())
    }

    /// Saves a screenshot, and fails if the browser reported a Content-Security-Policy
    /// violation since the last one (every page is checked where the walk takes a picture).
    pub async fn shot(&self, name: &str) -> anyhow::Result<()> {
        let png = self.c.screenshot().await?;
        std::fs::write(self.shots.join(name), png).with_context(|| format!("write {name}"))?;
        let violations = csp_violations(self.c).await?;
        ensure!(
            violations.is_empty(),
            "Content-Security-Policy violations up to {name}: {violations:#?}"
        );
        Ok(())
    }
}
