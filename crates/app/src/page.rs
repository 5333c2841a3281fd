//! One page of a list, as every list of the application answers: the items and whether more
//! follow. A use case reads `limit + 1` rows and hands them to [`Page::of`]; the web layer
//! turns `more` into a next-page link (UI) or `next_offset` (API).

/// The most items one page holds, whatever a client asks for.
pub const MAX_PAGE: u32 = 200;

/// A page of `T`.
#[derive(Debug, Clone, PartialEq)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// Whether another page follows.
    pub more: bool,
}

impl<T> Page<T> {
    /// The first `limit` of `rows` (read with [`Page::fetch_limit`]), noting whether there
    /// were more.
    pub fn of(mut rows: Vec<T>, limit: u32) -> Self {
        let limit = Self::clamp(limit) as usize;
        let more = rows.len() > limit;
        rows.truncate(limit);
        Page { items: rows, more }
    }

    /// How many rows to read for a page of `limit`: one more, to know whether more follow.
    pub fn fetch_limit(limit: u32) -> u32 {
        Self::clamp(limit) + 1
    }

    fn clamp(limit: u32) -> u32 {
        limit.clamp(1, MAX_PAGE)
    }

    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Page<U> {
        Page {
            items: self.items.into_iter().map(f).collect(),
            more: self.more,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_page_reads_one_more_than_it_shows() {
        assert_eq!(Page::<u8>::fetch_limit(20), 21);
        assert_eq!(Page::<u8>::fetch_limit(0), 2);
        assert_eq!(Page::<u8>::fetch_limit(10_000), MAX_PAGE + 1);
        let p = Page::of((0..21).collect::<Vec<u8>>(), 20);
        assert_eq!((p.items.len(), p.more), (20, true));
        let p = Page::of((0..20).collect::<Vec<u8>>(), 20);
        assert_eq!((p.items.len(), p.more), (20, false));
        assert_eq!(p.map(u32::from).items[19], 19);
    }
}
