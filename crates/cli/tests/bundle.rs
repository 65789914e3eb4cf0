//! Sync files on the real binary: two members who never go online pass their group's messages
//! back and forth with `mutua bundle export / import`, and every bad file is refused in one line
//! with nothing changed.

mod common;

use common::{Data, arg, strings};
use serde_json::Value;

fn thread(device: &Data) -> Vec<String> {
    let page = device.json(&["message", "list", "--group", "Tuesday circle"]);
    let mut texts = strings(&page["messages"], "text");
    texts.sort();
    texts
}

/// Ana creates the group and lets Bea in with an in-person code; nobody has a relay.
fn two_members() -> (Data, Data) {
    let ana = Data::init("Ana G.", "Europe/Madrid");
    ana.json(&["group", "create", "--name", "Tuesday circle"]);
    let invite = ana.json(&["invite", "create", "--group", "Tuesday circle", "--no-qr"]);
    let code = invite["code"].as_str().expect("code").to_owned();
    let bea = Data::init("Bea R.", "America/Bogota");
    bea.json(&["invite", "accept", &code]);
    (ana, bea)
}

fn folder_names(file: &std::path::Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(file.parent().expect("folder"))
        .expect("list")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains("mutua-sync") || n.contains("partial"))
        .collect();
    names.sort();
    names
}

#[test]
fn two_members_sync_a_group_through_files_alone() {
    let (ana, bea) = two_members();
    ana.json(&[
        "message",
        "send",
        "--group",
        "Tuesday circle",
        "QX see you Tuesday",
    ]);
    let target = ana.file("to-bea");
    let saved = ana.json(&["bundle", "export", "--out", arg(&target)]);
    let path = saved["path"].as_str().expect("path").to_owned();
    assert!(path.ends_with("to-bea.mutua-sync"), "{saved}");
    assert!(
        saved["envelopes"].as_u64().expect("envelopes") > 0,
        "{saved}"
    );
    assert_eq!(saved["groups"], 1);
    let bytes = std::fs::read(&path).expect("written");
    assert_eq!(bytes.len() as u64, saved["bytes"].as_u64().expect("bytes"));
    assert!(
        !bytes.windows(10).any(|w| w == b"QX see you"),
        "ciphertext only"
    );
    assert!(!bytes.windows(14).any(|w| w == b"Tuesday circle"));
    // Only the file itself: no temporary sibling left behind.
    assert_eq!(folder_names(&target), vec!["to-bea.mutua-sync".to_owned()]);

    let opened = bea.json(&["bundle", "import", &path]);
    assert!(opened["new"].as_u64().expect("new") > 0, "{opened}");
    assert_eq!(opened["rejected"], 0);
    assert_eq!(opened["groups_updated"], 1);
    assert_eq!(thread(&bea), vec!["QX see you Tuesday"]);
    let again = bea.json(&["bundle", "import", &path]);
    assert_eq!(again["new"], 0, "the same file twice adds nothing: {again}");
    assert_eq!(again["groups_up_to_date"], 1);

    // Bea answers with a file only for Ana, in words this time.
    bea.json(&[
        "message",
        "send",
        "--group",
        "Tuesday circle",
        "QX I will be there",
    ]);
    let back = bea.file("to-ana.mutua-sync");
    let run = bea.ok(&["bundle", "export", "--out", arg(&back), "--for", "Ana G."]);
    assert!(run.stdout.starts_with("Saved "), "{run:?}");
    assert!(run.stdout.contains(" for 1 group to "), "{run:?}");
    assert!(run.stdout.contains("to-ana.mutua-sync ("), "{run:?}");
    let run = ana.ok(&["bundle", "import", arg(&back)]);
    assert!(run.stdout.starts_with("Opened: "), "{run:?}");
    assert_eq!(thread(&ana), thread(&bea));
    assert_eq!(thread(&ana).len(), 2);

    // A file for Bea now carries nothing she does not have.
    let nothing = ana.json(&[
        "bundle",
        "export",
        "--for",
        "Bea R.",
        "--out",
        arg(&ana.file("again.mutua-sync")),
    ]);
    assert_eq!(nothing["envelopes"], 0, "{nothing}");
}

#[test]
fn bad_files_are_refused_in_one_line_and_change_nothing() {
    let (ana, bea) = two_members();
    ana.json(&["message", "send", "--group", "Tuesday circle", "QX hello"]);
    let good = ana.file("good.mutua-sync");
    ana.json(&["bundle", "export", "--out", arg(&good)]);
    let bytes = std::fs::read(&good).expect("read");
    bea.json(&["bundle", "import", arg(&good)]);
    let before: Value = bea.state();
    let before_thread = thread(&bea);

    let cut = bea.file("cut.mutua-sync");
    std::fs::write(&cut, &bytes[..bytes.len() / 2]).expect("write");
    bea.fails_with(
        &["bundle", "import", arg(&cut)],
        &["damaged", "nothing was changed", "copy it again"],
    );
    let flipped = bea.file("flipped.mutua-sync");
    let mut bad = bytes.clone();
    let middle = bad.len() / 2;
    bad[middle] ^= 0x01;
    std::fs::write(&flipped, &bad).expect("write");
    bea.fails_with(&["bundle", "import", arg(&flipped)], &["damaged"]);
    let calendar = bea.file("circle.ics");
    std::fs::write(&calendar, "BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n").expect("write");
    bea.fails_with(
        &["bundle", "import", arg(&calendar)],
        &["not a Mutua sync file", "nothing was changed"],
    );
    let mut newer = bytes.clone();
    newer[8] = 9;
    let newer_file = bea.file("newer.mutua-sync");
    std::fs::write(&newer_file, &newer).expect("write");
    bea.fails_with(
        &["bundle", "import", arg(&newer_file)],
        &["newer version of Mutua", "update Mutua"],
    );
    bea.fails_with(
        &["bundle", "import", arg(&bea.file("missing.mutua-sync"))],
        &["could not open"],
    );
    assert_eq!(bea.state(), before);
    assert_eq!(thread(&bea), before_thread);

    // A member of no group in the file.
    let cai = Data::init("Cai L.", "UTC");
    cai.fails_with(
        &["bundle", "import", arg(&good)],
        &["not in", "nothing was changed"],
    );
    // Nowhere to write: one line, and no file appears.
    let nowhere = ana.file("no/such/folder/x.mutua-sync");
    ana.fails_with(
        &["bundle", "export", "--out", arg(&nowhere)],
        &["not saved"],
    );
    assert!(!nowhere.exists());
    // Nothing to carry yet.
    cai.fails_with(
        &["bundle", "export", "--out", arg(&cai.file("x"))],
        &["in no group"],
    );
    ana.fails_with(
        &["bundle", "export", "--out", arg(&good), "--for", "Nobody"],
        &["no member matches"],
    );
}
