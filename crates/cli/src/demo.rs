//! `mutua demo`: a guided tour that runs real commands against a throw-away data directory, so
//! a newcomer sees what Mutua keeps and how, without touching their own data.

use std::io::IsTerminal;

use anyhow::{Context, Result};
use clap::Parser;
use mutua_core::{Mutua, NewProtection};

use crate::args::{Cli, DemoArgs};
use crate::output::Out;

const STEPS: &[(&str, &str)] = &[
    (
        "Your groups. A peer-led circle that meets in person:",
        "group create --name \"Tuesday carers' circle\" --purpose \"Peer support for people caring for a family member\" --place \"Community hall, room 2\" --language es --guidelines \"What is said here stays here. We listen without fixing.\"",
    ),
    (
        "The second Tuesday of every month at 19:00, Madrid time:",
        "meeting add --group \"Tuesday carers' circle\" --title \"Monthly circle\" --start 2026-01-13T19:00 --tz Europe/Madrid --duration 90m --rrule FREQ=MONTHLY;BYDAY=2TU --place \"Community hall, room 2\"",
    ),
    (
        "The hall is closed in August, so that one is cancelled:",
        "meeting cancel --series \"Monthly circle\" --on 2026-08-11",
    ),
    (
        "And March's moves to Wednesday:",
        "meeting move --series \"Monthly circle\" --occurrence 2026-03-10T19:00 --to 2026-03-11T19:00",
    ),
    (
        "The calendar, across daylight-saving changes (see the UTC column):",
        "calendar --from 2026-01-01 --to 2026-12-31 --tz Europe/Madrid",
    ),
    (
        "A peer you can call between meetings, in their own time zone:",
        "contact add --name \"Sam R.\" --tz America/Bogota --phone \"+57 300 000 0000\" --available \"mon,thu 19:00-22:00\" --available \"sat 10:00-13:00\"",
    ),
    (
        "It is 02:30 on a Friday in Madrid and sleep will not come. Who is glad to be reached? (In Bogotá it is still Thursday evening.)",
        "contact reachable --at 2026-12-04T02:30",
    ),
    (
        "Your journal stays on your devices. A check-in:",
        "journal add \"Hard week with Mum. Talking at the circle helped; I felt less alone.\" --mood 3 --emotion tired --emotion hopeful --tag caring",
    ),
    ("Search it, ranked by relevance:", "journal search alone"),
    ("Everything you hold, for you to keep:", "status"),
];

pub fn run(args: DemoArgs) -> Result<()> {
    let temp;
    let dir = match &args.keep {
        Some(dir) => dir.clone(),
        None => {
            temp = tempfile_dir()?;
            temp.clone()
        }
    };
    println!(
        "Mutua demo: a throw-away member \"Ana G.\" in {}\n",
        dir.display()
    );
    let mut m = Mutua::init(&dir, "Ana G.", NewProtection::Passphrase("demo passphrase"))
        .context("could not set up the demo data")?;
    m.set_time_zone("Europe/Madrid")?;
    let pause = std::io::stdin().is_terminal() && std::io::stdout().is_terminal();
    for (why, line) in STEPS {
        println!("── {why}");
        println!("$ mutua {line}");
        let argv = std::iter::once("mutua".to_owned()).chain(split(line));
        let cli = Cli::try_parse_from(argv).context("demo step does not parse")?;
        crate::run_with(&mut m, &dir, Out { json: false }, cli.command)?;
        println!();
        if pause {
            println!("(press Enter)");
            let mut line = String::new();
            std::io::stdin().read_line(&mut line).ok();
        }
    }
    println!(
        "That is Mutua from a terminal. Try `mutua --help`, or `cargo xtask run` for the desktop app."
    );
    match args.keep {
        Some(dir) => println!(
            "The demo data stays in {} (passphrase: demo passphrase).",
            dir.display()
        ),
        None => {
            drop(m);
            Mutua::destroy(&dir)?;
            std::fs::remove_dir_all(&dir).ok();
        }
    }
    Ok(())
}

fn tempfile_dir() -> Result<std::path::PathBuf> {
    let dir = std::env::temp_dir().join(format!("mutua-demo-{}", std::process::id()));
    std::fs::create_dir_all(&dir).with_context(|| format!("could not create {}", dir.display()))?;
    Ok(dir)
}

/// Splits a demo line into arguments: spaces separate, double quotes group.
fn split(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    let mut quoted = false;
    for c in line.chars() {
        match c {
            '"' => quoted = !quoted,
            ' ' if !quoted => {
                if !current.is_empty() {
                    out.push(std::mem::take(&mut current));
                }
            }
            other => current.push(other),
        }
    }
    if !current.is_empty() {
        out.push(current);
    }
    out
}
