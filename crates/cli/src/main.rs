//! `mutua`: Mutua without a window, over the same core as the app. For hub laptops, scripts,
//! automation and tests. Errors are one line on stderr and a non-zero exit code.

mod args;
mod cmd_bundle;
mod cmd_contacts;
mod cmd_data;
mod cmd_devices;
mod cmd_groups;
mod cmd_journal;
mod cmd_meetings;
mod cmd_messages;
mod cmd_sync;
mod demo;
mod output;
mod parse;
mod session;

use std::path::Path;
use std::process::ExitCode;

use anyhow::Result;
use clap::Parser;
use mutua_core::Mutua;

use args::{Cli, Command};
use output::Out;

fn main() -> ExitCode {
    let cli = Cli::parse();
    match execute(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("mutua: {error:#}");
            ExitCode::FAILURE
        }
    }
}

fn execute(cli: Cli) -> Result<()> {
    let out = Out { json: cli.json };
    let dir = session::data_dir(cli.data_dir.as_deref())?;
    match cli.command {
        Command::Init(args) => cmd_data::init(&dir, out, args),
        Command::Demo(args) => demo::run(args),
        Command::Sync(args) => cmd_sync::sync(session::open(&dir)?, out, args),
        Command::Device(c @ args::DeviceCommand::Join { .. }) => cmd_devices::join(&dir, out, c),
        command => {
            let mut m = session::open(&dir)?;
            run_with(&mut m, &dir, out, command)
        }
    }
}

/// Runs a command against an open store.
pub(crate) fn run_with(m: &mut Mutua, dir: &Path, out: Out, command: Command) -> Result<()> {
    match command {
        Command::Init(_) | Command::Demo(_) | Command::Sync(_) => anyhow::bail!("already set up"),
        Command::Invite(c) => cmd_sync::invite(m, out, c),
        Command::Member(c) => cmd_sync::member(m, out, c),
        Command::Device(c) => cmd_devices::run(m, out, c),
        Command::Bundle(c) => cmd_bundle::run(m, out, c),
        Command::Status => cmd_data::status(m, dir, out),
        Command::Profile(c) => cmd_data::profile(m, out, c),
        Command::Group(c) => cmd_groups::run(m, out, c),
        Command::Meeting(c) => cmd_meetings::run(m, out, c),
        Command::Calendar(a) => cmd_meetings::calendar(m, out, a),
        Command::Contact(c) => cmd_contacts::run(m, out, c),
        Command::Message(c) => cmd_messages::message(m, out, c),
        Command::Dm(c) => cmd_messages::dm(m, out, c),
        Command::Inbox => cmd_messages::inbox(m, out),
        Command::Journal(c) => cmd_journal::run(m, out, c),
        Command::Export(a) => cmd_data::export(m, a.out.as_deref()),
        Command::Changes(c) => cmd_data::changes(m, out, c),
        Command::Projections(c) => cmd_data::projections(m, out, c),
    }
}
