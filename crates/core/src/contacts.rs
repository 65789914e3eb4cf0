//! Peer contacts, their availability, and "who can I reach now".
//!
//! A contact is someone the member met in a group, known by pseudonym, with only what they chose
//! to share (a phone number, a link, a note). Each contact says when they are glad to be reached
//! as weekly windows in *their own* time zone ("Mon 19:00–22:00"); a window whose end is not
//! after its start runs past midnight. "Who can I reach now" converts the moment into each
//! contact's wall-clock time, so it stays right across time zones and daylight-saving changes.

use std::fmt;
use std::str::FromStr;

use chrono::{
    DateTime, Datelike, Duration, NaiveDate, NaiveDateTime, NaiveTime, Timelike, Utc, Weekday,
};
use rusqlite::{Transaction, params};
use serde::{Deserialize, Serialize};

use crate::amjson;
use crate::calendar::{localize, parse_tz};
use crate::error::{Error, Result};
use crate::groups::{check_len, check_url, to_record};
use crate::ids::{DocId, is_valid_id, new_id};
use crate::lookup;
use crate::store::Mutua;

const CONTACTS: &str = "contacts";
const MINUTES_PER_DAY: u16 = 24 * 60;

/// One weekly window, in the contact's time zone. Minutes since midnight; `end` may be 1440
/// ("24:00"). If `end <= start` the window runs past midnight into the next day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct AvailabilityWindow {
    #[serde(with = "weekday_text")]
    pub day: Weekday,
    #[serde(with = "minute_text")]
    pub start: u16,
    #[serde(with = "minute_text")]
    pub end: u16,
}

impl Ord for AvailabilityWindow {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        let key = |w: &Self| (w.day.num_days_from_monday(), w.start, w.end);
        key(self).cmp(&key(other))
    }
}

impl PartialOrd for AvailabilityWindow {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl AvailabilityWindow {
    pub fn validate(&self) -> Result<()> {
        if self.start >= MINUTES_PER_DAY || self.end == 0 || self.end > MINUTES_PER_DAY {
            return Err(Error::invalid(format!("{self} is not a valid time window")));
        }
        if self.start == self.end {
            return Err(Error::invalid(format!(
                "{self} is empty: start and end are the same"
            )));
        }
        Ok(())
    }

    fn crosses_midnight(&self) -> bool {
        self.end <= self.start
    }

    /// If the window holds the local moment (`day`, `minute`), the local date-time it ends at.
    fn ends_after(&self, date: NaiveDate, minute: u16) -> Option<NaiveDateTime> {
        let day = date.weekday();
        let end_on =
            |d: NaiveDate| d.and_time(NaiveTime::MIN) + Duration::minutes(i64::from(self.end));
        if !self.crosses_midnight() {
            (self.day == day && self.start <= minute && minute < self.end).then(|| end_on(date))
        } else if self.day == day && minute >= self.start {
            Some(end_on(date + Duration::days(1)))
        } else if self.day.succ() == day && minute < self.end {
            Some(end_on(date))
        } else {
            None
        }
    }
}

impl fmt::Display for AvailabilityWindow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {}-{}",
            weekday_text::name(self.day),
            minute_text::show(self.start),
            minute_text::show(self.end)
        )
    }
}

/// Parses "mon 19:00-22:00", "mon,thu 19:00-22:00" or "mon-fri 09:00-17:00".
pub fn parse_windows(text: &str) -> Result<Vec<AvailabilityWindow>> {
    let bad = || {
        Error::invalid(format!(
            "\"{text}\" is not an availability window; write it like \"mon 19:00-22:00\", \
             \"mon,thu 18:30-20:00\" or \"mon-fri 09:00-17:00\" (your contact's local time)"
        ))
    };
    let (days, times) = text
        .trim()
        .split_once(char::is_whitespace)
        .ok_or_else(bad)?;
    let (start, end) = times.trim().split_once('-').ok_or_else(bad)?;
    let start = minute_text::parse(start.trim()).ok_or_else(bad)?;
    let end = minute_text::parse(end.trim()).ok_or_else(bad)?;
    let mut out = Vec::new();
    for part in days.split(',') {
        let range = match part.split_once('-') {
            Some((a, b)) => {
                let (a, b) = (
                    weekday_text::parse(a).ok_or_else(bad)?,
                    weekday_text::parse(b).ok_or_else(bad)?,
                );
                let mut day = a;
                let mut span = vec![day];
                while day != b {
                    day = day.succ();
                    span.push(day);
                }
                span
            }
            None => vec![weekday_text::parse(part).ok_or_else(bad)?],
        };
        for day in range {
            let window = AvailabilityWindow { day, start, end };
            window.validate()?;
            out.push(window);
        }
    }
    Ok(out)
}

impl FromStr for AvailabilityWindow {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match parse_windows(s)?.as_slice() {
            [one] => Ok(*one),
            _ => Err(Error::invalid(format!("\"{s}\" names more than one day"))),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ContactFields {
    pub pseudonym: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub link: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// The group this contact came from, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group_id: Option<String>,
    /// The contact's own IANA time zone; availability is in this zone.
    pub time_zone: String,
    #[serde(default)]
    pub availability: Vec<AvailabilityWindow>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Contact {
    pub id: String,
    #[serde(flatten)]
    pub fields: ContactFields,
    pub created_at: String,
    pub updated_at: String,
}

/// A contact who is in one of their windows at the asked moment.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Reachable {
    pub contact: Contact,
    /// Their wall-clock time at the asked moment.
    pub their_time: NaiveDateTime,
    /// When their current window closes.
    pub until: DateTime<Utc>,
}

impl ContactFields {
    pub fn validate(&self) -> Result<()> {
        crate::profile::check_pseudonym(&self.pseudonym)?;
        parse_tz(&self.time_zone)?;
        if let Some(phone) = &self.phone {
            let ok = phone.len() <= 32
                && phone
                    .chars()
                    .all(|c| c.is_ascii_digit() || " +-().".contains(c))
                && phone.chars().filter(char::is_ascii_digit).count() >= 3;
            if !ok {
                return Err(Error::invalid(format!("\"{phone}\" is not a phone number")));
            }
        }
        if let Some(link) = &self.link {
            check_url(link)?;
        }
        check_len("note", &self.note, 2000)?;
        if let Some(group) = &self.group_id
            && !is_valid_id(group)
        {
            return Err(Error::invalid(format!("\"{group}\" is not a group id")));
        }
        if self.availability.len() > 100 {
            return Err(Error::invalid(
                "a contact can have at most 100 availability windows",
            ));
        }
        for window in &self.availability {
            window.validate()?;
        }
        Ok(())
    }

    fn normalised(mut self) -> ContactFields {
        self.pseudonym = self.pseudonym.trim().to_owned();
        for field in [&mut self.phone, &mut self.link, &mut self.note] {
            if field.as_deref().is_some_and(|s| s.trim().is_empty()) {
                *field = None;
            }
        }
        self.availability.sort();
        self.availability.dedup();
        self
    }
}

impl Contact {
    /// Whether the contact is in a window at `at`, and until when.
    pub fn reachable_at(&self, at: DateTime<Utc>) -> Option<Reachable> {
        let tz = parse_tz(&self.fields.time_zone).ok()?;
        let local = at.with_timezone(&tz).naive_local();
        let minute = u16::try_from(local.hour() * 60 + local.minute()).ok()?;
        let until_local = self
            .fields
            .availability
            .iter()
            .filter_map(|w| w.ends_after(local.date(), minute))
            .max()?;
        Some(Reachable {
            contact: self.clone(),
            their_time: local,
            until: localize(until_local, tz).utc,
        })
    }
}

impl Mutua {
    pub fn add_contact(&mut self, fields: ContactFields) -> Result<Contact> {
        let fields = fields.normalised();
        fields.validate()?;
        let now = crate::time::now_text();
        let contact = Contact {
            id: new_id()?,
            fields,
            created_at: now.clone(),
            updated_at: now,
        };
        self.write_contact(&contact)?;
        Ok(contact)
    }

    pub fn contacts(&self) -> Result<Vec<Contact>> {
        let mut stmt = self.conn.prepare(
            "SELECT id, pseudonym, phone, link, note, group_id, time_zone, availability,
                    created_at, updated_at
             FROM contact ORDER BY pseudonym COLLATE NOCASE, id",
        )?;
        let rows = stmt.query_map([], |row| {
            let availability: String = row.get(7)?;
            Ok(Contact {
                id: row.get(0)?,
                fields: ContactFields {
                    pseudonym: row.get(1)?,
                    phone: row.get(2)?,
                    link: row.get(3)?,
                    note: row.get(4)?,
                    group_id: row.get(5)?,
                    time_zone: row.get(6)?,
                    availability: serde_json::from_str(&availability).unwrap_or_default(),
                },
                created_at: row.get(8)?,
                updated_at: row.get(9)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    pub fn find_contact(&self, query: &str) -> Result<Contact> {
        let all = self.contacts()?;
        let candidates: Vec<(String, String)> = all
            .iter()
            .map(|c| (c.id.clone(), c.fields.pseudonym.clone()))
            .collect();
        let id = lookup::resolve("contact", query, &candidates)?;
        all.into_iter().find(|c| c.id == id).ok_or(Error::NotFound {
            kind: "contact",
            query: query.into(),
        })
    }

    pub fn update_contact(&mut self, query: &str, fields: ContactFields) -> Result<Contact> {
        let mut contact = self.find_contact(query)?;
        let fields = fields.normalised();
        fields.validate()?;
        contact.fields = fields;
        contact.updated_at = crate::time::now_text();
        self.write_contact(&contact)?;
        Ok(contact)
    }

    pub fn set_availability(
        &mut self,
        query: &str,
        windows: Vec<AvailabilityWindow>,
    ) -> Result<Contact> {
        let contact = self.find_contact(query)?;
        let fields = ContactFields {
            availability: windows,
            ..contact.fields.clone()
        };
        self.update_contact(&contact.id, fields)
    }

    pub fn remove_contact(&mut self, query: &str) -> Result<Contact> {
        let contact = self.find_contact(query)?;
        self.change_doc(&DocId::Contacts, |tx| {
            amjson::delete_record(tx, CONTACTS, &contact.id)
        })?;
        Ok(contact)
    }

    /// Contacts in one of their windows at `at`, soonest-closing window last.
    pub fn reachable_at(&self, at: DateTime<Utc>) -> Result<Vec<Reachable>> {
        let mut out: Vec<Reachable> = self
            .contacts()?
            .iter()
            .filter_map(|c| c.reachable_at(at))
            .collect();
        out.sort_by(|a, b| {
            b.until
                .cmp(&a.until)
                .then(a.contact.fields.pseudonym.cmp(&b.contact.fields.pseudonym))
        });
        Ok(out)
    }

    fn write_contact(&mut self, contact: &Contact) -> Result<()> {
        let record = to_record(contact)?;
        self.change_doc(&DocId::Contacts, |tx| {
            amjson::write_record(tx, CONTACTS, &contact.id, &record)
        })
    }
}

pub(crate) fn project_contact(
    tx: &Transaction<'_>,
    doc: &automerge::Automerge,
    id: &str,
) -> Result<()> {
    tx.execute("DELETE FROM contact WHERE id = ?1", [id])?;
    let contact = amjson::read_record(doc, CONTACTS, id)
        .and_then(|v| serde_json::from_value::<Contact>(v).ok())
        .filter(|c| c.id == id && c.fields.validate().is_ok());
    if let Some(c) = contact {
        let f = &c.fields;
        let availability =
            serde_json::to_string(&f.availability).map_err(|e| Error::invalid(e.to_string()))?;
        tx.execute(
            "INSERT INTO contact (id, pseudonym, phone, link, note, group_id, time_zone,
                                  availability, created_at, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
            params![
                c.id,
                f.pseudonym,
                f.phone,
                f.link,
                f.note,
                f.group_id,
                f.time_zone,
                availability,
                c.created_at,
                c.updated_at
            ],
        )?;
    }
    Ok(())
}

pub(crate) fn contact_keys(doc: &automerge::Automerge) -> Vec<String> {
    amjson::record_keys(doc, CONTACTS)
}

pub(crate) const COLLECTION: &str = CONTACTS;

mod weekday_text {
    use chrono::Weekday;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn name(day: Weekday) -> &'static str {
        match day {
            Weekday::Mon => "mon",
            Weekday::Tue => "tue",
            Weekday::Wed => "wed",
            Weekday::Thu => "thu",
            Weekday::Fri => "fri",
            Weekday::Sat => "sat",
            Weekday::Sun => "sun",
        }
    }

    pub fn parse(text: &str) -> Option<Weekday> {
        text.trim().parse::<Weekday>().ok()
    }

    pub fn serialize<S: Serializer>(day: &Weekday, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(name(*day))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Weekday, D::Error> {
        let text = String::deserialize(d)?;
        parse(&text).ok_or_else(|| serde::de::Error::custom(format!("bad weekday {text}")))
    }
}

mod minute_text {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn show(minute: u16) -> String {
        format!("{:02}:{:02}", minute / 60, minute % 60)
    }

    /// "19:00" → 1140; "24:00" is allowed as the end of a day.
    pub fn parse(text: &str) -> Option<u16> {
        let (h, m) = text.split_once(':')?;
        let (h, m): (u16, u16) = (h.parse().ok()?, m.parse().ok()?);
        (m < 60 && (h < 24 || (h == 24 && m == 0)) && text.len() <= 5).then_some(h * 60 + m)
    }

    pub fn serialize<S: Serializer>(minute: &u16, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&show(*minute))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<u16, D::Error> {
        let text = String::deserialize(d)?;
        parse(&text).ok_or_else(|| serde::de::Error::custom(format!("bad time {text}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn sam(tz: &str, windows: &str) -> ContactFields {
        ContactFields {
            pseudonym: "Sam R.".into(),
            phone: Some("+57 300 000 0000".into()),
            link: None,
            note: None,
            group_id: None,
            time_zone: tz.into(),
            availability: windows
                .split(';')
                .flat_map(|w| parse_windows(w).expect("window"))
                .collect(),
        }
    }

    fn utc(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, mo, d, h, mi, 0)
            .single()
            .expect("valid")
    }

    #[test]
    fn windows_parse_in_every_form() {
        assert_eq!(parse_windows("mon 19:00-22:00").expect("one").len(), 1);
        assert_eq!(parse_windows("mon,thu 19:00-22:00").expect("two").len(), 2);
        assert_eq!(parse_windows("mon-fri 09:00-17:00").expect("five").len(), 5);
        assert_eq!(
            parse_windows("sat-mon 22:00-02:00").expect("wraps").len(),
            3
        );
        assert_eq!(
            parse_windows("sun 00:00-24:00").expect("whole day")[0].end,
            1440
        );
        for bad in [
            "monday",
            "mon 19-22",
            "mon 25:00-26:00",
            "xyz 10:00-11:00",
            "mon 10:00-10:00",
        ] {
            assert!(parse_windows(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn reach_now_uses_the_contacts_own_time_zone() {
        let mut m = Mutua::ephemeral("Ana G.").expect("store");
        // Bogotá is UTC-5 all year: Monday 19:00-22:00 there is Tuesday 00:00-03:00 UTC.
        m.add_contact(sam("America/Bogota", "mon 19:00-22:00"))
            .expect("add");
        let monday_2030_utc = utc(2026, 11, 30, 23, 30); // Mon 18:30 in Bogotá: not yet
        assert!(m.reachable_at(monday_2030_utc).expect("query").is_empty());
        let tuesday_0100_utc = utc(2026, 12, 1, 1, 0); // Mon 20:00 in Bogotá
        let now = m.reachable_at(tuesday_0100_utc).expect("query");
        assert_eq!(now.len(), 1);
        assert_eq!(now[0].until, utc(2026, 12, 1, 3, 0));
        assert_eq!(now[0].their_time.hour(), 20);
    }

    #[test]
    fn reach_now_follows_daylight_saving() {
        let c = Contact {
            id: "00".into(),
            fields: sam("Europe/Madrid", "sun 19:00-21:00"),
            created_at: String::new(),
            updated_at: String::new(),
        };
        // Summer (CEST, UTC+2): 19:30 local is 17:30 UTC.
        assert!(c.reachable_at(utc(2026, 7, 5, 17, 30)).is_some());
        assert!(c.reachable_at(utc(2026, 7, 5, 19, 30)).is_none());
        // Winter (CET, UTC+1): 19:30 local is 18:30 UTC; 17:30 UTC is 18:30 local, too early.
        assert!(c.reachable_at(utc(2026, 12, 6, 18, 30)).is_some());
        assert!(c.reachable_at(utc(2026, 12, 6, 17, 30)).is_none());
    }

    #[test]
    fn windows_past_midnight_cover_both_days() {
        let c = Contact {
            id: "00".into(),
            fields: sam("UTC", "fri 22:00-02:00"),
            created_at: String::new(),
            updated_at: String::new(),
        };
        assert!(c.reachable_at(utc(2026, 11, 27, 23, 0)).is_some()); // Fri 23:00
        let r = c.reachable_at(utc(2026, 11, 28, 1, 0)).expect("Sat 01:00");
        assert_eq!(r.until, utc(2026, 11, 28, 2, 0));
        assert!(c.reachable_at(utc(2026, 11, 28, 2, 0)).is_none());
        assert!(
            c.reachable_at(utc(2026, 11, 27, 1, 0)).is_none(),
            "Fri 01:00 belongs to Thu's slot"
        );
    }

    #[test]
    fn contacts_edit_and_remove() {
        let mut m = Mutua::ephemeral("Ana G.").expect("store");
        let c = m
            .add_contact(sam("America/Santiago", "tue 18:00-20:00"))
            .expect("add");
        m.set_availability("sam r.", parse_windows("wed,fri 10:00-12:00").expect("w"))
            .expect("set");
        assert_eq!(
            m.find_contact(&c.id)
                .expect("find")
                .fields
                .availability
                .len(),
            2
        );
        let mut bad = c.fields.clone();
        bad.time_zone = "Chile/Nowhere".into();
        assert!(m.update_contact(&c.id, bad).is_err());
        assert_eq!(
            m.find_contact(&c.id).expect("unchanged").fields.time_zone,
            "America/Santiago"
        );
        m.remove_contact(&c.id).expect("remove");
        assert!(m.contacts().expect("list").is_empty());
    }
}
