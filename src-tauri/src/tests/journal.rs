//! The journal: adding, listing by period, accent-insensitive search, editing, deleting, and
//! the mood series.

use chrono::{DateTime, NaiveDate, Utc};
use mutua_api::{Entry, EntryGroup, ErrorKind, MoodPoint, SearchHit};
use serde_json::{Value, json};

use super::{Harness, assert_kind};

fn utc(text: &str) -> DateTime<Utc> {
    text.parse().expect("an RFC 3339 instant")
}

fn date(text: &str) -> NaiveDate {
    text.parse().expect("a date")
}

fn add(h: &Harness, text: &str, mood: u8, written_at: &str) -> Entry {
    h.ok(
        "add_entry",
        json!({
            "text": text,
            "mood": mood,
            "emotions": ["Hopeful", "tired"],
            "tags": ["#meeting"],
            "written_at": written_at,
        }),
    )
}

#[test]
fn entries_are_written_listed_searched_edited_and_deleted() {
    let h = Harness::set_up(); // Europe/Madrid
    // 23:30 UTC is already the next day in Madrid: the entry belongs to the 25th.
    let late = add(
        &h,
        "Hoy me sentí con ánimo después de la reunión",
        4,
        "2026-11-24T23:30:00Z",
    );
    assert_eq!(late.local_date, date("2026-11-25"));
    assert_eq!(late.emotions, ["hopeful", "tired"]);
    assert_eq!(late.tags, ["meeting"]);
    let early = add(&h, "Slept badly, called Sam", 2, "2026-11-23T08:00:00Z");

    let week: Vec<EntryGroup> = h.ok("journal", json!({"period": "week", "date": "2026-11-26"}));
    assert_eq!(week.len(), 1);
    assert_eq!(week[0].label, "2026-W48");
    assert_eq!(week[0].entries, vec![late.clone(), early.clone()]);
    let days: Vec<EntryGroup> = h.ok("journal", json!({"period": "day", "date": "2026-11-25"}));
    assert_eq!(days.len(), 1);
    assert_eq!(days[0].entries, vec![late.clone()]);

    let hits: Vec<SearchHit> = h.ok("search_journal", json!({"query": "animo reunion"}));
    assert_eq!(hits.len(), 1);
    assert_eq!(hits[0].entry.id, late.id);
    assert!(hits[0].snippet.contains("[ánimo]"), "{}", hits[0].snippet);

    // An edit without a new time keeps the entry's time and day.
    let edited: Entry = h.ok(
        "update_entry",
        json!({"id": late.id, "form": {
            "text": "Felt steady after the meeting", "mood": 5, "emotions": ["calm"],
            "tags": [], "written_at": null,
        }}),
    );
    assert_eq!(edited.written_at, utc("2026-11-24T23:30:00Z"));
    assert_eq!(edited.local_date, date("2026-11-25"));
    assert!(
        h.ok::<Vec<SearchHit>>("search_journal", json!({"query": "ánimo"}))
            .is_empty()
    );
    assert_eq!(
        h.ok::<Vec<SearchHit>>("search_journal", json!({"query": "steady"}))
            .len(),
        1
    );

    let moods: Vec<MoodPoint> = h.ok(
        "mood_series",
        json!({"from": "2026-11-01", "to": "2026-11-30"}),
    );
    let by_day: Vec<(NaiveDate, f64, u32)> =
        moods.iter().map(|p| (p.date, p.average, p.count)).collect();
    assert_eq!(
        by_day,
        vec![(date("2026-11-23"), 2.0, 1), (date("2026-11-25"), 5.0, 1)]
    );

    let () = h.ok("delete_entry", json!({"id": early.id}));
    let week: Vec<EntryGroup> = h.ok("journal", json!({"period": "month", "date": "2026-11-01"}));
    assert_eq!(week[0].entries, vec![edited]);
    assert!(
        h.ok::<Vec<SearchHit>>("search_journal", json!({"query": "slept"}))
            .is_empty()
    );
    assert_kind(
        &h.err("delete_entry", json!({"id": early.id})),
        ErrorKind::NotFound,
    );
}

#[test]
fn an_entry_without_a_time_is_written_now() {
    let h = Harness::set_up();
    let before = Utc::now() - chrono::Duration::seconds(1);
    let entry: Entry = h.ok(
        "add_entry",
        json!({"text": "", "mood": 3, "emotions": [], "tags": [], "written_at": null}),
    );
    assert!(entry.written_at >= before && entry.written_at <= Utc::now());
}

#[test]
fn bad_entries_are_refused() {
    let h = Harness::set_up();
    let empty = h.err(
        "add_entry",
        json!({"text": "  ", "mood": null, "emotions": [], "tags": [], "written_at": null}),
    );
    assert_kind(&empty, ErrorKind::InvalidInput);
    assert!(empty.message.contains("needs some text"), "{empty}");
    let mood = h.err(
        "add_entry",
        json!({"text": "x", "mood": 9, "emotions": [], "tags": [], "written_at": null}),
    );
    assert_kind(&mood, ErrorKind::InvalidInput);
    assert!(mood.message.contains("1 (very low) to 5"), "{mood}");
    let today: Value = h.ok("today", Value::Null);
    assert_eq!(today["recent_entries"], json!([]));
}
