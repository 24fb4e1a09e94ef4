//! The vocabulary and the rules of the HIM desk. Pure: no IO, no clock, no SQL, no terminal. Time
//! is passed in.

pub mod account;
pub mod audit;
pub mod chart;
pub mod completion;
pub mod dates;
pub mod deficiency;
pub mod file_room;
pub mod mrn;
pub mod names;
pub mod patient;
pub mod privacy;
pub mod procedure;
pub mod query;
pub mod roi;
pub mod role;
pub mod ssn;
pub mod text;
pub mod visit;
