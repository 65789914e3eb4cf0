//! Reading conversations: pages of messages, the inbox with unread counts, who one can write to.
//!
//! Everything here reads the projection tables, never a document, so a list costs a few indexed
//! queries however long a group has talked. Messages the member deleted for themselves are left
//! out everywhere; a reply to one shows that its message is gone.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use rusqlite::{OptionalExtension, params};
use serde::Serialize;

use super::{Conversation, MAX_PAGE, MessageKind, QUOTE_CHARS, UNREAD_CAP};
use crate::error::{Error, Result};
use crate::ids::{is_valid_id, pair_id};
use crate::lookup::{self, short};
use crate::store::Mutua;

/// A message as a screen shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Message {
    pub id: String,
    pub conversation: Conversation,
    pub author_id: String,
    /// The author's pseudonym when they sent it.
    pub author_pseudonym: String,
    /// Whether this member wrote it.
    pub mine: bool,
    /// Empty when the author retracted it (`deleted`).
    pub text: String,
    pub kind: MessageKind,
    pub sent_at: DateTime<Utc>,
    pub reply_to: Option<Quote>,
    pub reactions: Vec<Reaction>,
    pub edited_at: Option<DateTime<Utc>>,
    /// Retracted by its author: gone for everyone.
    pub deleted: bool,
}

/// The message a reply answers, as the reply shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Quote {
    pub id: String,
    /// `None` (with `excerpt`) when the quoted message was deleted, for everyone or for this
    /// member, or has not arrived on this device.
    pub author_pseudonym: Option<String>,
    /// Its first [`QUOTE_CHARS`] characters, on one line.
    pub excerpt: Option<String>,
}

/// One emoji on a message, with who chose it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Reaction {
    pub emoji: String,
    pub count: u32,
    /// Whether this member is among them.
    pub mine: bool,
    /// Pseudonyms, first to react first.
    pub by: Vec<String>,
}

/// How far another member has read a conversation (only members who turned receipts on).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Receipt {
    pub member_id: String,
    pub pseudonym: String,
    pub read_up_to: DateTime<Utc>,
}

/// One page of a conversation: newest first when paging, oldest first on the page.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MessagePage {
    pub conversation: Conversation,
    /// In the order they were sent.
    pub messages: Vec<Message>,
    /// Pass as `before` for the page of older messages; `None` when this is the oldest page.
    pub older: Option<String>,
    /// Empty unless this member shares their own read receipts (they are given in exchange).
    pub read_by: Vec<Receipt>,
}

/// A member this member can write to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Peer {
    pub member_id: String,
    pub pseudonym: String,
}

/// The newest message of a conversation, as a list shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Preview {
    pub id: String,
    pub author_pseudonym: String,
    pub mine: bool,
    /// The first [`QUOTE_CHARS`] characters on one line; empty when `deleted`.
    pub excerpt: String,
    pub kind: MessageKind,
    pub sent_at: DateTime<Utc>,
    pub deleted: bool,
}

/// A conversation in the inbox.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ConversationSummary {
    pub conversation: Conversation,
    /// The group's name, or the other member's pseudonym.
    pub title: String,
    pub group_id: Option<String>,
    /// The other member, in a one-to-one conversation.
    pub peer_id: Option<String>,
    pub last: Option<Preview>,
    /// Messages from others newer than this member read, not deleted for them.
    pub unread: u32,
    /// An archived group's thread: it can be read, not written to.
    pub read_only: bool,
}

/// The first [`QUOTE_CHARS`] characters of `text` on one line, with "…" if cut.
fn excerpt(text: &str) -> String {
    let line = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if line.chars().count() <= QUOTE_CHARS {
        line
    } else {
        let mut cut: String = line.chars().take(QUOTE_CHARS).collect();
        cut.push('…');
        cut
    }
}

/// A message row of the projection, before its quote and reactions are looked up.
struct MessageRow {
    doc_id: String,
    id: String,
    conversation: String,
    author_id: String,
    author_pseudonym: String,
    text: String,
    kind: String,
    sent_at: String,
    reply_to: Option<String>,
    edited_at: Option<String>,
    deleted_at: Option<String>,
}

const ROW_COLUMNS: &str = "doc_id, id, conversation, author_id, author_pseudonym, text, kind, \
                           sent_at, reply_to, edited_at, deleted_at";

impl MessageRow {
    fn read(row: &rusqlite::Row<'_>) -> rusqlite::Result<MessageRow> {
        Ok(MessageRow {
            doc_id: row.get(0)?,
            id: row.get(1)?,
            conversation: row.get(2)?,
            author_id: row.get(3)?,
            author_pseudonym: row.get(4)?,
            text: row.get(5)?,
            kind: row.get(6)?,
            sent_at: row.get(7)?,
            reply_to: row.get(8)?,
            edited_at: row.get(9)?,
            deleted_at: row.get(10)?,
        })
    }
}

fn stored_time(text: &str) -> Result<DateTime<Utc>> {
    crate::time::parse_text(text)
        .ok_or_else(|| Error::DatabaseDamaged(format!("\"{text}\" is not a stored time")))
}

impl Mutua {
    /// One page of a conversation: the `limit` (1 to [`MAX_PAGE`]) newest messages sent before
    /// the message `before` (or the newest of all), leaving out those deleted for this member.
    pub fn messages(
        &self,
        conversation: &Conversation,
        before: Option<&str>,
        limit: u32,
    ) -> Result<MessagePage> {
        self.check_readable(conversation)?;
        let key = conversation.to_string();
        let cursor = match before {
            Some(id) => Some(
                self.conn
                    .query_row(
                        "SELECT sent_at, id FROM message WHERE conversation = ?1 AND id = ?2",
                        params![key, id],
                        |row| Ok((row.get::<_, String>(0)?, row.get::<_, String>(1)?)),
                    )
                    .optional()?
                    .ok_or_else(|| {
                        Error::invalid(format!(
                            "\"{id}\" is not a message of this conversation, so there is nothing before it"
                        ))
                    })?,
            ),
            None => None,
        };
        let limit = i64::from(limit.clamp(1, MAX_PAGE));
        // Two statements, not one with "?2 IS NULL OR …": a row-value range lets SQLite seek
        // straight to the cursor in `message_by_conversation`, so scrolling back far into a
        // long thread costs what the first page costs.
        let mut rows = match &cursor {
            None => self
                .conn
                .prepare_cached(&format!(
                    "SELECT {ROW_COLUMNS} FROM message
                     WHERE conversation = ?1
                       AND id NOT IN (SELECT message_id FROM message_hidden)
                     ORDER BY sent_at DESC, id DESC LIMIT ?2"
                ))?
                .query_map(params![key, limit + 1], MessageRow::read)?
                .collect::<rusqlite::Result<Vec<_>>>()?,
            Some((sent_at, id)) => self
                .conn
                .prepare_cached(&format!(
                    "SELECT {ROW_COLUMNS} FROM message
                     WHERE conversation = ?1 AND (sent_at, id) < (?2, ?3)
                       AND id NOT IN (SELECT message_id FROM message_hidden)
                     ORDER BY sent_at DESC, id DESC LIMIT ?4"
                ))?
                .query_map(params![key, sent_at, id, limit + 1], MessageRow::read)?
                .collect::<rusqlite::Result<Vec<_>>>()?,
        };
        let limit = limit as usize;
        let older = if rows.len() > limit {
            rows.truncate(limit);
            rows.last().map(|r| r.id.clone())
        } else {
            None
        };
        rows.reverse();
        let messages = rows
            .into_iter()
            .map(|row| self.assemble(row))
            .collect::<Result<Vec<_>>>()?;
        Ok(MessagePage {
            conversation: conversation.clone(),
            messages,
            older,
            read_by: self.receipts(conversation)?,
        })
    }

    /// A message by id or unambiguous id prefix, in a conversation the member can see and not
    /// deleted for them.
    pub fn find_message(&self, query: &str) -> Result<Message> {
        let query = query.trim().to_lowercase();
        let not_found = || Error::NotFound {
            kind: "message",
            query: query.clone(),
        };
        if query.len() < 4 || !is_valid_id(&query) {
            return Err(not_found());
        }
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT {ROW_COLUMNS} FROM message
             WHERE (id = ?1 OR substr(id, 1, length(?1)) = ?1)
               AND id NOT IN (SELECT message_id FROM message_hidden)
             ORDER BY id = ?1 DESC, sent_at DESC LIMIT 50"
        ))?;
        let mut rows = Vec::new();
        for row in stmt.query_map([&query], MessageRow::read)? {
            let row = row?;
            let visible = row
                .conversation
                .parse::<Conversation>()
                .is_ok_and(|c| self.check_readable(&c).is_ok());
            if visible {
                rows.push(row);
            }
        }
        if rows.first().is_some_and(|r| r.id == query) {
            rows.truncate(1);
        }
        match rows.len() {
            0 => Err(not_found()),
            1 => self.assemble(rows.remove(0)),
            _ => Err(Error::Ambiguous {
                kind: "message",
                query: query.clone(),
                candidates: rows
                    .iter()
                    .take(5)
                    .map(|r| {
                        format!(
                            "{} ({}: {})",
                            short(&r.id),
                            r.author_pseudonym,
                            excerpt(&r.text)
                        )
                    })
                    .collect::<Vec<_>>()
                    .join(", "),
            }),
        }
    }

    /// The member's conversations: every group they are in (archived ones only if they have
    /// messages) and every one-to-one conversation, the most recent first.
    pub fn conversations(&self) -> Result<Vec<ConversationSummary>> {
        let mut out = Vec::new();
        let mut stmt = self.conn.prepare(
            "SELECT id, name, archived FROM groups
             WHERE id NOT IN (SELECT group_id FROM left_group)",
        )?;
        let groups = stmt
            .query_map([], |row| {
                Ok((
                    row.get::<_, String>(0)?,
                    row.get::<_, String>(1)?,
                    row.get::<_, bool>(2)?,
                ))
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        for (id, name, archived) in groups {
            let conversation = Conversation::Group(id.clone());
            let last = self.preview(&conversation)?;
            if archived && last.is_none() {
                continue;
            }
            out.push(ConversationSummary {
                unread: self.unread(&conversation)?,
                conversation,
                title: name,
                group_id: Some(id),
                peer_id: None,
                last,
                read_only: archived,
            });
        }
        for (pair, peer) in self.direct_pairs()? {
            let conversation = Conversation::Direct(pair);
            out.push(ConversationSummary {
                unread: self.unread(&conversation)?,
                last: self.preview(&conversation)?,
                conversation,
                title: peer.pseudonym,
                group_id: None,
                peer_id: Some(peer.member_id),
                read_only: false,
            });
        }
        out.sort_by(|a, b| {
            let at = |c: &ConversationSummary| c.last.as_ref().map(|l| l.sent_at);
            at(b)
                .cmp(&at(a))
                .then_with(|| a.title.to_lowercase().cmp(&b.title.to_lowercase()))
                .then_with(|| a.conversation.cmp(&b.conversation))
        });
        Ok(out)
    }

    /// The conversation of a group found by id, id prefix or name.
    pub fn group_conversation(&self, group: &str) -> Result<Conversation> {
        Ok(Conversation::Group(self.find_group(group)?.id))
    }

    /// The one-to-one conversation with a member found as in [`Mutua::send_direct`] (it may
    /// hold no messages yet).
    pub fn direct_conversation(&self, member: &str) -> Result<Conversation> {
        Ok(self.direct_with(&self.find_peer(member)?.member_id))
    }

    /// Everyone this member can write to: the other members of their groups and the people
    /// they already have a one-to-one conversation with, by pseudonym.
    pub fn peers(&self) -> Result<Vec<Peer>> {
        let mut by_id: BTreeMap<String, String> = BTreeMap::new();
        for (_, peer) in self.direct_pairs()? {
            by_id.insert(peer.member_id, peer.pseudonym);
        }
        // Rosters last: a member's pseudonym in a group is the freshest we know.
        let mut stmt = self.conn.prepare(
            "SELECT member_id, pseudonym FROM group_member
             WHERE member_id != ?1 AND group_id NOT IN (SELECT group_id FROM left_group)
             ORDER BY joined_at, group_id",
        )?;
        let rows = stmt.query_map([&self.member_id], |row| {
            Ok((row.get::<_, String>(0)?, row.get::<_, String>(1)?))
        })?;
        for row in rows {
            let (id, pseudonym) = row?;
            by_id.insert(id, pseudonym);
        }
        let mut peers: Vec<Peer> = by_id
            .into_iter()
            .map(|(member_id, pseudonym)| Peer {
                member_id,
                pseudonym,
            })
            .collect();
        peers.sort_by(|a, b| {
            a.pseudonym
                .to_lowercase()
                .cmp(&b.pseudonym.to_lowercase())
                .then_with(|| a.member_id.cmp(&b.member_id))
        });
        Ok(peers)
    }

    /// A member this member can write to, by id, id prefix or pseudonym.
    pub fn find_peer(&self, query: &str) -> Result<Peer> {
        let peers = self.peers()?;
        let candidates: Vec<(String, String)> = peers
            .iter()
            .map(|p| (p.member_id.clone(), p.pseudonym.clone()))
            .collect();
        let id = lookup::resolve("member", query, &candidates)?;
        peers
            .into_iter()
            .find(|p| p.member_id == id)
            .ok_or(Error::NotFound {
                kind: "member",
                query: query.into(),
            })
    }

    /// Messages from others that this member has not read, across all their conversations.
    pub fn unread_total(&self) -> Result<u32> {
        Ok(self.conversations()?.iter().map(|c| c.unread).sum())
    }

    /// Why the member cannot see `conversation`, if they cannot: a group they left or do not
    /// have, or a one-to-one conversation they are not part of.
    pub(super) fn check_readable(&self, conversation: &Conversation) -> Result<()> {
        match conversation {
            Conversation::Group(group) => {
                let left: bool = self.conn.query_row(
                    "SELECT EXISTS (SELECT 1 FROM left_group WHERE group_id = ?1)",
                    [group],
                    |row| row.get(0),
                )?;
                if left {
                    return Err(Error::invalid(
                        "you left this group, so its thread is closed to you",
                    ));
                }
                let known: bool = self.conn.query_row(
                    "SELECT EXISTS (SELECT 1 FROM groups WHERE id = ?1)",
                    [group],
                    |row| row.get(0),
                )?;
                if !known {
                    return Err(Error::NotFound {
                        kind: "group",
                        query: group.clone(),
                    });
                }
            }
            Conversation::Direct(pair) => {
                let mine = self.direct_pairs()?.iter().any(|(p, _)| p == pair)
                    || self
                        .peers()?
                        .iter()
                        .any(|p| pair_id(&self.member_id, &p.member_id) == *pair);
                if !mine {
                    return Err(Error::NotFound {
                        kind: "conversation",
                        query: conversation.to_string(),
                    });
                }
            }
        }
        Ok(())
    }

    /// This member's one-to-one conversations with the other member of each, from the newest
    /// month's `info/pair`.
    fn direct_pairs(&self) -> Result<BTreeMap<String, Peer>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT pair_id, member_a, pseudonym_a, member_b, pseudonym_b FROM direct_pair
             WHERE member_a = ?1 OR member_b = ?1 ORDER BY doc_id",
        )?;
        let rows = stmt.query_map([&self.member_id], |row| {
            Ok((
                row.get::<_, String>(0)?,
                (row.get::<_, String>(1)?, row.get::<_, String>(2)?),
                (row.get::<_, String>(3)?, row.get::<_, String>(4)?),
            ))
        })?;
        let mut out = BTreeMap::new();
        for row in rows {
            let (pair, a, b) = row?;
            let (member_id, pseudonym) = if a.0 == self.member_id { b } else { a };
            out.insert(
                pair,
                Peer {
                    member_id,
                    pseudonym,
                },
            );
        }
        Ok(out)
    }

    pub(super) fn message_by_id(&self, id: &str) -> Result<Message> {
        let row = self
            .conn
            .query_row(
                &format!("SELECT {ROW_COLUMNS} FROM message WHERE id = ?1 ORDER BY doc_id LIMIT 1"),
                [id],
                MessageRow::read,
            )
            .optional()?
            .ok_or_else(|| Error::NotFound {
                kind: "message",
                query: id.into(),
            })?;
        self.assemble(row)
    }

    /// A projection row with its quote and reactions.
    fn assemble(&self, row: MessageRow) -> Result<Message> {
        let conversation: Conversation = row
            .conversation
            .parse()
            .map_err(|_| Error::DatabaseDamaged("a message has no valid conversation".into()))?;
        let reply_to = match row.reply_to {
            Some(id) => Some(self.quote(&row.conversation, id)?),
            None => None,
        };
        let mut stmt = self.conn.prepare_cached(
            "SELECT member_id, pseudonym, emoji FROM message_reaction
             WHERE doc_id = ?1 AND message_id = ?2 ORDER BY reacted_at, member_id",
        )?;
        let mut reactions: Vec<Reaction> = Vec::new();
        let rows = stmt.query_map(params![row.doc_id, row.id], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
            ))
        })?;
        for r in rows {
            let (member, pseudonym, emoji) = r?;
            let index = match reactions.iter().position(|x| x.emoji == emoji) {
                Some(i) => i,
                None => {
                    reactions.push(Reaction {
                        emoji,
                        count: 0,
                        mine: false,
                        by: Vec::new(),
                    });
                    reactions.len() - 1
                }
            };
            let reaction = &mut reactions[index];
            reaction.count += 1;
            reaction.mine |= member == self.member_id;
            reaction.by.push(pseudonym);
        }
        // Most chosen first; the sort is stable, so ties keep the order they were first chosen.
        reactions.sort_by_key(|r| std::cmp::Reverse(r.count));
        Ok(Message {
            mine: row.author_id == self.member_id,
            id: row.id,
            conversation,
            author_id: row.author_id,
            author_pseudonym: row.author_pseudonym,
            text: row.text,
            kind: MessageKind::lenient(&row.kind),
            sent_at: stored_time(&row.sent_at)?,
            reply_to,
            reactions,
            edited_at: row.edited_at.as_deref().map(stored_time).transpose()?,
            deleted: row.deleted_at.is_some(),
        })
    }

    fn quote(&self, conversation: &str, id: String) -> Result<Quote> {
        let found: Option<(String, String, bool)> = self
            .conn
            .query_row(
                "SELECT author_pseudonym, text, deleted_at IS NOT NULL FROM message
                 WHERE conversation = ?1 AND id = ?2
                   AND id NOT IN (SELECT message_id FROM message_hidden)
                 ORDER BY doc_id LIMIT 1",
                params![conversation, id],
                |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)),
            )
            .optional()?;
        Ok(match found {
            Some((author, text, false)) => Quote {
                id,
                author_pseudonym: Some(author),
                excerpt: Some(excerpt(&text)),
            },
            _ => Quote {
                id,
                author_pseudonym: None,
                excerpt: None,
            },
        })
    }

    fn preview(&self, conversation: &Conversation) -> Result<Option<Preview>> {
        let row = self
            .conn
            .query_row(
                &format!(
                    "SELECT {ROW_COLUMNS} FROM message
                     WHERE conversation = ?1 AND id NOT IN (SELECT message_id FROM message_hidden)
                     ORDER BY sent_at DESC, id DESC LIMIT 1"
                ),
                [conversation.to_string()],
                MessageRow::read,
            )
            .optional()?;
        row.map(|row| {
            Ok(Preview {
                mine: row.author_id == self.member_id,
                excerpt: excerpt(&row.text),
                kind: MessageKind::lenient(&row.kind),
                sent_at: stored_time(&row.sent_at)?,
                deleted: row.deleted_at.is_some(),
                id: row.id,
                author_pseudonym: row.author_pseudonym,
            })
        })
        .transpose()
    }

    /// Unread messages from others, counted up to [`UNREAD_CAP`]: a badge says "999+" beyond
    /// it, and a member who has not opened a busy group for a year must not make every inbox
    /// read walk tens of thousands of rows (measured: 328 ms for 100,000 unread, uncapped).
    fn unread(&self, conversation: &Conversation) -> Result<u32> {
        let key = conversation.to_string();
        let count: u32 = self.conn.prepare_cached(
            "SELECT count(*) FROM (
                 SELECT 1 FROM message
                 WHERE conversation = ?1
                   AND sent_at > coalesce((SELECT read_up_to FROM message_read WHERE conversation = ?1), '')
                   AND author_id != ?2 AND deleted_at IS NULL
                   AND id NOT IN (SELECT message_id FROM message_hidden)
                 LIMIT ?3)",
        )?
        .query_row(params![key, self.member_id, UNREAD_CAP], |row| row.get(0))?;
        Ok(count)
    }

    /// Others' receipts for `conversation`, only for a member who gives their own.
    fn receipts(&self, conversation: &Conversation) -> Result<Vec<Receipt>> {
        if !self.read_receipts()? {
            return Ok(Vec::new());
        }
        // SQLite takes the bare columns from the row holding the max().
        let mut stmt = self.conn.prepare_cached(
            "SELECT member_id, pseudonym, max(read_up_to) FROM message_receipt
             WHERE conversation = ?1 AND member_id != ?2
             GROUP BY member_id ORDER BY pseudonym COLLATE NOCASE, member_id",
        )?;
        let rows = stmt.query_map(params![conversation.to_string(), self.member_id], |row| {
            Ok((
                row.get::<_, String>(0)?,
                row.get::<_, String>(1)?,
                row.get::<_, String>(2)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (member_id, pseudonym, at) = row?;
            out.push(Receipt {
                member_id,
                pseudonym,
                read_up_to: stored_time(&at)?,
            });
        }
        Ok(out)
    }
}
