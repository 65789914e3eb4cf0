//! Mutua's core: everything a member keeps, with no user interface and no network.
//!
//! Shared records (groups, meeting calendars, peer contacts, the journal) live in Automerge
//! documents, the source of truth that can merge with other replicas ([`changes`]). Screens
//! never read those documents directly: every applied change updates *projections*, plain
//! SQLite tables that list and search fast ([`projection`]). Both live in one SQLCipher-encrypted
//! database per member ([`store`]), unlocked with the OS keychain or a passphrase ([`unlock`]).
//!
//! Front ends hold a [`Mutua`] and call its methods, which are grouped by topic: [`groups`],
//! [`meetings`] (over [`calendar`]), [`contacts`], [`messages`], [`journal`], [`profile`],
//! [`export`].

mod amjson;
pub mod calendar;
pub mod changes;
pub mod contacts;
mod docs;
pub mod error;
pub mod export;
mod fsutil;
pub mod groups;
pub mod identity;
pub mod ids;
pub mod integrity;
pub mod journal;
pub mod lookup;
pub mod meetings;
pub mod messages;
pub mod profile;
mod projection;
pub mod schema;
pub mod store;
pub mod sync;
pub mod time;
pub mod unlock;

pub use error::{Error, Result};
pub use store::{Mutua, NewProtection};
pub use unlock::{KdfParams, Protection, Unlock};
