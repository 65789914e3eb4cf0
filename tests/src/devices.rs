//! What the cross-crate sync tests do with a device again and again: make one, work in it,
//! sync it once over a transport (relay or hub), and read what its group shares.

use std::sync::Mutex;

use mutua_core::Mutua;
use mutua_core::groups::GroupFields;
use mutua_core::messages::NewMessage;
use mutua_core::sync::SyncReport;
use mutua_core::sync::client::Transport;
use mutua_core::sync::driver::sync_once;

/// A member's device on an in-memory encrypted store.
pub fn member(name: &str) -> Mutex<Mutua> {
    Mutex::new(Mutua::ephemeral(name).expect("store"))
}

pub fn with<T>(who: &Mutex<Mutua>, f: impl FnOnce(&mut Mutua) -> T) -> T {
    f(&mut who.lock().expect("lock"))
}

/// One round; it must report no error and reject nothing.
pub fn sync<C: Transport>(client: &C, who: &Mutex<Mutua>) -> SyncReport {
    let report = sync_once(who, client, &|_| {}).expect("sync");
    assert!(report.errors.is_empty(), "{report:?}");
    assert_eq!(report.rejected, 0, "{report:?}");
    report
}

/// A text message to the group's thread.
pub fn say(who: &Mutex<Mutua>, group: &str, text: &str) {
    with(who, |m| {
        m.send_to_group(group, NewMessage::text(text))
            .expect("send")
    });
}

/// What every member's device must agree on: the groups, their rosters, meetings, threads and
/// reactions (one-to-one conversations differ per device by design).
pub fn shared(who: &Mutex<Mutua>) -> serde_json::Value {
    let dump = with(who, |m| m.projection_dump().expect("dump"));
    serde_json::json!({
        "groups": dump["groups"],
        "group_member": dump["group_member"],
        "meeting_series": dump["meeting_series"],
        "message": dump["message"],
        "message_reaction": dump["message_reaction"],
    })
}

/// An open peer-led group with only a name.
pub fn open_group(name: &str) -> GroupFields {
    GroupFields::named(name)
}

/// Fails when `stored` (a relay's database and logs, a sync file) holds any of `secrets`
/// in plaintext.
///
/// Each secret must be at least 8 bytes. A shorter marker turns up in random ciphertext by
/// chance: a 3-byte one about once in every 16 MiB, which one run in fifteen of a checkpoint
/// test stores. At 8 bytes the chance is about one in 2^64 per position.
pub fn assert_no_plaintext(stored: &[u8], holder: &str, secrets: &[&str]) {
    for secret in secrets {
        assert!(
            secret.len() >= 8,
            "\"{secret}\" is too short to tell plaintext from chance"
        );
        assert!(
            !stored.windows(secret.len()).any(|w| w == secret.as_bytes()),
            "{holder} holds \"{secret}\" in plaintext"
        );
    }
}

#[cfg(test)]
mod tests {
    use super::assert_no_plaintext;

    #[test]
    fn ciphertext_without_the_secrets_passes() {
        assert_no_plaintext(
            b"\x93\x01Ana QXA\x00.",
            "a file",
            &["Ana QXA.", "Sunflower"],
        );
    }

    #[test]
    #[should_panic(expected = "a file holds \"Ana QXA.\" in plaintext")]
    fn a_secret_in_plaintext_fails() {
        assert_no_plaintext(b"\x93\x01Ana QXA.\x00", "a file", &["Ana QXA."]);
    }

    #[test]
    #[should_panic(expected = "too short")]
    fn a_marker_too_short_to_mean_anything_fails() {
        assert_no_plaintext(b"random bytes", "a file", &["QXA"]);
    }
}
