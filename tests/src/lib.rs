//! Helpers shared by the cross-crate tests.
pub mod day;
pub mod hostile;
pub mod link;
pub mod postgres;
pub mod relay;
