//! Helpers shared by the cross-crate tests.
pub mod hostile;
pub mod postgres;
pub mod relay;
