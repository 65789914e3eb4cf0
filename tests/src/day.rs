//! One day of a group's activity, as the sync tests replay it: 200 messages of realistic
//! length and 5 meeting edits, written by several members' devices.
//!
//! Messages are composed from `tests/data/day_sentences.txt` (things members of a peer-support
//! group write between meetings, 50 in English and 50 in Spanish): one sentence for about half
//! of them, two, three or five for the rest, so they average about 160 characters and the
//! longest run to 450, like a chat where most replies are short and some members share at
//! length. A seeded generator makes every run write the same day.

use std::sync::Mutex;

use mutua_core::Mutua;
use mutua_core::calendar::MeetingFormat;
use mutua_core::meetings::SeriesFields;
use mutua_core::messages::NewMessage;

/// Messages in a day of an active group.
pub const MESSAGES: usize = 200;
/// Meeting edits in that day: a new series and four changes to it.
pub const MEETING_EDITS: usize = 5;

/// A small, repeatable random generator (xorshift64).
#[derive(Debug, Clone)]
pub struct Dice(u64);

impl Dice {
    pub fn new(seed: u64) -> Dice {
        Dice(seed.max(1))
    }

    pub fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n.max(1) as u64) as usize
    }
}

/// The sentences: English first, then Spanish, in equal numbers.
pub fn sentences() -> Vec<&'static str> {
    include_str!("../data/day_sentences.txt")
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .collect()
}

/// One message in one language.
pub fn message(dice: &mut Dice, spanish: bool) -> String {
    let all = sentences();
    let half = all.len() / 2;
    let count = match dice.below(20) {
        0..=8 => 1,
        9..=14 => 2,
        15..=17 => 3,
        _ => 5,
    };
    (0..count)
        .map(|_| all[dice.below(half) + if spanish { half } else { 0 }])
        .collect::<Vec<_>>()
        .join(" ")
}

/// Writes the day into `group`: messages from `writers` in turn (the second and third write
/// Spanish), the meeting edits from the first. `after_each` runs after every write — sync it
/// somewhere, so each message travels in an envelope of its own as it would from an online
/// phone.
pub fn write_day(
    writers: &[&Mutex<Mutua>],
    group: &str,
    seed: u64,
    after_each: &mut dyn FnMut(&Mutex<Mutua>),
) {
    let mut dice = Dice::new(seed);
    let mut series: Option<String> = None;
    let edit_every = MESSAGES / MEETING_EDITS;
    for i in 0..MESSAGES {
        let who = writers[i % writers.len()];
        let text = message(&mut dice, i % writers.len() != 0);
        who.lock()
            .expect("store")
            .send_to_group(group, NewMessage::text(text))
            .expect("send");
        after_each(who);
        if i % edit_every == edit_every / 2 {
            let host = writers[0];
            let edit = series.as_ref().map_or(0, |_| i / edit_every);
            let fields = meeting(edit);
            let mut store = host.lock().expect("store");
            let saved = match &series {
                None => store.add_series(group, fields),
                Some(id) => store.update_series(id, fields),
            }
            .expect("meeting edit");
            series = Some(saved.series.id);
            drop(store);
            after_each(host);
        }
    }
}

/// The group's weekly meeting as edit `n` of the day leaves it.
fn meeting(n: usize) -> SeriesFields {
    let agendas = [
        "Reading of the group's agreements, a round of check-ins, the week's topic, closing.",
        "Reading of the agreements, check-ins, topic: sleep and worry at night, closing.",
        "Agreements, check-ins, topic: asking for help before the weekend, closing circle.",
        "Agreements, check-ins, topic: the holidays and family, who opens the room next month.",
        "Agreements, check-ins, topic: the holidays and family; bring a coin for the coffee fund.",
    ];
    SeriesFields {
        title: "Tuesday evening circle".into(),
        start: chrono::NaiveDate::from_ymd_opt(2026, 3, 3)
            .and_then(|d| d.and_hms_opt(19, 0, 0))
            .expect("a date"),
        tz: "America/Bogota".into(),
        duration_minutes: 90,
        rrule: Some("FREQ=WEEKLY;BYDAY=TU".into()),
        format: MeetingFormat::InPerson,
        place: Some(
            [
                "Parish hall, room 2 (side door after seven)",
                "Parish hall, room 2 (knock on the window by the bike racks)",
            ][n % 2]
                .into(),
        ),
        online_url: None,
        phone: None,
        agenda: Some(agendas[n % agendas.len()].into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_have_realistic_lengths_in_both_languages() {
        assert_eq!(sentences().len(), 100);
        let mut dice = Dice::new(7);
        let lengths: Vec<usize> = (0..MESSAGES)
            .map(|i| message(&mut dice, i % 3 != 0).chars().count())
            .collect();
        let mean = lengths.iter().sum::<usize>() / lengths.len();
        assert!((120..=220).contains(&mean), "mean {mean}");
        assert!(lengths.iter().any(|&n| n < 80));
        assert!(lengths.iter().any(|&n| n > 300));
        assert!(lengths.iter().all(|&n| n <= 2000));
    }
}
