//! Sync settings, invitations, requests to join, member removal and pairing through the
//! command table. The relay is unreachable here (sync with a real relay is proven by the
//! core's relay tests and the two-app E2E test): these check the commands' own behaviour.

use mutua_api::{
    ErrorKind, GroupDetail, InviteCode, JoinOutcome, JoinRequest, PairingCode, SyncPhase,
    SyncSettings, SyncStatus,
};
use serde_json::json;

use super::{Harness, assert_kind};

/// Nothing listens on port 9 (discard) on a test machine: the relay is unreachable.
const NOWHERE: &str = "http://127.0.0.1:9";

#[test]
fn sync_is_off_until_a_relay_is_set_and_a_bad_relay_is_refused() {
    let h = Harness::set_up();
    let status: SyncStatus = h.ok("sync_status", json!(null));
    assert_eq!(status.relay, None);
    assert_eq!(status.phase, SyncPhase::Off);
    let err = h.err("sync_now", json!(null));
    assert_kind(&err, ErrorKind::InvalidInput);

    let bad =
        json!({"relay": "ftp://example.org", "auto_approve": false, "notification_previews": true});
    let err = h.err("set_sync_settings", bad);
    assert_kind(&err, ErrorKind::InvalidInput);
    assert!(err.message.contains("relay address"), "{err}");
    let settings: SyncSettings = h.ok("sync_settings", json!(null));
    assert_eq!(settings.relay, None, "nothing saved");

    let good = json!({"relay": NOWHERE, "auto_approve": true, "notification_previews": true});
    let saved: SyncSettings = h.ok("set_sync_settings", good);
    assert_eq!(saved.relay.as_deref(), Some(NOWHERE));
    assert!(saved.auto_approve && saved.notification_previews);
    let status: SyncStatus = h.ok("sync_status", json!(null));
    assert_eq!(status.relay.as_deref(), Some(NOWHERE));
    assert_ne!(status.phase, SyncPhase::Off, "the background sync started");

    // Locking stops it; the settings stay.
    let () = h.ok("lock", json!(null));
    let _: mutua_api::Profile = h.ok("unlock", json!({"passphrase": super::PASSPHRASE}));
    let settings: SyncSettings = h.ok("sync_settings", json!(null));
    assert_eq!(settings.relay.as_deref(), Some(NOWHERE));
}

#[test]
fn an_in_person_invitation_lets_another_device_join_and_a_bad_code_is_refused() {
    let ana = Harness::set_up();
    let group = ana.group("Thursday carers");
    let invite: InviteCode = ana.ok("create_invite", json!({"group_id": group, "remote": false}));
    assert!(invite.code.starts_with("mutua-invite:"));
    assert!(invite.qr_svg.contains("<svg"));
    assert_eq!(invite.group_name, "Thursday carers");

    let ben = Harness::set_up();
    let err = ben.err("accept_invite", json!({"code": "mutua-invite:garbage"}));
    assert_kind(&err, ErrorKind::InvalidInput);
    let joined: JoinOutcome = ben.ok("accept_invite", json!({"code": invite.code}));
    assert_eq!(
        joined,
        JoinOutcome::Joined {
            group_id: group.clone(),
            group_name: "Thursday carers".into()
        }
    );
    let requests: Vec<JoinRequest> = ana.ok("join_requests", json!(null));
    assert!(requests.is_empty(), "in person needs no approval");
}

#[test]
fn a_remote_invitation_needs_a_relay_and_removal_needs_a_member() {
    let h = Harness::set_up();
    let group = h.group("Evening circle");
    let err = h.err("create_invite", json!({"group_id": group, "remote": true}));
    assert_kind(&err, ErrorKind::InvalidInput);
    assert!(err.message.contains("relay"), "{err}");
    let err = h.err(
        "remove_member",
        json!({"group_id": group, "member_id": "nobody"}),
    );
    assert!(
        matches!(err.kind, ErrorKind::NotFound | ErrorKind::InvalidInput),
        "{err}"
    );
    let detail: GroupDetail = h.ok("group", json!({"id": group}));
    assert_eq!(detail.members.len(), 1, "nobody was removed");
}

#[test]
fn pairing_needs_a_relay_then_shows_a_code_and_lists_this_device() {
    let h = Harness::set_up();
    let devices: Vec<mutua_api::Device> = h.ok("devices", json!(null));
    assert!(devices.iter().any(|d| d.this_device), "{devices:?}");
    let _: SyncSettings = h.ok(
        "set_sync_settings",
        json!({"relay": NOWHERE, "auto_approve": false, "notification_previews": false}),
    );
    let code: PairingCode = h.ok("create_pairing", json!(null));
    assert!(code.code.starts_with("mutua-pair:"), "{}", code.code);
    assert!(code.qr_svg.contains("<svg"));

    // A new device pairs with it: it waits for the other device (which never answers here).
    let fresh = Harness::new();
    let err = fresh.err(
        "setup_paired",
        json!({"code": "mutua-pair:nonsense", "passphrase": super::PASSPHRASE}),
    );
    assert_kind(&err, ErrorKind::InvalidInput);
    assert!(
        !fresh.data_dir().join("mutua.db").exists(),
        "nothing created"
    );
    let state: mutua_api::PairingState = fresh.ok(
        "setup_paired",
        json!({"code": code.code, "passphrase": super::PASSPHRASE}),
    );
    assert!(
        matches!(state, mutua_api::PairingState::Waiting { .. }),
        "{state:?}"
    );
    let () = fresh.ok("cancel_pairing", json!(null));
    assert!(
        !fresh.data_dir().join("mutua.db").exists(),
        "a cancelled pairing leaves nothing"
    );
}
