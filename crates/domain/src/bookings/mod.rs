//! Bookings' pure rules (issue 14, product brief §3, seeds 002 and 004): the booking
//! lifecycle and its holds, what a cancellation refunds and why, the inventory arithmetic the
//! store enforces, and the refund-payment deadline. No I/O: the use cases load, decide with
//! these functions, and persist.
//!
//! - [`lifecycle`]: held → confirmed → changed → completed, or cancelled / expired; checkout
//!   and deposit holds and the instant each expires; lodging arrival, registration within 5
//!   minutes and the welcome pack ([`lifecycle::arrival`]).
//! - [`refund`](mod@refund): tiered cancellation policies as dated data (China's 2014 model group-tour
//!   contracts and lodging presets), agency cancellation, a group not formed, force majeure
//!   (Tourism Law art. 67); every computation explained line by line in fen.
//! - [`inventory`]: nights of a stay, seats left, overlapping stays, who a waitlist offers
//!   freed seats to.
//! - [`deadline`]: a refund is paid within 5 working days.
//! - [`ical_sync`]: which OTA calendar addresses a room may follow, how often, where a
//!   redirect may lead, and how old the last fetch is.
//! - [`documents`]: pre-trip documents — when they may be sent, on which channel, how long the
//!   traveler's link opens, whether a document sent is outdated, the contract's terms in words.
//! - [`line`]: a booking's lines (a room for a stay, seats for a party) and their prices.
//! - [`change`]: a change of dates, room or party, quoted line by line for the customer to
//!   accept, and what it means for the money already paid.

pub mod change;
pub mod deadline;
pub mod documents;
pub mod ical_sync;
pub mod inventory;
pub mod lifecycle;
pub mod line;
pub mod refund;

pub use change::{
    apply_changes, change_fee, quote, ChangeError, ChangeQuote, LineChange, Priced, QuoteContext,
    QuoteLine, Settlement, QUOTE_VALID_FOR,
};
pub use line::{BookingLine, LineItem};

pub use deadline::{refund_payment_due, REFUND_PAYMENT_TARGET, REFUND_PAYMENT_WORKING_DAYS};
pub use inventory::{
    offer_freed_seats, request_seats, seats_left, InventoryError, Stay, WaitlistEntry,
    MAX_STAY_NIGHTS,
};
pub use lifecycle::arrival::{
    ArrivalAction, ArrivalEffect, ArrivalError, ArrivalFacts, ArrivalStep, REGISTRATION_TARGET,
};
pub use lifecycle::{
    effects, next_steps, transition, BookingEffect, BookingState, BookingStep, Hold, HoldKind,
    LifecycleError, StepContext, CONFIRMATION_TARGET,
};
pub use refund::{
    check_terms, compute_refund, days_before, policy_in_force, postpone, share_of,
    CancellationPolicy, Cause, CauseKind, LineKind, LodgingCharge, LodgingDraft, LodgingPreset,
    LodgingPresetKind, LodgingTerms, PolicyFieldError, PolicyTerms, Postponement, Refund,
    RefundCase, RefundError, RefundLine, SupplierCost, TermsDraft, Tier, TierInput, TierTable,
    TourTerms, TripScope,
};
