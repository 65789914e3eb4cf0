//! Projecting chat documents: each record of a month's document becomes (or stops being) a row.
//!
//! Records merged from other devices are checked as strictly as what this device writes; one
//! that does not check out is skipped, never fatal. Times are rewritten in one fixed-width form
//! so that the tables sort by them as text.

use rusqlite::{Transaction, params};

use super::{
    Conversation, INFO, MESSAGES, MessageKind, MessageRecord, PAIR_KEY, PairRecord, REACTIONS,
    RECEIPTS, ReactionRecord, ReceiptRecord, check_reaction, normalised_time,
};
use crate::amjson;
use crate::error::Result;
use crate::ids::{DocId, is_valid_id, pair_id};
use crate::profile::check_pseudonym;

/// Removes the rows that `collection` of chat document `doc` projected.
pub(crate) fn clear(tx: &Transaction<'_>, doc: &DocId, collection: &str) -> Result<()> {
    let table = match collection {
        MESSAGES => "message",
        REACTIONS => "message_reaction",
        RECEIPTS => "message_receipt",
        INFO => "direct_pair",
        _ => return Ok(()),
    };
    tx.execute(
        &format!("DELETE FROM {table} WHERE doc_id = ?1"),
        [doc.to_string()],
    )?;
    Ok(())
}

pub(crate) fn record_keys(doc: &automerge::Automerge, collection: &str) -> Vec<String> {
    amjson::record_keys(doc, collection)
}

/// Projects one record of a chat document. Records that do not check out are skipped.
pub(crate) fn project_record(
    tx: &Transaction<'_>,
    id: &DocId,
    doc: &automerge::Automerge,
    collection: &str,
    key: &str,
) -> Result<()> {
    let Some((conversation, month)) = Conversation::of(id) else {
        return Ok(());
    };
    let doc_key = id.to_string();
    let conversation = conversation.to_string();
    let read = |c: &str| amjson::read_record(doc, c, key);
    match collection {
        MESSAGES => {
            tx.execute(
                "DELETE FROM message WHERE doc_id = ?1 AND id = ?2",
                params![doc_key, key],
            )?;
            let record = read(MESSAGES)
                .and_then(|v| serde_json::from_value::<MessageRecord>(v).ok())
                .filter(|m| m.id == key && m.is_valid_in(month));
            if let Some((m, sent_at)) = record.and_then(|m| {
                let sent_at = normalised_time(&m.sent_at)?;
                Some((m, sent_at))
            }) {
                let kind = MessageKind::lenient(&m.kind).as_str();
                tx.execute(
                    "INSERT INTO message (doc_id, id, conversation, author_id, author_pseudonym,
                                          text, kind, sent_at, reply_to, edited_at, deleted_at)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
                    params![
                        doc_key,
                        m.id,
                        conversation,
                        m.author_id,
                        m.author_pseudonym,
                        if m.deleted_at.is_some() {
                            ""
                        } else {
                            m.text.as_str()
                        },
                        kind,
                        sent_at,
                        m.reply_to,
                        m.edited_at,
                        m.deleted_at
                    ],
                )?;
            }
        }
        REACTIONS => {
            let Some((message, member)) = key.split_once(':') else {
                return Ok(());
            };
            tx.execute(
                "DELETE FROM message_reaction WHERE doc_id = ?1 AND message_id = ?2 AND member_id = ?3",
                params![doc_key, message, member],
            )?;
            let record = read(REACTIONS)
                .and_then(|v| serde_json::from_value::<ReactionRecord>(v).ok())
                .filter(|r| {
                    is_valid_id(message)
                        && is_valid_id(member)
                        && check_reaction(&r.emoji).is_ok_and(|e| e == r.emoji)
                        && check_pseudonym(&r.pseudonym).is_ok()
                        && crate::time::parse_text(&r.at).is_some()
                });
            if let Some(r) = record {
                tx.execute(
                    "INSERT INTO message_reaction (doc_id, message_id, member_id, pseudonym, emoji, reacted_at)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                    params![doc_key, message, member, r.pseudonym, r.emoji, r.at],
                )?;
            }
        }
        RECEIPTS => {
            tx.execute(
                "DELETE FROM message_receipt WHERE doc_id = ?1 AND member_id = ?2",
                params![doc_key, key],
            )?;
            let record = read(RECEIPTS)
                .and_then(|v| serde_json::from_value::<ReceiptRecord>(v).ok())
                .filter(|r| is_valid_id(key) && check_pseudonym(&r.pseudonym).is_ok())
                .and_then(|r| {
                    Some(ReceiptRecord {
                        read_up_to: normalised_time(&r.read_up_to)?,
                        ..r
                    })
                });
            if let Some(r) = record {
                tx.execute(
                    "INSERT INTO message_receipt (doc_id, member_id, conversation, pseudonym, read_up_to)
                     VALUES (?1, ?2, ?3, ?4, ?5)",
                    params![doc_key, key, conversation, r.pseudonym, r.read_up_to],
                )?;
            }
        }
        INFO => {
            let DocId::Direct { pair, .. } = id else {
                return Ok(());
            };
            if key != PAIR_KEY {
                return Ok(());
            }
            tx.execute("DELETE FROM direct_pair WHERE doc_id = ?1", [&doc_key])?;
            let record = read(INFO)
                .and_then(|v| serde_json::from_value::<PairRecord>(v).ok())
                .filter(|p| {
                    let [a, b] = &p.members;
                    a < b && pair_id(a, b) == *pair && p.pseudonyms.len() == 2
                });
            let names = record.as_ref().and_then(|p| {
                let [a, b] = &p.members;
                let name = |m: &String| {
                    p.pseudonyms
                        .get(m)
                        .filter(|n| check_pseudonym(n).is_ok())
                        .cloned()
                };
                Some((a.clone(), name(a)?, b.clone(), name(b)?))
            });
            if let Some((a, name_a, b, name_b)) = names {
                tx.execute(
                    "INSERT INTO direct_pair (doc_id, pair_id, member_a, pseudonym_a, member_b, pseudonym_b)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                    params![doc_key, pair, a, name_a, b, name_b],
                )?;
            }
        }
        _ => {}
    }
    Ok(())
}
