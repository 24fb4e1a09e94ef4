//! Release of information (domain.md §2.1–2.6, §2.12, §4.4): the request's vocabulary and its
//! rules — clocks, the authorization checklist, the status machine. Pure: dates are passed in.

pub mod accounting;
pub mod aging;
pub mod calendar;
pub mod checklist;
pub mod clocks;
pub mod fees;
pub mod legal;
pub mod model;
pub mod packet;
pub mod stats;
pub mod status;
pub mod timeline;

pub use model::*;
