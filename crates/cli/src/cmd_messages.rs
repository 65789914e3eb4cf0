//! `mutua message …`, `mutua dm …` and `mutua inbox`: messaging between meetings.
//!
//! Listing the newest page of a conversation marks it read, as opening it in the app does
//! (`--keep-unread` does not). Times are shown in the member's own zone.

use std::io::Read;

use anyhow::{Context, Result};
use chrono_tz::Tz;
use mutua_core::Mutua;
use mutua_core::lookup::short;
use mutua_core::messages::{
    Conversation, ConversationSummary, Message, MessageKind, MessagePage, NewMessage,
};

use crate::args::{DmCommand, MessageCommand, MessageTextArgs, PageArgs, Switch};
use crate::output::{Out, table};
use crate::session;

pub fn message(m: &mut Mutua, out: Out, command: MessageCommand) -> Result<()> {
    match command {
        MessageCommand::Send { group, message } => {
            let sent = m.send_to_group(&group, new_message(message)?)?;
            out.done(&sent, format!("Sent ({}).", short(&sent.id)))
        }
        MessageCommand::List { group, page } => {
            let conversation = m.group_conversation(&group)?;
            let title = m.find_group(&group)?.fields.name;
            list(m, out, &conversation, &title, page)
        }
        MessageCommand::React { message, emoji } => {
            let reacted = m.react(&message, &emoji)?;
            out.done(
                &reacted,
                format!("Reacted {} to {}.", emoji.trim(), short(&reacted.id)),
            )
        }
        MessageCommand::Unreact { message } => {
            let message = m.unreact(&message)?;
            out.done(
                &message,
                format!("Took back your reaction to {}.", short(&message.id)),
            )
        }
        MessageCommand::Delete { message } => {
            let hidden = m.delete_for_me(&message)?;
            out.done(
                &hidden,
                format!(
                    "Deleted {} for you, on this device; the others still have it.",
                    short(&hidden.id)
                ),
            )
        }
        MessageCommand::Edit { message, text } => {
            let edited = m.edit_message(&message, &read_text(text)?)?;
            out.done(&edited, format!("Edited {}.", short(&edited.id)))
        }
        MessageCommand::Retract { message } => {
            let retracted = m.retract_message(&message)?;
            out.done(
                &retracted,
                format!("Retracted {} for everyone.", short(&retracted.id)),
            )
        }
        MessageCommand::Receipts { set } => {
            if let Some(switch) = set {
                m.set_read_receipts(switch == Switch::On)?;
            }
            let on = m.read_receipts()?;
            out.emit(&serde_json::json!({ "read_receipts": on }), || {
                if on {
                    "Read receipts are on: others see how far you have read, and you see theirs."
                        .into()
                } else {
                    "Read receipts are off: nobody learns when you read (and you do not see \
                     others' receipts)."
                        .into()
                }
            })
        }
    }
}

pub fn dm(m: &mut Mutua, out: Out, command: DmCommand) -> Result<()> {
    match command {
        DmCommand::Send { to, message } => {
            let sent = m.send_direct(&to, new_message(message)?)?;
            out.done(&sent, format!("Sent ({}).", short(&sent.id)))
        }
        DmCommand::List { to, page } => {
            let peer = m.find_peer(&to)?;
            let conversation = m.direct_conversation(&peer.member_id)?;
            list(m, out, &conversation, &peer.pseudonym, page)
        }
        DmCommand::Peers => {
            let peers = m.peers()?;
            out.emit(&peers, || {
                if peers.is_empty() {
                    return "Nobody to write to yet: the members of your groups appear here."
                        .into();
                }
                let rows: Vec<Vec<String>> = peers
                    .iter()
                    .map(|p| vec![short(&p.member_id).to_owned(), p.pseudonym.clone()])
                    .collect();
                table(&["ID", "PSEUDONYM"], &rows)
            })
        }
    }
}

pub fn inbox(m: &mut Mutua, out: Out) -> Result<()> {
    let viewer = session::viewer_tz(Some(m), None)?;
    let conversations = m.conversations()?;
    out.emit(&conversations, || {
        if conversations.is_empty() {
            return "No conversations yet: create a group (mutua group create --name …) or join \
                    one, and its thread appears here."
                .into();
        }
        let rows: Vec<Vec<String>> = conversations.iter().map(|c| inbox_row(c, viewer)).collect();
        table(&["UNREAD", "CONVERSATION", "LAST MESSAGE", "WHEN"], &rows)
    })
}

fn inbox_row(c: &ConversationSummary, viewer: Tz) -> Vec<String> {
    let kind = match (&c.conversation, c.read_only) {
        (Conversation::Group(_), false) => "group",
        (Conversation::Group(_), true) => "archived group",
        (Conversation::Direct(_), _) => "direct",
    };
    let (last, when) = match &c.last {
        Some(l) => {
            let who = if l.mine { "You" } else { &l.author_pseudonym };
            let what = if l.deleted {
                "(deleted)".to_owned()
            } else {
                clip(&l.excerpt, 48)
            };
            (
                format!("{who}: {what}"),
                l.sent_at
                    .with_timezone(&viewer)
                    .format("%Y-%m-%d %H:%M")
                    .to_string(),
            )
        }
        None => ("(no messages yet)".to_owned(), String::new()),
    };
    let unread = if c.unread == 0 {
        String::new()
    } else {
        c.unread.to_string()
    };
    vec![unread, format!("{} ({kind})", c.title), last, when]
}

fn list(
    m: &mut Mutua,
    out: Out,
    conversation: &Conversation,
    title: &str,
    page: PageArgs,
) -> Result<()> {
    let viewer = session::viewer_tz(Some(m), None)?;
    let shown = m.messages(conversation, page.before.as_deref(), page.limit)?;
    if page.before.is_none() && !page.keep_unread {
        m.mark_read(conversation)?;
    }
    out.emit(&shown, || show_page(&shown, title, viewer))
}

fn show_page(page: &MessagePage, title: &str, viewer: Tz) -> String {
    if page.messages.is_empty() {
        return format!("{title}: no messages yet.");
    }
    let mut text = format!("{title} ({})\n", viewer.name());
    for message in &page.messages {
        text.push_str(&show_message(message, viewer));
    }
    if !page.read_by.is_empty() {
        let readers: Vec<String> = page
            .read_by
            .iter()
            .map(|r| {
                format!(
                    "{} (up to {})",
                    r.pseudonym,
                    r.read_up_to.with_timezone(&viewer).format("%Y-%m-%d %H:%M")
                )
            })
            .collect();
        text.push_str(&format!("Read by {}\n", readers.join(", ")));
    }
    if let Some(older) = &page.older {
        text.push_str(&format!("Older messages: add --before {}\n", short(older)));
    }
    text
}

fn show_message(message: &Message, viewer: Tz) -> String {
    let when = message
        .sent_at
        .with_timezone(&viewer)
        .format("%Y-%m-%d %H:%M");
    let who = if message.mine {
        format!("{} (you)", message.author_pseudonym)
    } else {
        message.author_pseudonym.clone()
    };
    let mut head = format!("{when}  {who}  [{}]", short(&message.id));
    if message.kind == MessageKind::CheckIn {
        head.push_str("  check-in");
    }
    if message.edited_at.is_some() && !message.deleted {
        head.push_str("  (edited)");
    }
    let mut text = format!("{head}\n");
    if let Some(quote) = &message.reply_to {
        let quoted = match (&quote.author_pseudonym, &quote.excerpt) {
            (Some(author), Some(excerpt)) => format!("{author}: \"{}\"", clip(excerpt, 60)),
            _ => "a deleted message".to_owned(),
        };
        text.push_str(&format!("    ↩ replying to {quoted}\n"));
    }
    if message.deleted {
        text.push_str("    (deleted by its author)\n");
    } else {
        for line in message.text.lines() {
            text.push_str(&format!("    {line}\n"));
        }
    }
    if !message.reactions.is_empty() {
        let reactions: Vec<String> = message
            .reactions
            .iter()
            .map(|r| format!("{} {} ({})", r.emoji, r.count, r.by.join(", ")))
            .collect();
        text.push_str(&format!("    {}\n", reactions.join("  ")));
    }
    text
}

fn clip(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_owned()
    } else {
        let mut cut: String = text.chars().take(max - 1).collect();
        cut.push('…');
        cut
    }
}

fn new_message(args: MessageTextArgs) -> Result<NewMessage> {
    Ok(NewMessage {
        text: read_text(args.text)?,
        reply_to: args.reply_to,
        kind: if args.check_in {
            MessageKind::CheckIn
        } else {
            MessageKind::Text
        },
    })
}

/// The text as given, or standard input for "-".
fn read_text(text: String) -> Result<String> {
    if text != "-" {
        return Ok(text);
    }
    let mut buf = String::new();
    std::io::stdin()
        .read_to_string(&mut buf)
        .context("could not read the message from standard input")?;
    Ok(buf)
}
