//! Messaging on the real binary: a group thread (send, reply, check-in, page, react, delete for
//! me, edit, retract), the inbox, read receipts, and two devices that wrote offline and merge
//! through change files, one-to-one messages included.

mod common;

use common::{Data, arg, id, items, strings};
use serde_json::Value;

/// Sends what `to` lacks from `from` through a change file.
fn merge(from: &Data, to: &Data, name: &str) {
    let vector = to.file(&format!("{name}.vector.json"));
    to.json(&["changes", "vector", "--out", arg(&vector)]);
    let file = from.file(&format!("{name}.mch"));
    from.json(&[
        "changes",
        "export",
        "--since",
        arg(&vector),
        "--out",
        arg(&file),
    ]);
    to.json(&["changes", "import", arg(&file)]);
}

fn texts(page: &Value) -> Vec<String> {
    strings(&page["messages"], "text")
}

fn unread(inbox: &Value) -> Vec<u64> {
    items(inbox)
        .iter()
        .map(|c| c["unread"].as_u64().expect("unread count"))
        .collect()
}

#[test]
fn a_group_thread_on_the_command_line() {
    let ana = Data::init("Ana G.", "Europe/Madrid");
    ana.json(&["group", "create", "--name", "Tuesday circle"]);
    let empty = ana.ok(&["message", "list", "--group", "Tuesday circle"]);
    assert!(empty.stdout.contains("no messages yet"), "{empty:?}");

    let first = ana.json(&[
        "message",
        "send",
        "--group",
        "tuesday circle",
        "Hello everyone",
    ]);
    assert_eq!(first["author_pseudonym"], "Ana G.");
    assert_eq!(first["mine"], true);
    let first_id = id(&first);
    let reply = ana.json(&[
        "message",
        "send",
        "--group",
        "Tuesday circle",
        "--reply-to",
        &first_id[..8],
        "Welcome back",
    ]);
    assert_eq!(reply["reply_to"]["id"], first_id.as_str());
    assert_eq!(reply["reply_to"]["excerpt"], "Hello everyone");
    let check_in = ana.json(&[
        "message",
        "send",
        "--group",
        "Tuesday circle",
        "--check-in",
        "How is everyone doing this week?",
    ]);
    assert_eq!(check_in["kind"], "check_in");

    let page = ana.json(&["message", "list", "--group", "Tuesday circle"]);
    assert_eq!(
        texts(&page),
        [
            "Hello everyone",
            "Welcome back",
            "How is everyone doing this week?"
        ]
    );
    assert_eq!(page["older"], Value::Null);
    let newest = ana.json(&[
        "message",
        "list",
        "--group",
        "Tuesday circle",
        "--limit",
        "2",
    ]);
    assert_eq!(
        texts(&newest),
        ["Welcome back", "How is everyone doing this week?"]
    );
    let older = newest["older"].as_str().expect("a cursor");
    let before = ana.json(&[
        "message",
        "list",
        "--group",
        "Tuesday circle",
        "--before",
        older,
    ]);
    assert_eq!(texts(&before), ["Hello everyone"]);

    let shown = ana.ok(&["message", "list", "--group", "Tuesday circle"]);
    assert!(shown.stdout.contains("Ana G. (you)"), "{}", shown.stdout);
    assert!(
        shown
            .stdout
            .contains("↩ replying to Ana G.: \"Hello everyone\""),
        "{}",
        shown.stdout
    );
    assert!(shown.stdout.contains("check-in"), "{}", shown.stdout);

    let reacted = ana.json(&["message", "react", &first_id[..8], "🙏"]);
    assert_eq!(reacted["reactions"][0]["emoji"], "🙏");
    assert_eq!(reacted["reactions"][0]["count"], 1);
    ana.fails_with(
        &["message", "react", &first_id, "nice"],
        &["not a reaction"],
    );
    let unreacted = ana.json(&["message", "unreact", &first_id]);
    assert_eq!(unreacted["reactions"], Value::Array(vec![]));

    let edited = ana.json(&["message", "edit", &id(&reply), "Welcome back, Sam"]);
    assert_eq!(edited["text"], "Welcome back, Sam");
    let retracted = ana.json(&["message", "retract", &id(&check_in)]);
    assert_eq!(retracted["deleted"], true);
    ana.json(&["message", "delete", &first_id]);
    let page = ana.json(&["message", "list", "--group", "Tuesday circle"]);
    assert_eq!(texts(&page), ["Welcome back, Sam", ""]);
    assert_eq!(page["messages"][0]["reply_to"]["excerpt"], Value::Null);

    let inbox = ana.json(&["inbox"]);
    assert_eq!(items(&inbox).len(), 1);
    assert_eq!(inbox[0]["title"], "Tuesday circle");
    assert_eq!(
        inbox[0]["conversation"]
            .as_str()
            .map(|c| c.starts_with("group:")),
        Some(true)
    );
    assert_eq!(unread(&inbox), [0]);
    let text = ana.ok(&["inbox"]);
    assert!(
        text.stdout.contains("Tuesday circle (group)"),
        "{}",
        text.stdout
    );

    assert_eq!(ana.json(&["message", "receipts"])["read_receipts"], false);
    assert_eq!(
        ana.json(&["message", "receipts", "on"])["read_receipts"],
        true
    );
}

#[test]
fn messages_are_refused_with_one_clear_line() {
    let ana = Data::init("Ana G.", "Europe/Madrid");
    ana.json(&["group", "create", "--name", "Tuesday circle"]);
    ana.fails_with(
        &["message", "send", "--group", "Tuesday circle", "   "],
        &["empty"],
    );
    let long = "x".repeat(4001);
    ana.fails_with(
        &["message", "send", "--group", "Tuesday circle", &long],
        &["4001 characters"],
    );
    ana.fails_with(
        &["message", "send", "--group", "Nowhere", "hi"],
        &["no group matches \"Nowhere\""],
    );
    ana.fails_with(
        &[
            "message",
            "send",
            "--group",
            "Tuesday circle",
            "--reply-to",
            "abcdef12",
            "hi",
        ],
        &["to reply to"],
    );
    ana.fails_with(&["dm", "send", "--to", "Sam R.", "hi"], &["no member"]);
    ana.fails_with(&["dm", "send", "--to", "Ana G.", "hi"], &["that is you"]);
    ana.fails_with(&["message", "react", "ffffffff", "❤️"], &["no message"]);
    ana.json(&["group", "archive", "Tuesday circle"]);
    ana.fails_with(
        &["message", "send", "--group", "Tuesday circle", "hi"],
        &["archived"],
    );
    let peers = ana.ok(&["dm", "peers"]);
    assert!(peers.stdout.contains("Nobody to write to yet"), "{peers:?}");
}

#[test]
fn two_devices_writing_offline_lose_no_message() {
    let a = Data::init("Ana G.", "Europe/Madrid");
    let b = Data::init("Ana G.", "Europe/Madrid");
    a.json(&["group", "create", "--name", "Tuesday circle"]);
    merge(&a, &b, "a-to-b");
    for i in 0..3 {
        a.json(&[
            "message",
            "send",
            "--group",
            "Tuesday circle",
            &format!("from the laptop {i}"),
        ]);
        b.json(&[
            "message",
            "send",
            "--group",
            "Tuesday circle",
            &format!("from the phone {i}"),
        ]);
    }
    // B writes to A, whom it knows from the group's roster.
    let peers = b.json(&["dm", "peers"]);
    assert_eq!(items(&peers).len(), 1);
    let a_id = peers[0]["member_id"]
        .as_str()
        .expect("member id")
        .to_owned();
    let dm = b.json(&[
        "dm",
        "send",
        "--to",
        &a_id[..8],
        "Are you coming on Tuesday?",
    ]);
    assert!(
        dm["conversation"]
            .as_str()
            .is_some_and(|c| c.starts_with("dm:"))
    );
    merge(&b, &a, "b-to-a");
    merge(&a, &b, "a-to-b-2");

    let inbox = a.json(&["inbox"]);
    assert_eq!(items(&inbox).len(), 2, "{inbox}");
    let mut counts = unread(&inbox);
    counts.sort();
    assert_eq!(counts, [1, 3], "three in the group, one direct: {inbox}");

    let on_a = a.json(&["message", "list", "--group", "Tuesday circle"]);
    let on_b = b.json(&["message", "list", "--group", "Tuesday circle"]);
    assert_eq!(texts(&on_a).len(), 6, "no message may be lost: {on_a}");
    assert_eq!(
        strings(&on_a["messages"], "id"),
        strings(&on_b["messages"], "id")
    );

    let b_id = b.json(&["status"])["member_id"]
        .as_str()
        .expect("member id")
        .to_owned();
    let conversation = a.json(&["dm", "list", "--to", &b_id[..8]]);
    assert_eq!(texts(&conversation), ["Are you coming on Tuesday?"]);
    a.json(&["dm", "send", "--to", &b_id, "Yes, see you there"]);
    assert_eq!(
        unread(&a.json(&["inbox"])),
        [0, 0],
        "listing marked both read"
    );
    merge(&a, &b, "a-to-b-3");
    let answer = b.json(&["dm", "list", "--to", &a_id, "--keep-unread"]);
    assert_eq!(
        texts(&answer),
        ["Are you coming on Tuesday?", "Yes, see you there"]
    );
    let b_inbox = b.json(&["inbox"]);
    assert!(unread(&b_inbox).contains(&1), "kept unread: {b_inbox}");
}
