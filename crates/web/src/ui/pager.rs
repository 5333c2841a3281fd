//! The one pager of every staff list: numbered pages by `page=` in the query.
//!
//! A list handler takes a [`Pager`] (an extractor that never refuses a request), reads its
//! window with [`Pager::offset`] and the list's page size, and hands the template a
//! [`PagerNav`] made by [`Pager::nav`], which `templates/pager.html` renders (上一页 / 下一页,
//! 第 N 页, and the number of pages when the total is known). The links keep every other
//! query parameter (filters, tabs, a search) as the request had them, so a page handler
//! never lists its parameters twice. A page with a second list (the incident board's offers)
//! pages it by a parameter of its own ([`Pager::keyed`]): each list's links keep the other's
//! page.

use crate::i18n::Tr;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use std::convert::Infallible;

/// The highest page anyone may ask for: with up to 200 rows a page, the offset stays far
/// below the store's bound (`api::MAX_LIST_OFFSET`). A larger or unreadable `page` is this or
/// page 1, never an error: a pasted address still shows a page.
pub const MAX_PAGE: u32 = 100_000;

/// The requested page of a list, with the request's path and its other query parameters.
#[derive(Debug, Clone)]
pub struct Pager {
    path: String,
    /// The query parameter holding the page number (`page`).
    key: &'static str,
    /// Every query pair but the page's, in the request's order.
    rest: Vec<(String, String)>,
    page: u32,
}

impl Pager {
    /// The pager of `path?query`.
    pub fn parse(path: &str, query: Option<&str>) -> Self {
        Self::parse_keyed(path, query, "page")
    }

    /// The pager of another list on the same page, numbered by the parameter `key`.
    pub fn keyed(&self, key: &'static str) -> Self {
        let href = self.href(self.page);
        let query = href.split_once('?').map(|(_, q)| q);
        Self::parse_keyed(&self.path, query, key)
    }

    fn parse_keyed(path: &str, query: Option<&str>, key: &'static str) -> Self {
        let mut page = 1;
        let mut rest = Vec::new();
        for (k, v) in form_urlencoded::parse(query.unwrap_or("").as_bytes()) {
            if k == key {
                page = match v.trim().parse::<u64>() {
                    Ok(n) => n.clamp(1, u64::from(MAX_PAGE)) as u32,
                    Err(_) => 1,
                };
            } else {
                rest.push((k.into_owned(), v.into_owned()));
            }
        }
        Pager {
            path: path.to_string(),
            key,
            rest,
            page,
        }
    }

    /// The page asked for, from 1.
    pub fn page(&self) -> u32 {
        self.page
    }

    /// The rows before this page, at `per` rows a page.
    pub fn offset(&self, per: u32) -> u32 {
        (self.page - 1).saturating_mul(per)
    }

    /// The address of page `n` of the same list, with the same other parameters.
    pub fn href(&self, n: u32) -> String {
        let mut q = form_urlencoded::Serializer::new(String::new());
        for (k, v) in &self.rest {
            q.append_pair(k, v);
        }
        if n > 1 {
            q.append_pair(self.key, &n.to_string());
        }
        let q = q.finish();
        if q.is_empty() {
            self.path.clone()
        } else {
            format!("{}?{q}", self.path)
        }
    }

    /// The navigation of this page, given what the list knows beyond it.
    pub fn nav(&self, t: Tr, per: u32, extent: Extent) -> PagerNav {
        let pages = extent
            .total
            .map(|n| u32::try_from(n.div_ceil(u64::from(per.max(1)))).unwrap_or(u32::MAX));
        let label = match pages {
            Some(p) if p > 0 => t
                .s("pager.page_of")
                .replace("{n}", &self.page.to_string())
                .replace("{pages}", &p.to_string()),
            _ => t.s("pager.page").replace("{n}", &self.page.to_string()),
        };
        PagerNav {
            prev: (self.page > 1).then(|| self.href(self.page - 1)),
            next: (extent.more && self.page < MAX_PAGE).then(|| self.href(self.page + 1)),
            label,
        }
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Pager {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Infallible> {
        Ok(Pager::parse(parts.uri.path(), parts.uri.query()))
    }
}

/// What a list knows beyond the page shown: whether more rows follow, and the total when it
/// was counted exactly.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Extent {
    pub more: bool,
    pub total: Option<u64>,
}

impl Extent {
    /// A list counted exactly: `shown` rows from `offset` of `total`.
    pub fn counted(offset: u32, shown: usize, total: u64) -> Self {
        Extent {
            more: u64::from(offset) + (shown as u64) < total,
            total: Some(total),
        }
    }

    /// A list that knows only whether another row follows (it read one more than a page).
    pub fn more(more: bool) -> Self {
        Extent { more, total: None }
    }
}

/// The pager as `templates/pager.html` shows it.
#[derive(Debug, Clone)]
pub struct PagerNav {
    pub prev: Option<String>,
    pub next: Option<String>,
    /// 第 N 页, or 第 N 页 / 共 M 页 when the total is known.
    pub label: String,
}

impl PagerNav {
    /// Whether there is anywhere to go (a one-page list shows no pager).
    pub fn shown(&self) -> bool {
        self.prev.is_some() || self.next.is_some()
    }
}

/// The pager's words (shared by every list).
pub(crate) const TEXT: &[crate::i18n::Entry] = &[
    ("pager.label", "分页", "Pages"),
    ("pager.prev", "上一页", "Previous page"),
    ("pager.next", "下一页", "Next page"),
    ("pager.page", "第 {n} 页", "Page {n}"),
    (
        "pager.page_of",
        "第 {n} 页 / 共 {pages} 页",
        "Page {n} of {pages}",
    ),
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::Lang;

    #[test]
    fn page_is_bounded_and_other_parameters_are_kept() {
        let p = Pager::parse("/desk", Some("queue=all&page=3&level=urgent"));
        assert_eq!(p.page(), 3);
        assert_eq!(p.offset(100), 200);
        assert_eq!(p.href(4), "/desk?queue=all&level=urgent&page=4");
        assert_eq!(p.href(1), "/desk?queue=all&level=urgent");
        assert_eq!(Pager::parse("/x", Some("page=0")).page(), 1);
        assert_eq!(Pager::parse("/x", Some("page=-2")).page(), 1);
        assert_eq!(Pager::parse("/x", Some("page=abc")).page(), 1);
        assert_eq!(
            Pager::parse("/x", Some("page=99999999999")).page(),
            MAX_PAGE
        );
        assert_eq!(Pager::parse("/x", None).href(2), "/x?page=2");
        // A value that needs escaping comes back escaped.
        assert_eq!(
            Pager::parse("/customers", Some("q=%E5%BC%A0+%26")).href(2),
            "/customers?q=%E5%BC%A0+%26&page=2"
        );
    }

    #[test]
    fn a_second_list_pages_by_its_own_key_and_keeps_the_first_ones_page() {
        let people = Pager::parse("/incidents/x", Some("people=safe&page=2&offers_page=3"));
        assert_eq!(people.page(), 2);
        assert_eq!(
            people.href(3),
            "/incidents/x?people=safe&offers_page=3&page=3"
        );
        let offers = people.keyed("offers_page");
        assert_eq!(offers.page(), 3);
        assert_eq!(offers.offset(20), 40);
        assert_eq!(
            offers.href(4),
            "/incidents/x?people=safe&page=2&offers_page=4"
        );
        assert_eq!(offers.href(1), "/incidents/x?people=safe&page=2");
    }

    #[test]
    fn nav_links_follow_the_extent() {
        let t = Tr(Lang::ZhCn);
        let p = Pager::parse("/audit", Some("page=2"));
        let nav = p.nav(t, 100, Extent::counted(p.offset(100), 45, 145));
        assert_eq!(nav.prev.as_deref(), Some("/audit"));
        assert_eq!(nav.next, None);
        assert_eq!(nav.label, "第 2 页 / 共 2 页");
        let first = Pager::parse("/audit", None);
        let nav = first.nav(t, 100, Extent::counted(0, 100, 145));
        assert_eq!(nav.next.as_deref(), Some("/audit?page=2"));
        assert!(nav.shown());
        let nav = first.nav(t, 100, Extent::counted(0, 100, 100));
        assert!(!nav.shown());
        let nav = first.nav(t, 50, Extent::more(true));
        assert_eq!(nav.label, "第 1 页");
        assert!(nav.next.is_some());
    }
}
