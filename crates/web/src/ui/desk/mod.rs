//! The desk pages: the inbox and a ticket (`inbox`), the supervisor's board, routing rules and
//! reply templates (`admin`), a ticket's customer links and surveys (`links`).

pub mod admin;
pub mod inbox;
pub mod links;
