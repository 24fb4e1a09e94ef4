//! Letters and reports, as text (PDF letters follow).

pub mod accounting;
pub mod file_room;
pub mod letters;
pub mod packet;
pub mod pdf;
pub mod roi_letters;
