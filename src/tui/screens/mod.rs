//! One module per screen: its state, its transitions, its rendering. Nothing else.

pub mod chart;
pub mod lookup;
pub mod queue;
