//! Helpers shared by the cross-crate tests.
pub mod acked;
pub mod embedded;
pub mod kill;
pub mod postgres;
pub mod relay;
