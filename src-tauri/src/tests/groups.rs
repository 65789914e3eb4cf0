//! Groups: the list, the detail screen with me as a member, editing, archiving, leaving.

use mutua_api::{ErrorKind, Group, GroupDetail, GroupKind};
use serde_json::json;

use super::{Harness, assert_kind, group_form};

#[test]
fn a_new_group_lists_me_as_its_member() {
    let h = Harness::set_up();
    let id = h.group("Tuesday circle");

    let groups: Vec<Group> = h.ok("groups", json!({"include_archived": false}));
    assert_eq!(groups.len(), 1);
    assert_eq!(groups[0].id, id);
    assert_eq!(groups[0].form.name, "Tuesday circle");
    assert_eq!(groups[0].form.kind, GroupKind::MutualAid);
    assert_eq!(
        groups[0].form.guidelines.as_deref(),
        Some("What is said here stays here.")
    );

    let detail: GroupDetail = h.ok("group", json!({"id": id}));
    assert_eq!(detail.group, groups[0]);
    assert_eq!(detail.members.len(), 1);
    let me = &detail.members[0];
    assert!(me.is_me);
    assert_eq!(me.pseudonym, "Ana G.");
    assert_eq!(me.roles, ["member", "co-host"].map(String::from));
    assert!(detail.series.is_empty());
}

#[test]
fn a_facilitated_group_makes_me_its_facilitator() {
    let h = Harness::set_up();
    let mut form = group_form("Grief support, spring");
    form["kind"] = json!("facilitated");
    form["planned_sessions"] = json!(8);
    let group: Group = h.ok("create_group", form);
    assert_eq!(group.form.planned_sessions, Some(8));
    let detail: GroupDetail = h.ok("group", json!({"id": group.id}));
    assert_eq!(detail.members[0].roles, vec!["facilitator".to_owned()]);
}

#[test]
fn groups_are_edited_archived_and_left() {
    let h = Harness::set_up();
    let id = h.group("Tuesday circle");

    let mut form = group_form("Thursday circle");
    form["admission"] = json!("closed");
    let renamed: Group = h.ok("update_group", json!({"id": id, "form": form}));
    assert_eq!(renamed.form.name, "Thursday circle");

    let archived: Group = h.ok("archive_group", json!({"id": id, "archived": true}));
    assert!(archived.archived);
    assert!(
        h.ok::<Vec<Group>>("groups", json!({"include_archived": false}))
            .is_empty()
    );
    let all: Vec<Group> = h.ok("groups", json!({"include_archived": true}));
    assert_eq!(all, vec![archived]);

    let () = h.ok("leave_group", json!({"id": id}));
    assert!(
        h.ok::<Vec<Group>>("groups", json!({"include_archived": true}))
            .is_empty()
    );
    assert_kind(&h.err("group", json!({"id": id})), ErrorKind::NotFound);
}

#[test]
fn a_bad_group_form_is_refused_with_the_reason() {
    let h = Harness::set_up();
    let empty = h.err("create_group", group_form("   "));
    assert_kind(&empty, ErrorKind::InvalidInput);
    assert!(empty.message.contains("group name"), "{empty}");

    let mut form = group_form("Tuesday circle");
    form["planned_sessions"] = json!(6);
    let sessions = h.err("create_group", form);
    assert_kind(&sessions, ErrorKind::InvalidInput);
    assert!(sessions.message.contains("facilitated"), "{sessions}");

    assert!(
        h.ok::<Vec<Group>>("groups", json!({"include_archived": true}))
            .is_empty()
    );
    let missing = h.err("group", json!({"id": "0123456789abcdef0123456789abcdef"}));
    assert_kind(&missing, ErrorKind::NotFound);
}
