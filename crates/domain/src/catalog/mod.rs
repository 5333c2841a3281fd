//! The catalog (issue 14, seeds 002 and 004; PRODUCT.md section 3): what an agency or a
//! homestay sells, and how a customer's needs find it.
//!
//! - [`product`]: tour packages and their departures (seats, minimum group size and its
//!   go/no-go date, prices by traveler category), lodging room types with weekend and holiday
//!   rates, the validators that name the field at fault, and the price of a party or a stay.
//! - [`matching`]: from an inquiry's needs to at most three available products, each with a
//!   score broken into named components and a one-line reason in Chinese. Hard constraints
//!   (dates, capacity, accessibility, diet) are never broken and price never earns points.
//!
//! Pure: availability (seats left, rooms free) comes in as data; the holiday calendar's answer
//! comes in as a function. Money is integer fen.

pub mod matching;
pub mod product;

#[cfg(test)]
mod matching_tests;
#[cfg(test)]
mod product_tests;

pub use matching::{
    recommend, Candidate, DateWindow, Needs, Recommendation, ScoreComponent, ScoreKind, StayOffer,
    TourOffer, MAX_RECOMMENDATIONS,
};
pub use product::{
    nights_between, yuan, Accessibility, CategoryPrices, DayKind, Departure, Diet, FeeItem,
    ItineraryDay, NightPrice, Party, RoomType, StayQuote, Tag, TourPackage, TourScope,
    TravelerCategory, MAX_GUIDE_NAME, MAX_GUIDE_PHONE, MAX_STAY_NIGHTS,
};

/// Everything that can be wrong with catalog data or a request to price or match it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CatalogError {
    /// A field breaks a rule; `field` is its name in the API (`departure.min_group`), `rule`
    /// a stable snake_case reason (`empty`, `out_of_range`, `too_late`…).
    #[error("{field}: {rule}")]
    Invalid {
        field: &'static str,
        rule: &'static str,
    },
    /// A sum in fen left the range of an i64 (a price no one can pay).
    #[error("the amount is too large")]
    Overflow,
}

impl CatalogError {
    /// Stable snake_case code for API answers.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Invalid { .. } => "catalog.invalid",
            Self::Overflow => "catalog.overflow",
        }
    }

    /// The field at fault, for the form that shows the message beside it.
    pub fn field(&self) -> Option<&'static str> {
        match self {
            Self::Invalid { field, .. } => Some(field),
            Self::Overflow => None,
        }
    }

    pub(crate) fn invalid(field: &'static str, rule: &'static str) -> Self {
        Self::Invalid { field, rule }
    }
}
