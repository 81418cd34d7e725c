//! One module per page (or family of pages).

pub mod actor;
pub mod embed;
pub mod home;
pub mod search;
pub mod shells;
pub mod watch;
