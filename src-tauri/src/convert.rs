//! The one place core types become [`mutua_api`] types and back.
//!
//! The API mirrors the core in shape, not in code (the wasm UI cannot depend on the core), so
//! this module is mostly field-by-field copying. What it adds is the *viewer*: the member's own
//! time zone (from their profile, UTC until they choose one). Meeting starts, "reachable until"
//! times, message times and calendar date ranges are shown and asked for on the viewer's wall
//! clock, while the core keeps every meeting in its own zone and every instant in UTC.
//!
//! These are functions, not `From` impls: both sides are foreign types here.

use std::collections::HashMap;

use chrono::{DateTime, Duration, NaiveTime, Utc, Weekday};
use mutua_api as api;
use mutua_core::calendar::{MeetingSeries, Tz, localize, parse_tz};
use mutua_core::contacts::{AvailabilityWindow, ContactFields};
use mutua_core::groups::{GroupFields, Member};
use mutua_core::journal::{EntryFields, Period};
use mutua_core::meetings::{CalendarItem, Saved, SeriesFields};
use mutua_core::{
    Error, Mutua, Protection, Result, calendar, contacts, groups, journal, messages, profile,
};

/// The zone the member sees times in: their profile's, or UTC until they choose one.
pub fn viewer_zone(store: &Mutua) -> Result<Tz> {
    let zone = store.profile()?.time_zone;
    Ok(zone
        .and_then(|name| parse_tz(&name).ok())
        .unwrap_or(Tz::UTC))
}

/// Days `from..=to` on the viewer's wall clock, as the UTC instants `[start of from, start of
/// the day after to)`. A midnight skipped by a daylight-saving change moves to the first instant
/// that exists, as everywhere in Mutua.
pub fn day_range(range: &api::DateRange, viewer: Tz) -> (DateTime<Utc>, DateTime<Utc>) {
    let start = |date: chrono::NaiveDate| localize(date.and_time(NaiveTime::MIN), viewer).utc;
    (start(range.from), start(range.to + Duration::days(1)))
}

pub fn profile(p: profile::Profile) -> api::Profile {
    api::Profile {
        pseudonym: p.pseudonym,
        language: p.language,
        time_zone: p.time_zone,
    }
}

pub fn protection(p: Protection) -> api::Protection {
    match p {
        Protection::Keychain => api::Protection::Keychain,
        Protection::Passphrase => api::Protection::Passphrase,
    }
}

pub fn group_fields(form: api::GroupForm) -> GroupFields {
    GroupFields {
        name: form.name,
        purpose: form.purpose,
        kind: match form.kind {
            api::GroupKind::MutualAid => groups::GroupKind::MutualAid,
            api::GroupKind::Facilitated => groups::GroupKind::Facilitated,
        },
        planned_sessions: form.planned_sessions,
        admission: match form.admission {
            api::Admission::Open => groups::Admission::Open,
            api::Admission::Closed => groups::Admission::Closed,
        },
        language: form.language,
        place: form.place,
        online_url: form.online_url,
        guidelines: form.guidelines,
    }
}

pub fn group(g: groups::Group) -> api::Group {
    let f = g.fields;
    api::Group {
        id: g.id,
        form: api::GroupForm {
            name: f.name,
            purpose: f.purpose,
            kind: match f.kind {
                groups::GroupKind::MutualAid => api::GroupKind::MutualAid,
                groups::GroupKind::Facilitated => api::GroupKind::Facilitated,
            },
            planned_sessions: f.planned_sessions,
            admission: match f.admission {
                groups::Admission::Open => api::Admission::Open,
                groups::Admission::Closed => api::Admission::Closed,
            },
            language: f.language,
            place: f.place,
            online_url: f.online_url,
            guidelines: f.guidelines,
        },
        archived: g.archived,
    }
}

pub fn member(m: Member, me: &str) -> api::Member {
    api::Member {
        is_me: m.member_id == me,
        member_id: m.member_id,
        pseudonym: m.pseudonym,
        roles: m.roles.iter().map(ToString::to_string).collect(),
    }
}

fn format_to_core(format: api::MeetingFormat) -> calendar::MeetingFormat {
    match format {
        api::MeetingFormat::InPerson => calendar::MeetingFormat::InPerson,
        api::MeetingFormat::Online => calendar::MeetingFormat::Online,
        api::MeetingFormat::Hybrid => calendar::MeetingFormat::Hybrid,
        api::MeetingFormat::Phone => calendar::MeetingFormat::Phone,
    }
}

fn format_to_api(format: calendar::MeetingFormat) -> api::MeetingFormat {
    match format {
        calendar::MeetingFormat::InPerson => api::MeetingFormat::InPerson,
        calendar::MeetingFormat::Online => api::MeetingFormat::Online,
        calendar::MeetingFormat::Hybrid => api::MeetingFormat::Hybrid,
        calendar::MeetingFormat::Phone => api::MeetingFormat::Phone,
    }
}

pub fn series_fields(form: api::SeriesForm) -> SeriesFields {
    SeriesFields {
        title: form.title,
        start: form.start,
        tz: form.time_zone,
        duration_minutes: form.duration_minutes,
        rrule: form.rrule,
        format: format_to_core(form.format),
        place: form.place,
        online_url: form.online_url,
        phone: form.phone,
        agenda: form.agenda,
    }
}

pub fn series(s: MeetingSeries) -> api::Series {
    api::Series {
        form: api::SeriesForm {
            title: s.title,
            start: s.start,
            time_zone: s.tz,
            duration_minutes: s.duration_minutes,
            rrule: s.rrule,
            format: format_to_api(s.format),
            place: s.place,
            online_url: s.online_url,
            phone: s.phone,
            agenda: s.agenda,
        },
        id: s.id,
        group_id: s.group_id,
        cancelled: s.exdates.into_iter().collect(),
        moved: s
            .overrides
            .into_iter()
            .map(|(original, moved)| (original, moved.start))
            .collect(),
    }
}

pub fn saved_series(saved: Saved) -> api::SavedSeries {
    api::SavedSeries {
        series: series(saved.series),
        note: saved.note,
    }
}

/// Calendar items with their series' format and place, their starts on the viewer's clock.
pub fn occurrences(
    items: Vec<CalendarItem>,
    all_series: &[MeetingSeries],
    viewer: Tz,
) -> Vec<api::Occurrence> {
    let by_id: HashMap<&str, &MeetingSeries> =
        all_series.iter().map(|s| (s.id.as_str(), s)).collect();
    items
        .into_iter()
        .filter_map(|item| {
            let series = by_id.get(item.occurrence.series_id.as_str())?;
            let o = item.occurrence;
            Some(api::Occurrence {
                start_viewer: o.start_utc.with_timezone(&viewer).naive_local(),
                series_id: o.series_id,
                group_id: item.group_id,
                group_name: item.group_name,
                title: o.title,
                original_start: o.original_start,
                start_local: o.start_local,
                time_zone: o.tz,
                start_utc: o.start_utc,
                end_utc: o.end_utc,
                moved: o.moved,
                format: format_to_api(series.format),
                place: series.place.clone(),
                online_url: series.online_url.clone(),
            })
        })
        .collect()
}

pub fn window(w: api::Window) -> Result<AvailabilityWindow> {
    let day = Weekday::try_from(w.weekday).map_err(|_| {
        Error::Invalid(format!(
            "weekday {} does not exist: use 0 (Monday) to 6 (Sunday)",
            w.weekday
        ))
    })?;
    Ok(AvailabilityWindow {
        day,
        start: w.start,
        end: w.end,
    })
}

pub fn contact_fields(form: api::ContactForm) -> Result<ContactFields> {
    Ok(ContactFields {
        pseudonym: form.pseudonym,
        phone: form.phone,
        link: form.link,
        note: form.note,
        group_id: form.group_id,
        time_zone: form.time_zone,
        availability: form
            .availability
            .into_iter()
            .map(window)
            .collect::<Result<_>>()?,
    })
}

pub fn contact(c: contacts::Contact) -> api::Contact {
    let f = c.fields;
    api::Contact {
        id: c.id,
        form: api::ContactForm {
            pseudonym: f.pseudonym,
            phone: f.phone,
            link: f.link,
            note: f.note,
            group_id: f.group_id,
            time_zone: f.time_zone,
            availability: f
                .availability
                .into_iter()
                .map(|w| api::Window {
                    // 0..=6 always fits.
                    weekday: u8::try_from(w.day.num_days_from_monday()).unwrap_or(0),
                    start: w.start,
                    end: w.end,
                })
                .collect(),
        },
    }
}

pub fn reachable(r: contacts::Reachable, viewer: Tz) -> api::Reachable {
    api::Reachable {
        contact: contact(r.contact),
        their_time: r.their_time,
        until_viewer: r.until.with_timezone(&viewer).naive_local(),
        until_utc: r.until,
    }
}

/// A new entry: written now unless the form says when, on the viewer's calendar.
pub fn new_entry_fields(form: api::EntryForm, viewer: Tz) -> EntryFields {
    EntryFields {
        text: form.text,
        mood: form.mood,
        emotions: form.emotions,
        tags: form.tags,
        written_at: form.written_at.unwrap_or_else(mutua_core::time::now),
        time_zone: viewer.name().to_owned(),
    }
}

/// An edited entry keeps its time unless the form gives a new one, and always keeps the zone
/// it was written in (which decides its day), even if the member has travelled since.
pub fn edited_entry_fields(form: api::EntryForm, old: &journal::Entry) -> EntryFields {
    EntryFields {
        text: form.text,
        mood: form.mood,
        emotions: form.emotions,
        tags: form.tags,
        written_at: form.written_at.unwrap_or(old.fields.written_at),
        time_zone: old.fields.time_zone.clone(),
    }
}

pub fn entry(e: journal::Entry) -> api::Entry {
    let local_date = e.local_date();
    api::Entry {
        id: e.id,
        text: e.fields.text,
        mood: e.fields.mood,
        emotions: e.fields.emotions,
        tags: e.fields.tags,
        written_at: e.fields.written_at,
        local_date,
    }
}

pub fn period(p: api::Period) -> Period {
    match p {
        api::Period::Day => Period::Day,
        api::Period::Week => Period::Week,
        api::Period::Month => Period::Month,
    }
}

pub fn entry_group(g: journal::EntryGroup) -> api::EntryGroup {
    api::EntryGroup {
        label: g.label,
        entries: g.entries.into_iter().map(entry).collect(),
    }
}

pub fn search_hit(h: journal::SearchHit) -> api::SearchHit {
    api::SearchHit {
        entry: entry(h.entry),
        snippet: h.snippet,
    }
}

pub fn mood_point(p: journal::MoodPoint) -> api::MoodPoint {
    api::MoodPoint {
        date: p.date,
        average: p.average,
        count: p.count,
    }
}

pub fn message_kind(kind: messages::MessageKind) -> api::MessageKind {
    match kind {
        messages::MessageKind::Text => api::MessageKind::Text,
        messages::MessageKind::CheckIn => api::MessageKind::CheckIn,
    }
}

pub fn message_kind_to_core(kind: api::MessageKind) -> messages::MessageKind {
    match kind {
        api::MessageKind::Text => messages::MessageKind::Text,
        api::MessageKind::CheckIn => messages::MessageKind::CheckIn,
    }
}

pub fn message(m: messages::Message, viewer: Tz) -> api::Message {
    api::Message {
        id: m.id,
        conversation: m.conversation.to_string(),
        author_id: m.author_id,
        author_pseudonym: m.author_pseudonym,
        mine: m.mine,
        text: m.text,
        kind: message_kind(m.kind),
        sent_viewer: m.sent_at.with_timezone(&viewer).naive_local(),
        sent_at: m.sent_at,
        reply_to: m.reply_to.map(|q| api::Quote {
            id: q.id,
            author_pseudonym: q.author_pseudonym,
            excerpt: q.excerpt,
        }),
        reactions: m
            .reactions
            .into_iter()
            .map(|r| api::Reaction {
                emoji: r.emoji,
                count: r.count,
                mine: r.mine,
                by: r.by,
            })
            .collect(),
        edited: m.edited_at.is_some(),
        deleted: m.deleted,
    }
}

pub fn message_page(page: messages::MessagePage, viewer: Tz) -> api::MessagePage {
    api::MessagePage {
        conversation: page.conversation.to_string(),
        messages: page
            .messages
            .into_iter()
            .map(|m| message(m, viewer))
            .collect(),
        older: page.older,
        read_by: page
            .read_by
            .into_iter()
            .map(|r| api::Receipt {
                member_id: r.member_id,
                pseudonym: r.pseudonym,
                read_up_to: r.read_up_to,
            })
            .collect(),
    }
}

pub fn conversation(c: messages::ConversationSummary, viewer: Tz) -> api::Conversation {
    api::Conversation {
        kind: match c.conversation {
            messages::Conversation::Group(_) => api::ConversationKind::Group,
            messages::Conversation::Direct(_) => api::ConversationKind::Direct,
        },
        id: c.conversation.to_string(),
        title: c.title,
        group_id: c.group_id,
        peer_id: c.peer_id,
        last: c.last.map(|l| api::MessagePreview {
            author_pseudonym: l.author_pseudonym,
            mine: l.mine,
            excerpt: l.excerpt,
            kind: message_kind(l.kind),
            sent_viewer: l.sent_at.with_timezone(&viewer).naive_local(),
            sent_at: l.sent_at,
            deleted: l.deleted,
        }),
        unread: c.unread,
        read_only: c.read_only,
    }
}

pub fn peer(p: messages::Peer) -> api::Peer {
    api::Peer {
        member_id: p.member_id,
        pseudonym: p.pseudonym,
    }
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;

    use super::*;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).expect("valid date")
    }

    #[test]
    fn a_day_range_covers_whole_days_on_the_viewers_clock() {
        let madrid: Tz = "Europe/Madrid".parse().expect("zone");
        let range = api::DateRange {
            from: date(2027, 3, 28),
            to: date(2027, 3, 28),
        };
        let (from, to) = day_range(&range, madrid);
        // Midnight in Madrid is 23:00 UTC the day before; that Sunday the clocks go forward,
        // so the day lasts 23 hours.
        assert_eq!(from.to_rfc3339(), "2027-03-27T23:00:00+00:00");
        assert_eq!(to.to_rfc3339(), "2027-03-28T22:00:00+00:00");
    }

    #[test]
    fn weekdays_count_from_monday_and_stop_at_sunday() {
        let w = |weekday| api::Window {
            weekday,
            start: 60,
            end: 120,
        };
        assert_eq!(window(w(0)).expect("monday").day, Weekday::Mon);
        assert_eq!(window(w(6)).expect("sunday").day, Weekday::Sun);
        assert!(matches!(window(w(7)), Err(Error::Invalid(_))));
    }
}
