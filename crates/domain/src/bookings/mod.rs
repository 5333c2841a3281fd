//! Bookings' pure rules (issue 14, product brief §3, seeds 002 and 004): the booking
//! lifecycle and its holds, what a cancellation refunds and why, the inventory arithmetic the
//! store enforces, and the refund-payment deadline. No I/O: the use cases load, decide with
//! these functions, and persist.
//!
//! - [`lifecycle`]: held → confirmed → changed → completed, or cancelled / expired; checkout
//!   and deposit holds and the instant each expires.
//! - [`refund`](mod@refund): tiered cancellation policies as dated data (China's 2014 model group-tour
//!   contracts and lodging presets), agency cancellation, a group not formed, force majeure
//!   (Tourism Law art. 67); every computation explained line by line in fen.
//! - [`inventory`]: nights of a stay, seats left, overlapping stays, who a waitlist offers
//!   freed seats to.
//! - [`deadline`]: a refund is paid within 5 working days.

pub mod deadline;
pub mod inventory;
pub mod lifecycle;
pub mod refund;

pub use deadline::{refund_payment_due, REFUND_PAYMENT_TARGET, REFUND_PAYMENT_WORKING_DAYS};
pub use inventory::{
    offer_freed_seats, request_seats, seats_left, InventoryError, Stay, WaitlistEntry,
    MAX_STAY_NIGHTS,
};
pub use lifecycle::{
    effects, next_steps, transition, BookingEffect, BookingState, BookingStep, Hold, HoldKind,
    LifecycleError, StepContext, CONFIRMATION_TARGET,
};
pub use refund::{
    compute_refund, days_before, policy_in_force, postpone, share_of, CancellationPolicy, Cause,
    CauseKind, LineKind, LodgingCharge, LodgingPreset, LodgingTerms, PolicyTerms, Postponement,
    Refund, RefundCase, RefundError, RefundLine, SupplierCost, Tier, TierTable, TourTerms,
    TripScope,
};
