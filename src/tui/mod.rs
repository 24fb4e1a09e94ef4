//! The terminal program.

use crate::config::Config;
use crate::desk::Desk;

pub fn run(_desk: Desk, _config: &Config) -> Result<(), String> {
    Err("not yet".into())
}
