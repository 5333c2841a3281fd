//! Pure business rules of tripdesk. Nothing in this crate performs I/O or reads the wall
//! clock: time comes in as arguments, so every rule is testable exhaustively.

pub mod assessment;
pub mod audit;
pub mod bookings;
pub mod calendar;
pub mod catalog;
pub mod chat;
pub mod clock;
pub mod customer;
pub mod desk;
pub mod emergency;
pub mod feedback;
pub mod idempotency;
pub mod identity;
pub mod jobs;
pub mod notify;
pub mod phone;
pub mod quality;
pub mod search;
pub mod sla;
pub mod summaries;
pub mod text;
