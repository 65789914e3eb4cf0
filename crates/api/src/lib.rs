//! Types that cross the boundary between the Leptos UI (wasm32) and the Tauri shell.
//!
//! Nothing here holds logic: the shell maps core results into these, the UI renders them.
//! Both sides serialise with serde, so a field renamed here is renamed on both ends at once;
//! the UI never parses ad-hoc JSON or strings from the shell.

mod bundle;
mod error;
mod info;
mod models;
mod requests;
mod sync;

pub use bundle::*;
pub use error::{ApiError, ErrorKind};
pub use info::AppInfo;
pub use models::*;
pub use requests::*;
pub use sync::*;
