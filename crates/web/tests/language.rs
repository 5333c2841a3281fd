//! Every staff page speaks the reader's language: a walk through the staff interface as each
//! demo role (every same-origin link followed, one page of each kind), failing on an English
//! sentence in a Chinese page, and on Chinese interface text or Chinese punctuation in an
//! English one. Data is data (customers' names and tickets' subjects are Chinese in the demo
//! and stay so in English); the English check reads the interface's own places: headings,
//! labels, table headers, buttons, navigation and the `placeholder`/`title`/`aria-label`
//! attributes.

mod common;

use axum::http::Method;
use common::*;
use regex::Regex;
use std::collections::{BTreeSet, HashSet, VecDeque};
use std::sync::LazyLock;

/// Pages visited per user at most (one of each kind of address).
const MAX_PAGES: usize = 250;

/// Words and names that are the same in both languages: product and protocol names, formats,
/// codes a person types or reads as such.
const SAME_IN_BOTH: &[&str] = &[
    "tripdesk",
    "SLA",
    "API",
    "URL",
    "CSV",
    "XLSX",
    "Excel",
    "Webhook",
    "webhook",
    "SMTP",
    "HMAC",
    "PIPL",
    "ID",
    "JSON",
    "HTTP",
    "HTTPS",
    "POST",
    "GET",
    "UTC",
    "IMAP",
    "WeChat",
    "zh-CN",
    "en",
    "Idempotency-Key",
    "SHA-256",
    "OK",
];

static UUID: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}").unwrap()
});
static NUMBERED: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"/(TS)?\d+(/|$)").unwrap());
static HREF: LazyLock<Regex> = LazyLock::new(|| Regex::new(r##"href="(/[^"#]*)""##).unwrap());
static HIDDEN: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?is)<script\b.*?</script>|<style\b.*?</style>|<!--.*?-->|<svg\b.*?</svg>")
        .unwrap()
});
static TAG: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"(?s)<[^>]*>").unwrap());
static ATTR_TEXT: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r#"\b(?:placeholder|title|aria-label|alt)="([^"]*)""#).unwrap());
/// Two or more English words in a row ("is required", "Background jobs").
static ENGLISH_RUN: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"[A-Za-z][A-Za-z'’]+(?:(?:[ ,;\-]+|:\s+)[A-Za-z][A-Za-z'’]+)+").unwrap()
});
/// Addresses, accounts, file names, codes: a token with one of these is not prose.
static NOT_PROSE: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"[@/._=_{}]|://|\d").unwrap());
/// What a page marks as not its own interface text, and both checks skip: data
/// (`translate="no"`: names, subjects, messages as sent), text in a declared language
/// (`lang="en"` on an English template shown in the Chinese interface), commands (`<code>`).
static DATA: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"(?is)<(span|bdi|div|p|strong|a|td|pre|textarea|h1|h2|li|small|option)\b[^>]*\b(?:translate="no"|lang="[^"]*")[^>]*>.*?</(?:span|bdi|div|p|strong|a|td|pre|textarea|h1|h2|li|small|option)>|<code\b.*?</code>"#).unwrap()
});
/// The interface's own places in a page (for the English check).
static INTERFACE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?is)<(h1|h2|h3|th|label|button|legend|summary|nav)\b[^>]*>(.*?)</(?:h1|h2|h3|th|label|button|legend|summary|nav)>").unwrap()
});
static CJK: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"[\p{Han}]").unwrap());
/// Chinese punctuation right after a Latin letter ("Welcome back，").
static CJK_PUNCT_AFTER_LATIN: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"[A-Za-z][，。：；！？、（）]").unwrap());

fn unescape(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&#x27;", "'")
        .replace("&#38;", "&")
        .replace("&#34;", "\"")
        .replace("&nbsp;", " ")
        .replace("&amp;", "&")
}

/// The text a reader sees: text between tags, and the attributes a reader reads.
fn reader_text(html: &str) -> Vec<String> {
    let shown = HIDDEN.replace_all(html, " ");
    let shown = DATA.replace_all(&shown, " ");
    let mut out: Vec<String> = TAG
        .split(&shown)
        .map(|t| unescape(t.trim()))
        .filter(|t| !t.is_empty())
        .collect();
    out.extend(ATTR_TEXT.captures_iter(&shown).map(|c| unescape(&c[1])));
    out
}

/// English prose in a Chinese page's text.
fn english_runs(text: &str) -> Vec<String> {
    ENGLISH_RUN
        .find_iter(text)
        .map(|m| m.as_str().to_string())
        .filter(|run| {
            let words: Vec<&str> = run
                .split([' ', ',', ':', ';'])
                .filter(|w| !w.is_empty())
                .collect();
            let prose = words
                .iter()
                .filter(|w| !SAME_IN_BOTH.contains(w) && !NOT_PROSE.is_match(w))
                .count();
            prose >= 2
        })
        .collect()
}

/// One address per kind of page: ids and numbers replaced, query values dropped.
fn page_kind(uri: &str) -> String {
    let (path, query) = uri.split_once('?').unwrap_or((uri, ""));
    let path = UUID.replace_all(path, "{id}");
    let path = NUMBERED.replace_all(&path, "/{n}$2");
    let mut keys: Vec<&str> = query
        .split('&')
        .filter_map(|kv| kv.split('=').next())
        .filter(|k| !k.is_empty())
        .collect();
    keys.sort();
    format!("{path}?{}", keys.join("&"))
}

static FORM: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r#"(?is)<form\b([^>]*)>(.*?)</form>"#).unwrap());
static INPUT: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r#"(?is)<(input|textarea|select)\b([^>]*)>"#).unwrap());
static OPTION_VALUE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r#"(?is)<option\b[^>]*\bvalue="([^"]+)""#).unwrap());

fn attr(tag: &str, name: &str) -> Option<String> {
    let re = Regex::new(&format!(r#"\b{name}="([^"]*)""#)).unwrap();
    re.captures(tag).map(|c| unescape(&c[1]))
}

/// A form's fields filled as a careless typist would: every text field `x`, choices their
/// first option, hidden fields (the CSRF token, ids) as the page set them.
fn careless_fill(body: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for c in INPUT.captures_iter(body) {
        let (kind, tag) = (&c[1], &c[2]);
        let Some(name) = attr(tag, "name") else {
            continue;
        };
        let ty = attr(tag, "type").unwrap_or_default();
        let value = match (kind, ty.as_str()) {
            ("input", "hidden") => attr(tag, "value").unwrap_or_default(),
            ("input", "checkbox" | "radio" | "submit" | "file") => continue,
            ("select", _) => {
                let after = &body[c.get(0).unwrap().end()..];
                match OPTION_VALUE.captures(after) {
                    Some(o) => unescape(&o[1]),
                    None => continue,
                }
            }
            _ => "x".to_string(),
        };
        out.push((name, value));
    }
    out
}

/// Forms whose success would end the walk or destroy what it reads.
fn harmless(action: &str) -> bool {
    const SKIP: &[&str] = &[
        "logout",
        "delete",
        "erase",
        "merge",
        "revoke",
        "rotate",
        "disable",
        "retry",
        "reveal",
        "lang",
        "attachments",
        "read-all",
        "/read",
    ];
    action.starts_with('/') && !SKIP.iter().any(|s| action.contains(s))
}

fn followed(uri: &str) -> bool {
    const SKIP: &[&str] = &[
        "/static/", "/logout", "/lang", "/api/", "/healthz", "/metrics",
    ];
    !SKIP.iter().any(|s| uri.starts_with(s))
        && !["export", "download", "/attachments/", "pipl"]
            .iter()
            .any(|s| uri.contains(s))
}

/// English prose in a Chinese page, Chinese punctuation in an English one.
fn check_text(findings: &mut BTreeSet<String>, place: &str, lang: &str, html: &str) {
    for text in reader_text(html) {
        if lang == "zh-CN" {
            for run in english_runs(&text) {
                findings.insert(format!("{place}: English {run:?} in {text:?}"));
            }
        } else if CJK_PUNCT_AFTER_LATIN.is_match(&text) {
            findings.insert(format!("{place}: Chinese punctuation in {text:?}"));
        }
    }
}

/// Walks the staff pages as `username` in `lang`; returns (pages read, findings).
async fn walk(h: &Harness, username: &str, lang: &str) -> (usize, Vec<String>) {
    let (session, _) = h.session(username).await;
    let cookie = format!("{session}; tripdesk_lang={lang}");
    let mut seen_kinds = HashSet::new();
    // The home page, and a search no link leads to (a GET form the walk does not send):
    // recommendations for a family at the demo's 莫干山 homestay.
    let day = |n: i64| {
        h.app
            .today()
            .checked_add(jiff::Span::new().days(n))
            .unwrap()
    };
    let recommend = format!(
        "/bookings/recommend?keywords=%E8%8E%AB%E5%B9%B2%E5%B1%B1&earliest={}&latest={}&nights=2&budget=1500&adults=2&children=1&seniors=0",
        day(1),
        day(31)
    );
    let mut queue = VecDeque::from(["/".to_string(), recommend]);
    let mut pages = 0;
    let mut findings = BTreeSet::new();
    while let Some(uri) = queue.pop_front() {
        if pages >= MAX_PAGES {
            break;
        }
        let r = h
            .call(Method::GET, &uri, &[("cookie", &cookie)], None)
            .await;
        let html_page = r
            .headers
            .get("content-type")
            .is_some_and(|v| v.to_str().unwrap_or("").starts_with("text/html"));
        if !html_page {
            continue;
        }
        pages += 1;
        check_text(&mut findings, &format!("{username} {uri}"), lang, &r.text);
        if lang == "en" {
            let shown = HIDDEN.replace_all(&r.text, " ");
            let shown = DATA.replace_all(&shown, " ");
            let mut places: Vec<String> = INTERFACE
                .captures_iter(&shown)
                .map(|c| unescape(TAG.replace_all(&c[2], " ").trim()))
                .collect();
            places.extend(ATTR_TEXT.captures_iter(&shown).map(|c| unescape(&c[1])));
            for p in places {
                if CJK.is_match(&p) {
                    findings.insert(format!("{username} {uri}: Chinese interface text {p:?}"));
                }
            }
        }
        // Each kind of form once, filled carelessly: what it answers (its errors, or the page
        // it leads to) must speak the language too.
        for f in FORM.captures_iter(&r.text) {
            let (head, body) = (&f[1], &f[2]);
            let post = attr(head, "method").is_some_and(|m| m.eq_ignore_ascii_case("post"));
            let Some(action) = attr(head, "action") else {
                continue;
            };
            let multipart = attr(head, "enctype").is_some_and(|e| e.contains("multipart"));
            if !post
                || multipart
                || !harmless(&action)
                || !seen_kinds.insert(format!("POST {}", page_kind(&action)))
            {
                continue;
            }
            let mut form = form_urlencoded::Serializer::new(String::new());
            for (k, v) in careless_fill(body) {
                form.append_pair(&k, &v);
            }
            let answer = h
                .call(
                    Method::POST,
                    &action,
                    &[
                        ("cookie", &cookie),
                        ("content-type", "application/x-www-form-urlencoded"),
                    ],
                    Some(form.finish()),
                )
                .await;
            let shown = match answer.headers.get("location").and_then(|l| l.to_str().ok()) {
                Some(to) if to.starts_with('/') => {
                    h.call(Method::GET, to, &[("cookie", &cookie)], None)
                        .await
                        .text
                }
                _ => answer.text,
            };
            check_text(
                &mut findings,
                &format!("{username} POST {action}"),
                lang,
                &shown,
            );
        }
        for c in HREF.captures_iter(&r.text) {
            let next = unescape(&c[1]);
            if followed(&next) && seen_kinds.insert(page_kind(&next)) {
                queue.push_back(next);
            }
        }
    }
    (pages, findings.into_iter().collect())
}

async fn demo_harness() -> Harness {
    let h = harness().await;
    h.app.seed_demo().await.unwrap();
    h.app.seed_demo_tickets(60).await.unwrap();
    h
}

/// Walks as each of `users` in `lang` and fails with every finding at once.
async fn walk_all(users: &[&str], lang: &str) {
    let h = demo_harness().await;
    let mut all = Vec::new();
    for user in users {
        let (pages, findings) = walk(&h, user, lang).await;
        eprintln!("{user}: {pages} pages read in {lang}");
        assert!(pages >= 10, "{user} reached only {pages} pages");
        all.extend(findings);
    }
    assert!(
        all.is_empty(),
        "{} findings:\n{}",
        all.len(),
        all.join("\n")
    );
}

#[tokio::test]
async fn every_staff_page_in_chinese_has_no_english_sentence() {
    walk_all(
        &["admin", "zhao.min", "li.na", "wang.qiang", "wang.fang"],
        "zh-CN",
    )
    .await;
}

#[tokio::test]
async fn every_staff_page_in_english_has_no_chinese_interface_text() {
    walk_all(&["admin", "zhao.min", "li.na", "wang.fang"], "en").await;
}

#[test]
fn the_detectors_catch_what_they_are_for() {
    assert_eq!(
        english_runs("请填写 subject is required"),
        vec!["subject is required"]
    );
    assert!(english_runs("通过 Webhook 发送到 SLA 看板").is_empty());
    assert!(english_runs("li.na@example.com 与 TS0000123").is_empty());
    assert!(english_runs("触发：start_clock:complaint.contact").is_empty());
    assert!(reader_text(
        "<td lang=\"en\">Dear guest, welcome</td><code>tripdesk audit verify</code>"
    )
    .is_empty());
    assert!(CJK_PUNCT_AFTER_LATIN.is_match("Welcome back，li.na"));
    assert_eq!(
        page_kind("/desk/tickets/TS0000123?tab=mine"),
        "/desk/tickets/{n}?tab"
    );
    assert_eq!(
        reader_text("<p title=\"a &amp; b\">x<script>var y</script></p>"),
        vec!["x", "a & b"]
    );
}
