//! A member's device that never stops writing, for the kill tests (`tests/tests/durability.rs`).
//!
//! It opens (or sets up) a data directory with Mutua's core and writes in a loop: journal
//! entries and their edits, group messages and their edits, meeting series, contacts, the
//! group's name. Each write is announced before core is called and acknowledged after core
//! returned success, each line flushed at once (the protocol is in `mutua_tests::acked`).
//! The parent kills it with SIGKILL at random moments and checks that every acknowledged write
//! survived.
//!
//! ```text
//! busy-device local --dir D --passphrase P --seed S --first N [--writes M]
//! busy-device sync  --dir D --passphrase P --seed S --first N --relay URL [--until-quiet]
//! busy-device import --dir D --passphrase P --file F
//! ```
//!
//! `local` writes as fast as it can. `sync` alternates one write (a message or a journal entry)
//! with one sync round through the relay; with `--until-quiet` it writes nothing and syncs until
//! a round moves nothing, prints `QUIET` and exits. `import` opens one sync file, prints
//! `IMPORTED …` and exits.

use std::io::Write as _;
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use chrono::NaiveDate;
use mutua_core::calendar::MeetingFormat;
use mutua_core::contacts::ContactFields;
use mutua_core::groups::{Admission, GroupFields, GroupKind};
use mutua_core::journal::EntryFields;
use mutua_core::meetings::SeriesFields;
use mutua_core::messages::NewMessage;
use mutua_core::sync::client::RelayClient;
use mutua_core::sync::driver::sync_once;
use mutua_core::{Mutua, NewProtection, Unlock};
use mutua_tests::acked::{Kind, Write, ack_line};
use mutua_tests::kill::{CHEAP_KDF, Rng};

struct Args {
    mode: String,
    dir: PathBuf,
    passphrase: String,
    seed: u64,
    first: u64,
    writes: Option<u64>,
    relay: Option<String>,
    until_quiet: bool,
    file: Option<PathBuf>,
}

fn parse_args() -> Result<Args> {
    let mut raw = std::env::args().skip(1);
    let mode = raw
        .next()
        .context("usage: busy-device local|sync --dir D ...")?;
    let mut args = Args {
        mode,
        dir: PathBuf::new(),
        passphrase: String::new(),
        seed: 0,
        first: 1,
        writes: None,
        relay: None,
        until_quiet: false,
        file: None,
    };
    while let Some(flag) = raw.next() {
        let mut value = || raw.next().with_context(|| format!("{flag} needs a value"));
        match flag.as_str() {
            "--dir" => args.dir = PathBuf::from(value()?),
            "--passphrase" => args.passphrase = value()?,
            "--seed" => args.seed = value()?.parse()?,
            "--first" => args.first = value()?.parse()?,
            "--writes" => args.writes = Some(value()?.parse()?),
            "--relay" => args.relay = Some(value()?),
            "--until-quiet" => args.until_quiet = true,
            "--file" => args.file = Some(PathBuf::from(value()?)),
            other => bail!("unknown argument {other}"),
        }
    }
    Ok(args)
}

fn say(line: &str) -> Result<()> {
    let mut out = std::io::stdout().lock();
    writeln!(out, "{line}")?;
    out.flush()?;
    Ok(())
}

fn main() -> Result<()> {
    let args = parse_args()?;
    let mut device = Device {
        mutua: open_or_init(&args)?,
        rng: Rng::new(args.seed),
        n: args.first,
    };
    say("READY")?;
    match args.mode.as_str() {
        "local" => {
            let mut done = 0;
            while args.writes.is_none_or(|w| done < w) {
                device.write_anything()?;
                done += 1;
            }
            say("DONE")
        }
        "sync" => sync_loop(device, &args),
        "import" => {
            let path = args.file.as_deref().context("import needs --file")?;
            let bytes = std::fs::read(path)?;
            let started = std::time::Instant::now();
            let report = device.mutua.import_bundle(&bytes)?;
            say(&format!(
                "IMPORTED new={} applied={} held={} ms={}",
                report.new,
                report.applied,
                report.held,
                started.elapsed().as_millis()
            ))
        }
        other => bail!("unknown mode {other}"),
    }
}

fn open_or_init(args: &Args) -> Result<Mutua> {
    if Mutua::exists(&args.dir) {
        Ok(Mutua::open(
            &args.dir,
            Unlock::Passphrase(&args.passphrase),
        )?)
    } else {
        Ok(Mutua::init_with_kdf(
            &args.dir,
            "Busy B.",
            NewProtection::Passphrase(&args.passphrase),
            CHEAP_KDF,
        )?)
    }
}

struct Device {
    mutua: Mutua,
    rng: Rng,
    n: u64,
}

impl Device {
    /// Announces a write, runs it, acknowledges it with the id core returned.
    fn write(
        &mut self,
        kind: Kind,
        target: Option<&str>,
        content: String,
        run: impl FnOnce(&mut Mutua, &str) -> mutua_core::Result<String>,
    ) -> Result<()> {
        let n = self.n;
        self.n += 1;
        let write = Write {
            n,
            kind,
            target: target.map(str::to_owned),
            content,
        };
        say(&write.line())?;
        let id = run(&mut self.mutua, &write.content)
            .with_context(|| format!("write {n} ({kind}) failed"))?;
        say(&ack_line(n, &id))
    }

    fn group(&self) -> Result<Option<String>> {
        Ok(self.mutua.groups(true)?.into_iter().next().map(|g| g.id))
    }

    fn write_anything(&mut self) -> Result<()> {
        let Some(group) = self.group()? else {
            let name = format!("w{} Círculo del martes", self.n);
            return self.write(Kind::Group, None, name, |m, name| {
                Ok(m.create_group(group_fields(name))?.id)
            });
        };
        let n = self.n;
        match self.rng.below(14) {
            0..=2 => self.add_entry(),
            3..=4 => {
                let entries = self.mutua.recent_entries(40)?;
                match self.rng.pick(&entries) {
                    Some(entry) => {
                        let mut fields = entry.fields.clone();
                        let text = format!("w{n} edited: ánimo mejor, slept well");
                        self.write(Kind::Journal, Some(&entry.id), text, |m, text| {
                            fields.text = text.to_owned();
                            Ok(m.update_entry(&entry.id, fields)?.id)
                        })
                    }
                    None => self.add_entry(),
                }
            }
            5..=7 => self.send(&group),
            8 => self.edit_message(&group),
            9 => self.write(
                Kind::Series,
                None,
                format!("w{n} Monthly circle"),
                |m, title| Ok(m.add_series(&group, series_fields(title))?.series.id),
            ),
            10 => {
                let series = self.mutua.series(None)?;
                match self.rng.pick(&series) {
                    Some(s) => {
                        let title = format!("w{n} Renamed circle");
                        self.write(Kind::Series, Some(&s.id), title, |m, title| {
                            Ok(m.update_series(&s.id, series_fields(title))?.series.id)
                        })
                    }
                    None => self.add_entry(),
                }
            }
            11 => self.write(Kind::Contact, None, format!("w{n} sponsor"), |m, note| {
                Ok(m.add_contact(contact_fields(note))?.id)
            }),
            12 => {
                let contacts = self.mutua.contacts()?;
                match self.rng.pick(&contacts) {
                    Some(c) => {
                        let note = format!("w{n} call after 7");
                        self.write(Kind::Contact, Some(&c.id), note, |m, note| {
                            Ok(m.update_contact(&c.id, contact_fields(note))?.id)
                        })
                    }
                    None => self.add_entry(),
                }
            }
            _ => {
                let name = format!("w{n} Círculo renombrado");
                self.write(Kind::Group, Some(&group), name, |m, name| {
                    Ok(m.update_group(&group, group_fields(name))?.id)
                })
            }
        }
    }

    fn add_entry(&mut self) -> Result<()> {
        let text = format!("w{} a hard day, the circle helped", self.n);
        let mood = 1 + self.rng.below(5) as u8;
        self.write(Kind::Journal, None, text, |m, text| {
            Ok(m.add_entry(EntryFields {
                text: text.to_owned(),
                mood: Some(mood),
                emotions: vec!["hopeful".into()],
                tags: vec!["circle".into()],
                written_at: mutua_core::time::now(),
                time_zone: "Europe/Madrid".into(),
            })?
            .id)
        })
    }

    fn send(&mut self, group: &str) -> Result<()> {
        let text = format!("w{} see you on Tuesday", self.n);
        self.write(Kind::Message, None, text, |m, text| {
            Ok(m.send_to_group(group, NewMessage::text(text))?.id)
        })
    }

    fn edit_message(&mut self, group: &str) -> Result<()> {
        let conversation = self.mutua.group_conversation(group)?;
        let own: Vec<_> = self
            .mutua
            .messages(&conversation, None, 40)?
            .messages
            .into_iter()
            .filter(|msg| msg.mine && !msg.deleted)
            .collect();
        match self.rng.pick(&own) {
            Some(msg) => {
                let text = format!("w{} (edited) see you on Wednesday", self.n);
                self.write(Kind::Message, Some(&msg.id), text, |m, text| {
                    Ok(m.edit_message(&msg.id, text)?.id)
                })
            }
            None => self.send(group),
        }
    }
}

fn sync_loop(mut device: Device, args: &Args) -> Result<()> {
    let relay = args.relay.as_deref().context("sync needs --relay")?;
    let client = RelayClient::new(relay)?;
    let started = std::time::Instant::now();
    loop {
        if !args.until_quiet {
            // A device that joined in person has the group's keys, but its documents only
            // with the first sync: until then it writes in its journal.
            match (device.group()?, device.rng.below(4)) {
                (None, _) | (_, 0) => device.add_entry()?,
                (Some(group), 1) => device.edit_message(&group)?,
                (Some(group), _) => device.send(&group)?,
            }
        }
        let replica = Mutex::new(device.mutua);
        let round = sync_once(&replica, &client, &|_| {});
        device.mutua = replica
            .into_inner()
            .map_err(|_| anyhow::anyhow!("the store's lock was poisoned"))?;
        match round {
            Ok(report) => {
                say(&format!(
                    "SYNCED sent={} received={} errors={} ms={}",
                    report.sent,
                    report.received,
                    report.errors.len(),
                    started.elapsed().as_millis()
                ))?;
                let moved = report.sent + report.received;
                if args.until_quiet && moved == 0 && report.errors.is_empty() {
                    return say("QUIET");
                }
            }
            // The relay may be down for a moment (the test kills it too): try again.
            Err(e) => {
                say(&format!("SYNC-FAILED {e}"))?;
                std::thread::sleep(Duration::from_millis(50));
            }
        }
    }
}

fn group_fields(name: &str) -> GroupFields {
    GroupFields {
        name: name.to_owned(),
        purpose: Some("Carers who meet on Tuesdays".into()),
        kind: GroupKind::MutualAid,
        planned_sessions: None,
        admission: Admission::Open,
        language: Some("es".into()),
        place: Some("Community hall".into()),
        online_url: None,
        guidelines: Some("What is said here stays here.".into()),
    }
}

fn series_fields(title: &str) -> SeriesFields {
    SeriesFields {
        title: title.to_owned(),
        start: NaiveDate::from_ymd_opt(2026, 1, 13)
            .and_then(|d| d.and_hms_opt(19, 0, 0))
            .unwrap_or_default(),
        tz: "Europe/Madrid".into(),
        duration_minutes: 90,
        rrule: Some("FREQ=MONTHLY;BYDAY=2TU".into()),
        format: MeetingFormat::InPerson,
        place: Some("Community hall".into()),
        online_url: None,
        phone: None,
        agenda: None,
    }
}

fn contact_fields(note: &str) -> ContactFields {
    ContactFields {
        pseudonym: "Sam R.".into(),
        phone: None,
        link: None,
        note: Some(note.to_owned()),
        group_id: None,
        time_zone: "America/Bogota".into(),
        availability: mutua_core::contacts::parse_windows("mon,thu 19:00-22:00")
            .unwrap_or_default(),
    }
}
