//! A group's meeting series, stored in its `group/<id>/calendar` document.
//!
//! Recurrence, time zones and iCalendar live in [`crate::calendar`]; this module stores series
//! and answers calendar queries from the `meeting_series` projection. In the document a
//! series' cancelled dates are a *map* (date → true), not a list, so two members cancelling
//! different dates while offline both keep their cancellation after merging.

use chrono::{DateTime, Duration, NaiveDate, NaiveDateTime, NaiveTime, Utc};
use rusqlite::{Transaction, params};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::amjson;
use crate::calendar::{
    self, MeetingFormat, MeetingSeries, Occurrence, OccurrenceOverride, localize, parse_tz,
};
use crate::error::{Error, Result};
use crate::groups::{Group, check_len, check_url};
use crate::ids::{DocId, new_id};
use crate::lookup;
use crate::store::Mutua;

const SERIES: &str = "series";

/// What a member fills in for a meeting series.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SeriesFields {
    pub title: String,
    pub start: NaiveDateTime,
    pub tz: String,
    pub duration_minutes: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rrule: Option<String>,
    pub format: MeetingFormat,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub place: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub online_url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agenda: Option<String>,
}

/// An occurrence with the name of its group, for calendars that span groups.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CalendarItem {
    pub group_id: String,
    pub group_name: String,
    #[serde(flatten)]
    pub occurrence: Occurrence,
}

/// What saving a series did that the member should know.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Saved {
    pub series: MeetingSeries,
    /// Set when the start time does not exist on its first day (a daylight-saving gap).
    pub note: Option<String>,
}

impl SeriesFields {
    fn validate(&self) -> Result<()> {
        let title = self.title.trim();
        if title.is_empty() || title.chars().count() > 120 {
            return Err(Error::invalid("a meeting title needs 1 to 120 characters"));
        }
        check_len("place", &self.place, 300)?;
        check_len("agenda", &self.agenda, 20_000)?;
        if let Some(url) = &self.online_url {
            check_url(url)?;
        }
        let needs = match self.format {
            MeetingFormat::InPerson => self.place.is_some(),
            MeetingFormat::Online => self.online_url.is_some(),
            MeetingFormat::Hybrid => self.place.is_some() && self.online_url.is_some(),
            MeetingFormat::Phone => self.phone.is_some(),
        };
        if !needs {
            return Err(Error::invalid(match self.format {
                MeetingFormat::InPerson => "an in-person meeting needs a place",
                MeetingFormat::Online => "an online meeting needs a link",
                MeetingFormat::Hybrid => "a hybrid meeting needs both a place and a link",
                MeetingFormat::Phone => "a phone meeting needs a number to call",
            }));
        }
        Ok(())
    }

    fn into_series(self, id: String, group_id: String) -> MeetingSeries {
        let blank = |s: Option<String>| s.filter(|v| !v.trim().is_empty());
        MeetingSeries {
            id,
            group_id,
            title: self.title.trim().to_owned(),
            start: self.start,
            tz: self.tz,
            duration_minutes: self.duration_minutes,
            rrule: blank(self.rrule).map(|r| r.trim().trim_start_matches("RRULE:").to_owned()),
            exdates: Default::default(),
            overrides: Default::default(),
            format: self.format,
            place: blank(self.place),
            online_url: blank(self.online_url),
            phone: blank(self.phone),
            agenda: blank(self.agenda),
        }
    }
}

fn gap_note(series: &MeetingSeries) -> Result<Option<String>> {
    let tz = parse_tz(&series.tz)?;
    let local = localize(series.start, tz);
    Ok(local.shifted_by_dst_gap.then(|| {
        format!(
            "{} does not exist on {} in {} (the clocks go forward); that meeting starts at {} instead, \
             as calendar apps do",
            series.start.format("%H:%M"),
            series.start.date(),
            series.tz,
            local.local.format("%H:%M")
        )
    }))
}

impl Mutua {
    pub fn add_series(&mut self, group: &str, fields: SeriesFields) -> Result<Saved> {
        let group = self.find_group(group)?;
        let fields = SeriesFields {
            title: fields.title.trim().to_owned(),
            ..fields
        };
        fields.validate()?;
        let series = fields.into_series(new_id()?, group.id.clone());
        series.validate()?;
        let note = gap_note(&series)?;
        self.write_series(&series)?;
        Ok(Saved { series, note })
    }

    /// Series of one group, or of every group the member is in.
    pub fn series(&self, group: Option<&str>) -> Result<Vec<MeetingSeries>> {
        let group_id = group.map(|g| self.find_group(g)).transpose()?.map(|g| g.id);
        let mut stmt = self.conn.prepare(
            "SELECT body FROM meeting_series
             WHERE (?1 IS NULL OR group_id = ?1) AND group_id NOT IN (SELECT group_id FROM left_group)
             ORDER BY title COLLATE NOCASE, id",
        )?;
        let rows = stmt.query_map([group_id], |row| row.get::<_, String>(0))?;
        let mut out = Vec::new();
        for body in rows {
            if let Ok(series) = serde_json::from_str::<MeetingSeries>(&body?) {
                out.push(series);
            }
        }
        Ok(out)
    }

    pub fn find_series(&self, query: &str) -> Result<MeetingSeries> {
        let all = self.series(None)?;
        let candidates: Vec<(String, String)> = all
            .iter()
            .map(|s| (s.id.clone(), s.title.clone()))
            .collect();
        let id = lookup::resolve("meeting series", query, &candidates)?;
        all.into_iter().find(|s| s.id == id).ok_or(Error::NotFound {
            kind: "meeting series",
            query: query.into(),
        })
    }

    /// Replaces a series' details; cancelled and moved occurrences that still belong to the new
    /// rule are kept, the others dropped.
    pub fn update_series(&mut self, query: &str, fields: SeriesFields) -> Result<Saved> {
        let old = self.find_series(query)?;
        fields.validate()?;
        let mut series = fields.into_series(old.id.clone(), old.group_id.clone());
        series.validate()?;
        for date in &old.exdates {
            if series.is_occurrence(*date)? {
                series.exdates.insert(*date);
            }
        }
        for (date, moved) in &old.overrides {
            if series.is_occurrence(*date)? {
                series.overrides.insert(*date, moved.clone());
            }
        }
        series.validate()?;
        let note = gap_note(&series)?;
        self.write_series(&series)?;
        Ok(Saved { series, note })
    }

    pub fn delete_series(&mut self, query: &str) -> Result<MeetingSeries> {
        let series = self.find_series(query)?;
        let doc = DocId::GroupCalendar {
            group: series.group_id.clone(),
        };
        self.change_doc(&doc, |tx| amjson::delete_record(tx, SERIES, &series.id))?;
        Ok(series)
    }

    /// Cancels the occurrence on `date` (the series' local date). Returns its original start.
    /// On a day with more than one meeting of the series, use [`Mutua::cancel_occurrence_at`].
    pub fn cancel_occurrence(&mut self, query: &str, date: NaiveDate) -> Result<NaiveDateTime> {
        self.cancel(query, date, None)
    }

    /// Cancels the occurrence that starts at `at` (original local start).
    pub fn cancel_occurrence_at(
        &mut self,
        query: &str,
        at: NaiveDateTime,
    ) -> Result<NaiveDateTime> {
        self.cancel(query, at.date(), Some(at.time()))
    }

    fn cancel(
        &mut self,
        query: &str,
        date: NaiveDate,
        time: Option<NaiveTime>,
    ) -> Result<NaiveDateTime> {
        let mut series = self.find_series(query)?;
        let original = occurrence_on(&series, date, time)?;
        series.exdates.insert(original);
        series.overrides.remove(&original);
        series.validate()?;
        self.write_series(&series)?;
        Ok(original)
    }

    /// Undoes a cancellation (of the meeting on `date`, or at `date` + `time`).
    pub fn restore_occurrence(&mut self, query: &str, date: NaiveDate) -> Result<NaiveDateTime> {
        self.restore(query, date, None)
    }

    pub fn restore_occurrence_at(
        &mut self,
        query: &str,
        at: NaiveDateTime,
    ) -> Result<NaiveDateTime> {
        self.restore(query, at.date(), Some(at.time()))
    }

    fn restore(
        &mut self,
        query: &str,
        date: NaiveDate,
        time: Option<NaiveTime>,
    ) -> Result<NaiveDateTime> {
        let mut series = self.find_series(query)?;
        let cancelled: Vec<NaiveDateTime> = series
            .exdates
            .iter()
            .copied()
            .filter(|d| d.date() == date && time.is_none_or(|t| d.time() == t))
            .collect();
        let original = match cancelled.as_slice() {
            [one] => *one,
            [] => {
                return Err(Error::invalid(format!(
                    "no cancelled meeting of \"{}\" on {date}",
                    series.title
                )));
            }
            _ => {
                return Err(Error::invalid(format!(
                    "more than one meeting of \"{}\" was cancelled on {date}; give the time too",
                    series.title
                )));
            }
        };
        series.exdates.remove(&original);
        self.write_series(&series)?;
        Ok(original)
    }

    /// Moves one occurrence (named by its original local start, or just its date) to a new
    /// local start in the series' zone, keeping the rest of the series as it is.
    pub fn move_occurrence(
        &mut self,
        query: &str,
        original: NaiveDateTime,
        to: NaiveDateTime,
        duration_minutes: Option<u32>,
    ) -> Result<Saved> {
        let mut series = self.find_series(query)?;
        let original = if series.is_occurrence(original)? {
            original
        } else {
            occurrence_on(&series, original.date(), None)?
        };
        if series.exdates.contains(&original) {
            return Err(Error::invalid(format!(
                "the meeting of {original} is cancelled; restore it before moving it"
            )));
        }
        let duration_minutes = duration_minutes.unwrap_or(series.duration_minutes);
        series.overrides.insert(
            original,
            OccurrenceOverride {
                start: to,
                duration_minutes,
            },
        );
        series.validate()?;
        let tz = parse_tz(&series.tz)?;
        let moved = localize(to, tz);
        let note = moved.shifted_by_dst_gap.then(|| {
            format!(
                "{} does not exist on {} in {}; it starts at {} instead",
                to.format("%H:%M"),
                to.date(),
                series.tz,
                moved.local.format("%H:%M")
            )
        });
        self.write_series(&series)?;
        Ok(Saved { series, note })
    }

    /// Every occurrence from `from` to `to` across the member's current (not archived, not
    /// left) groups, in time order.
    pub fn calendar(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> Result<Vec<CalendarItem>> {
        if to <= from {
            return Err(Error::invalid(
                "the end of the range is not after its start",
            ));
        }
        let groups: Vec<Group> = self.groups(false)?;
        let mut out = Vec::new();
        for series in self.series(None)? {
            let Some(group) = groups.iter().find(|g| g.id == series.group_id) else {
                continue;
            };
            for occurrence in series.occurrences(from, to)? {
                out.push(CalendarItem {
                    group_id: group.id.clone(),
                    group_name: group.fields.name.clone(),
                    occurrence,
                });
            }
        }
        out.sort_by(|a, b| {
            a.occurrence
                .start_utc
                .cmp(&b.occurrence.start_utc)
                .then(a.occurrence.series_id.cmp(&b.occurrence.series_id))
        });
        Ok(out)
    }

    /// The group's calendar as iCalendar text.
    pub fn export_ics(&self, group: &str) -> Result<String> {
        let group = self.find_group(group)?;
        let series = self.series(Some(&group.id))?;
        Ok(calendar::export_ics(
            &group.fields.name,
            &series,
            crate::time::now(),
        ))
    }

    fn write_series(&mut self, series: &MeetingSeries) -> Result<()> {
        let record = to_record(series)?;
        let doc = DocId::GroupCalendar {
            group: series.group_id.clone(),
        };
        self.change_doc(&doc, |tx| {
            amjson::write_record(tx, SERIES, &series.id, &record)
        })
    }
}

/// The original start of `series` on local date `date` (at `time`, when given). Without a
/// time, the day must hold exactly one meeting of the series.
fn occurrence_on(
    series: &MeetingSeries,
    date: NaiveDate,
    time: Option<NaiveTime>,
) -> Result<NaiveDateTime> {
    if let Some(time) = time {
        let at = date.and_time(time);
        return if series.is_occurrence(at)? {
            Ok(at)
        } else {
            Err(Error::invalid(format!(
                "\"{}\" has no meeting at {}",
                series.title,
                at.format("%Y-%m-%d %H:%M")
            )))
        };
    }
    let bare = MeetingSeries {
        exdates: Default::default(),
        overrides: Default::default(),
        ..series.clone()
    };
    let day = date
        .and_hms_opt(0, 0, 0)
        .map(|d| d.and_utc())
        .ok_or_else(|| Error::invalid("bad date"))?;
    let found: Vec<NaiveDateTime> = bare
        .occurrences(day - Duration::days(1), day + Duration::days(2))?
        .into_iter()
        .map(|o| o.original_start)
        .filter(|d| d.date() == date)
        .collect();
    match found.as_slice() {
        [one] => Ok(*one),
        [] => Err(Error::invalid(format!(
            "\"{}\" has no meeting on {date}",
            series.title
        ))),
        _ => Err(Error::invalid(format!(
            "\"{}\" meets more than once on {date}; give the time too (e.g. {date}T{})",
            series.title,
            found[0].format("%H:%M")
        ))),
    }
}

/// The stored form: `exdates` as a map so concurrent cancellations merge.
fn to_record(series: &MeetingSeries) -> Result<Value> {
    let mut value = serde_json::to_value(series).map_err(|e| Error::invalid(e.to_string()))?;
    if let Some(obj) = value.as_object_mut() {
        let exdates: serde_json::Map<String, Value> = series
            .exdates
            .iter()
            .map(|d| (d.format("%Y-%m-%dT%H:%M:%S").to_string(), Value::Bool(true)))
            .collect();
        obj.insert("exdates".into(), Value::Object(exdates));
    }
    Ok(value)
}

fn from_record(mut value: Value) -> Option<MeetingSeries> {
    let obj = value.as_object_mut()?;
    if let Some(Value::Object(map)) = obj.get("exdates") {
        let list: Vec<Value> = map.keys().map(|k| Value::String(k.clone())).collect();
        obj.insert("exdates".into(), Value::Array(list));
    }
    serde_json::from_value(value).ok()
}

pub(crate) fn project_series(
    tx: &Transaction<'_>,
    group_id: &str,
    doc: &automerge::Automerge,
    id: &str,
) -> Result<()> {
    tx.execute(
        "DELETE FROM meeting_series WHERE id = ?1 AND group_id = ?2",
        [id, group_id],
    )?;
    let series = amjson::read_record(doc, SERIES, id)
        .and_then(from_record)
        .filter(|s| s.id == id && s.group_id == group_id && s.validate().is_ok());
    if let Some(s) = series {
        let body = serde_json::to_string(&s).map_err(|e| Error::invalid(e.to_string()))?;
        tx.execute(
            "INSERT INTO meeting_series (id, group_id, title, body) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (id) DO NOTHING",
            params![s.id, group_id, s.title, body],
        )?;
    }
    Ok(())
}

pub(crate) fn series_keys(doc: &automerge::Automerge) -> Vec<String> {
    amjson::record_keys(doc, SERIES)
}

pub(crate) const COLLECTION: &str = SERIES;
