//! Finding hubs nearby: browse mDNS for a few seconds and list what answered.
//!
//! Only hubs that speak this protocol version and carry a well-formed code are listed; the rest
//! of what an announcement might say is ignored. Browsing is bounded in time: a room with no hub
//! answers "none found" after the wait, never hangs.

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::time::{Duration, Instant};

use mdns_sd::ServiceEvent;
use mutua_protocol::hub::{HubInfo, SERVICE_TYPE, TXT_CODE, TXT_VERSION};

use crate::HubError;
use crate::net::MdnsOptions;

/// A hub that answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FoundHub {
    /// The four digits the host's screen shows.
    pub code: String,
    /// Its address on this network.
    pub ip: IpAddr,
    pub port: u16,
    /// The opaque mDNS instance name (changes while the hub runs; for diagnostics only).
    pub instance: String,
}

impl FoundHub {
    /// `192.168.1.20:8788`, or `[fe80::1]:8788`.
    pub fn address(&self) -> String {
        std::net::SocketAddr::new(self.ip, self.port).to_string()
    }

    /// The text of a QR code for it (`mutua-hub:<address>#<code>`), which the sync code reads.
    pub fn share_text(&self) -> String {
        format!(
            "{}{}#{}",
            mutua_protocol::hub::SHARE_PREFIX,
            self.address(),
            self.code
        )
    }
}

/// The address to list for a hub announcing several: a routable IPv4 one first, then any IPv4,
/// then IPv6.
fn best(addresses: impl Iterator<Item = IpAddr>) -> Option<IpAddr> {
    addresses.min_by_key(|ip| match ip {
        IpAddr::V4(v4) if !v4.is_loopback() && !v4.is_link_local() => 0,
        IpAddr::V4(v4) if v4.is_link_local() => 1,
        IpAddr::V4(_) => 2,
        IpAddr::V6(_) => 3,
    })
}

/// Browses for `wait`, then lists the hubs found (by code, then address).
pub fn browse(wait: Duration, options: &MdnsOptions) -> Result<Vec<FoundHub>, HubError> {
    let daemon = options.daemon().map_err(HubError::Discovery)?;
    let events = daemon
        .browse(SERVICE_TYPE)
        .map_err(|e| HubError::Discovery(e.to_string()))?;
    let deadline = Instant::now() + wait;
    let mut found: BTreeMap<String, FoundHub> = BTreeMap::new();
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            break;
        }
        match events.recv_timeout(left) {
            Ok(ServiceEvent::ServiceResolved(service)) => {
                let version_ok = service.get_property_val_str(TXT_VERSION)
                    == Some(mutua_protocol::VERSION.to_string().as_str());
                let code = service.get_property_val_str(TXT_CODE).unwrap_or_default();
                if !version_ok || !HubInfo::valid_code(code) || service.get_port() == 0 {
                    continue;
                }
                let Some(ip) = best(service.get_addresses().iter().map(|a| a.to_ip_addr())) else {
                    continue;
                };
                let instance = service
                    .get_fullname()
                    .strip_suffix(&format!(".{SERVICE_TYPE}"))
                    .unwrap_or(service.get_fullname())
                    .to_owned();
                found.insert(
                    service.get_fullname().to_owned(),
                    FoundHub {
                        code: code.to_owned(),
                        ip,
                        port: service.get_port(),
                        instance,
                    },
                );
            }
            Ok(ServiceEvent::ServiceRemoved(_, fullname)) => {
                found.remove(&fullname);
            }
            Ok(_) => {}
            Err(_) => break,
        }
    }
    let _ = daemon.stop_browse(SERVICE_TYPE);
    if let Ok(done) = daemon.shutdown() {
        let _ = done.recv_timeout(Duration::from_secs(2));
    }
    let mut hubs: Vec<FoundHub> = found.into_values().collect();
    // One hub seen under two names (it rotated while we looked) is listed once.
    hubs.sort_by(|a, b| (&a.code, a.ip, a.port).cmp(&(&b.code, b.ip, b.port)));
    hubs.dedup_by(|a, b| a.code == b.code && a.ip == b.ip && a.port == b.port);
    Ok(hubs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_routable_address_is_listed_first() {
        let ips: Vec<IpAddr> = ["fe80::1", "127.0.0.1", "169.254.3.4", "192.168.1.20"]
            .iter()
            .map(|s| s.parse().expect("ip"))
            .collect();
        assert_eq!(
            best(ips.into_iter()),
            Some("192.168.1.20".parse().expect("ip"))
        );
    }

    #[test]
    fn share_text_names_address_and_code() {
        let hub = FoundHub {
            code: "4821".into(),
            ip: "192.168.1.20".parse().expect("ip"),
            port: 8788,
            instance: "0123456789abcdef".into(),
        };
        assert_eq!(hub.share_text(), "mutua-hub:192.168.1.20:8788#4821");
    }
}
