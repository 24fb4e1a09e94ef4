//! chartroom: the terminal desk of a hospital's Health Information Management department.
#![forbid(unsafe_code)]

pub mod domain;
pub mod store;
