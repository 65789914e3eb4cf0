//! `mutua hub serve | list | reset`: a meeting with no internet.
//!
//! `serve` runs the hub (the embedded relay, announced with mDNS) and keeps this device's own
//! data in step with it, so the laptop takes in what the room shares; when a relay is set and
//! reachable, a second loop carries everything on to it (store-and-forward). Ctrl-C withdraws
//! the announcement, answers open long-polls and closes the hub's database.

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::{Context, Result};
use mutua_core::sync::client::RelayClient;
use mutua_core::sync::driver::{self, Progress};
use mutua_core::sync::hub::{HubAddress, HubLink};
use mutua_hub::{AnnounceState, Hub, HubConfig, MdnsOptions};
use serde_json::json;

use crate::args::HubCommand;
use crate::output::{Out, table, write_stdout};
use crate::session;

pub fn run(dir: &Path, out: Out, command: HubCommand) -> Result<()> {
    match command {
        HubCommand::Serve {
            listen,
            no_announce,
            no_qr,
        } => serve(dir, out, listen, !no_announce, !no_qr),
        HubCommand::List { seconds } => list(out, seconds),
        HubCommand::Reset => {
            mutua_hub::host::reset(dir)?;
            out.done(
                &json!({ "reset": true }),
                "This device's hub was reset: the next `mutua hub serve` is a new hub, and devices \
                 offer it everything again."
                    .into(),
            )
        }
    }
}

/// Reaches the hub a person named (address or QR text), checking the code if they gave one.
pub fn connect(text: &str) -> Result<HubLink> {
    let address = HubAddress::parse(text)?;
    Ok(HubLink::connect(&address)?)
}

fn list(out: Out, seconds: u64) -> Result<()> {
    let hubs = mutua_hub::browse(Duration::from_secs(seconds), &MdnsOptions::from_env())?;
    let rows: Vec<serde_json::Value> = hubs
        .iter()
        .map(|h| json!({ "code": h.code, "address": h.address(), "share": h.share_text() }))
        .collect();
    out.emit(&rows, || {
        if hubs.is_empty() {
            return format!(
                "No hub answered within {seconds} s. Ask the host for the address on their screen \
                 and run `mutua sync --hub ADDRESS`."
            );
        }
        let rows: Vec<Vec<String>> = hubs
            .iter()
            .map(|h| vec![format!("Hub {}", h.code), h.address()])
            .collect();
        format!(
            "{}\nSync with one: `mutua sync --hub ADDRESS` (add --watch to stay in step).",
            table(&["hub", "address"], &rows)
        )
    })
}

/// What one of the two loops did last, as a line on stderr.
fn progress_line(route: &str, p: &Progress) -> Option<String> {
    match p {
        Progress::Done(report)
            if report.sent + report.received > 0 || !report.errors.is_empty() =>
        {
            let mut line = format!(
                "[{route}] synced: {} received, {} sent",
                report.received, report.sent
            );
            for e in &report.errors {
                line.push_str(&format!("; not synced: {e}"));
            }
            Some(line)
        }
        Progress::Failed {
            message,
            retry_in_secs,
        } => Some(format!(
            "[{route}] {message} (trying again in {retry_in_secs} s)"
        )),
        _ => None,
    }
}

fn serve(
    dir: &Path,
    out: Out,
    listen: Option<std::net::SocketAddr>,
    announce: bool,
    qr: bool,
) -> Result<()> {
    let store = session::open(dir)?;
    let relay = store.relay_url()?;
    let mut config = HubConfig::new(dir);
    config.listen = listen;
    config.announce = announce;
    let hub = Hub::start(config)?;
    let own = HubLink::connect(&HubAddress::parse(&hub.local_url())?)
        .context("this device could not reach its own hub")?;
    let addresses = hub.addresses();
    let announced = hub.announce_state();
    if out.json {
        let line = json!({
            "hub": hub.code(),
            "addresses": addresses,
            "share": hub.share_text(),
            "announced": matches!(announced, AnnounceState::Announced { .. }),
            "relay": relay,
        });
        write_stdout(&line.to_string())?;
    } else {
        write_stdout(&banner(&hub, &announced, relay.as_deref(), qr))?;
    }

    let store = Arc::new(Mutex::new(store));
    let stop = Arc::new(AtomicBool::new(false));
    // A round with the hub that brought something in makes the relay loop go again soon.
    let relay_nudge = Arc::new(AtomicBool::new(false));
    let hub_loop = {
        let (store, stop, relay_nudge) = (store.clone(), stop.clone(), relay_nudge.clone());
        std::thread::Builder::new()
            .name("mutua-hub-own".into())
            .spawn(move || {
                let nudge = AtomicBool::new(false);
                let progress = |p: Progress| {
                    if let Progress::Done(r) = &p
                        && r.received > 0
                    {
                        relay_nudge.store(true, Ordering::Relaxed);
                    }
                    if let Some(line) = progress_line("hub", &p) {
                        eprintln!("{line}");
                    }
                };
                driver::watch(&*store, &own, &stop, &nudge, &progress);
            })?
    };
    if let Some(relay) = relay.clone() {
        let (store, stop, relay_nudge) = (store.clone(), stop.clone(), relay_nudge.clone());
        // Detached: it may sit in the relay's long-poll when hosting stops (see below).
        std::thread::Builder::new()
            .name("mutua-hub-relay".into())
            .spawn(move || {
                let client = match RelayClient::new(&relay) {
                    Ok(c) => c,
                    Err(e) => {
                        eprintln!("[relay] {e}");
                        return;
                    }
                };
                let progress = |p: Progress| {
                    if let Some(line) = progress_line("relay", &p) {
                        eprintln!("{line}");
                    }
                };
                driver::watch(&*store, &client, &stop, &relay_nudge, &progress);
            })?;
    }

    mutua_hub::wait_for_interrupt().context("waiting for Ctrl-C")?;
    eprintln!("stopping: finishing the rounds in progress…");
    stop.store(true, Ordering::SeqCst);
    let devices = hub.devices_synced();
    let code = hub.code().to_owned();
    // Answers the hub loop's long-poll at once, so it ends after its current round.
    hub.stop();
    let _ = hub_loop.join();
    // The relay loop may be inside a 25-second long-poll; it holds no lock there. Taking the
    // store's lock waits for any round that is writing, then the process may end.
    let _quiet = store.lock();
    let message = format!("Hub {code} stopped; {devices} other device(s) synced with it.");
    out.done(
        &json!({ "stopped": code, "devices_synced": devices }),
        message,
    )
}

fn banner(hub: &Hub, announced: &AnnounceState, relay: Option<&str>, qr: bool) -> String {
    let code = hub.code();
    let addresses = hub.addresses();
    let mut text = format!("Hosting sync for this meeting: Hub {code}\n\n");
    match addresses.first() {
        Some(first) => {
            text.push_str(&format!(
                "On the other devices: Meeting hub → pick \"Hub {code}\", or enter {first}\n\
                 (or scan the QR code below; command line: `mutua sync --hub {first} --watch`).\n"
            ));
            if addresses.len() > 1 {
                text.push_str(&format!("Other addresses: {}\n", addresses[1..].join(", ")));
            }
        }
        None => text.push_str(
            "This device has no local network address yet: join the room's Wi-Fi, then start again.\n",
        ),
    }
    text.push_str(match announced {
        AnnounceState::Announced { .. } => {
            "Announced on the local network under a random name (it says only \"Hub\" and the code).\n"
        }
        AnnounceState::Off => "Not announced (--no-announce): people type the address or scan the QR code.\n",
        AnnounceState::Failed { .. } => {
            "Could not announce on this network (mDNS blocked?): people type the address or scan the QR code.\n"
        }
    });
    if let AnnounceState::Failed { reason } = announced {
        text.push_str(&format!("  ({reason})\n"));
    }
    if qr
        && let Some(share) = hub.share_text()
        && let Ok(code) = qrcode::QrCode::new(share.as_bytes())
    {
        text.push('\n');
        text.push_str(
            &code
                .render::<qrcode::render::unicode::Dense1x2>()
                .quiet_zone(true)
                .build(),
        );
        text.push('\n');
    }
    text.push_str(&match relay {
        Some(relay) => format!(
            "\nThis device keeps its own data in step with the hub, and carries everything on to \
             {relay} whenever it is reachable.\n"
        ),
        None => "\nThis device keeps its own data in step with the hub. Set a relay (`mutua sync \
                 --relay URL`) to carry what the room shared on to the internet later.\n"
            .into(),
    });
    text.push_str("Everything stays end-to-end encrypted. Ctrl-C stops hosting.");
    text
}
