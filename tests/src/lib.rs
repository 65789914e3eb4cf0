//! Helpers shared by the cross-crate tests.
pub mod postgres;
pub mod relay;
