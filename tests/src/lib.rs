//! Helpers shared by the cross-crate tests.
pub mod acked;
pub mod day;
pub mod devices;
pub mod embedded;
pub mod hostile;
pub mod kill;
pub mod link;
pub mod postgres;
pub mod relay;
