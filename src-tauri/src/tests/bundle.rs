//! Sync files through the command table: one app saves, another opens, and every kind of bad
//! file comes back as a typed refusal (the window words it) with nothing changed. The native
//! dialogs are not opened here (the E2E test drives the window's buttons).

use mutua_api::{
    GroupDetail, InviteCode, MessagePage, SyncFileOpenOutcome, SyncFileProblem, SyncFileSaveOutcome,
};
use serde_json::{Value, json};

use super::Harness;

fn save(h: &Harness, scope: Value, name: &str) -> SyncFileSaveOutcome {
    let path = h.scratch().join(name);
    h.ok(
        "export_sync_file",
        json!({"scope": scope, "path": path.display().to_string()}),
    )
}

fn open(h: &Harness, path: &std::path::Path) -> SyncFileOpenOutcome {
    h.ok(
        "import_sync_file",
        json!({"path": path.display().to_string()}),
    )
}

fn thread(h: &Harness, group: &str) -> Vec<String> {
    let page: MessagePage = h.ok(
        "messages",
        json!({"conversation": format!("group:{group}"), "before": null, "limit": 50}),
    );
    page.messages.into_iter().map(|m| m.text).collect()
}

#[test]
fn a_sync_file_carries_a_message_between_two_apps() {
    let ana = Harness::set_up();
    let nothing = save(&ana, json!({"kind": "everything"}), "empty");
    assert_eq!(nothing, SyncFileSaveOutcome::NothingToSave);
    let group = ana.group("Thursday carers");
    let invite: InviteCode = ana.ok("create_invite", json!({"group_id": group, "remote": false}));
    let ben = Harness::set_up();
    let _: Value = ben.ok("accept_invite", json!({"code": invite.code}));
    let _: Value = ana.ok(
        "send_message",
        json!({"target": {"group": group}, "text": "See you Thursday", "reply_to": null, "kind": "text"}),
    );
    let SyncFileSaveOutcome::Saved(saved) = save(&ana, json!({"kind": "everything"}), "to-ben")
    else {
        panic!("not saved");
    };
    assert_eq!(saved.file_name, "to-ben.mutua-sync");
    assert!(saved.updates > 0 && saved.groups == 1, "{saved:?}");
    let path = std::path::PathBuf::from(&saved.path);
    assert_eq!(std::fs::metadata(&path).expect("file").len(), saved.bytes);

    let SyncFileOpenOutcome::Opened(opened) = open(&ben, &path) else {
        panic!("refused");
    };
    assert!(opened.new_updates > 0, "{opened:?}");
    assert_eq!(opened.groups_updated, 1);
    assert_eq!(thread(&ben, &group), vec!["See you Thursday"]);
    let detail: GroupDetail = ben.ok("group", json!({"id": group}));
    assert_eq!(detail.group.form.name, "Thursday carers");

    // Bad files: each a typed refusal, nothing changed.
    let dir = ben.scratch();
    let bytes = std::fs::read(&path).expect("read");
    let cases: [(&str, Vec<u8>, SyncFileProblem); 4] = [
        (
            "cut.mutua-sync",
            bytes[..bytes.len() / 3].to_vec(),
            SyncFileProblem::Damaged,
        ),
        (
            "notes.txt",
            b"hello".to_vec(),
            SyncFileProblem::NotASyncFile,
        ),
        (
            "newer.mutua-sync",
            {
                let mut b = bytes.clone();
                b[8] = 3;
                b
            },
            SyncFileProblem::TooNew,
        ),
        (
            "folder-less.mutua-sync",
            Vec::new(),
            SyncFileProblem::Damaged,
        ),
    ];
    for (name, content, problem) in cases {
        let bad = dir.join(name);
        std::fs::write(&bad, content).expect("write");
        assert_eq!(
            open(&ben, &bad),
            SyncFileOpenOutcome::Refused { problem },
            "{name}"
        );
    }
    assert_eq!(
        open(&ben, &dir.join("gone.mutua-sync")),
        SyncFileOpenOutcome::Refused {
            problem: SyncFileProblem::CannotRead
        }
    );
    let cai = Harness::set_up();
    assert_eq!(
        open(&cai, &path),
        SyncFileOpenOutcome::Refused {
            problem: SyncFileProblem::NotForThisDevice
        }
    );
    assert_eq!(thread(&ben, &group), vec!["See you Thursday"]);

    // Somewhere it cannot be written: said so, nothing left behind.
    let outcome: SyncFileSaveOutcome = ana.ok(
        "export_sync_file",
        json!({"scope": {"kind": "my_devices"}, "path": ana.scratch().join("no/such/x").display().to_string()}),
    );
    assert!(
        matches!(outcome, SyncFileSaveOutcome::CannotWrite { .. }),
        "{outcome:?}"
    );
    let err = ana.err(
        "export_sync_file",
        json!({"scope": {"kind": "everything"}, "path": "relative.mutua-sync"}),
    );
    assert!(err.message.contains("dialog"), "{err}");
}
