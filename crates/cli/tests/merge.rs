//! Merging through change files between two data directories: two devices of one member that
//! were offline while each was used, brought together with `changes vector / export / import`.

mod common;

use common::{Data, arg, items, strings};
use serde_json::{Value, json};

/// Sends what `to` lacks from `from`, journal included; returns the import report.
fn sync(from: &Data, to: &Data, name: &str) -> Value {
    let vector = to.file(&format!("{name}.vector.json"));
    to.json(&["changes", "vector", "--out", arg(&vector)]);
    let file = from.file(&format!("{name}.mch"));
    let written = from.json(&[
        "changes",
        "export",
        "--since",
        arg(&vector),
        "--out",
        arg(&file),
        "--include-journal",
    ]);
    let report = to.json(&["changes", "import", arg(&file)]);
    assert_eq!(
        report["changes"], written["changes"],
        "{report} vs {written}"
    );
    assert_eq!(report["documents"], written["documents"]);
    let again = to.json(&["changes", "import", arg(&file)]);
    assert_eq!(
        again["new"], 0,
        "importing the same file twice adds nothing: {again}"
    );
    assert_eq!(again["changes"], report["changes"]);
    report
}

/// What a member sees, command by command, as JSON.
fn views(device: &Data) -> Vec<(&'static str, Value)> {
    vec![
        ("groups", device.json(&["group", "list", "--all"])),
        ("meetings", device.json(&["meeting", "list"])),
        ("contacts", device.json(&["contact", "list"])),
        (
            "journal",
            device.json(&[
                "journal",
                "list",
                "--by",
                "month",
                "--from",
                "2026-01-01",
                "--to",
                "2026-12-31",
            ]),
        ),
        (
            "calendar",
            device.json(&["calendar", "--from", "2026-01-01", "--to", "2026-12-31"]),
        ),
    ]
}

/// One device's own work while offline: a group with a weekly meeting, a contact, a journal
/// entry.
fn work_offline(device: &Data, group: &str, day: &str, contact: &str, words: &str) {
    device.json(&["group", "create", "--name", group, "--place", "Hall"]);
    device.json(&[
        "meeting",
        "add",
        "--group",
        group,
        "--title",
        &format!("{group} meeting"),
        "--start",
        &format!("2026-06-{day}T18:00"),
        "--tz",
        "Europe/Madrid",
        "--duration",
        "1h",
        "--rrule",
        "FREQ=WEEKLY;COUNT=4",
        "--place",
        "Hall",
    ]);
    device.json(&[
        "contact",
        "add",
        "--name",
        contact,
        "--tz",
        "America/Bogota",
        "--available",
        "mon 19:00-22:00",
    ]);
    device.json(&[
        "journal",
        "add",
        words,
        "--mood",
        "3",
        "--at",
        &format!("2026-06-{day}T21:00"),
    ]);
}

fn two_devices() -> (Data, Data) {
    let a = Data::init("Ana G.", "Europe/Madrid");
    let b = Data::init("Ana G.", "Europe/Madrid");
    work_offline(&a, "Grief support", "01", "Sam R.", "Written on the laptop");
    work_offline(&b, "Caregivers", "02", "Lu M.", "Written on the phone");
    (a, b)
}

#[test]
fn two_devices_converge_through_change_files() {
    let (a, b) = two_devices();
    let to_b = sync(&a, &b, "a-to-b");
    assert!(to_b["new"].as_u64().expect("new") > 0, "{to_b}");
    assert_eq!(to_b["new"], to_b["changes"], "B had none of A's changes");
    let to_a = sync(&b, &a, "b-to-a");
    assert!(to_a["new"].as_u64().expect("new") > 0, "{to_a}");

    // In sync: the same vector, nothing left to send either way.
    let va = a.json(&["changes", "vector"]);
    let vb = b.json(&["changes", "vector"]);
    assert_eq!(va, vb);
    let rest = a.file("rest.mch");
    let vector = a.file("vb.json");
    std::fs::write(&vector, serde_json::to_vec(&vb).expect("JSON")).expect("write vector");
    let left = a.json(&[
        "changes",
        "export",
        "--since",
        arg(&vector),
        "--out",
        arg(&rest),
        "--include-journal",
    ]);
    assert_eq!(left["changes"], 0, "{left}");

    // Both devices show the same things, and both groups with their meetings.
    for ((name, on_a), (_, on_b)) in views(&a).into_iter().zip(views(&b)) {
        assert_eq!(on_a, on_b, "{name} differ between the devices");
    }
    let groups = a.json(&["group", "list", "--all"]);
    assert_eq!(strings(&groups, "name"), ["Caregivers", "Grief support"]);
    let cal = a.json(&["calendar", "--from", "2026-01-01", "--to", "2026-12-31"]);
    assert_eq!(items(&cal).len(), 8, "4 + 4 meetings: {cal:#}");
    for device in [&a, &b] {
        assert_eq!(
            device.json(&["projections", "verify"]),
            json!({ "equal": true })
        );
    }

    // Edits after the merge travel too: B cancels a meeting and A leaves a group.
    b.json(&[
        "meeting",
        "cancel",
        "--series",
        "Grief support meeting",
        "--on",
        "2026-06-08",
    ]);
    a.json(&["group", "leave", "Caregivers"]);
    sync(&b, &a, "cancel");
    sync(&a, &b, "leave");
    for device in [&a, &b] {
        assert_eq!(
            strings(&device.json(&["group", "list", "--all"]), "name"),
            ["Grief support"]
        );
        let cal = device.json(&["calendar", "--from", "2026-01-01", "--to", "2026-12-31"]);
        assert_eq!(
            items(&cal).len(),
            3,
            "Caregivers hidden, one meeting cancelled: {cal:#}"
        );
        assert_eq!(
            device.json(&["projections", "verify"]),
            json!({ "equal": true })
        );
    }
}

/// Each device added a contact and a journal entry while offline; after merging, both devices
/// must hold both, not one device's in place of the other's.
#[test]
fn merging_keeps_contacts_and_journal_entries_from_both_devices() {
    let (a, b) = two_devices();
    sync(&a, &b, "a-to-b");
    sync(&b, &a, "b-to-a");
    for (name, device) in [("A", &a), ("B", &b)] {
        let contacts = device.json(&["contact", "list"]);
        assert_eq!(
            strings(&contacts, "pseudonym"),
            ["Lu M.", "Sam R."],
            "contacts on {name}"
        );
        let journal = device.json(&[
            "journal",
            "list",
            "--from",
            "2026-01-01",
            "--to",
            "2026-12-31",
        ]);
        let texts: Vec<String> = items(&journal)
            .iter()
            .flat_map(|day| strings(&day["entries"], "text"))
            .collect();
        assert_eq!(
            texts,
            ["Written on the phone", "Written on the laptop"],
            "journal on {name}"
        );
    }
}

#[test]
fn without_include_journal_the_journal_stays_home() {
    let a = Data::init("Ana G.", "Europe/Madrid");
    a.json(&[
        "group",
        "create",
        "--name",
        "Grief support",
        "--place",
        "Hall",
    ]);
    a.json(&[
        "journal",
        "add",
        "Only for me",
        "--mood",
        "2",
        "--at",
        "2026-06-01T21:00",
    ]);
    let shared = a.file("shared.mch");
    let everything = a.file("everything.mch");
    let s = a.json(&["changes", "export", "--out", arg(&shared)]);
    let e = a.json(&[
        "changes",
        "export",
        "--out",
        arg(&everything),
        "--include-journal",
    ]);
    assert_eq!(
        e["documents"].as_u64().expect("n"),
        s["documents"].as_u64().expect("n") + 1,
        "{s} {e}"
    );

    let b = Data::init("Ana G.", "Europe/Madrid");
    let report = b.json(&["changes", "import", arg(&shared)]);
    assert!(report["new"].as_u64().expect("new") > 0);
    assert_eq!(
        strings(&b.json(&["group", "list"]), "name"),
        ["Grief support"]
    );
    let all_year = [
        "journal",
        "list",
        "--from",
        "2026-01-01",
        "--to",
        "2026-12-31",
    ];
    assert!(
        items(&b.json(&all_year)).is_empty(),
        "no journal without --include-journal"
    );
    assert!(items(&b.json(&["journal", "search", "only"])).is_empty());
    assert_eq!(b.json(&["status"])["journal_entries"], 0);

    // With it, the entry arrives.
    b.json(&["changes", "import", arg(&everything)]);
    let journal = b.json(&all_year);
    assert_eq!(strings(&journal[0]["entries"], "text"), ["Only for me"]);
    assert_eq!(b.json(&["projections", "verify"]), json!({ "equal": true }));
}
