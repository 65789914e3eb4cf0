//! `mutua sync`, `mutua invite …`, `mutua member …`

use std::sync::Mutex;
use std::sync::atomic::AtomicBool;

use anyhow::{Context, Result, bail};
use mutua_core::Mutua;
use mutua_core::lookup::short;
use mutua_core::sync::client::{RelayClient, Transport};
use mutua_core::sync::driver::{self, Progress};
use mutua_core::sync::{InviteMode, Joined};

use crate::args::{InviteCommand, MemberCommand, SyncArgs};
use crate::output::{Out, fields, table};
use crate::sync_progress::{ProgressLine, size};

pub fn sync(m: Mutua, out: Out, args: SyncArgs) -> Result<()> {
    if let Some(hub) = &args.hub {
        let link = crate::cmd_hub::connect(hub)?;
        let name = format!("Hub {} ({})", link.info().code, link.url());
        return run(m, out, &link, &name, args.watch);
    }
    if let Some(relay) = &args.relay {
        m.set_relay_url(Some(relay))?;
    }
    let Some(relay) = m.relay_url()? else {
        bail!(
            "no relay is set: run `mutua sync --relay https://…` once (ask your group who runs one)"
        );
    };
    let client = RelayClient::new(&relay)?;
    run(m, out, &client, &relay, args.watch)
}

/// One round (or `--watch`) with a relay or a hub, reported.
fn run<C: Transport>(m: Mutua, out: Out, client: &C, relay: &str, watch: bool) -> Result<()> {
    let replica = Mutex::new(m);
    // Progress goes to stderr so `--json` output stays clean.
    let line = ProgressLine::new();
    let progress = |p: Progress| line.show(&p);
    if watch {
        let stop = AtomicBool::new(false);
        let nudge = AtomicBool::new(false);
        driver::watch(&replica, client, &stop, &nudge, &progress);
        return Ok(());
    }
    let report = driver::sync_once(&replica, client, &progress)
        .with_context(|| format!("syncing with {relay}"))?;
    let events = replica
        .lock()
        .map_err(|_| anyhow::anyhow!("the store is unavailable"))?
        .sync_events(5)?;
    out.emit(&report, || {
        let mut text = format!(
            "Synced {} group(s) with {relay}: {} sent, {} received, {} applied ({} up, {} down).",
            report.groups,
            report.sent,
            report.received,
            report.applied,
            size(report.bytes_sent),
            size(report.bytes_received)
        );
        if report.rejected > 0 {
            text.push_str(&format!(
                "\nWarning: {} envelope(s) were forged or altered and were not applied.",
                report.rejected
            ));
            for e in events.iter().filter(|e| e.kind.starts_with("rejected")) {
                text.push_str(&format!("\n  {} {}", e.at, e.detail));
            }
        }
        if report.held > 0 {
            text.push_str(&format!(
                "\n{} envelope(s) wait for their sender's introduction or key.",
                report.held
            ));
        }
        for notice in &report.notices {
            text.push_str(&format!("\n{notice}"));
        }
        for error in &report.errors {
            text.push_str(&format!("\nNot synced: {error}"));
        }
        text
    })?;
    if !report.errors.is_empty() {
        bail!("{} group(s) could not sync", report.errors.len());
    }
    Ok(())
}

pub fn invite(m: &mut Mutua, out: Out, command: InviteCommand) -> Result<()> {
    match command {
        InviteCommand::Create {
            group,
            remote,
            no_qr,
        } => {
            let mode = if remote {
                InviteMode::Remote
            } else {
                InviteMode::InPerson
            };
            let invitation = m.create_invite(&group, mode)?;
            out.emit(&invitation, || {
                let how = match mode {
                    InviteMode::InPerson => "Show this to the person next to you (it lets them in at once; keep it off chats):",
                    InviteMode::Remote => "Send this code; you approve the request when they use it:",
                };
                let mut text = format!(
                    "Invitation to {} (valid until {}).\n{how}\n\n{}\n",
                    invitation.group_name, invitation.expires_at, invitation.code
                );
                if !no_qr && let Ok(qr) = qrcode::QrCode::new(invitation.code.as_bytes()) {
                    text.push('\n');
                    text.push_str(
                        &qr.render::<qrcode::render::unicode::Dense1x2>()
                            .quiet_zone(true)
                            .build(),
                    );
                }
                text
            })
        }
        InviteCommand::Accept { code } => {
            let joined = m.accept_invite(&code)?;
            let message = match &joined {
                Joined::Joined { group_name, .. } => format!(
                    "You joined {group_name}. Run `mutua sync` to fetch the group's details and calendar."
                ),
                Joined::Requested { group_name, relay } => format!(
                    "Your request to join {group_name} goes out with the next `mutua sync` (relay {relay}); \
                     a facilitator approves it."
                ),
            };
            out.done(&joined, message)
        }
        InviteCommand::Requests => {
            let requests = m.join_requests()?;
            out.emit(&requests, || {
                if requests.is_empty() {
                    return "No requests to join.".into();
                }
                let rows: Vec<Vec<String>> = requests
                    .iter()
                    .map(|r| {
                        vec![
                            r.pseudonym.clone(),
                            short(&r.member_id).to_owned(),
                            r.group_name.clone(),
                            r.state.clone(),
                            short(&r.invite_id).to_owned(),
                        ]
                    })
                    .collect();
                table(&["who", "member", "group", "state", "invite"], &rows)
            })
        }
        InviteCommand::Approve { member, invite } => {
            m.approve_join(&invite, &member)?;
            out.done(
                &serde_json::json!({ "approved": member }),
                format!(
                    "Approved {member}; they get the group's keys with your next `mutua sync`."
                ),
            )
        }
        InviteCommand::Decline { member, invite } => {
            m.decline_join(&invite, &member)?;
            out.done(
                &serde_json::json!({ "declined": member }),
                format!("Declined {member}'s request; they are told with your next `mutua sync`."),
            )
        }
    }
}

pub fn member(m: &mut Mutua, out: Out, command: MemberCommand) -> Result<()> {
    match command {
        MemberCommand::Remove { group, member } => {
            let removed = m.remove_member(&group, &member)?;
            out.done(
                &removed,
                fields(&[
                    ("removed", Some(removed.pseudonym.clone())),
                    (
                        "next",
                        Some("run `mutua sync`: the group's new key reaches everyone else".into()),
                    ),
                ]),
            )
        }
    }
}
