//! The relay over HTTP: one blocking reqwest client, postcard bodies, JSON errors turned into
//! sentences a member understands. Call it from a background thread, never with the store
//! locked.
//!
//! **Timeouts for slow links.** A request must not fail because the link is slow, only because
//! it is dead. reqwest's blocking client offers a *total* deadline per request (the builder's
//! and `RequestBuilder::timeout`, 30 s by default) and no read timeout (only the async client
//! has `read_timeout`). But its blocking `Response` applies that deadline afresh to every
//! `read` of the body. So each request gets a deadline of [`IDLE`] plus the time its own body
//! takes to upload at [`SLOWEST_LINK`], the response body is read in chunks (each chunk must
//! come within the deadline: an idle timeout, however big the page), and a long-poll gets its
//! waiting time on top. Connecting gets [`CONNECT`], enough for a few lost SYNs on a satellite
//! hop. On Linux and Android, `TCP_USER_TIMEOUT` closes a connection whose sent data stays
//! unacknowledged for [`IDLE`] × 2, so a link that dies under a big upload is noticed too.

use std::io::Read;
use std::time::Duration;

use mutua_protocol::{
    CONTENT_TYPE, Checkpoints, Envelope, ErrorBody, ErrorCode, OpenSpace, Rekey, Rekeys, SpaceId,
    SpaceInfo, SyncRequest, SyncResponse, Token, WaitRequest, WaitResponse, paths,
};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::error::{Error, Result};

/// Checks a relay URL as a member typed it.
pub fn check_relay_url(url: &str) -> Result<()> {
    let bad = |why: &str| {
        Err(Error::invalid(format!(
            "\"{url}\" is not a relay address: {why}"
        )))
    };
    let rest = if let Some(rest) = url.strip_prefix("https://") {
        rest
    } else if let Some(rest) = url.strip_prefix("http://") {
        rest
    } else {
        return bad("it must start with https:// (or http:// on a local network)");
    };
    let host = rest.split('/').next().unwrap_or("");
    if host.is_empty() {
        return bad("the host name is missing");
    }
    if host.contains('@') {
        return bad("it must not contain a user name or password");
    }
    if url.len() > 300 || url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return bad("it contains spaces or is too long");
    }
    Ok(())
}

/// A relay's refusal or failure, in words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RelayError {
    /// No answer (down, no network, DNS, timeout).
    Unreachable(String),
    /// An answer that is not the protocol (a captive portal, a proxy error page, truncated data).
    Garbled(String),
    /// A clear refusal from the relay.
    Refused {
        status: u16,
        code: ErrorCode,
        message: String,
        retry_after: Option<u64>,
        epoch: Option<u32>,
    },
}

impl RelayError {
    pub fn code(&self) -> Option<ErrorCode> {
        match self {
            RelayError::Refused { code, .. } => Some(*code),
            _ => None,
        }
    }
}

impl From<RelayError> for Error {
    fn from(e: RelayError) -> Error {
        match e {
            RelayError::Unreachable(why) => Error::RelayUnreachable(why),
            RelayError::Garbled(why) => Error::RelayGarbled(why),
            RelayError::Refused { code, message, .. } => Error::RelayRefused(match code {
                ErrorCode::QuotaExceeded => {
                    "the relay's storage for this group is full; ask whoever runs it for more room"
                        .into()
                }
                ErrorCode::RateLimited => {
                    "the relay asks to slow down; sync will retry shortly".into()
                }
                ErrorCode::Unauthorized => {
                    "the relay does not recognise this group's key (was it reset?)".into()
                }
                _ => message,
            }),
        }
    }
}

pub struct RelayClient {
    base: String,
    http: reqwest::blocking::Client,
}

impl std::fmt::Debug for RelayClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RelayClient")
            .field("base", &self.base)
            .finish()
    }
}

/// What sync needs from a relay. [`RelayClient`] speaks HTTP to a real one; unit tests use an
/// in-memory stand-in with the same rules.
pub trait Transport {
    /// The relay's address, as this device's state about it is keyed.
    fn base(&self) -> &str;
    fn open_space(
        &self,
        space: &SpaceId,
        token: &Token,
        epoch: u32,
    ) -> std::result::Result<SpaceInfo, RelayError>;
    fn sync(
        &self,
        space: &SpaceId,
        token: &Token,
        request: &SyncRequest,
    ) -> std::result::Result<SyncResponse, RelayError>;
    fn rekey(
        &self,
        space: &SpaceId,
        token: &Token,
        rekey: &Rekey,
    ) -> std::result::Result<SpaceInfo, RelayError>;
    fn rekeys(
        &self,
        space: &SpaceId,
        token: &Token,
        after: u32,
    ) -> std::result::Result<Rekeys, RelayError>;
    fn wait(&self, request: &WaitRequest) -> std::result::Result<WaitResponse, RelayError>;
    /// Stores the newest checkpoint of one document. Routes without checkpoints refuse.
    fn put_checkpoint(
        &self,
        _space: &SpaceId,
        _token: &Token,
        _checkpoint: &Envelope,
    ) -> std::result::Result<SpaceInfo, RelayError> {
        Err(no_checkpoints())
    }
    /// The newest checkpoint of every document of the space. Routes without checkpoints refuse.
    fn checkpoints(
        &self,
        _space: &SpaceId,
        _token: &Token,
    ) -> std::result::Result<Checkpoints, RelayError> {
        Err(no_checkpoints())
    }
}

fn no_checkpoints() -> RelayError {
    RelayError::Refused {
        status: ErrorCode::NotFound.status(),
        code: ErrorCode::NotFound,
        message: "this route keeps no checkpoints".into(),
        retry_after: None,
        epoch: None,
    }
}

/// Longest a long-poll waits at the relay. A satellite round trip (~600 ms) and a few lost
/// segments fit easily in the [`IDLE`] margin the client adds on top.
pub const WAIT_MS: u32 = 25_000;

/// A request fails when the relay sends nothing for this long: the link is dead, not slow.
pub const IDLE: Duration = Duration::from_secs(30);
/// Connecting (TCP, then TLS) over a lossy link with a long round trip.
pub const CONNECT: Duration = Duration::from_secs(20);
/// The slowest link (bytes per second, 8 kbit/s) an upload is given time for, on top of
/// [`IDLE`]. Sync keeps pushes to a few seconds of the measured rate, so this only matters
/// when the link gets far slower mid-request.
pub const SLOWEST_LINK: u64 = 1_000;

impl RelayClient {
    pub fn new(base: &str) -> Result<RelayClient> {
        check_relay_url(base)?;
        let builder = reqwest::blocking::Client::builder()
            .connect_timeout(CONNECT)
            // Every request sets its own deadline (see `send`); this is only the fallback.
            .timeout(IDLE)
            .user_agent(concat!("mutua/", env!("CARGO_PKG_VERSION")));
        #[cfg(any(target_os = "android", target_os = "linux"))]
        let builder = builder.tcp_user_timeout(IDLE * 2);
        let http = builder
            .build()
            .map_err(|e| Error::RelayUnreachable(e.to_string()))?;
        Ok(RelayClient {
            base: base.trim_end_matches('/').to_owned(),
            http,
        })
    }

    fn send<B: Serialize, R: DeserializeOwned>(
        &self,
        method: reqwest::Method,
        path: &str,
        token: Option<&Token>,
        body: Option<&B>,
    ) -> std::result::Result<R, RelayError> {
        self.send_waiting(method, path, token, body, Duration::ZERO)
    }

    /// Sends a request whose answer may take `waiting` on top of the link's own time (a
    /// long-poll), and reads the answer with an idle timeout.
    fn send_waiting<B: Serialize, R: DeserializeOwned>(
        &self,
        method: reqwest::Method,
        path: &str,
        token: Option<&Token>,
        body: Option<&B>,
        waiting: Duration,
    ) -> std::result::Result<R, RelayError> {
        let body = body.map(mutua_protocol::encode);
        let upload = body.as_ref().map_or(0, |b| b.len() as u64) / SLOWEST_LINK;
        let mut req = self
            .http
            .request(method, format!("{}{path}", self.base))
            .timeout(IDLE + waiting + Duration::from_secs(upload))
            .header(reqwest::header::ACCEPT, CONTENT_TYPE);
        if let Some(token) = token {
            req = req.bearer_auth(token.to_hex());
        }
        if let Some(body) = body {
            req = req
                .header(reqwest::header::CONTENT_TYPE, CONTENT_TYPE)
                .body(body);
        }
        let mut resp = req
            .send()
            .map_err(|e| RelayError::Unreachable(describe(&e)))?;
        let status = resp.status();
        let retry_after = resp
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse().ok());
        // Chunk by chunk: each read gets the whole deadline again, so a big page on a slow
        // link takes as long as it needs while a silent link fails after `IDLE`.
        let mut bytes = Vec::with_capacity(
            resp.content_length()
                .map_or(0, |n| n.min(16 << 20) as usize),
        );
        resp.read_to_end(&mut bytes).map_err(|_| {
            RelayError::Unreachable(
                "the connection dropped or went silent in the middle of an answer".into(),
            )
        })?;
        if status.is_success() {
            return mutua_protocol::decode(&bytes).map_err(|e| {
                RelayError::Garbled(format!(
                    "the relay's answer could not be read ({e}); is this a Mutua relay?"
                ))
            });
        }
        match serde_json::from_slice::<ErrorBody>(&bytes) {
            Ok(body) => Err(RelayError::Refused {
                status: status.as_u16(),
                code: body.code,
                message: body.message,
                retry_after: body.retry_after_secs.or(retry_after),
                epoch: body.epoch,
            }),
            Err(_) => Err(RelayError::Garbled(format!(
                "the relay answered {status} with something that is not a Mutua error; is this a Mutua relay?"
            ))),
        }
    }
}

impl Transport for RelayClient {
    fn base(&self) -> &str {
        &self.base
    }

    fn open_space(
        &self,
        space: &SpaceId,
        token: &Token,
        epoch: u32,
    ) -> std::result::Result<SpaceInfo, RelayError> {
        let body = OpenSpace {
            epoch,
            token_hash: token.hash(),
        };
        self.send(
            reqwest::Method::PUT,
            &paths::space(space),
            Some(token),
            Some(&body),
        )
    }

    fn sync(
        &self,
        space: &SpaceId,
        token: &Token,
        request: &SyncRequest,
    ) -> std::result::Result<SyncResponse, RelayError> {
        self.send(
            reqwest::Method::POST,
            &paths::sync(space),
            Some(token),
            Some(request),
        )
    }

    fn rekey(
        &self,
        space: &SpaceId,
        token: &Token,
        rekey: &Rekey,
    ) -> std::result::Result<SpaceInfo, RelayError> {
        self.send(
            reqwest::Method::POST,
            &paths::rekey(space),
            Some(token),
            Some(rekey),
        )
    }

    fn rekeys(
        &self,
        space: &SpaceId,
        token: &Token,
        after: u32,
    ) -> std::result::Result<Rekeys, RelayError> {
        self.send::<(), _>(
            reqwest::Method::GET,
            &paths::rekeys(space, after),
            Some(token),
            None,
        )
    }

    fn wait(&self, request: &WaitRequest) -> std::result::Result<WaitResponse, RelayError> {
        self.send_waiting(
            reqwest::Method::POST,
            paths::WAIT,
            None,
            Some(request),
            Duration::from_millis(u64::from(match request.timeout_ms {
                0 => WAIT_MS,
                ms => ms,
            })),
        )
    }

    fn put_checkpoint(
        &self,
        space: &SpaceId,
        token: &Token,
        checkpoint: &Envelope,
    ) -> std::result::Result<SpaceInfo, RelayError> {
        self.send(
            reqwest::Method::PUT,
            &paths::checkpoints(space),
            Some(token),
            Some(checkpoint),
        )
    }

    fn checkpoints(
        &self,
        space: &SpaceId,
        token: &Token,
    ) -> std::result::Result<Checkpoints, RelayError> {
        self.send::<(), _>(
            reqwest::Method::GET,
            &paths::checkpoints(space),
            Some(token),
            None,
        )
    }
}
/// A reqwest error without the URL's query or anything else from the request.
fn describe(e: &reqwest::Error) -> String {
    if e.is_timeout() {
        "the relay did not answer in time".into()
    } else if e.is_connect() {
        "could not connect to the relay (is it running, and is this device online?)".into()
    } else {
        "the connection to the relay failed".into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relay_urls_are_checked() {
        assert!(check_relay_url("https://relay.example.org").is_ok());
        assert!(check_relay_url("http://192.168.1.20:8787/").is_ok());
        for bad in [
            "relay.example.org",
            "ftp://x",
            "https://",
            "https://user:pw@x",
            "https://a b",
        ] {
            assert!(check_relay_url(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn nothing_listening_is_unreachable_not_a_panic() {
        // Port 9 (discard) on loopback: nothing listens there in the test environment.
        let client = RelayClient::new("http://127.0.0.1:9").expect("client");
        let err = client
            .open_space(&SpaceId([1; 16]), &Token::from_bytes([2; 32]), 0)
            .expect_err("nothing listens");
        assert!(matches!(err, RelayError::Unreachable(_)), "{err:?}");
    }
}
