//! Kill -9, again and again: a device process (`busy-device`) writes with Mutua's core, or
//! syncs a large backlog through a real relay process, and is SIGKILLed at random moments.
//! After every kill the data directory is reopened with the passphrase and must be whole:
//! SQLCipher's page check and SQLite's `integrity_check` find nothing, every write the device
//! acknowledged is there with its content (and nothing it never announced), the projections
//! equal a rebuild from the documents, and the next run keeps writing. During sync the relay
//! is killed too; at the end the device and a reference device converge and the relay's
//! database is sound.
//!
//! Delays are seeded; each test prints its seed, and `MUTUA_KILL_SEED=<seed>` replays the same
//! choices (the moments still depend on the machine's speed). `MUTUA_KILLS_LOCAL`,
//! `MUTUA_KILLS_SYNC` and `MUTUA_KILLS_IMPORT` set the number of kills (`cargo xtask soak` raises
//! them). Each test ends with a `SOAK …` line that `cargo xtask soak` adds up.

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use mutua_core::journal::EntryFields;
use mutua_core::messages::NewMessage;
use mutua_core::sync::client::{RelayClient, Transport};
use mutua_core::sync::driver::sync_once;
use mutua_core::sync::{BundleScope, InviteMode};
use mutua_core::{Mutua, NewProtection, Unlock};
use mutua_tests::acked::{Acked, Kind};
use mutua_tests::devices::open_group;
use mutua_tests::devices::with;
use mutua_tests::kill::{CHEAP_KDF, Ended, Rng, Running, relay_database_problems};
use mutua_tests::relay::{RelayProcess, RelayStorage};

const PASSPHRASE: &str = "correct horse battery";
const BUSY_DEVICE: &str = env!("CARGO_BIN_EXE_busy-device");

fn env_count(var: &str, default: usize) -> usize {
    std::env::var(var)
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(default)
}

fn args(mode: &str, dir: &Path, seed: u64, first: u64, extra: &[&str]) -> Vec<String> {
    let mut out: Vec<String> = [
        mode,
        "--dir",
        &dir.display().to_string(),
        "--passphrase",
        PASSPHRASE,
        "--seed",
        &seed.to_string(),
        "--first",
        &first.to_string(),
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    out.extend(extra.iter().map(|s| s.to_string()));
    out
}

/// Totals for the summary line.
#[derive(Debug, Default)]
struct Tally {
    kills: usize,
    runs: usize,
    killed_in_set_up: usize,
    in_flight: usize,
    in_flight_landed: usize,
    checks: usize,
}

/// Reopens `dir` after a run and checks everything; the model adopts a write in flight that
/// reached the disk. Returns the reopened store for more checks.
fn check(
    dir: &Path,
    acked: &mut Acked,
    kinds: &[Kind],
    author: Option<&str>,
    tally: &mut Tally,
) -> Mutua {
    let mut m = Mutua::open(dir, Unlock::Passphrase(PASSPHRASE))
        .unwrap_or_else(|e| panic!("the data no longer opens after a kill: {e}"));
    let report = m.check_integrity().expect("integrity check runs");
    assert!(
        report.is_ok(),
        "damaged after a kill: {:?}",
        report.problems()
    );
    let dump = m.projection_dump().expect("dump");
    let seen = acked
        .verify(&dump, kinds, author)
        .unwrap_or_else(|problems| panic!("acknowledged writes do not match:\n{problems}"));
    tally.in_flight += usize::from(seen.in_flight);
    tally.in_flight_landed += usize::from(seen.in_flight_landed);
    assert!(
        m.verify_projections().expect("verify"),
        "projections differ from a rebuild after a kill"
    );
    tally.checks += 1;
    m
}

fn take_lines(acked: &mut Acked, lines: &[String]) {
    for line in lines {
        acked
            .take(line)
            .unwrap_or_else(|e| panic!("{e}\nall lines:\n{}", lines.join("\n")));
    }
    acked.run_ended();
}

#[test]
fn acknowledged_local_writes_survive_kill_9() {
    let start = Instant::now();
    let kills = env_count("MUTUA_KILLS_LOCAL", 15);
    let seed = Rng::seed_from_env("MUTUA_KILL_SEED");
    println!("local writes: {kills} kills, seed {seed} (MUTUA_KILL_SEED={seed} replays it)");
    let mut rng = Rng::new(seed);
    let root = tempfile::tempdir().expect("tmp");
    let mut tally = Tally::default();
    let mut acknowledged = 0;
    // A fresh data directory every so many kills: set-up gets killed too, and no document
    // grows past what a real month holds.
    let per_dir = 25;
    let mut dir = PathBuf::new();
    let mut acked = Acked::new();
    for k in 0..kills {
        if k.is_multiple_of(per_dir) {
            acknowledged += acked.acknowledged;
            dir = root.path().join(format!("device-{k}"));
            acked = Acked::new();
        }
        let run = Running::spawn(
            Path::new(BUSY_DEVICE),
            &args("local", &dir, rng.next_u64(), acked.last_n + 1, &[]),
        );
        let delay = rng.delay(Duration::from_millis(600));
        let (lines, ended) = run.kill_after(delay);
        assert_eq!(
            ended,
            Ended::Killed,
            "the device stopped by itself:\n{}",
            lines.join("\n")
        );
        tally.kills += 1;
        tally.runs += 1;
        take_lines(&mut acked, &lines);
        if !Mutua::exists(&dir) {
            // Killed while setting up: nothing was promised, and the next run sets up again.
            assert!(
                !lines.iter().any(|l| l == "READY"),
                "set up and ready, yet no database"
            );
            assert!(acked.is_empty());
            tally.killed_in_set_up += 1;
            continue;
        }
        drop(check(&dir, &mut acked, &Kind::ALL, None, &mut tally));
    }
    // The data keeps working: a run to completion, then a write by another program.
    let run = Running::spawn(
        Path::new(BUSY_DEVICE),
        &args(
            "local",
            &dir,
            rng.next_u64(),
            acked.last_n + 1,
            &["--writes", "25"],
        ),
    );
    let lines = run.finish_within(Duration::from_secs(120));
    assert_eq!(lines.last().map(String::as_str), Some("DONE"));
    tally.runs += 1;
    let before = acked.acknowledged;
    take_lines(&mut acked, &lines);
    assert_eq!(acked.acknowledged - before, 25);
    let mut m = check(&dir, &mut acked, &Kind::ALL, None, &mut tally);
    m.add_entry(EntryFields {
        text: "written after all the kills".into(),
        mood: Some(4),
        emotions: vec![],
        tags: vec![],
        written_at: mutua_core::time::now(),
        time_zone: "UTC".into(),
    })
    .expect("still writable");
    acknowledged += acked.acknowledged;
    assert!(acknowledged > 0, "no write was ever acknowledged");
    println!(
        "SOAK test=local kills={} runs={} writes={} checks={} set_up_kills={} in_flight={} landed={} secs={:.1} seed={seed}",
        tally.kills,
        tally.runs,
        acknowledged,
        tally.checks,
        tally.killed_in_set_up,
        tally.in_flight,
        tally.in_flight_landed,
        start.elapsed().as_secs_f64()
    );
}

/// Syncs `who` until a round moves nothing.
fn sync_until_quiet(client: &RelayClient, who: &Mutex<Mutua>) {
    for _ in 0..20 {
        let report = sync_once(who, client, &|_| {}).expect("sync");
        assert!(report.errors.is_empty(), "{report:?}");
        assert_eq!(report.rejected, 0, "{report:?}");
        if report.sent + report.received == 0 {
            return;
        }
    }
    panic!("the reference device never went quiet");
}

/// The group's shared tables: what every member's device must agree on.
fn group_view(m: &Mutua, group: &str) -> serde_json::Value {
    let dump = m.projection_dump().expect("dump");
    let prefix = format!("group/{group}/");
    let of_group = |table: &str| -> Vec<serde_json::Value> {
        dump[table]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|row| {
                row["doc_id"]
                    .as_str()
                    .is_some_and(|d| d.starts_with(&prefix))
            })
            .cloned()
            .collect()
    };
    serde_json::json!({
        "groups": dump["groups"],
        "group_member": dump["group_member"],
        "meeting_series": dump["meeting_series"],
        "message": of_group("message"),
        "message_reaction": of_group("message_reaction"),
    })
}

fn texts_by_id(view: &serde_json::Value) -> std::collections::BTreeMap<String, String> {
    view["message"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|row| {
            (
                row["id"].as_str().unwrap_or_default().to_owned(),
                row["text"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect()
}

/// Writes `count` messages on the reference device, each sealed into its own envelope (one per
/// message, as if sent over weeks).
fn write_backlog(
    reference: &Mutex<Mutua>,
    relay: &str,
    group: &str,
    count: usize,
    first: usize,
) -> Vec<String> {
    let mut ids = Vec::with_capacity(count);
    with(reference, |m| {
        m.sync_spaces().expect("spaces");
        let thread = m.group_conversation(group).expect("thread");
        let space = m
            .space_of_conversation(&thread)
            .expect("space")
            .expect("the group is synced");
        for i in first..first + count {
            let sent = m
                .send_to_group(group, NewMessage::text(format!("r{i} backlog message")))
                .expect("send");
            ids.push(sent.id);
            m.plan_space(relay, &space).expect("seal");
        }
    });
    ids
}

/// [`write_backlog`], then pushed to the relay in one round.
fn post_backlog(
    reference: &Mutex<Mutua>,
    client: &RelayClient,
    group: &str,
    count: usize,
    first: usize,
) -> Vec<String> {
    let ids = write_backlog(reference, client.base(), group, count, first);
    let pushed = sync_once(reference, client, &|_| {}).expect("push the backlog");
    assert!(pushed.sent >= count, "{pushed:?}");
    ids
}

#[test]
fn a_device_killed_while_syncing_a_large_backlog_loses_nothing_and_converges() {
    let start = Instant::now();
    let kills = env_count("MUTUA_KILLS_SYNC", 8);
    let backlog = env_count("MUTUA_SYNC_BACKLOG", 1200);
    let seed = Rng::seed_from_env("MUTUA_KILL_SEED");
    println!(
        "sync: {kills} kills over a backlog of {backlog}, seed {seed} (MUTUA_KILL_SEED={seed} replays it)"
    );
    let mut rng = Rng::new(seed);
    let root = tempfile::tempdir().expect("tmp");
    let relay_db = root.path().join("relay.db");
    let mut relay = RelayProcess::start(&RelayStorage::Sqlite(relay_db.clone()));
    let url = relay.url();
    let client = RelayClient::new(&url).expect("client");

    // The reference device owns the group; the busy device joins it in person.
    let (reference, group, dir, busy_member) = joined_pair(root.path());
    let mut written_by_reference: Vec<String> = Vec::new();
    written_by_reference.extend(post_backlog(&reference, &client, &group, backlog, 0));
    let mut acked = Acked::new();
    let mut tally = Tally::default();
    let mut relay_kills = 0;
    let mut rounds = 0;
    let kinds = [Kind::Journal, Kind::Message];
    // Kills that left the device short of the reference's messages, and of those the ones
    // after which it held part of the new backlog (applied slices are kept: the next run goes
    // on from there).
    let (mut mid_backlog, mut partial) = (0, 0);
    let mut had = 0;
    // How long a run takes to pull a new backlog, learnt as we go: runs that start with one
    // are killed within that time, so kills keep landing in the middle of large pulls.
    let mut pull_ms = 1500;
    for k in 0..kills {
        let fresh = k == 0 || k % 2 == 0;
        if k > 0 && fresh {
            let chunk = (backlog / 3).max(1);
            let posted = written_by_reference.len();
            written_by_reference.extend(post_backlog(&reference, &client, &group, chunk, posted));
        }
        let mut run = Running::spawn(
            Path::new(BUSY_DEVICE),
            &args(
                "sync",
                &dir,
                rng.next_u64(),
                acked.last_n + 1,
                &["--relay", &url],
            ),
        );
        let delay = if fresh {
            Duration::from_millis(rng.below(pull_ms + 200))
        } else {
            rng.delay(Duration::from_millis(4000))
        };
        let mut relay_killed = false;
        if rng.chance(4) {
            // The relay dies too, somewhere in the run, and comes back a moment later.
            let at = Duration::from_millis(rng.below(delay.as_millis() as u64 + 1));
            assert!(run.run_for(at).is_none(), "the device stopped by itself");
            relay.kill_hard();
            relay_kills += 1;
            relay_killed = true;
            let problems = relay_database_problems(&relay_db);
            assert!(
                problems.is_empty(),
                "relay database after a kill: {problems:?}"
            );
            assert!(run.run_for(Duration::from_millis(rng.below(300))).is_none());
            relay.restart();
            assert_eq!(relay.url(), url, "the relay came back elsewhere");
        }
        let (lines, ended) = run.kill_after(delay);
        assert_eq!(ended, Ended::Killed);
        tally.kills += 1;
        tally.runs += 1;
        let synced = lines.iter().filter(|l| l.starts_with("SYNCED")).count();
        rounds += synced;
        take_lines(&mut acked, &lines);
        let busy = check(&dir, &mut acked, &kinds, Some(&busy_member), &mut tally);
        let have = {
            let ids: std::collections::BTreeSet<&String> = written_by_reference.iter().collect();
            let dump = busy.projection_dump().expect("dump");
            dump["message"]
                .as_array()
                .into_iter()
                .flatten()
                .filter(|row| {
                    row["id"]
                        .as_str()
                        .is_some_and(|id| ids.contains(&id.to_owned()))
                })
                .count()
        };
        drop(busy);
        if have < written_by_reference.len() {
            mid_backlog += 1;
            partial += usize::from(have > had);
        }
        had = have;
        if fresh {
            // "SYNCED … ms=N": the first round's end, counted from the device's start of sync.
            let first = lines.iter().find_map(|l| {
                l.strip_prefix("SYNCED ")?
                    .split_whitespace()
                    .find_map(|kv| kv.strip_prefix("ms="))?
                    .parse::<u64>()
                    .ok()
            });
            if let Some(ms) = first {
                pull_ms = ms + 100;
            }
        }
        println!(
            "sync kill {}: after {} ms and {synced} finished rounds{}; the device holds {have} of the reference's {} messages",
            k + 1,
            delay.as_millis(),
            if relay_killed {
                ", the relay killed too"
            } else {
                ""
            },
            written_by_reference.len()
        );
        if rng.chance(3) {
            with(&reference, |m| {
                for i in 0..1 + rng.below(5) {
                    let text = format!("r-late{i} while the busy device was down");
                    written_by_reference.push(
                        m.send_to_group(&group, NewMessage::text(text))
                            .expect("send")
                            .id,
                    );
                }
            });
            sync_until_quiet(&client, &reference);
        }
    }

    // The end: the busy device syncs until quiet (no kill), then the reference, then the busy
    // device once more; both must hold the same group, and everything either wrote.
    sync_until_quiet(&client, &reference);
    for _ in 0..2 {
        let run = Running::spawn(
            Path::new(BUSY_DEVICE),
            &args(
                "sync",
                &dir,
                rng.next_u64(),
                acked.last_n + 1,
                &["--relay", &url, "--until-quiet"],
            ),
        );
        let lines = run.finish_within(Duration::from_secs(600));
        assert_eq!(lines.last().map(String::as_str), Some("QUIET"));
        for line in lines.iter().filter(|l| l.starts_with("SYNCED")) {
            println!("final run: {line}");
        }
        tally.runs += 1;
        take_lines(&mut acked, &lines);
        sync_until_quiet(&client, &reference);
    }
    let busy = check(&dir, &mut acked, &kinds, Some(&busy_member), &mut tally);
    let theirs = group_view(&busy, &group);
    let ours = with(&reference, |m| group_view(m, &group));
    assert_eq!(theirs, ours, "the two devices did not converge");
    let texts = texts_by_id(&ours);
    for (id, content) in acked.of(Kind::Message) {
        assert_eq!(
            texts.get(&id),
            Some(&content),
            "acknowledged message {id} did not arrive"
        );
    }
    for id in &written_by_reference {
        assert!(
            texts.contains_key(id),
            "the reference's message {id} never reached the device"
        );
    }
    assert!(acked.of(Kind::Message).len() + written_by_reference.len() <= texts.len());
    relay.terminate();
    let problems = relay_database_problems(&relay_db);
    assert!(
        problems.is_empty(),
        "relay database at the end: {problems:?}"
    );
    println!(
        "SOAK test=sync kills={} mid_backlog={mid_backlog} partial={partial} relay_kills={relay_kills} runs={} writes={} checks={} rounds={rounds} messages={} in_flight={} landed={} secs={:.1} seed={seed}",
        tally.kills,
        tally.runs,
        acked.acknowledged,
        tally.checks,
        texts.len(),
        tally.in_flight,
        tally.in_flight_landed,
        start.elapsed().as_secs_f64()
    );
}

/// The reference device and a busy device that joined its group in person (keys, no content
/// yet), in `root`.
fn joined_pair(root: &Path) -> (Mutex<Mutua>, String, PathBuf, String) {
    let reference = Mutex::new(Mutua::ephemeral("Rita R.").expect("store"));
    let group = with(&reference, |m| {
        m.create_group(open_group("Tuesday circle"))
            .expect("group")
            .id
    });
    let code = with(&reference, |m| {
        m.create_invite(&group, InviteMode::InPerson)
            .expect("invite")
            .code
    });
    let dir = root.join("busy");
    let mut m = Mutua::init_with_kdf(
        &dir,
        "Busy B.",
        NewProtection::Passphrase(PASSPHRASE),
        CHEAP_KDF,
    )
    .expect("busy device");
    m.accept_invite(&code).expect("join");
    let member = m.member_id().to_owned();
    (reference, group, dir, member)
}

/// Copies a closed data directory (its files only: Mutua keeps no subfolders).
fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for entry in std::fs::read_dir(from).expect("read dir") {
        let entry = entry.expect("entry");
        if entry.file_type().expect("type").is_file() {
            std::fs::copy(entry.path(), to.join(entry.file_name())).expect("copy");
        }
    }
}

#[test]
fn a_device_killed_while_opening_a_sync_file_loses_nothing() {
    let start = Instant::now();
    // Two kills per fresh device (fewer when an import beats its kill).
    let files = env_count("MUTUA_KILLS_IMPORT", 8).div_ceil(2);
    let backlog = env_count("MUTUA_SYNC_BACKLOG", 1200);
    let seed = Rng::seed_from_env("MUTUA_KILL_SEED");
    println!(
        "sync file: {files} devices each killed twice while opening a file of {backlog} envelopes, seed {seed} (MUTUA_KILL_SEED={seed} replays it)"
    );
    let mut rng = Rng::new(seed);
    let root = tempfile::tempdir().expect("tmp");
    let (reference, group, pristine, busy_member) = joined_pair(root.path());
    // The reference's messages, one envelope each, in one file (as on a USB stick).
    let written = write_backlog(&reference, "file", &group, backlog, 0);
    let file = root.path().join("circle.mutua");
    let bundle = with(&reference, |m| m.export_bundle(&BundleScope::Everything)).expect("export");
    assert!(
        bundle.envelopes >= backlog,
        "{} envelopes",
        bundle.envelopes
    );
    std::fs::write(&file, &bundle.bytes).expect("write the file");
    let expected = with(&reference, |m| group_view(m, &group))["message"].clone();
    let shown = |m: &Mutua| -> usize {
        let ids: std::collections::BTreeSet<&str> = written.iter().map(String::as_str).collect();
        let dump = m.projection_dump().expect("dump");
        dump["message"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|row| row["id"].as_str().is_some_and(|id| ids.contains(id)))
            .count()
    };
    let import = |dir: &Path, seed: u64| {
        let mut a = args("import", dir, seed, 1, &[]);
        a.extend(["--file".to_owned(), file.display().to_string()]);
        Running::spawn(Path::new(BUSY_DEVICE), &a)
    };
    let import_ms = |lines: &[String]| {
        lines.iter().find_map(|l| {
            l.strip_prefix("IMPORTED ")?
                .split_whitespace()
                .find_map(|kv| kv.strip_prefix("ms="))?
                .parse::<u64>()
                .ok()
        })
    };
    // How long opening the file takes, on a copy that is not killed: kills aim inside it.
    let measure = root.path().join("measure");
    copy_dir(&pristine, &measure);
    let lines = import(&measure, rng.next_u64()).finish_within(Duration::from_secs(600));
    let took = import_ms(&lines).expect("an IMPORTED line");

    let mut tally = Tally::default();
    let (mut partial, mut before_any) = (0, 0);
    for f in 0..files {
        // Each time a device that has never opened the file: every kill lands in a real import.
        let dir = root.path().join(format!("device-{f}"));
        copy_dir(&pristine, &dir);
        let mut acked = Acked::new();
        for _ in 0..2 {
            let delay = Duration::from_millis(rng.below(took + 200));
            let (lines, ended) = import(&dir, rng.next_u64()).kill_after(delay);
            tally.runs += 1;
            take_lines(&mut acked, &lines);
            let busy = check(
                &dir,
                &mut acked,
                &[Kind::Journal, Kind::Message],
                Some(&busy_member),
                &mut tally,
            );
            let have = shown(&busy);
            drop(busy);
            if ended == Ended::Killed {
                tally.kills += 1;
                if have == 0 {
                    before_any += 1;
                } else if have < written.len() {
                    partial += 1;
                }
            }
            println!(
                "sync file, device {}: {} after {} ms; it shows {have} of the file's {} messages",
                f + 1,
                if ended == Ended::Killed {
                    "killed"
                } else {
                    "finished"
                },
                delay.as_millis(),
                written.len()
            );
        }
        // Reopened, the file is opened again to the end (opening a file twice is harmless).
        let lines = import(&dir, rng.next_u64()).finish_within(Duration::from_secs(600));
        assert!(import_ms(&lines).is_some(), "{lines:?}");
        tally.runs += 1;
        let busy = check(
            &dir,
            &mut acked,
            &[Kind::Journal, Kind::Message],
            Some(&busy_member),
            &mut tally,
        );
        assert_eq!(
            shown(&busy),
            written.len(),
            "the file's messages are not all there"
        );
        assert_eq!(busy.held_envelopes().expect("held"), 0);
        assert_eq!(
            group_view(&busy, &group)["message"],
            expected,
            "the device and the file's maker disagree"
        );
    }
    println!(
        "SOAK test=import kills={} partial={partial} before_any={before_any} runs={} checks={} messages={} import_ms={took} secs={:.1} seed={seed}",
        tally.kills,
        tally.runs,
        tally.checks,
        written.len(),
        start.elapsed().as_secs_f64()
    );
}
