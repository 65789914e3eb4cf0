//! Peer contacts and "who can I reach now" across time zones.

use chrono::Utc;
use mutua_api::{Contact, ErrorKind, Reachable};
use serde_json::{Value, json};

use super::{Harness, assert_kind};

fn contact_form(pseudonym: &str, zone: &str, availability: Value) -> Value {
    json!({
        "pseudonym": pseudonym,
        "phone": "+57 300 123 4567",
        "link": null,
        "note": "Met at the Tuesday circle",
        "group_id": null,
        "time_zone": zone,
        "availability": availability,
    })
}

/// Every day, all day, in the contact's zone: reachable whenever the test runs.
fn all_week() -> Value {
    (0..7)
        .map(|day| json!({"weekday": day, "start": 0, "end": 1440}))
        .collect()
}

#[test]
fn reachable_now_respects_the_contacts_windows_and_the_viewers_clock() {
    let h = Harness::set_up(); // the viewer is in Europe/Madrid
    let sam: Contact = h.ok(
        "add_contact",
        contact_form("Sam R.", "Asia/Tokyo", all_week()),
    );
    assert_eq!(sam.form.availability.len(), 7);
    assert_eq!(sam.form.availability[6].weekday, 6);
    let _: Contact = h.ok(
        "add_contact",
        contact_form("Lu P.", "America/Bogota", json!([])),
    );

    let before = Utc::now();
    let reachable: Vec<Reachable> = h.ok("reachable_now", Value::Null);
    assert_eq!(reachable.len(), 1, "Lu has no windows");
    let now = &reachable[0];
    assert_eq!(now.contact, sam);
    let tokyo: chrono_tz::Tz = "Asia/Tokyo".parse().expect("zone");
    let madrid: chrono_tz::Tz = "Europe/Madrid".parse().expect("zone");
    let their_now = before.with_timezone(&tokyo).naive_local();
    assert!((now.their_time - their_now).num_seconds().abs() < 60);
    // Sam's window ends at the next midnight in Tokyo, shown on the Madrid clock.
    assert!(now.until_utc > before);
    assert_eq!(
        now.until_utc.with_timezone(&tokyo).time(),
        chrono::NaiveTime::MIN
    );
    assert_eq!(
        now.until_viewer,
        now.until_utc.with_timezone(&madrid).naive_local()
    );

    let contacts: Vec<Contact> = h.ok("contacts", Value::Null);
    let names: Vec<&str> = contacts.iter().map(|c| c.form.pseudonym.as_str()).collect();
    assert_eq!(names, ["Lu P.", "Sam R."]);
}

#[test]
fn contacts_are_updated_and_removed() {
    let h = Harness::set_up();
    let sam: Contact = h.ok(
        "add_contact",
        contact_form("Sam R.", "Asia/Tokyo", all_week()),
    );
    let evenings = json!([{"weekday": 0, "start": 19 * 60, "end": 22 * 60}]);
    let mut form = contact_form("Sam R.", "Europe/Lisbon", evenings);
    form["note"] = json!("Prefers texts");
    let updated: Contact = h.ok("update_contact", json!({"id": sam.id, "form": form}));
    assert_eq!(updated.id, sam.id);
    assert_eq!(updated.form.time_zone, "Europe/Lisbon");
    assert_eq!(updated.form.note.as_deref(), Some("Prefers texts"));
    assert_eq!(updated.form.availability.len(), 1);

    let () = h.ok("remove_contact", json!({"id": sam.id}));
    assert!(h.ok::<Vec<Contact>>("contacts", Value::Null).is_empty());
    assert_kind(
        &h.err("remove_contact", json!({"id": sam.id})),
        ErrorKind::NotFound,
    );
}

#[test]
fn bad_contacts_are_refused() {
    let h = Harness::set_up();
    let sunday_plus_one = json!([{"weekday": 7, "start": 0, "end": 60}]);
    let day = h.err(
        "add_contact",
        contact_form("Sam R.", "Asia/Tokyo", sunday_plus_one),
    );
    assert_kind(&day, ErrorKind::InvalidInput);
    assert!(day.message.contains("0 (Monday) to 6 (Sunday)"), "{day}");

    let empty = json!([{"weekday": 1, "start": 600, "end": 600}]);
    assert_kind(
        &h.err("add_contact", contact_form("Sam R.", "Asia/Tokyo", empty)),
        ErrorKind::InvalidInput,
    );
    assert_kind(
        &h.err("add_contact", contact_form("Sam R.", "Tokyo", json!([]))),
        ErrorKind::InvalidInput,
    );
    assert!(h.ok::<Vec<Contact>>("contacts", Value::Null).is_empty());
}
