//! Messages: a group thread end to end, reactions, delete-for-me, read receipts, a one-to-one
//! conversation with a member who arrived through a merge, and what is refused.

use mutua_api::{
    Conversation, ConversationKind, ErrorKind, Message, MessageKind, MessagePage, Peer,
};
use mutua_core::Mutua;
use mutua_core::changes::{Scope, Vector};
use serde_json::{Value, json};
use tauri::Manager;

use super::{Harness, assert_kind};
use crate::state::AppState;

fn send(h: &Harness, target: Value, text: &str) -> Message {
    h.ok(
        "send_message",
        json!({"target": target, "text": text, "reply_to": null, "kind": "text"}),
    )
}

fn page(h: &Harness, conversation: &str, before: Option<&str>, limit: u32) -> MessagePage {
    h.ok(
        "messages",
        json!({"conversation": conversation, "before": before, "limit": limit}),
    )
}

#[test]
fn a_group_thread_from_first_message_to_read() {
    let h = Harness::set_up();
    let group = h.group("Tuesday circle");
    let inbox: Vec<Conversation> = h.ok("conversations", Value::Null);
    assert_eq!(
        inbox.len(),
        1,
        "a group has a thread before its first message"
    );
    assert_eq!(inbox[0].id, format!("group:{group}"));
    assert_eq!(inbox[0].kind, ConversationKind::Group);
    assert_eq!(inbox[0].title, "Tuesday circle");
    assert_eq!(inbox[0].last, None);

    let first = send(&h, json!({"group": group}), "Hello everyone");
    assert!(first.mine);
    assert_eq!(first.conversation, inbox[0].id);
    // Ana's profile is in Madrid: the time is shown on her clock.
    let madrid: chrono_tz::Tz = "Europe/Madrid".parse().expect("zone");
    assert_eq!(
        first.sent_viewer,
        first.sent_at.with_timezone(&madrid).naive_local()
    );
    let reply: Message = h.ok(
        "send_message",
        json!({
            "target": {"conversation": first.conversation},
            "text": "How is everyone doing this week?",
            "reply_to": first.id,
            "kind": "check_in",
        }),
    );
    assert_eq!(reply.kind, MessageKind::CheckIn);
    let quote = reply.reply_to.clone().expect("quote");
    assert_eq!(quote.author_pseudonym.as_deref(), Some("Ana G."));
    assert_eq!(quote.excerpt.as_deref(), Some("Hello everyone"));

    let newest = page(&h, &first.conversation, None, 1);
    assert_eq!(newest.messages, vec![reply]);
    let older = page(&h, &first.conversation, newest.older.as_deref(), 1);
    assert_eq!(older.messages, vec![first.clone()]);
    assert_eq!(older.older, None);

    let inbox: Vec<Conversation> = h.ok("conversations", Value::Null);
    let last = inbox[0].last.as_ref().expect("last message");
    assert_eq!(last.excerpt, "How is everyone doing this week?");
    assert_eq!(inbox[0].unread, 0, "my own messages are never unread");
    let () = h.ok("mark_read", json!({"conversation": first.conversation}));
}

#[test]
fn reactions_and_delete_for_me() {
    let h = Harness::set_up();
    let group = h.group("Tuesday circle");
    let msg = send(&h, json!({"group": group}), "Got the job!");
    let reacted: Message = h.ok("react", json!({"message_id": msg.id, "emoji": "💪"}));
    assert_eq!(reacted.reactions.len(), 1);
    assert_eq!(reacted.reactions[0].emoji, "💪");
    assert!(reacted.reactions[0].mine);
    assert_eq!(reacted.reactions[0].by, ["Ana G."]);
    let bad = h.err("react", json!({"message_id": msg.id, "emoji": "nice"}));
    assert_kind(&bad, ErrorKind::InvalidInput);
    let unreacted: Message = h.ok("unreact", json!({"id": msg.id}));
    assert!(unreacted.reactions.is_empty());

    let () = h.ok("delete_message_for_me", json!({"id": msg.id}));
    assert!(
        page(&h, &msg.conversation, None, 20).messages.is_empty(),
        "gone from my list"
    );
    assert_kind(
        &h.err("react", json!({"message_id": msg.id, "emoji": "❤️"})),
        ErrorKind::NotFound,
    );
}

#[test]
fn edits_and_retractions() {
    let h = Harness::set_up();
    let group = h.group("Tuesday circle");
    let msg = send(&h, json!({"group": group}), "See you Tuesdy");
    let edited: Message = h.ok(
        "edit_message",
        json!({"id": msg.id, "text": "See you Tuesday"}),
    );
    assert!(edited.edited);
    assert_eq!(edited.text, "See you Tuesday");
    let retracted: Message = h.ok("retract_message", json!({"id": msg.id}));
    assert!(retracted.deleted);
    assert!(retracted.text.is_empty());
}

#[test]
fn read_receipts_are_off_until_turned_on() {
    let h = Harness::set_up();
    assert!(!h.ok::<bool>("read_receipts", Value::Null));
    assert!(h.ok::<bool>("set_read_receipts", json!({"enabled": true})));
    assert!(h.ok::<bool>("read_receipts", Value::Null));
    assert!(!h.ok::<bool>("set_read_receipts", json!({"enabled": false})));
}

#[test]
fn a_direct_conversation_with_a_member_of_a_shared_group() {
    let h = Harness::set_up();
    // Bea's group reaches this device as a merge would bring it (sync is another layer).
    let mut bea = Mutua::ephemeral("Bea L.").expect("bea");
    let bea_group = bea
        .create_group(mutua_core::groups::GroupFields {
            name: "Carers".into(),
            purpose: None,
            kind: mutua_core::groups::GroupKind::MutualAid,
            planned_sessions: None,
            admission: mutua_core::groups::Admission::Open,
            language: None,
            place: None,
            online_url: None,
            guidelines: None,
        })
        .expect("group");
    let mut set = bea
        .changes_since(&Vector::default(), Scope::Shared)
        .expect("changes");
    set.docs
        .retain(|(id, _)| id.group() == Some(bea_group.id.as_str()));
    {
        let state = h.app.state::<AppState>();
        let mut slot = state.slot();
        slot.as_mut()
            .expect("unlocked")
            .import(&set)
            .expect("import");
    }

    let peers: Vec<Peer> = h.ok("peers", Value::Null);
    assert_eq!(peers.len(), 1);
    assert_eq!(peers[0].pseudonym, "Bea L.");
    let sent = send(
        &h,
        json!({"member": peers[0].member_id}),
        "Coffee before Tuesday?",
    );
    assert!(sent.conversation.starts_with("dm:"));
    let inbox: Vec<Conversation> = h.ok("conversations", Value::Null);
    let dm = inbox
        .iter()
        .find(|c| c.kind == ConversationKind::Direct)
        .expect("the conversation is listed");
    assert_eq!(dm.title, "Bea L.");
    assert_eq!(dm.peer_id.as_deref(), Some(bea.member_id()));
    assert_eq!(dm.id, sent.conversation);
}

#[test]
fn what_is_refused() {
    let h = Harness::set_up();
    let group = h.group("Tuesday circle");
    let empty = h.err(
        "send_message",
        json!({"target": {"group": group}, "text": "   ", "reply_to": null, "kind": "text"}),
    );
    assert_kind(&empty, ErrorKind::InvalidInput);
    assert!(empty.message.starts_with("The message is empty"), "{empty}");
    let long = "x".repeat(4001);
    assert_kind(
        &h.err(
            "send_message",
            json!({"target": {"group": group}, "text": long, "reply_to": null, "kind": "text"}),
        ),
        ErrorKind::InvalidInput,
    );
    assert_kind(
        &h.err(
            "send_message",
            json!({"target": {"member": "Nobody"}, "text": "hi", "reply_to": null, "kind": "text"}),
        ),
        ErrorKind::NotFound,
    );
    assert_kind(
        &h.err(
            "send_message",
            json!({"target": {"group": group}, "text": "hi", "reply_to": "abcdef12", "kind": "text"}),
        ),
        ErrorKind::InvalidInput,
    );
    assert_kind(
        &h.err(
            "messages",
            json!({"conversation": "nonsense", "before": null, "limit": 20}),
        ),
        ErrorKind::InvalidInput,
    );
    let _: mutua_api::Group = h.ok("archive_group", json!({"id": group, "archived": true}));
    let archived = h.err(
        "send_message",
        json!({"target": {"group": group}, "text": "hi", "reply_to": null, "kind": "text"}),
    );
    assert_kind(&archived, ErrorKind::InvalidInput);
    assert!(archived.message.contains("archived"), "{archived}");
}

#[test]
fn messages_need_the_data_unlocked() {
    let h = Harness::new();
    assert_kind(&h.err("conversations", Value::Null), ErrorKind::Locked);
}

#[test]
fn the_unread_cap_is_the_same_on_both_sides_of_the_contract() {
    assert_eq!(
        mutua_api::UNREAD_CAP,
        mutua_core::messages::UNREAD_CAP,
        "core counts no further than the UI's \"999+\" badge says"
    );
    assert_eq!(mutua_api::unread_label(998), "998");
    assert_eq!(mutua_api::unread_label(mutua_api::UNREAD_CAP), "999+");
    assert_eq!(mutua_api::unread_label(5_000), "999+");
}
