//! The meeting hub through the command table: one app hosts sync for the meeting, another
//! joins it by the address its screen shows, and messages cross both ways with no internet
//! relay; a bad or silent address is refused with words, and a locked app hosts nothing.
//! (Finding the hub by mDNS is proven by `tests/tests/lan_hub.rs`; the window by the E2E test.)

use std::time::{Duration, Instant};

use mutua_api::{ErrorKind, HubPhase, HubStatus, InviteCode, MessagePage, SyncStatus};
use serde_json::{Value, json};

use super::{Harness, PASSPHRASE, assert_kind};

/// The group's thread; empty while the group itself has not arrived on this device.
fn thread(h: &Harness, group: &str) -> Vec<String> {
    let page = h.call::<MessagePage>(
        "messages",
        json!({"conversation": format!("group:{group}"), "before": null, "limit": 50}),
    );
    match page {
        Ok(page) => page.messages.into_iter().map(|m| m.text).collect(),
        Err(e) if e.kind == ErrorKind::NotFound => Vec::new(),
        Err(e) => panic!("`messages` failed: {e}"),
    }
}

fn say(h: &Harness, group: &str, text: &str) {
    let _: Value = h.ok(
        "send_message",
        json!({"target": {"group": group}, "text": text, "reply_to": null, "kind": "text"}),
    );
}

/// Polls `done` for up to a minute (the hub's rounds run on their own threads).
fn eventually(what: &str, mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "{what}: not within a minute"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn two_apps_exchange_messages_through_a_meeting_hub_with_no_relay() {
    let ana = Harness::set_up();
    let group = ana.group("Village hall circle");
    let invite: InviteCode = ana.ok("create_invite", json!({"group_id": group, "remote": false}));
    let ben = Harness::set_up();
    let _: Value = ben.ok("accept_invite", json!({"code": invite.code}));
    say(&ana, &group, "Tea is on me tonight");

    let status: HubStatus = ana.ok("start_hosting", json!(null));
    let hosting = status.hosting.expect("hosting");
    assert_eq!(hosting.code.len(), 4, "{hosting:?}");
    assert!(
        hosting.code.chars().all(|c| c.is_ascii_digit()),
        "{hosting:?}"
    );
    let share = hosting.share.as_deref().expect("a QR code's text");
    assert!(share.starts_with("mutua-hub:"), "{share}");
    assert!(
        hosting
            .qr_svg
            .as_deref()
            .is_some_and(|s| s.contains("<svg"))
    );
    let again: HubStatus = ana.ok("start_hosting", json!(null));
    assert_eq!(
        again.hosting.map(|h| h.code),
        Some(hosting.code.clone()),
        "one hub per device"
    );

    // Ben types the address the screen shows (a test machine has a network interface).
    let address = hosting
        .addresses
        .first()
        .expect("an address to type")
        .to_owned();
    let joined: HubStatus = ben.ok(
        "join_hub",
        json!({"address": address, "code": hosting.code}),
    );
    let on = joined.joined.expect("joined");
    assert_eq!(on.code.as_deref(), Some(hosting.code.as_str()));

    eventually("Ana's message at Ben's", || {
        thread(&ben, &group) == ["Tea is on me tonight"]
    });
    say(&ben, &group, "Then I bring the biscuits");
    eventually("Ben's reply at Ana's", || {
        thread(&ana, &group)
            .iter()
            .any(|t| t == "Then I bring the biscuits")
    });
    eventually("both sides show a synced hub", || {
        let ana: HubStatus = ana.ok("hub_status", json!(null));
        let ben: HubStatus = ben.ok("hub_status", json!(null));
        let host = ana.hosting.expect("still hosting");
        // The host's own loop is not a visitor; Ben came by the network address.
        host.devices_synced == 1
            && matches!(host.phase, HubPhase::Synced { .. })
            && matches!(
                ben.joined.expect("still joined").phase,
                HubPhase::Synced { received, .. } if received > 0
            )
    });

    // The status line under the navigation speaks of the hub (neither app has a relay).
    let ben_line: SyncStatus = ben.ok("sync_status", json!(null));
    let ben_hub = ben_line.hub.expect("Ben's status line names the hub");
    assert_eq!(ben_line.relay, None);
    assert_eq!(ben_hub.code.as_deref(), Some(hosting.code.as_str()));
    assert!(!ben_hub.hosting);
    let ana_line: SyncStatus = ana.ok("sync_status", json!(null));
    assert!(ana_line.hub.expect("Ana's names the hub").hosting);

    let left: HubStatus = ben.ok("leave_hub", json!(null));
    assert_eq!(left.joined, None);
    let ben_line: SyncStatus = ben.ok("sync_status", json!(null));
    assert_eq!(ben_line.hub, None, "no hub once Ben left");
    let stopped: HubStatus = ana.ok("stop_hosting", json!(null));
    assert_eq!(stopped.hosting, None);
    // What crossed stays after the hub is gone.
    assert_eq!(thread(&ben, &group).len(), 2);
}

#[test]
fn a_bad_or_silent_hub_address_is_refused_and_a_locked_app_hosts_nothing() {
    let h = Harness::set_up();
    let err = h.err(
        "join_hub",
        json!({"address": "a village hall", "code": null}),
    );
    assert_kind(&err, ErrorKind::InvalidInput);
    // Nothing listens on the discard port.
    let err = h.err("join_hub", json!({"address": "127.0.0.1:9", "code": null}));
    assert_kind(&err, ErrorKind::Network);
    assert!(!err.message.is_empty());
    let status: HubStatus = h.ok("hub_status", json!(null));
    assert_eq!(
        status,
        HubStatus {
            hosting: None,
            joined: None
        }
    );

    let _: HubStatus = h.ok("start_hosting", json!(null));
    let () = h.ok("lock", json!(null));
    for cmd in ["hub_status", "start_hosting", "find_hubs"] {
        assert_kind(&h.err(cmd, json!(null)), ErrorKind::Locked);
    }
    let _: mutua_api::Profile = h.ok("unlock", json!({"passphrase": PASSPHRASE}));
    let status: HubStatus = h.ok("hub_status", json!(null));
    assert_eq!(status.hosting, None, "locking stopped the hub");
}
