//! One module per screen: its state, its transitions, its rendering. Nothing else.

pub mod accounting;
pub mod chart;
pub mod file_room;
pub mod lookup;
pub mod privacy;
pub mod queue;
pub mod roi_authorization;
mod roi_authorization_view;
pub mod roi_intake;
mod roi_intake_view;
pub mod roi_packet;
pub mod roi_queue;
pub mod roi_request;
pub mod roi_stats;
