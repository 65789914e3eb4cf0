//! Syncing with a meeting-room hub: a relay that one device runs on the room's local network
//! when there is no internet (the hosting side lives in the `mutua-hub` crate).
//!
//! A hub speaks the relay API, so a round with it is an ordinary [`driver`](super::driver)
//! round over a [`HubLink`]. The one difference is how this device *names* it: what a device
//! remembers about a relay (its position in each space, what it holds, its checkpoints) is keyed
//! by [`Transport::base`], and for a hub that is `hub:<id>`, the id the hub reports at
//! [`HUB_PATH`], not its address. Next week the hall's router may give the host laptop another
//! address: the id is the same, so the round carries on from where it stopped. A hub whose
//! database was reset has a new id, so nobody trusts positions it no longer has, and everything
//! is offered to it again.
//!
//! People reach a hub by mDNS (the `mutua-hub` crate browses), by typing its address, or by
//! pasting or scanning the text of the host's QR code, `mutua-hub:<host>:<port>#<code>`
//! ([`HubAddress::parse`] takes all of these).

use std::time::Duration;

use mutua_protocol::hub::{DEFAULT_PORT, HUB_PATH, HubInfo, SHARE_PREFIX};
use mutua_protocol::{
    Checkpoints, Envelope, Rekey, Rekeys, SpaceId, SpaceInfo, SyncRequest, SyncResponse, Token,
    WaitRequest, WaitResponse,
};

use crate::error::{Error, Result};
use crate::sync::client::{RelayClient, RelayError, Transport, check_relay_url};

/// Where a hub is, as a person gave it, and the code they expect it to show (from the QR code
/// or the list of hubs nearby).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HubAddress {
    /// `http://<host>:<port>`.
    pub url: String,
    pub code: Option<String>,
}

impl HubAddress {
    /// Reads `192.168.1.20`, `192.168.1.20:8788`, `http://192.168.1.20:8788`, or a QR code's
    /// `mutua-hub:192.168.1.20:8788#4821`. Without a port, the hub's usual one is assumed.
    pub fn parse(text: &str) -> Result<HubAddress> {
        let text = text.trim();
        let bad = |why: &str| {
            Err(Error::invalid(format!(
                "\"{text}\" is not a hub address: {why} (it looks like 192.168.1.20:8788)"
            )))
        };
        if text.is_empty() {
            return bad("it is empty");
        }
        let rest = text.strip_prefix(SHARE_PREFIX).unwrap_or(text);
        let (rest, code) = match rest.split_once('#') {
            Some((rest, code)) => {
                let code = code.trim();
                if !HubInfo::valid_code(code) {
                    return bad("the code after # must be four digits");
                }
                (rest, Some(code.to_owned()))
            }
            None => (rest, None),
        };
        let (scheme, rest) = if let Some(r) = rest.strip_prefix("http://") {
            ("http://", r)
        } else if let Some(r) = rest.strip_prefix("https://") {
            ("https://", r)
        } else if rest.contains("://") {
            return bad("only http:// addresses are hubs");
        } else {
            ("http://", rest)
        };
        let host = rest.trim_end_matches('/');
        if host.is_empty() {
            return bad("the address is missing");
        }
        if host.contains('/') || host.contains('?') {
            return bad("a hub address has no path");
        }
        if host.chars().any(char::is_whitespace) {
            return bad("it has spaces");
        }
        // `[v6]:port`, `[v6]`, `v4:port`, `name:port`, `v4`, `name`.
        let has_port = match host.rfind(']') {
            Some(end) => host[end..].contains(':'),
            None => host.contains(':'),
        };
        if has_port {
            let port = host.rsplit(':').next().unwrap_or("");
            if port.parse::<u16>().map_or(true, |p| p == 0) {
                return bad("the port after : must be a number from 1 to 65535");
            }
        }
        let url = if has_port {
            format!("{scheme}{host}")
        } else {
            format!("{scheme}{host}:{DEFAULT_PORT}")
        };
        check_relay_url(&url)?;
        Ok(HubAddress { url, code })
    }

    /// The text of the host's QR code.
    pub fn share_text(host: &str, port: u16, code: &str) -> String {
        if host.contains(':') && !host.starts_with('[') {
            format!("{SHARE_PREFIX}[{host}]:{port}#{code}")
        } else {
            format!("{SHARE_PREFIX}{host}:{port}#{code}")
        }
    }
}

/// A hub this device talks to: the relay API at its address, with state keyed by its id.
pub struct HubLink {
    key: String,
    info: HubInfo,
    url: String,
    relay: RelayClient,
}

impl std::fmt::Debug for HubLink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HubLink")
            .field("url", &self.url)
            .field("code", &self.info.code)
            .finish_non_exhaustive()
    }
}

/// The key under which a device keeps its state about the hub with this id.
pub fn hub_key(id: &str) -> String {
    format!("hub:{id}")
}

impl HubLink {
    /// Asks the hub at `address` who it is. Call it from a background thread (it blocks on
    /// the network for up to a few seconds).
    pub fn connect(address: &HubAddress) -> Result<HubLink> {
        let info = fetch_info(&address.url)?;
        if let Some(expected) = &address.code
            && *expected != info.code
        {
            return Err(Error::invalid(format!(
                "the hub at {} shows the code {}, not {expected}: check the number on the host's screen",
                address.url, info.code
            )));
        }
        Ok(HubLink {
            key: hub_key(&info.hub),
            relay: RelayClient::new(&address.url)?,
            url: address.url.clone(),
            info,
        })
    }

    pub fn info(&self) -> &HubInfo {
        &self.info
    }

    pub fn url(&self) -> &str {
        &self.url
    }
}

fn fetch_info(url: &str) -> Result<HubInfo> {
    let unreachable = |why: &str| {
        Error::RelayUnreachable(format!(
            "no hub answers at {url} ({why}); is this device on the meeting's network, and is the host still hosting?"
        ))
    };
    let http = reqwest::blocking::Client::builder()
        .connect_timeout(Duration::from_secs(5))
        .timeout(Duration::from_secs(10))
        .user_agent(concat!("mutua/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| unreachable(&e.to_string()))?;
    let resp = http.get(format!("{url}{HUB_PATH}")).send().map_err(|e| {
        unreachable(if e.is_timeout() {
            "no answer in time"
        } else {
            "could not connect"
        })
    })?;
    let not_a_hub = || {
        Error::invalid(format!(
            "{url} answers, but it is not a Mutua meeting hub (a relay's address goes in Settings → Sync instead)"
        ))
    };
    if !resp.status().is_success() {
        return Err(not_a_hub());
    }
    let bytes = resp
        .bytes()
        .map_err(|_| unreachable("the answer broke off"))?;
    let info: HubInfo = serde_json::from_slice(&bytes).map_err(|_| not_a_hub())?;
    if !HubInfo::valid_id(&info.hub) || !HubInfo::valid_code(&info.code) {
        return Err(not_a_hub());
    }
    if info.version != mutua_protocol::VERSION {
        return Err(Error::invalid(format!(
            "the hub at {url} speaks version {} of the sync protocol and this app version {}: update the older one",
            info.version,
            mutua_protocol::VERSION
        )));
    }
    Ok(info)
}

/// The relay client's words say "relay"; at a meeting, the person is talking to a hub.
fn as_hub<T>(r: std::result::Result<T, RelayError>) -> std::result::Result<T, RelayError> {
    r.map_err(|e| match e {
        RelayError::Unreachable(why) => {
            RelayError::Unreachable(why.replace("the relay", "the hub").replace(
                "is this device online?",
                "is this device still on the meeting's network?",
            ))
        }
        other => other,
    })
}

impl Transport for HubLink {
    fn base(&self) -> &str {
        &self.key
    }

    fn open_space(
        &self,
        space: &SpaceId,
        token: &Token,
        epoch: u32,
    ) -> std::result::Result<SpaceInfo, RelayError> {
        as_hub(self.relay.open_space(space, token, epoch))
    }

    fn sync(
        &self,
        space: &SpaceId,
        token: &Token,
        request: &SyncRequest,
    ) -> std::result::Result<SyncResponse, RelayError> {
        as_hub(self.relay.sync(space, token, request))
    }

    fn rekey(
        &self,
        space: &SpaceId,
        token: &Token,
        rekey: &Rekey,
    ) -> std::result::Result<SpaceInfo, RelayError> {
        as_hub(self.relay.rekey(space, token, rekey))
    }

    fn rekeys(
        &self,
        space: &SpaceId,
        token: &Token,
        after: u32,
    ) -> std::result::Result<Rekeys, RelayError> {
        as_hub(self.relay.rekeys(space, token, after))
    }

    fn wait(&self, request: &WaitRequest) -> std::result::Result<WaitResponse, RelayError> {
        as_hub(self.relay.wait(request))
    }

    fn put_checkpoint(
        &self,
        space: &SpaceId,
        token: &Token,
        checkpoint: &Envelope,
    ) -> std::result::Result<SpaceInfo, RelayError> {
        as_hub(self.relay.put_checkpoint(space, token, checkpoint))
    }

    fn checkpoints(
        &self,
        space: &SpaceId,
        token: &Token,
    ) -> std::result::Result<Checkpoints, RelayError> {
        as_hub(self.relay.checkpoints(space, token))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(text: &str) -> String {
        HubAddress::parse(text).expect(text).url
    }

    #[test]
    fn addresses_as_people_give_them() {
        assert_eq!(url("192.168.1.20"), "http://192.168.1.20:8788");
        assert_eq!(url(" 192.168.1.20:9000 "), "http://192.168.1.20:9000");
        assert_eq!(url("http://192.168.1.20:9000/"), "http://192.168.1.20:9000");
        assert_eq!(url("hub.local"), "http://hub.local:8788");
        assert_eq!(url("[fe80::1]:8788"), "http://[fe80::1]:8788");
        assert_eq!(url("[fe80::1]"), "http://[fe80::1]:8788");
        let shared = HubAddress::parse("mutua-hub:10.0.0.7:8788#4821").expect("qr");
        assert_eq!(shared.url, "http://10.0.0.7:8788");
        assert_eq!(shared.code.as_deref(), Some("4821"));
    }

    #[test]
    fn share_text_reads_back() {
        for (host, port) in [("192.168.1.20", 8788), ("fe80::1", 9000)] {
            let text = HubAddress::share_text(host, port, "0042");
            let back = HubAddress::parse(&text).expect("parse");
            assert_eq!(back.code.as_deref(), Some("0042"));
            assert!(back.url.ends_with(&format!(":{port}")), "{}", back.url);
        }
    }

    #[test]
    fn bad_addresses_are_refused_in_words() {
        for bad in [
            "",
            "   ",
            "192.168.1.20:0",
            "192.168.1.20:http",
            "192.168.1.20:70000",
            "ftp://192.168.1.20",
            "http://192.168.1.20:8788/v1/sync",
            "mutua-hub:192.168.1.20:8788#12",
            "a b",
            "user:pw@192.168.1.20:8788",
        ] {
            let err = HubAddress::parse(bad).expect_err(bad).to_string();
            assert!(
                err.contains("hub address") || err.contains("relay address"),
                "{bad}: {err}"
            );
        }
        // What was typed, not what it became.
        let err = HubAddress::parse("the village hall")
            .expect_err("spaces")
            .to_string();
        assert!(
            err.starts_with("\"the village hall\" is not a hub address: it has spaces"),
            "{err}"
        );
    }

    #[test]
    fn nothing_listening_is_unreachable_in_words() {
        let address = HubAddress::parse("127.0.0.1:9").expect("parse");
        let err = HubLink::connect(&address).expect_err("nothing listens on port 9");
        assert!(matches!(err, Error::RelayUnreachable(_)), "{err:?}");
        assert!(err.to_string().contains("meeting's network"), "{err}");
    }
}
