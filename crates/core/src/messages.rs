//! Messages between meetings: group threads and one-to-one conversations.
//!
//! A *conversation* is a group's thread (`group:<id>`) or the conversation of two members
//! (`dm:<pair>`, where the pair id is derived from both member ids, so each side names it alone).
//! Its messages live in one Automerge document per month they were sent in (UTC), which keeps
//! every document bounded however long a group talks (DESIGN.md 3.1). In a document, records sit
//! at the root: `message/<id>` (plain strings; an edit replaces the text, a retraction leaves a
//! tombstone), `reaction/<message id>:<member id>` (one per member and message, in the message's
//! document; removing it deletes the key), `receipt/<member id>` (how far a member has read, only
//! if they chose to say so) and, in one-to-one documents, `info/pair` (who the two are).
//!
//! Screens read the projections (`message`, `message_reaction`, …), never the documents
//! ([`inbox`] reads them, `project` writes them). What is this device's alone stays out of the
//! documents: how far the member has read each conversation (for unread counts) and the messages
//! they deleted for themselves. This file holds the model and everything that writes.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Duration, DurationRound, SecondsFormat, Utc};
use rusqlite::{OptionalExtension, params};
use serde::{Deserialize, Serialize};

use crate::amjson;
use crate::error::{Error, Result};
use crate::groups::to_record;
use crate::ids::{DocId, Month, is_valid_id, new_id, pair_id};
use crate::lookup::short;
use crate::profile::check_pseudonym;
use crate::store::Mutua;

mod backfill;
mod inbox;
mod project;

pub use inbox::{
    ConversationSummary, Message, MessagePage, Peer, Preview, Quote, Reaction, Receipt,
};
pub(crate) use project::{clear, project_record, record_keys};

const MESSAGES: &str = "message";
const REACTIONS: &str = "reaction";
const RECEIPTS: &str = "receipt";
const INFO: &str = "info";
const PAIR_KEY: &str = "pair";

/// The collections of a chat document, as the projection walks them.
pub(crate) const COLLECTIONS: &[&str] = &[MESSAGES, REACTIONS, RECEIPTS, INFO];

/// Longest message, in characters after trimming.
pub const MAX_MESSAGE_CHARS: usize = 4000;
/// How much of a message a reply quotes, in characters.
pub const QUOTE_CHARS: usize = 80;
/// Reactions the app offers; any other single emoji is accepted too.
pub const SUGGESTED_REACTIONS: &[&str] = &["❤️", "👍", "🙏", "🤗", "💪", "😢"];
const MAX_REACTION_BYTES: usize = 16;
/// Most messages one page can hold.
pub const MAX_PAGE: u32 = 200;
/// Unread counts stop here (the badge shows "999+").
pub const UNREAD_CAP: u32 = 999;

/// A group's thread or a one-to-one conversation. Written `group:<group id>` / `dm:<pair id>`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(into = "String", try_from = "String")]
pub enum Conversation {
    Group(String),
    Direct(String),
}

impl Conversation {
    /// The document holding this conversation's messages of `month`.
    pub fn doc(&self, month: Month) -> DocId {
        match self {
            Conversation::Group(group) => DocId::GroupChat {
                group: group.clone(),
                month,
            },
            Conversation::Direct(pair) => DocId::Direct {
                pair: pair.clone(),
                month,
            },
        }
    }

    /// The conversation a chat document belongs to, and its month.
    pub fn of(doc: &DocId) -> Option<(Conversation, Month)> {
        match doc {
            DocId::GroupChat { group, month } => Some((Conversation::Group(group.clone()), *month)),
            DocId::Direct { pair, month } => Some((Conversation::Direct(pair.clone()), *month)),
            _ => None,
        }
    }
}

impl fmt::Display for Conversation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Conversation::Group(group) => write!(f, "group:{group}"),
            Conversation::Direct(pair) => write!(f, "dm:{pair}"),
        }
    }
}

impl FromStr for Conversation {
    type Err = Error;

    fn from_str(s: &str) -> Result<Conversation> {
        match s.split_once(':') {
            Some(("group", group)) if is_valid_id(group) => Ok(Conversation::Group(group.into())),
            Some(("dm", pair)) if pair.len() == 32 && is_valid_id(pair) => {
                Ok(Conversation::Direct(pair.to_lowercase()))
            }
            _ => Err(Error::invalid(format!(
                "\"{s}\" is not a conversation (group:<group id> or dm:<pair id>)"
            ))),
        }
    }
}

impl From<Conversation> for String {
    fn from(c: Conversation) -> String {
        c.to_string()
    }
}

impl TryFrom<String> for Conversation {
    type Error = Error;
    fn try_from(s: String) -> Result<Conversation> {
        s.parse()
    }
}

/// What a message is: words, or a check-in ("how is everyone doing this week?").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MessageKind {
    Text,
    CheckIn,
}

impl MessageKind {
    pub fn as_str(self) -> &'static str {
        match self {
            MessageKind::Text => "text",
            MessageKind::CheckIn => "check_in",
        }
    }

    /// Kinds a newer version may add are shown as plain text rather than hidden.
    fn lenient(text: &str) -> MessageKind {
        match text {
            "check_in" => MessageKind::CheckIn,
            _ => MessageKind::Text,
        }
    }
}

/// A message about to be sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewMessage {
    pub text: String,
    /// The id (or an unambiguous start of it) of a message of the same conversation.
    pub reply_to: Option<String>,
    pub kind: MessageKind,
}

impl NewMessage {
    pub fn text(text: impl Into<String>) -> NewMessage {
        NewMessage {
            text: text.into(),
            reply_to: None,
            kind: MessageKind::Text,
        }
    }
}

/// A message as stored in its document.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct MessageRecord {
    id: String,
    author_id: String,
    /// The author's pseudonym when they sent it.
    author_pseudonym: String,
    /// Empty once retracted (and never shown once `deleted_at` is set, whatever a concurrent
    /// edit left here).
    #[serde(default)]
    text: String,
    /// `text` or `check_in`; kept as text so that a kind from a newer version still shows.
    kind: String,
    sent_at: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    reply_to: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    edited_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    deleted_at: Option<String>,
}

impl MessageRecord {
    /// Whether a record merged from elsewhere is one this version shows, in the document of
    /// `month` (a message belongs to the month it was sent in, so one id lives in one document).
    fn is_valid_in(&self, month: Month) -> bool {
        let sent_in_month = crate::time::parse_text(&self.sent_at)
            .and_then(|at| Month::of(at).ok())
            .is_some_and(|m| m == month);
        // A retraction wins over any text: one of the author's devices may have edited the
        // message while another retracted it, and the merge then holds `deleted_at` beside the
        // edited text. Such a record is a tombstone like any other (its text is never shown),
        // not an invalid record to drop: dropping it made the message vanish for everyone.
        let text_ok = if self.deleted_at.is_some() {
            true
        } else {
            check_text(&self.text).is_ok_and(|t| t == self.text)
        };
        is_valid_id(&self.id)
            && is_valid_id(&self.author_id)
            && check_pseudonym(&self.author_pseudonym).is_ok()
            && sent_in_month
            && text_ok
            && self.reply_to.as_deref().is_none_or(is_valid_id)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct ReactionRecord {
    emoji: String,
    pseudonym: String,
    at: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct ReceiptRecord {
    /// `sent_at` of the newest message the member had when they read the conversation.
    read_up_to: String,
    pseudonym: String,
}

/// Who a one-to-one conversation is between (`info/pair`); both sides write the same thing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct PairRecord {
    /// The two member ids, smaller first.
    members: [String; 2],
    /// Member id → pseudonym.
    pseudonyms: BTreeMap<String, String>,
}

/// Trims a message and checks it: 1 to [`MAX_MESSAGE_CHARS`] characters, no control characters
/// but line breaks and tabs (Windows line ends become plain ones).
pub fn check_text(text: &str) -> Result<String> {
    let text = text.replace("\r\n", "\n");
    let text = text.trim();
    if text.is_empty() {
        return Err(Error::invalid(
            "the message is empty: write something to send",
        ));
    }
    let count = text.chars().count();
    if count > MAX_MESSAGE_CHARS {
        return Err(Error::invalid(format!(
            "the message has {count} characters; at most {MAX_MESSAGE_CHARS} fit in one message"
        )));
    }
    if text
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\t')
    {
        return Err(Error::invalid("the message contains control characters"));
    }
    Ok(text.to_owned())
}

/// Checks a reaction: one of [`SUGGESTED_REACTIONS`], or any other single emoji.
pub fn check_reaction(emoji: &str) -> Result<String> {
    let emoji = emoji.trim();
    if SUGGESTED_REACTIONS.contains(&emoji)
        || (emoji.len() <= MAX_REACTION_BYTES && is_one_symbol(emoji))
    {
        Ok(emoji.to_owned())
    } else {
        Err(Error::invalid(format!(
            "\"{emoji}\" is not a reaction: use one emoji, such as {}",
            SUGGESTED_REACTIONS.join(" ")
        )))
    }
}

/// One emoji, as far as matters here without a Unicode segmentation table: a symbol that is not
/// ASCII, a letter or a digit, followed only by what modifies it (variation selectors, skin
/// tones, keycap, tag characters) or joins another symbol to it (ZWJ); or two regional
/// indicators (a flag).
fn is_one_symbol(s: &str) -> bool {
    let is_modifier = |c: char| {
        matches!(c, '\u{FE00}'..='\u{FE0F}' | '\u{1F3FB}'..='\u{1F3FF}' | '\u{20E3}'
            | '\u{E0020}'..='\u{E007F}')
    };
    let is_symbol =
        |c: char| !c.is_ascii() && !c.is_alphanumeric() && !c.is_whitespace() && !c.is_control();
    let is_flag_half = |c: char| matches!(c, '\u{1F1E6}'..='\u{1F1FF}');
    let mut chars = s.chars();
    let Some(first) = chars.next() else {
        return false;
    };
    if !is_symbol(first) || is_modifier(first) || first == '\u{200D}' {
        return false;
    }
    let mut after_joiner = false;
    let mut open_flag = is_flag_half(first);
    for c in chars {
        if after_joiner {
            if !is_symbol(c) || is_modifier(c) || c == '\u{200D}' {
                return false;
            }
            after_joiner = false;
        } else if c == '\u{200D}' {
            after_joiner = true;
        } else if open_flag && is_flag_half(c) {
            open_flag = false;
        } else if !is_modifier(c) {
            return false;
        }
        if !is_flag_half(c) {
            open_flag = false;
        }
    }
    !after_joiner
}

/// Messages are ordered by when they were sent, to the millisecond (a second is too coarse for
/// a quick exchange), always written in the one fixed-width form that sorts as text.
fn time_text(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// A time from a document, in the projection's form; `None` if it is not a time.
fn normalised_time(text: &str) -> Option<String> {
    crate::time::parse_text(text).map(time_text)
}

impl Mutua {
    /// Sends a message to a group's thread. The group is found by id, id prefix or name among
    /// the member's groups; it must not be archived (its thread is then read-only).
    pub fn send_to_group(&mut self, group: &str, message: NewMessage) -> Result<Message> {
        let group = self.find_group(group)?;
        self.send_message(&Conversation::Group(group.id), message)
    }

    /// Sends a one-to-one message to a member found by id, id prefix or pseudonym among the
    /// members of this member's groups and the people they already write to ([`Mutua::peers`]).
    pub fn send_direct(&mut self, to: &str, message: NewMessage) -> Result<Message> {
        let me = self.profile()?.pseudonym;
        if to.trim() == self.member_id || to.trim().eq_ignore_ascii_case(&me) {
            return Err(Error::invalid(
                "that is you: a direct message goes to another member",
            ));
        }
        let peer = self.find_peer(to)?;
        self.send_message(&self.direct_with(&peer.member_id), message)
    }

    /// Sends a message to a conversation the member can write to. It goes into the document of
    /// the current month (UTC).
    pub fn send_message(
        &mut self,
        conversation: &Conversation,
        message: NewMessage,
    ) -> Result<Message> {
        let text = check_text(&message.text)?;
        self.check_writable(conversation)?;
        let pair = match conversation {
            Conversation::Group(_) => None,
            Conversation::Direct(pair) => Some(self.pair_record(pair)?),
        };
        let reply_to = match &message.reply_to {
            Some(query) => Some(self.resolve_reply(conversation, query)?),
            None => None,
        };
        let sent_at = self.send_time(conversation)?;
        let doc = conversation.doc(Month::of(sent_at)?);
        let record = MessageRecord {
            id: new_id()?,
            author_id: self.member_id.clone(),
            author_pseudonym: self.profile()?.pseudonym,
            text,
            kind: message.kind.as_str().to_owned(),
            sent_at: time_text(sent_at),
            reply_to,
            edited_at: None,
            deleted_at: None,
        };
        let value = to_record(&record)?;
        let pair = pair.as_ref().map(to_record).transpose()?;
        self.change_doc(&doc, |tx| {
            if let Some(pair) = &pair {
                amjson::write_record(tx, INFO, PAIR_KEY, pair)?;
            }
            amjson::write_record(tx, MESSAGES, &record.id, &value)
        })?;
        self.message_by_id(&record.id)
    }

    /// Now, to the millisecond, but always after this member's previous message in the
    /// conversation: two messages sent within a millisecond (or after the clock was set back)
    /// still show in the order they were written.
    fn send_time(&self, conversation: &Conversation) -> Result<DateTime<Utc>> {
        let now = Utc::now();
        let now = now.duration_trunc(Duration::milliseconds(1)).unwrap_or(now);
        let last: Option<String> = self.conn.query_row(
            "SELECT max(sent_at) FROM message WHERE conversation = ?1 AND author_id = ?2",
            params![conversation.to_string(), self.member_id],
            |row| row.get(0),
        )?;
        Ok(match last.as_deref().and_then(crate::time::parse_text) {
            Some(last) if last >= now => last + Duration::milliseconds(1),
            _ => now,
        })
    }

    /// Marks a conversation read up to its newest message. With read receipts on, the others
    /// learn it too (through this month's document); otherwise nothing leaves this device.
    pub fn mark_read(&mut self, conversation: &Conversation) -> Result<()> {
        self.check_readable(conversation)?;
        let key = conversation.to_string();
        let newest: Option<String> = self.conn.query_row(
            "SELECT max(sent_at) FROM message WHERE conversation = ?1",
            [&key],
            |row| row.get(0),
        )?;
        let Some(newest) = newest else {
            return Ok(());
        };
        self.conn.execute(
            "INSERT INTO message_read (conversation, read_up_to) VALUES (?1, ?2)
             ON CONFLICT (conversation) DO UPDATE
             SET read_up_to = max(read_up_to, excluded.read_up_to)",
            params![key, newest],
        )?;
        if !self.read_receipts()? {
            return Ok(());
        }
        let told: Option<String> = self.conn.query_row(
            "SELECT max(read_up_to) FROM message_receipt WHERE conversation = ?1 AND member_id = ?2",
            params![key, self.member_id],
            |row| row.get(0),
        )?;
        if told.is_some_and(|told| told >= newest) {
            return Ok(());
        }
        let receipt = to_record(&ReceiptRecord {
            read_up_to: newest,
            pseudonym: self.profile()?.pseudonym,
        })?;
        let doc = conversation.doc(Month::of(crate::time::now())?);
        let me = self.member_id.clone();
        self.change_doc(&doc, |tx| amjson::write_record(tx, RECEIPTS, &me, &receipt))
    }

    /// Reacts to a message with one emoji, replacing this member's earlier reaction to it.
    pub fn react(&mut self, message: &str, emoji: &str) -> Result<Message> {
        let emoji = check_reaction(emoji)?;
        let target = self.find_message(message)?;
        if target.deleted {
            return Err(Error::invalid("that message was deleted by its author"));
        }
        self.check_writable(&target.conversation)?;
        let record = to_record(&ReactionRecord {
            emoji,
            pseudonym: self.profile()?.pseudonym,
            at: time_text(Utc::now()),
        })?;
        let doc = self.doc_of(&target.id)?;
        let key = format!("{}:{}", target.id, self.member_id);
        self.change_doc(&doc, |tx| {
            amjson::write_record(tx, REACTIONS, &key, &record)
        })?;
        self.message_by_id(&target.id)
    }

    /// Takes back this member's reaction to a message (nothing happens if there is none).
    pub fn unreact(&mut self, message: &str) -> Result<Message> {
        let target = self.find_message(message)?;
        let doc = self.doc_of(&target.id)?;
        let key = format!("{}:{}", target.id, self.member_id);
        self.change_doc(&doc, |tx| amjson::delete_record(tx, REACTIONS, &key))?;
        self.message_by_id(&target.id)
    }

    /// Deletes a message for this member only: it disappears from their lists and unread
    /// counts, on this device; everyone else still has it.
    pub fn delete_for_me(&mut self, message: &str) -> Result<Message> {
        let target = self.find_message(message)?;
        self.conn.execute(
            "INSERT OR IGNORE INTO message_hidden (message_id, hidden_at) VALUES (?1, ?2)",
            params![target.id, crate::time::now_text()],
        )?;
        Ok(target)
    }

    /// Replaces the text of one of this member's own messages.
    pub fn edit_message(&mut self, message: &str, text: &str) -> Result<Message> {
        let text = check_text(text)?;
        let (doc, mut record) = self.own_record(message)?;
        record.text = text;
        record.edited_at = Some(crate::time::now_text());
        self.write_message(&doc, &record)
    }

    /// Retracts one of this member's own messages for everyone: its text is removed from the
    /// document and a tombstone stays, so replies to it still make sense.
    pub fn retract_message(&mut self, message: &str) -> Result<Message> {
        let (doc, mut record) = self.own_record(message)?;
        record.text = String::new();
        record.deleted_at = Some(crate::time::now_text());
        self.write_message(&doc, &record)
    }

    fn own_record(&mut self, query: &str) -> Result<(DocId, MessageRecord)> {
        let target = self.find_message(query)?;
        if !target.mine {
            return Err(Error::invalid(
                "only its author can change or retract a message; you can delete it for yourself",
            ));
        }
        if target.deleted {
            return Err(Error::invalid("that message was already retracted"));
        }
        self.check_writable(&target.conversation)?;
        let doc = self.doc_of(&target.id)?;
        let record = self
            .read_doc(&doc, |d| amjson::read_record(d, MESSAGES, &target.id))?
            .and_then(|v| serde_json::from_value::<MessageRecord>(v).ok())
            .ok_or_else(|| Error::document(&doc, "a listed message is missing"))?;
        Ok((doc, record))
    }

    fn write_message(&mut self, doc: &DocId, record: &MessageRecord) -> Result<Message> {
        let value = to_record(record)?;
        self.change_doc(doc, |tx| {
            amjson::write_record(tx, MESSAGES, &record.id, &value)
        })?;
        self.message_by_id(&record.id)
    }

    fn direct_with(&self, member: &str) -> Conversation {
        Conversation::Direct(pair_id(&self.member_id, member))
    }

    /// Why the member cannot write to `conversation`, if they cannot.
    fn check_writable(&self, conversation: &Conversation) -> Result<()> {
        self.check_readable(conversation)?;
        if let Conversation::Group(group) = conversation {
            let (name, archived): (String, bool) = self.conn.query_row(
                "SELECT name, archived FROM groups WHERE id = ?1",
                [group],
                |row| Ok((row.get(0)?, row.get(1)?)),
            )?;
            if archived {
                return Err(Error::invalid(format!(
                    "\"{name}\" is archived: its thread can be read but no longer written to"
                )));
            }
        }
        Ok(())
    }

    /// Who a one-to-one conversation is with: the two members and their pseudonyms, as written
    /// into `info/pair` with each message.
    fn pair_record(&self, pair: &str) -> Result<PairRecord> {
        let peer = self
            .peers()?
            .into_iter()
            .find(|p| pair_id(&self.member_id, &p.member_id) == pair)
            .ok_or_else(|| Error::NotFound {
                kind: "conversation",
                query: format!("dm:{pair}"),
            })?;
        let me = (self.member_id.clone(), self.profile()?.pseudonym);
        let them = (peer.member_id, peer.pseudonym);
        let (low, high) = if me.0 <= them.0 {
            (me, them)
        } else {
            (them, me)
        };
        Ok(PairRecord {
            members: [low.0.clone(), high.0.clone()],
            pseudonyms: BTreeMap::from([low, high]),
        })
    }

    /// Resolves the message a reply answers, within `conversation`.
    fn resolve_reply(&self, conversation: &Conversation, query: &str) -> Result<String> {
        let query = query.trim().to_lowercase();
        let unknown = || {
            Error::invalid(format!(
                "there is no message \"{query}\" in this conversation to reply to"
            ))
        };
        if query.len() < 4 || !is_valid_id(&query) {
            return Err(unknown());
        }
        let mut stmt = self.conn.prepare_cached(
            "SELECT DISTINCT id FROM message
             WHERE conversation = ?1 AND (id = ?2 OR substr(id, 1, length(?2)) = ?2)
             ORDER BY id = ?2 DESC LIMIT 6",
        )?;
        let ids = stmt
            .query_map(params![conversation.to_string(), query], |row| {
                row.get::<_, String>(0)
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        match ids.as_slice() {
            [] => Err(unknown()),
            [first, ..] if *first == query => Ok(first.clone()),
            [one] => Ok(one.clone()),
            many => Err(Error::Ambiguous {
                kind: "message",
                query: query.clone(),
                candidates: many
                    .iter()
                    .map(|id| short(id))
                    .collect::<Vec<_>>()
                    .join(", "),
            }),
        }
    }

    /// The document a message lives in.
    fn doc_of(&self, message: &str) -> Result<DocId> {
        let doc: String = self
            .conn
            .query_row(
                "SELECT doc_id FROM message WHERE id = ?1 ORDER BY doc_id LIMIT 1",
                [message],
                |row| row.get(0),
            )
            .optional()?
            .ok_or_else(|| Error::NotFound {
                kind: "message",
                query: message.into(),
            })?;
        doc.parse()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::changes::Scope;
    use crate::groups::{GroupFields, Member, Role};
    use serde_json::json;

    fn circle() -> GroupFields {
        GroupFields::named("Tuesday circle")
    }

    fn send(m: &mut Mutua, group: &str, text: &str) -> Message {
        m.send_to_group(group, NewMessage::text(text))
            .expect("send")
    }

    fn texts(page: &MessagePage) -> Vec<&str> {
        page.messages.iter().map(|m| m.text.as_str()).collect()
    }

    /// Sends what `from` has of the documents two members share (groups and their
    /// conversations, never `me/…`) and `to` lacks, as sync will.
    fn exchange(from: &Mutua, to: &mut Mutua) {
        let mut set = from
            .changes_since(&to.vector().expect("vector"), Scope::Shared)
            .expect("changes");
        set.docs
            .retain(|(id, _)| id.group().is_some() || Conversation::of(id).is_some());
        to.import(&set).expect("import");
    }

    /// The projections of what two members share (each keeps their own profile).
    fn shared_tables(dump: &serde_json::Value) -> serde_json::Value {
        let tables = [
            "groups",
            "group_member",
            "message",
            "message_reaction",
            "message_receipt",
            "direct_pair",
        ];
        tables
            .iter()
            .map(|t| (t.to_string(), dump[t].clone()))
            .collect()
    }

    /// Puts `who` on the roster of `group` in `m`'s copy (joining arrives with invitations).
    fn enrol(m: &mut Mutua, group: &str, who: &Mutua) {
        let member = Member {
            member_id: who.member_id().to_owned(),
            pseudonym: who.profile().expect("profile").pseudonym,
            roles: vec![Role::Member],
            signing_key: None,
            joined_at: crate::time::now_text(),
        };
        let record = to_record(&member).expect("record");
        m.change_doc(
            &DocId::GroupMeta {
                group: group.to_owned(),
            },
            |tx| amjson::write_record(tx, "members", &member.member_id, &record),
        )
        .expect("enrol");
    }

    /// Ana's group, shared with Bea (both copies know both members).
    fn two_members() -> (Mutua, Mutua, String) {
        let mut ana = Mutua::ephemeral("Ana G.").expect("ana");
        let mut bea = Mutua::ephemeral("Bea L.").expect("bea");
        let group = ana.create_group(circle()).expect("group").id;
        enrol(&mut ana, &group, &bea);
        exchange(&ana, &mut bea);
        (ana, bea, group)
    }

    fn this_month(conversation: &Conversation) -> String {
        conversation
            .doc(Month::of(crate::time::now()).expect("month"))
            .to_string()
    }

    #[test]
    fn a_group_thread_pages_from_the_newest() {
        let mut m = Mutua::ephemeral("Ana G.").expect("store");
        let g = m.create_group(circle()).expect("group");
        for text in ["one", "two", "three", "four", "five"] {
            send(&mut m, "tuesday circle", text);
        }
        let conversation = m.group_conversation(&g.id).expect("conversation");
        let newest = m.messages(&conversation, None, 2).expect("page");
        assert_eq!(texts(&newest), ["four", "five"]);
        assert!(newest.messages.iter().all(|msg| msg.mine));
        let middle = m
            .messages(&conversation, newest.older.as_deref(), 2)
            .expect("page");
        assert_eq!(texts(&middle), ["two", "three"]);
        let oldest = m
            .messages(&conversation, middle.older.as_deref(), 2)
            .expect("page");
        assert_eq!(texts(&oldest), ["one"]);
        assert_eq!(oldest.older, None);
        assert!(matches!(
            m.messages(&conversation, Some("ffff"), 2),
            Err(Error::Invalid(_))
        ));
        // Each message sits in the document of the month it was sent in.
        let stored: Vec<String> = m
            .conn
            .prepare("SELECT DISTINCT doc_id FROM message")
            .expect("sql")
            .query_map([], |r| r.get(0))
            .expect("query")
            .collect::<rusqlite::Result<_>>()
            .expect("rows");
        assert_eq!(stored, [this_month(&conversation)]);
    }

    #[test]
    fn a_message_edited_on_one_device_and_retracted_on_another_stays_a_tombstone() {
        // Two devices of Ana's: `ana` retracts a message while the other (standing in: a
        // replica that writes Ana's record as her second device would) edits it, both offline.
        let (mut ana, mut other, group) = two_members();
        let sent = send(&mut ana, &group, "I relapsed last night");
        exchange(&ana, &mut other);
        ana.retract_message(&sent.id).expect("retract");
        let doc = other.doc_of(&sent.id).expect("doc");
        let mut record = other
            .read_doc(&doc, |d| amjson::read_record(d, MESSAGES, &sent.id))
            .expect("read")
            .and_then(|v| serde_json::from_value::<MessageRecord>(v).ok())
            .expect("record");
        // Edited a few times: the later operations win Automerge's tie-break for `text`, which
        // is the case that matters (a retraction's empty text overwritten by an edit).
        for round in 0..3 {
            record.text = format!("I relapsed, but I'm OK ({round})");
            record.edited_at = Some(crate::time::now_text());
            other.write_message(&doc, &record).expect("edit");
        }
        exchange(&other, &mut ana);
        exchange(&ana, &mut other);
        let merged = ana
            .read_doc(&doc, |d| amjson::read_record(d, MESSAGES, &sent.id))
            .expect("read")
            .expect("record");
        assert!(!merged["deleted_at"].is_null());
        assert_ne!(
            merged["text"], "",
            "the test needs the edit to win the text field"
        );
        for m in [&mut ana, &mut other] {
            let found = m.find_message(&sent.id).expect("still listed");
            assert!(found.deleted, "the retraction must win");
            assert_eq!(found.text, "", "a retracted message shows no text");
            let thread = m.group_conversation(&group).expect("thread");
            assert_eq!(
                m.messages(&thread, None, 10).expect("page").messages.len(),
                1
            );
            let dump = m.projection_dump().expect("dump");
            m.rebuild_projections().expect("rebuild");
            assert_eq!(m.projection_dump().expect("dump"), dump);
        }
    }

    #[test]
    fn message_text_is_checked() {
        let mut m = Mutua::ephemeral("Ana G.").expect("store");
        m.create_group(circle()).expect("group");
        for bad in ["", "   \n\t ", "bell\u{7}"] {
            let err = m
                .send_to_group("tuesday circle", NewMessage::text(bad))
                .expect_err("refused");
            assert!(matches!(err, Error::Invalid(_)), "{err}");
        }
        let long = "é".repeat(MAX_MESSAGE_CHARS + 1);
        let err = m
            .send_to_group("tuesday circle", NewMessage::text(long))
            .expect_err("too long");
        assert!(err.to_string().contains("4001 characters"), "{err}");
        let fits = send(&mut m, "tuesday circle", &"é".repeat(MAX_MESSAGE_CHARS));
        assert_eq!(fits.text.chars().count(), MAX_MESSAGE_CHARS);
        let trimmed = send(&mut m, "tuesday circle", "  line one\r\nline two \n");
        assert_eq!(trimmed.text, "line one\nline two");
    }

    #[test]
    fn only_open_groups_take_messages() {
        let mut m = Mutua::ephemeral("Ana G.").expect("store");
        let g = m.create_group(circle()).expect("group");
        send(&mut m, &g.id, "before archiving");
        assert!(matches!(
            m.send_to_group("no such group", NewMessage::text("hi")),
            Err(Error::NotFound { .. })
        ));
        m.set_group_archived(&g.id, true).expect("archive");
        let err = m
            .send_to_group(&g.id, NewMessage::text("hi"))
            .expect_err("archived");
        assert!(err.to_string().contains("archived"), "{err}");
        let inbox = m.conversations().expect("inbox");
        assert!(inbox[0].read_only, "an archived thread stays readable");
        m.set_group_archived(&g.id, false).expect("unarchive");
        m.leave_group(&g.id).expect("leave");
        let conversation = Conversation::Group(g.id.clone());
        let err = m
            .send_message(&conversation, NewMessage::text("hi"))
            .expect_err("left");
        assert!(err.to_string().contains("you left"), "{err}");
        assert!(m.messages(&conversation, None, 10).is_err());
        assert!(m.conversations().expect("inbox").is_empty());
    }

    #[test]
    fn replies_quote_their_message() {
        let mut m = Mutua::ephemeral("Ana G.").expect("store");
        m.create_group(circle()).expect("group");
        let long = format!("{} end", "word ".repeat(30));
        let first = send(&mut m, "tuesday circle", &long);
        let reply = m
            .send_to_group(
                "tuesday circle",
                NewMessage {
                    text: "I hear you".into(),
                    reply_to: Some(first.id[..8].to_owned()),
                    kind: MessageKind::Text,
                },
            )
            .expect("reply");
        let quote = reply.reply_to.expect("quote");
        assert_eq!(quote.id, first.id);
        assert_eq!(quote.author_pseudonym.as_deref(), Some("Ana G."));
        let excerpt = quote.excerpt.expect("excerpt");
        assert_eq!(excerpt.chars().count(), QUOTE_CHARS + 1);
        assert!(excerpt.ends_with('…'));

        let err = m
            .send_to_group(
                "tuesday circle",
                NewMessage {
                    text: "to nothing".into(),
                    reply_to: Some("0123456789abcdef".into()),
                    kind: MessageKind::Text,
                },
            )
            .expect_err("unknown target");
        assert!(err.to_string().contains("to reply to"), "{err}");

        m.delete_for_me(&first.id).expect("hide");
        let again = m.find_message(&reply.id).expect("reply");
        let quote = again.reply_to.expect("quote");
        assert_eq!((quote.author_pseudonym, quote.excerpt), (None, None));
    }

    #[test]
    fn check_ins_keep_their_kind() {
        let mut m = Mutua::ephemeral("Ana G.").expect("store");
        m.create_group(circle()).expect("group");
        let check_in = m
            .send_to_group(
                "tuesday circle",
                NewMessage {
                    text: "How is everyone doing this week?".into(),
                    reply_to: None,
                    kind: MessageKind::CheckIn,
                },
            )
            .expect("check-in");
        assert_eq!(check_in.kind, MessageKind::CheckIn);
        let inbox = m.conversations().expect("inbox");
        assert_eq!(
            inbox[0].last.as_ref().map(|l| l.kind),
            Some(MessageKind::CheckIn)
        );
    }

    #[test]
    fn two_replicas_writing_offline_keep_every_message() {
        let (mut ana, mut bea, group) = two_members();
        // Both offline, both writing to the same month's document.
        for i in 0..5 {
            send(&mut ana, &group, &format!("ana {i}"));
            send(&mut bea, &group, &format!("bea {i}"));
        }
        exchange(&ana, &mut bea);
        exchange(&bea, &mut ana);
        let dump_a = ana.projection_dump().expect("a");
        assert_eq!(
            shared_tables(&dump_a),
            shared_tables(&bea.projection_dump().expect("b")),
            "replicas differ after exchanging"
        );
        let conversation = Conversation::Group(group);
        let page_a = ana.messages(&conversation, None, 50).expect("page");
        let page_b = bea.messages(&conversation, None, 50).expect("page");
        assert_eq!(page_a.messages.len(), 10, "no message may be lost");
        let ids = |p: &MessagePage| p.messages.iter().map(|m| m.id.clone()).collect::<Vec<_>>();
        assert_eq!(ids(&page_a), ids(&page_b), "same order on both sides");
        assert_eq!(ana.unread_total().expect("unread"), 5);
        assert_eq!(bea.unread_total().expect("unread"), 5);
        ana.rebuild_projections().expect("rebuild");
        assert_eq!(ana.projection_dump().expect("a"), dump_a);
    }

    #[test]
    fn unread_counts_follow_reading_and_hiding() {
        let (mut ana, mut bea, group) = two_members();
        let conversation = Conversation::Group(group.clone());
        send(&mut ana, &group, "mine never counts");
        let first = send(&mut bea, &group, "one");
        send(&mut bea, &group, "two");
        exchange(&bea, &mut ana);
        let inbox = ana.conversations().expect("inbox");
        assert_eq!(inbox.len(), 1);
        assert_eq!(inbox[0].unread, 2);
        assert_eq!(inbox[0].title, "Tuesday circle");
        ana.delete_for_me(&first.id).expect("hide");
        assert_eq!(ana.unread_total().expect("unread"), 1);
        let page = ana.messages(&conversation, None, 10).expect("page");
        assert!(
            page.messages.iter().all(|m| m.id != first.id),
            "hidden for me"
        );
        ana.mark_read(&conversation).expect("read");
        assert_eq!(ana.unread_total().expect("unread"), 0);
        // Bea still has her message: deleting for me is mine alone.
        exchange(&ana, &mut bea);
        assert!(bea.find_message(&first.id).is_ok());
        // Reading did not write to any document (receipts are off).
        let unsent = ana
            .changes_since(&bea.vector().expect("v"), Scope::Shared)
            .expect("changes");
        assert!(
            unsent
                .docs
                .iter()
                .all(|(id, _)| Conversation::of(id).is_none())
        );
    }

    #[test]
    fn unread_counts_stop_at_the_cap_and_paging_back_misses_nothing() {
        let (mut ana, mut bea, group) = two_members();
        let conversation = Conversation::Group(group.clone());
        let total = UNREAD_CAP as usize + 25;
        for i in 0..total {
            send(&mut bea, &group, &format!("m{i}"));
        }
        exchange(&bea, &mut ana);
        assert_eq!(ana.conversations().expect("inbox")[0].unread, UNREAD_CAP);
        ana.mark_read(&conversation).expect("read");
        assert_eq!(ana.unread_total().expect("unread"), 0);

        // Many messages share a second: the cursor orders by (sent_at, id), so walking back a
        // page at a time yields every message once, newest first.
        let mut seen = Vec::new();
        let mut before: Option<String> = None;
        loop {
            let page = ana
                .messages(&conversation, before.as_deref(), 97)
                .expect("page");
            seen.extend(page.messages.iter().rev().map(|m| m.id.clone()));
            match page.older {
                Some(older) => before = Some(older),
                None => break,
            }
        }
        assert_eq!(seen.len(), total);
        let unique: std::collections::BTreeSet<&String> = seen.iter().collect();
        assert_eq!(unique.len(), total, "no message twice");
    }

    #[test]
    fn direct_messages_find_their_peer_and_converge() {
        let (mut ana, mut bea, _) = two_members();
        let err = ana
            .send_direct("nobody", NewMessage::text("hi"))
            .expect_err("unknown");
        assert!(matches!(err, Error::NotFound { .. }), "{err}");
        assert!(matches!(
            ana.send_direct("ana g.", NewMessage::text("hi")),
            Err(Error::Invalid(_))
        ));
        let sent = ana
            .send_direct("bea l.", NewMessage::text("Coffee before Tuesday?"))
            .expect("dm");
        let Conversation::Direct(pair) = &sent.conversation else {
            panic!("a direct message");
        };
        assert_eq!(*pair, pair_id(bea.member_id(), ana.member_id()));
        exchange(&ana, &mut bea);
        let inbox = bea.conversations().expect("inbox");
        let dm = inbox
            .iter()
            .find(|c| c.conversation == sent.conversation)
            .expect("bea sees it");
        assert_eq!(dm.title, "Ana G.");
        assert_eq!(dm.peer_id.as_deref(), Some(ana.member_id()));
        assert_eq!(dm.unread, 1);
        let answer = bea
            .send_direct(ana.member_id(), NewMessage::text("Yes, 18:00"))
            .expect("answer");
        assert_eq!(
            answer.conversation, sent.conversation,
            "both sides name the same conversation"
        );
        exchange(&bea, &mut ana);
        let page = ana
            .messages(&ana.direct_conversation("Bea L.").expect("dm"), None, 10)
            .expect("page");
        assert_eq!(texts(&page), ["Coffee before Tuesday?", "Yes, 18:00"]);
        assert_eq!(
            shared_tables(&ana.projection_dump().expect("a")),
            shared_tables(&bea.projection_dump().expect("b"))
        );
    }

    #[test]
    fn a_pseudonym_two_members_share_is_ambiguous() {
        let (mut ana, _, group) = two_members();
        let other = Mutua::ephemeral("Bea L.").expect("another Bea");
        enrol(&mut ana, &group, &other);
        let err = ana
            .send_direct("Bea L.", NewMessage::text("hi"))
            .expect_err("two Beas");
        assert!(matches!(err, Error::Ambiguous { .. }), "{err}");
        ana.send_direct(other.member_id(), NewMessage::text("hi"))
            .expect("by id it is clear");
    }

    #[test]
    fn someone_elses_conversation_stays_out_of_sight() {
        let (mut ana, mut bea, group) = two_members();
        let mut cai = Mutua::ephemeral("Cai M.").expect("cai");
        enrol(&mut ana, &group, &cai);
        exchange(&ana, &mut bea);
        exchange(&ana, &mut cai);
        let private = ana
            .send_direct("Bea L.", NewMessage::text("just between us"))
            .expect("dm");
        // Cai receives the document somehow (a shared change file) but is not in the pair.
        exchange(&ana, &mut cai);
        assert!(
            cai.conversations()
                .expect("inbox")
                .iter()
                .all(|c| c.conversation != private.conversation)
        );
        assert!(cai.messages(&private.conversation, None, 10).is_err());
        assert!(cai.find_message(&private.id).is_err());
    }

    #[test]
    fn reactions_replace_and_merge() {
        let (mut ana, mut bea, group) = two_members();
        let msg = send(&mut ana, &group, "Got the job!");
        exchange(&ana, &mut bea);
        // Both react offline.
        ana.react(&msg.id, "👍").expect("ana");
        ana.react(&msg.id, "💪").expect("ana changes her mind");
        bea.react(&msg.id, "💪").expect("bea");
        exchange(&ana, &mut bea);
        exchange(&bea, &mut ana);
        let seen = ana.find_message(&msg.id).expect("message");
        assert_eq!(seen.reactions.len(), 1);
        assert_eq!(seen.reactions[0].emoji, "💪");
        assert_eq!(seen.reactions[0].count, 2);
        assert!(seen.reactions[0].mine);
        let mut by = seen.reactions[0].by.clone();
        by.sort();
        assert_eq!(by, ["Ana G.", "Bea L."]);
        let after = bea.unreact(&msg.id).expect("unreact");
        assert_eq!(after.reactions[0].count, 1);
        assert!(!after.reactions[0].mine);
        bea.unreact(&msg.id).expect("twice is fine");
        for bad in ["", "ok", "👍👍", "a👍", "❤️ ", "\u{200D}"] {
            if bad == "❤️ " {
                assert!(check_reaction(bad).is_ok(), "trimmed");
                continue;
            }
            assert!(
                matches!(bea.react(&msg.id, bad), Err(Error::Invalid(_))),
                "{bad:?}"
            );
        }
        for good in ["🎉", "👍🏽", "👩‍🌾", "🇨🇴", "✨", "☀️"] {
            assert!(check_reaction(good).is_ok(), "{good}");
        }
        assert!(check_reaction("🇨🇴🇨").is_err());
        exchange(&bea, &mut ana);
        let seen = ana.find_message(&msg.id).expect("message");
        assert_eq!(seen.reactions[0].by, ["Ana G."]);
    }

    #[test]
    fn read_receipts_travel_only_when_turned_on() {
        let (mut ana, mut bea, group) = two_members();
        let conversation = Conversation::Group(group.clone());
        let msg = send(&mut ana, &group, "Anyone around tonight?");
        exchange(&ana, &mut bea);
        bea.mark_read(&conversation).expect("read, quietly");
        exchange(&bea, &mut ana);
        ana.set_read_receipts(true).expect("ana shares hers");
        assert!(
            ana.messages(&conversation, None, 10)
                .expect("page")
                .read_by
                .is_empty()
        );

        bea.set_read_receipts(true).expect("bea turns them on");
        bea.mark_read(&conversation).expect("read");
        exchange(&bea, &mut ana);
        let page = ana.messages(&conversation, None, 10).expect("page");
        assert_eq!(page.read_by.len(), 1);
        assert_eq!(page.read_by[0].pseudonym, "Bea L.");
        assert_eq!(page.read_by[0].read_up_to, msg.sent_at);
        // The setting follows the member's own devices, not the group.
        assert!(
            !Mutua::ephemeral("Cai M.")
                .expect("c")
                .read_receipts()
                .expect("off")
        );
        // Without sharing her own, Ana sees nobody's.
        ana.set_read_receipts(false).expect("off");
        assert!(
            ana.messages(&conversation, None, 10)
                .expect("page")
                .read_by
                .is_empty()
        );
    }

    #[test]
    fn authors_edit_and_retract_their_own_messages() {
        let (mut ana, mut bea, group) = two_members();
        let msg = send(&mut ana, &group, "See you Tuesdy");
        let reply = bea
            .send_to_group(&group, NewMessage::text("placeholder"))
            .expect("bea");
        exchange(&ana, &mut bea);
        exchange(&bea, &mut ana);
        assert!(matches!(
            bea.edit_message(&msg.id, "hijacked"),
            Err(Error::Invalid(_))
        ));
        assert!(matches!(
            bea.retract_message(&msg.id),
            Err(Error::Invalid(_))
        ));
        let edited = ana.edit_message(&msg.id, "See you Tuesday").expect("edit");
        assert_eq!(edited.text, "See you Tuesday");
        assert!(edited.edited_at.is_some());
        let retracted = ana.retract_message(&msg.id).expect("retract");
        assert!(retracted.deleted);
        assert!(retracted.text.is_empty());
        exchange(&ana, &mut bea);
        let seen = bea.find_message(&msg.id).expect("tombstone");
        assert!(seen.deleted && seen.text.is_empty());
        assert!(bea.react(&msg.id, "👍").is_err());
        let _ = reply;
    }

    #[test]
    fn records_from_elsewhere_that_do_not_check_out_are_skipped() {
        let mut m = Mutua::ephemeral("Ana G.").expect("store");
        let g = m.create_group(circle()).expect("group");
        let conversation = Conversation::Group(g.id.clone());
        let now = crate::time::now();
        let doc = conversation.doc(Month::of(now).expect("month"));
        let author = new_id().expect("id");
        let good_id = new_id().expect("id");
        let records = [
            (
                good_id.clone(),
                json!({"id": good_id, "author_id": author, "author_pseudonym": "Eve X.",
                "text": "fine", "kind": "poll", "sent_at": crate::time::to_text(now)}),
            ),
            (
                "a1".to_owned(),
                json!({"id": "a1", "author_id": author, "author_pseudonym": "Eve X.",
                "text": "sent in another month", "kind": "text", "sent_at": "2001-01-01T00:00:00Z"}),
            ),
            (
                "a2".to_owned(),
                json!({"id": "a2", "author_id": author, "author_pseudonym": "Eve X.",
                "text": "", "kind": "text", "sent_at": crate::time::to_text(now)}),
            ),
            (
                "a3".to_owned(),
                json!({"id": "wrong", "author_id": author, "author_pseudonym": "Eve X.",
                "text": "id mismatch", "kind": "text", "sent_at": crate::time::to_text(now)}),
            ),
        ];
        m.change_doc(&doc, |tx| {
            for (key, record) in &records {
                amjson::write_record(tx, MESSAGES, key, record)?;
            }
            amjson::write_record(tx, REACTIONS, "nonsense", &json!({"emoji": "👍"}))
        })
        .expect("write");
        let page = m.messages(&conversation, None, 10).expect("page");
        assert_eq!(texts(&page), ["fine"]);
        assert_eq!(
            page.messages[0].kind,
            MessageKind::Text,
            "unknown kinds show as text"
        );
        let dump = m.projection_dump().expect("dump");
        m.rebuild_projections().expect("rebuild");
        assert_eq!(m.projection_dump().expect("dump"), dump);
    }

    #[test]
    fn conversations_parse_and_print() {
        let group = Conversation::Group("ab12".into());
        assert_eq!(group.to_string(), "group:ab12");
        assert_eq!("group:ab12".parse::<Conversation>().expect("group"), group);
        let pair = pair_id("a", "b");
        let dm: Conversation = format!("dm:{pair}").parse().expect("dm");
        assert_eq!(dm, Conversation::Direct(pair));
        for bad in ["", "group:", "dm:abcd", "chat:ab12", "group:../x"] {
            assert!(bad.parse::<Conversation>().is_err(), "{bad}");
        }
        assert_eq!(
            serde_json::to_value(&group).expect("json"),
            json!("group:ab12")
        );
    }
}
