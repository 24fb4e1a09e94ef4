//! Reusable pieces of the screens.

pub mod chrome;
pub mod find_field;
pub mod palette;
