//! Mutua's wire protocol between devices and a relay, version 1.
//!
//! A relay is a dumb, blind pipe. It stores and forwards [`Envelope`]s: opaque ciphertext with a
//! small header that says *where* it belongs (`space`, `doc`), *who* sent it (`device`, `seq`)
//! and *which key* sealed it (`epoch`) — all of them random-looking tags, never a name. The header
//! is bound to the ciphertext as AEAD associated data and signed by the sending device, so neither
//! the relay nor anybody else can move an envelope to another document, replay it under another
//! sequence number, or alter it without the receiver noticing.
//!
//! This crate names no domain type (no group, message or member): it only knows tags, keys and
//! bytes. An [`Envelope`] can only be made by [`Envelope::seal`] (or decoded from the wire), so
//! anything that accepts envelopes — the relay's API, the HTTP client — cannot be handed
//! plaintext by mistake:
//!
//! ```compile_fail
//! use mutua_protocol::{Envelope, SyncRequest};
//! // There is no way to build an envelope around plaintext bytes...
//! let env = Envelope { ciphertext: b"hello group".to_vec(), ..todo!() };
//! ```
//!
//! ```compile_fail
//! use mutua_protocol::SyncRequest;
//! // ...and the sync request only carries envelopes.
//! let req = SyncRequest { push: vec![b"hello group".to_vec()], ..Default::default() };
//! ```
//!
//! Bodies travel as [postcard](https://docs.rs/postcard) (compact, with a frozen wire format)
//! under [`CONTENT_TYPE`]; error bodies are JSON ([`ErrorBody`]) so a person reading a log or a
//! `curl` output understands them.

mod api;
mod envelope;
pub mod hub;
mod keys;
mod tags;

pub use api::*;
pub use envelope::{Envelope, Header, OpenError};
pub use keys::{EpochKey, NamingKey, Token, TokenHash};
pub use tags::{DeviceTag, DocTag, SpaceId, TagError};

/// The protocol version this crate speaks; it is also the first path segment (`/v1/...`).
pub const VERSION: u16 = 1;

/// Content type of every successful request and response body.
pub const CONTENT_TYPE: &str = "application/vnd.mutua.v1+postcard";

/// Serialises a body for the wire.
pub fn encode<T: serde::Serialize>(value: &T) -> Vec<u8> {
    // postcard only fails on types it cannot represent (none of ours) or a full fixed buffer
    // (we use a growable one), so an empty body here would be a programming error caught by tests.
    postcard::to_stdvec(value).unwrap_or_default()
}

/// Reads a body from the wire. Trailing bytes are an error: a body is exactly one value.
pub fn decode<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> Result<T, DecodeError> {
    let (value, rest) =
        postcard::take_from_bytes::<T>(bytes).map_err(|e| DecodeError(e.to_string()))?;
    if !rest.is_empty() {
        return Err(DecodeError(format!(
            "{} unexpected bytes after the body",
            rest.len()
        )));
    }
    Ok(value)
}

/// A body that is not valid protocol data (truncated, garbage, another version).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("malformed protocol data: {0}")]
pub struct DecodeError(pub String);

/// Random bytes from the operating system.
pub fn random<const N: usize>() -> Result<[u8; N], RandomError> {
    let mut out = [0u8; N];
    getrandom::fill(&mut out).map_err(|e| RandomError(e.to_string()))?;
    Ok(out)
}

#[derive(Debug, Clone, thiserror::Error)]
#[error("the system random number generator failed: {0}")]
pub struct RandomError(pub String);
