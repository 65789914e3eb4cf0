//! The relay's HTTP API, version 1. Every body is postcard ([`crate::CONTENT_TYPE`]) except
//! errors, which are JSON. Space routes take `Authorization: Bearer <token hex>`.
//!
//! | method + path | body → reply | what it does |
//! |---|---|---|
//! | `GET /v1/health` | → JSON `{"status":"ok"}` | liveness, for load balancers |
//! | `GET /metrics` | → Prometheus text | counters and gauges, no content |
//! | `PUT /v1/spaces/{space}` | [`OpenSpace`] → [`SpaceInfo`] | create the space on first use, or check the token |
//! | `POST /v1/spaces/{space}/sync` | [`SyncRequest`] → [`SyncResponse`] | the handshake: push what the relay lacks, get what you lack |
//! | `PUT /v1/spaces/{space}/checkpoints` | [`Envelope`] → [`SpaceInfo`] | store the newest snapshot of one document |
//! | `GET /v1/spaces/{space}/checkpoints` | → [`Checkpoints`] | the newest snapshot of every document |
//! | `POST /v1/spaces/{space}/rekey` | [`Rekey`] → [`SpaceInfo`] | start a new epoch: new token, sealed keys for the rest |
//! | `GET /v1/spaces/{space}/rekeys?after=E` | → [`Rekeys`] | rekeys after epoch E (any token the space ever had) |
//! | `POST /v1/wait` | [`WaitRequest`] → [`WaitResponse`] | long-poll: returns when any listed space moves, or at the timeout |

use serde::{Deserialize, Serialize};

use crate::envelope::Envelope;
use crate::keys::{Token, TokenHash};
use crate::tags::{DeviceTag, DocTag, SpaceId};

/// "I hold envelopes 1..=seq of this (doc, device)".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct HaveEntry {
    pub doc: DocTag,
    pub device: DeviceTag,
    pub seq: u64,
}

/// Creates a space on first use (the token's hash becomes its credential) or checks the token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpenSpace {
    pub epoch: u32,
    pub token_hash: TokenHash,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SpaceInfo {
    pub epoch: u32,
    /// The relay's position in this space: grows by one per stored envelope.
    pub position: u64,
    /// Bytes stored for this space, and how many it may hold.
    pub used_bytes: u64,
    pub quota_bytes: u64,
}

/// One sync round trip.
///
/// The relay stores `push` (idempotently: an envelope it already holds is skipped), then returns
/// the envelopes the device lacks — those after position `since` if given, else those not
/// covered by `have` — oldest first, at most `limit` of them and about a megabyte; `more` says
/// whether to ask again from the returned `position`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncRequest {
    pub have: Vec<HaveEntry>,
    pub since: Option<u64>,
    pub push: Vec<Envelope>,
    /// Also return the relay's own vector (what it holds), so the device knows what to push.
    pub want_vector: bool,
    /// Most envelopes to return; 0 means the relay's default.
    pub limit: u32,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncResponse {
    /// How many pushed envelopes were new to the relay.
    pub stored: u32,
    pub envelopes: Vec<Envelope>,
    pub more: bool,
    /// Pass as `since` next time.
    pub position: u64,
    pub vector: Option<Vec<HaveEntry>>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Checkpoints {
    pub checkpoints: Vec<Envelope>,
}

/// Starts epoch `epoch`. `sealed` is opaque to the relay: the new key wrapped for each remaining
/// device, and the old key sealed under the new one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rekey {
    pub epoch: u32,
    pub token_hash: TokenHash,
    pub sealed: Vec<u8>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rekeys {
    pub rekeys: Vec<Rekey>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WaitSpace {
    pub space: SpaceId,
    pub token: Token,
    pub since: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WaitRequest {
    pub spaces: Vec<WaitSpace>,
    /// How long to hold the request open; the relay caps it.
    pub timeout_ms: u32,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct WaitResponse {
    /// Spaces whose position moved past `since`, with their new position. Empty at the timeout.
    pub changed: Vec<(SpaceId, u64)>,
}

/// Every error the relay returns, as JSON. `code` is for programs; `message` is for people.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    pub code: ErrorCode,
    pub message: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_after_secs: Option<u64>,
    /// For `token_revoked`: the space's current epoch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub epoch: Option<u32>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// 400: the body is not valid protocol data.
    Malformed,
    /// 400: an envelope names another space than the URL, or a similar contradiction.
    BadRequest,
    /// 401: no token, or a token this space never had.
    Unauthorized,
    /// 401: the token belonged to an older epoch; the space moved on (a member was removed).
    TokenRevoked,
    /// 404: no such space, or no such route.
    NotFound,
    /// 409: the space exists with another credential, or a rekey skips or repeats an epoch.
    Conflict,
    /// 413: the request body is larger than the relay accepts.
    BodyTooLarge,
    /// 413: more envelopes in one request than the relay accepts.
    TooManyEnvelopes,
    /// 413: the space's storage quota is full.
    QuotaExceeded,
    /// 415: not the protocol's content type, or another protocol version.
    UnsupportedVersion,
    /// 429: too many requests; wait `retry_after_secs`.
    RateLimited,
    /// 500: the relay failed; nothing was stored.
    Internal,
    /// 503: the relay is shutting down or its database is unreachable.
    Unavailable,
}

impl ErrorCode {
    pub fn status(self) -> u16 {
        match self {
            ErrorCode::Malformed | ErrorCode::BadRequest => 400,
            ErrorCode::Unauthorized | ErrorCode::TokenRevoked => 401,
            ErrorCode::NotFound => 404,
            ErrorCode::Conflict => 409,
            ErrorCode::BodyTooLarge | ErrorCode::TooManyEnvelopes | ErrorCode::QuotaExceeded => 413,
            ErrorCode::UnsupportedVersion => 415,
            ErrorCode::RateLimited => 429,
            ErrorCode::Internal => 500,
            ErrorCode::Unavailable => 503,
        }
    }
}

impl ErrorBody {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> ErrorBody {
        ErrorBody {
            code,
            message: message.into(),
            retry_after_secs: None,
            epoch: None,
        }
    }
}

/// URL paths, so the relay and its clients cannot disagree.
pub mod paths {
    use crate::tags::SpaceId;

    pub const HEALTH: &str = "/v1/health";
    pub const METRICS: &str = "/metrics";
    pub const WAIT: &str = "/v1/wait";

    pub fn space(space: &SpaceId) -> String {
        format!("/v1/spaces/{space}")
    }
    pub fn sync(space: &SpaceId) -> String {
        format!("/v1/spaces/{space}/sync")
    }
    pub fn checkpoints(space: &SpaceId) -> String {
        format!("/v1/spaces/{space}/checkpoints")
    }
    pub fn rekey(space: &SpaceId) -> String {
        format!("/v1/spaces/{space}/rekey")
    }
    pub fn rekeys(space: &SpaceId, after: u32) -> String {
        format!("/v1/spaces/{space}/rekeys?after={after}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_in_sync_handshake_is_tiny() {
        let req = SyncRequest {
            since: Some(123_456),
            ..Default::default()
        };
        assert!(crate::encode(&req).len() < 16);
        let back: SyncRequest = crate::decode(&crate::encode(&req)).expect("decode");
        assert_eq!(back, req);
    }

    #[test]
    fn error_bodies_are_readable_json() {
        let mut body = ErrorBody::new(ErrorCode::QuotaExceeded, "this space is full");
        body.retry_after_secs = None;
        let json = serde_json::to_string(&body).expect("json");
        assert_eq!(
            json,
            r#"{"code":"quota_exceeded","message":"this space is full"}"#
        );
        assert_eq!(ErrorCode::QuotaExceeded.status(), 413);
    }

    #[test]
    fn trailing_bytes_and_garbage_are_refused() {
        let mut bytes = crate::encode(&SyncRequest::default());
        bytes.push(0);
        assert!(crate::decode::<SyncRequest>(&bytes).is_err());
        assert!(crate::decode::<SyncResponse>(&[0xFF, 0xFF, 0xFF]).is_err());
    }
}
