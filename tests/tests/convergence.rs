//! Three replicas of one member edit offline and exchange changes in random subsets and orders,
//! some more than once. Afterwards every replica's projections must be equal, and equal to a
//! rebuild from its documents. `PROPTEST_CASES` sets the number of cases (1,000 in CI); failing
//! cases are kept in `proptest-regressions/` and replayed first on every run.

use std::collections::BTreeSet;

use chrono::{NaiveDate, TimeZone, Utc};
use mutua_core::Mutua;
use mutua_core::calendar::MeetingFormat;
use mutua_core::changes::{ChangeSet, Scope};
use mutua_core::contacts::{ContactFields, parse_windows};
use mutua_core::groups::{Admission, GroupFields, GroupKind};
use mutua_core::journal::EntryFields;
use mutua_core::meetings::SeriesFields;
use proptest::prelude::*;

const NAMES: &[&str] = &[
    "Tuesday circle",
    "Caregivers",
    "Grief support",
    "Círculo de ánimo",
];
const TIME_ZONES: &[&str] = &[
    "Europe/Madrid",
    "America/Bogota",
    "America/Santiago",
    "Europe/Rome",
];
const WINDOWS: &[&str] = &[
    "mon 19:00-22:00",
    "tue,thu 08:00-09:30",
    "sat 22:00-02:00",
    "sun 00:00-24:00",
];
/// Rules with a first meeting (in January 2026) that each rule holds.
const RULES: &[(&str, u32)] = &[
    ("FREQ=WEEKLY;BYDAY=MO,TH", 5),
    ("FREQ=MONTHLY;BYDAY=2TU", 13),
    ("FREQ=WEEKLY;COUNT=10", 7),
    ("FREQ=MONTHLY;BYDAY=-1FR", 30),
];

#[derive(Debug, Clone)]
enum Op {
    CreateGroup(usize),
    RenameGroup(usize, usize),
    ArchiveGroup(usize, bool),
    LeaveGroup(usize),
    AddSeries(usize, usize),
    CancelOccurrence(usize, u32),
    MoveOccurrence(usize, u32),
    AddContact(usize, usize),
    SetAvailability(usize, usize),
    RemoveContact(usize),
    AddEntry(usize, u8),
    EditEntry(usize, u8),
    DeleteEntry(usize),
    /// Send what `to` lacks from the acting replica: only documents whose bit is set in the
    /// mask, in an order shuffled by the seed, sometimes twice.
    Sync {
        to: usize,
        mask: u8,
        seed: u64,
        twice: bool,
    },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        2 => (0..NAMES.len()).prop_map(Op::CreateGroup),
        1 => (0..8usize, 0..NAMES.len()).prop_map(|(g, n)| Op::RenameGroup(g, n)),
        1 => (0..8usize, any::<bool>()).prop_map(|(g, a)| Op::ArchiveGroup(g, a)),
        1 => (0..8usize).prop_map(Op::LeaveGroup),
        2 => (0..8usize, 0..RULES.len()).prop_map(|(g, r)| Op::AddSeries(g, r)),
        1 => (0..8usize, 0..6u32).prop_map(|(s, n)| Op::CancelOccurrence(s, n)),
        1 => (0..8usize, 0..6u32).prop_map(|(s, n)| Op::MoveOccurrence(s, n)),
        2 => (0..NAMES.len(), 0..TIME_ZONES.len()).prop_map(|(n, t)| Op::AddContact(n, t)),
        1 => (0..8usize, 0..WINDOWS.len()).prop_map(|(c, w)| Op::SetAvailability(c, w)),
        1 => (0..8usize).prop_map(Op::RemoveContact),
        2 => (0..NAMES.len(), 1..=5u8).prop_map(|(t, m)| Op::AddEntry(t, m)),
        1 => (0..8usize, 1..=5u8).prop_map(|(e, m)| Op::EditEntry(e, m)),
        1 => (0..8usize).prop_map(Op::DeleteEntry),
        4 => (0..3usize, any::<u8>(), any::<u64>(), any::<bool>())
            .prop_map(|(to, mask, seed, twice)| Op::Sync { to, mask, seed, twice }),
    ]
}

/// A small deterministic shuffle, so proptest can replay and shrink.
fn shuffle<T>(items: &mut [T], seed: u64) {
    let mut state = seed | 1;
    for i in (1..items.len()).rev() {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        items.swap(i, (state % (i as u64 + 1)) as usize);
    }
}

fn pick<T: Clone>(items: &[T], index: usize) -> Option<T> {
    (!items.is_empty()).then(|| items[index % items.len()].clone())
}

fn group_fields(name: usize) -> GroupFields {
    GroupFields {
        name: NAMES[name].into(),
        purpose: Some("peer support".into()),
        kind: GroupKind::MutualAid,
        planned_sessions: None,
        admission: Admission::Open,
        language: None,
        place: Some("Hall".into()),
        online_url: None,
        guidelines: None,
    }
}

/// What must exist at the end, whichever replica did what: every record made and not removed.
#[derive(Debug, Default)]
struct Expected {
    groups: BTreeSet<String>,
    /// Series id → its group: a series is visible while its group is.
    series: std::collections::BTreeMap<String, String>,
    contacts: BTreeSet<String>,
    entries: BTreeSet<String>,
}

fn apply(replicas: &mut [Mutua], actor: usize, op: &Op, expected: &mut Expected) {
    let m = &mut replicas[actor];
    // Edits may be refused (a series cancelled twice, say); what matters is that refusals change
    // nothing and replicas still converge.
    match op {
        Op::CreateGroup(n) => {
            expected
                .groups
                .insert(m.create_group(group_fields(*n)).expect("create group").id);
        }
        Op::RenameGroup(g, n) => {
            if let Some(group) = pick(&m.groups(true).expect("groups"), *g) {
                let _ = m.update_group(&group.id, group_fields(*n));
            }
        }
        Op::ArchiveGroup(g, archived) => {
            if let Some(group) = pick(&m.groups(true).expect("groups"), *g) {
                m.set_group_archived(&group.id, *archived).expect("archive");
            }
        }
        Op::LeaveGroup(g) => {
            if let Some(group) = pick(&m.groups(true).expect("groups"), *g) {
                m.leave_group(&group.id).expect("leave");
                expected.groups.remove(&group.id);
            }
        }
        Op::AddSeries(g, r) => {
            if let Some(group) = pick(&m.groups(true).expect("groups"), *g) {
                let (rule, day) = RULES[*r];
                let start = NaiveDate::from_ymd_opt(2026, 1, day)
                    .and_then(|d| d.and_hms_opt(19, 0, 0))
                    .expect("start");
                let fields = SeriesFields {
                    title: format!("Meeting {r}"),
                    start,
                    tz: TIME_ZONES[*r % TIME_ZONES.len()].into(),
                    duration_minutes: 90,
                    rrule: Some(rule.into()),
                    format: MeetingFormat::InPerson,
                    place: Some("Hall".into()),
                    online_url: None,
                    phone: None,
                    agenda: None,
                };
                let saved = m.add_series(&group.id, fields).expect("add series");
                expected.series.insert(saved.series.id, group.id);
            }
        }
        Op::CancelOccurrence(s, n) | Op::MoveOccurrence(s, n) => {
            if let Some(series) = pick(&m.series(None).expect("series"), *s) {
                let from = Utc
                    .with_ymd_and_hms(2026, 1, 1, 0, 0, 0)
                    .single()
                    .expect("from");
                let to = Utc
                    .with_ymd_and_hms(2026, 4, 1, 0, 0, 0)
                    .single()
                    .expect("to");
                let occurrences = series.occurrences(from, to).expect("occurrences");
                if let Some(o) = pick(&occurrences, *n as usize) {
                    if matches!(op, Op::CancelOccurrence(..)) {
                        let _ = m.cancel_occurrence(&series.id, o.original_start.date());
                    } else {
                        let to = o.original_start + chrono::Duration::hours(1);
                        let _ = m.move_occurrence(&series.id, o.original_start, to, None);
                    }
                }
            }
        }
        Op::AddContact(n, t) => {
            let fields = ContactFields {
                pseudonym: format!("Sam {}.", (b'A' + *n as u8) as char),
                phone: None,
                link: None,
                note: Some(NAMES[*n].into()),
                group_id: None,
                time_zone: TIME_ZONES[*t].into(),
                availability: parse_windows(WINDOWS[*t]).expect("window"),
            };
            expected
                .contacts
                .insert(m.add_contact(fields).expect("add contact").id);
        }
        Op::SetAvailability(c, w) => {
            if let Some(contact) = pick(&m.contacts().expect("contacts"), *c) {
                m.set_availability(&contact.id, parse_windows(WINDOWS[*w]).expect("window"))
                    .expect("availability");
            }
        }
        Op::RemoveContact(c) => {
            if let Some(contact) = pick(&m.contacts().expect("contacts"), *c) {
                m.remove_contact(&contact.id).expect("remove");
                expected.contacts.remove(&contact.id);
            }
        }
        Op::AddEntry(t, mood) => {
            let entry = m
                .add_entry(EntryFields {
                    text: format!("{} went well", NAMES[*t]),
                    mood: Some(*mood),
                    emotions: vec!["hopeful".into()],
                    tags: vec![],
                    written_at: Utc
                        .with_ymd_and_hms(2026, 3, 1 + *t as u32, 20, 0, 0)
                        .single()
                        .expect("t"),
                    time_zone: "Europe/Madrid".into(),
                })
                .expect("add entry");
            expected.entries.insert(entry.id);
        }
        Op::EditEntry(e, mood) => {
            if let Some(entry) = pick(&m.recent_entries(100).expect("entries"), *e) {
                let mut fields = entry.fields.clone();
                fields.mood = Some(*mood);
                fields.text.push_str(" (edited)");
                m.update_entry(&entry.id, fields).expect("edit");
            }
        }
        Op::DeleteEntry(e) => {
            if let Some(entry) = pick(&m.recent_entries(100).expect("entries"), *e) {
                m.delete_entry(&entry.id).expect("delete");
                expected.entries.remove(&entry.id);
            }
        }
        Op::Sync {
            to,
            mask,
            seed,
            twice,
        } => {
            if *to == actor {
                return;
            }
            let theirs = replicas[*to].vector().expect("vector");
            let all = replicas[actor]
                .changes_since(&theirs, Scope::Everything)
                .expect("changes");
            let mut docs: Vec<_> = all
                .docs
                .into_iter()
                .enumerate()
                .filter(|(i, _)| mask & (1 << (i % 8)) != 0)
                .map(|(_, d)| d)
                .collect();
            shuffle(&mut docs, *seed);
            for (_, changes) in &mut docs {
                shuffle(changes, seed.rotate_left(7));
            }
            let set = ChangeSet { docs };
            replicas[*to].import(&set).expect("import");
            if *twice {
                assert_eq!(replicas[*to].import(&set).expect("import again").new, 0);
            }
        }
    }
}

fn full_sync(replicas: &mut [Mutua]) {
    for _ in 0..2 {
        for from in 0..replicas.len() {
            for to in 0..replicas.len() {
                if from != to {
                    let theirs = replicas[to].vector().expect("vector");
                    let set = replicas[from]
                        .changes_since(&theirs, Scope::Everything)
                        .expect("changes");
                    replicas[to].import(&set).expect("import");
                }
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { max_shrink_iters: 200, ..ProptestConfig::default() })]

    #[test]
    fn replicas_converge_whatever_the_order(steps in prop::collection::vec((0..3usize, op()), 1..40)) {
        let mut replicas: Vec<Mutua> =
            (0..3).map(|_| Mutua::ephemeral("Ana G.").expect("replica")).collect();
        let mut expected = Expected::default();
        for (actor, op) in &steps {
            apply(&mut replicas, *actor, op, &mut expected);
        }
        full_sync(&mut replicas);
        // Nothing made anywhere is lost, nothing removed comes back.
        let ids = |items: Vec<String>| items.into_iter().collect::<BTreeSet<_>>();
        let r = &replicas[0];
        prop_assert_eq!(ids(r.groups(true).expect("groups").into_iter().map(|g| g.id).collect()), expected.groups.clone());
        prop_assert_eq!(ids(r.contacts().expect("contacts").into_iter().map(|c| c.id).collect()), expected.contacts.clone());
        prop_assert_eq!(ids(r.recent_entries(1000).expect("entries").into_iter().map(|e| e.id).collect()), expected.entries.clone());
        let series = ids(r.series(None).expect("series").into_iter().map(|s| s.id).collect());
        let visible: BTreeSet<String> = expected
            .series
            .iter()
            .filter(|(_, group)| expected.groups.contains(*group))
            .map(|(id, _)| id.clone())
            .collect();
        prop_assert_eq!(series, visible);
        let dumps: Vec<_> = replicas.iter().map(|r| r.projection_dump().expect("dump")).collect();
        prop_assert_eq!(&dumps[0], &dumps[1]);
        prop_assert_eq!(&dumps[1], &dumps[2]);
        for (replica, dump) in replicas.iter_mut().zip(&dumps) {
            replica.rebuild_projections().expect("rebuild");
            prop_assert_eq!(&replica.projection_dump().expect("dump"), dump, "rebuild differs from incremental");
        }
        // In sync means nothing is left to send, in either direction.
        for (a, b) in [(0, 1), (1, 2), (2, 0)] {
            let theirs = replicas[b].vector().expect("vector");
            prop_assert_eq!(replicas[a].changes_since(&theirs, Scope::Everything).expect("changes").change_count(), 0);
        }
    }
}
