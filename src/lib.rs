//! chartroom: the terminal desk of a hospital's Health Information Management department.
#![forbid(unsafe_code)]
#![deny(clippy::unwrap_used, clippy::expect_used)]

pub mod cli;
pub mod config;
pub mod demo;
pub mod desk;
pub mod domain;
pub mod files;
pub mod import;
pub mod logging;
pub mod report;
pub mod setup;
pub mod store;
pub mod tui;
