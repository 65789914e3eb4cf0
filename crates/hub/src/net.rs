//! The local network as the hub sees it: which addresses to show people, and where mDNS runs.

use std::net::IpAddr;

use if_addrs::IfOperStatus;
use mdns_sd::{IfKind, ServiceDaemon};

/// Where mDNS speaks. The defaults are the real thing (port 5353, every interface); tests and
/// the end-to-end run keep it on loopback and a private port so nothing leaves the machine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MdnsOptions {
    pub port: u16,
    /// Interface names (`lo`, `eth0`, …); `None`: all of them.
    pub interfaces: Option<Vec<String>>,
}

impl Default for MdnsOptions {
    fn default() -> MdnsOptions {
        MdnsOptions {
            port: 5353,
            interfaces: None,
        }
    }
}

impl MdnsOptions {
    /// The defaults, overridden by `MUTUA_HUB_MDNS_PORT` and `MUTUA_HUB_INTERFACES`
    /// (comma-separated names), which the tests set.
    pub fn from_env() -> MdnsOptions {
        let mut options = MdnsOptions::default();
        if let Some(port) = std::env::var("MUTUA_HUB_MDNS_PORT")
            .ok()
            .and_then(|p| p.trim().parse::<u16>().ok())
            .filter(|p| *p != 0)
        {
            options.port = port;
        }
        if let Ok(names) = std::env::var("MUTUA_HUB_INTERFACES") {
            let names: Vec<String> = names
                .split(',')
                .map(str::trim)
                .filter(|n| !n.is_empty())
                .map(str::to_owned)
                .collect();
            if !names.is_empty() {
                options.interfaces = Some(names);
            }
        }
        options
    }

    /// A daemon on these interfaces and this port.
    pub(crate) fn daemon(&self) -> Result<ServiceDaemon, String> {
        let daemon = ServiceDaemon::new_with_port(self.port).map_err(|e| e.to_string())?;
        if let Some(names) = &self.interfaces {
            daemon
                .disable_interface(IfKind::All)
                .map_err(|e| e.to_string())?;
            for name in names {
                daemon
                    .enable_interface(IfKind::Name(name.clone()))
                    .map_err(|e| e.to_string())?;
            }
        }
        Ok(daemon)
    }
}

/// The addresses people in the room can reach: the host's IPv4 addresses on interfaces that
/// are up, loopback left out (and link-local ones after the others). `only` restricts them to
/// the named interfaces, loopback included when it is named.
pub(crate) fn lan_addresses(only: Option<&[String]>) -> Vec<IpAddr> {
    let Ok(interfaces) = if_addrs::get_if_addrs() else {
        return Vec::new();
    };
    let mut out: Vec<(bool, IpAddr)> = interfaces
        .into_iter()
        .filter(|i| only.is_none_or(|names| names.contains(&i.name)))
        // Loopback only when named (`MUTUA_HUB_INTERFACES=lo`: tests on one machine).
        .filter(|i| i.ip().is_ipv4() && (only.is_some() || !i.is_loopback()))
        // Some drivers report `Unknown`; only a link known to be down is left out.
        .filter(|i| !matches!(i.oper_status, IfOperStatus::Down | IfOperStatus::NotPresent))
        .map(|i| (i.is_link_local(), i.ip()))
        .collect();
    out.sort();
    out.dedup();
    out.into_iter().map(|(_, ip)| ip).collect()
}
