//! Release of information at the desk: what a clerk keys at intake and the request file that
//! scripts write, checked before anything is logged.

pub mod intake;
pub mod request_file;

pub use intake::{FieldProblem, IntakeForm, IntakeRequester};
