//! The commands the UI can invoke, by topic, exactly as listed in `mutua_api::requests`.
//!
//! Each is a few lines: take the state, call the core, convert, map the error. All are `async`
//! and do their work on a blocking thread (see [`crate::state`]). A command takes either
//! nothing or one argument named `request`, so the UI always calls `invoke(name, { request })`.

pub mod bundle;
pub mod contacts;
pub mod devices;
pub mod files;
pub mod groups;
pub mod journal;
pub mod meetings;
pub mod messages;
pub mod session;
pub mod sync;
