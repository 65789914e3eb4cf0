//! Messages written with the time they were sent in the past: for bringing in a history kept
//! elsewhere (an import from another app) and for the benchmark's data generator, which needs a
//! year of a group's talk spread over its months the way real use spreads it.
//!
//! Each message is its own Automerge change in the document of the month it was sent in, made
//! through the same `change_doc` path as [`Mutua::send_message`], so what sync later carries is
//! exactly what live sending would have produced. Only the clock differs.

use chrono::{DateTime, Duration, DurationRound, Utc};

use super::{
    Conversation, INFO, MESSAGES, MessageRecord, NewMessage, PAIR_KEY, check_text, time_text,
};
use crate::amjson;
use crate::error::{Error, Result};
use crate::groups::to_record;
use crate::ids::{Month, new_id};
use crate::store::Mutua;

impl Mutua {
    /// Writes `message` as sent at `sent_at` (truncated to the millisecond) by this member, into
    /// the month document of that time. Returns the new message's id. The conversation must be
    /// one the member can write to now; a time in the future is refused (it would reorder the
    /// thread for everybody).
    pub fn backfill_message(
        &mut self,
        conversation: &Conversation,
        message: NewMessage,
        sent_at: DateTime<Utc>,
    ) -> Result<String> {
        let text = check_text(&message.text)?;
        if sent_at > Utc::now() + Duration::minutes(5) {
            return Err(Error::invalid(
                "a message from the past cannot be dated in the future",
            ));
        }
        self.check_writable(conversation)?;
        let pair = match conversation {
            Conversation::Group(_) => None,
            Conversation::Direct(pair) => Some(self.pair_record(pair)?),
        };
        let sent_at = sent_at
            .duration_trunc(Duration::milliseconds(1))
            .unwrap_or(sent_at);
        let record = MessageRecord {
            id: new_id()?,
            author_id: self.member_id.clone(),
            author_pseudonym: self.profile()?.pseudonym,
            text,
            kind: message.kind.as_str().to_owned(),
            sent_at: time_text(sent_at),
            reply_to: None,
            edited_at: None,
            deleted_at: None,
        };
        let value = to_record(&record)?;
        let pair = pair.as_ref().map(to_record).transpose()?;
        let doc = conversation.doc(Month::of(sent_at)?);
        self.change_doc(&doc, |tx| {
            if let Some(pair) = &pair {
                amjson::write_record(tx, INFO, PAIR_KEY, pair)?;
            }
            amjson::write_record(tx, MESSAGES, &record.id, &value)
        })?;
        Ok(record.id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::groups::{Admission, GroupFields, GroupKind};

    #[test]
    fn a_backfilled_message_lands_in_the_month_it_was_sent() {
        let mut m = Mutua::ephemeral("Ana").expect("store");
        let group = m
            .create_group(GroupFields {
                name: "Circle".into(),
                purpose: None,
                kind: GroupKind::MutualAid,
                planned_sessions: None,
                admission: Admission::Closed,
                language: None,
                place: None,
                online_url: None,
                guidelines: None,
            })
            .expect("group");
        let conversation = Conversation::Group(group.id.clone());
        let at = DateTime::parse_from_rfc3339("2024-03-05T10:00:00.123456Z")
            .expect("time")
            .with_timezone(&Utc);
        let id = m
            .backfill_message(&conversation, NewMessage::text("  hello from March "), at)
            .expect("backfill");
        let page = m.messages(&conversation, None, 10).expect("page");
        assert_eq!(page.messages.len(), 1);
        assert_eq!(page.messages[0].id, id);
        assert_eq!(page.messages[0].text, "hello from March");
        assert_eq!(
            time_text(page.messages[0].sent_at),
            "2024-03-05T10:00:00.123Z"
        );
        let docs: Vec<String> = m
            .changes_since(&Default::default(), crate::changes::Scope::Shared)
            .expect("changes")
            .docs
            .iter()
            .map(|(d, _)| d.to_string())
            .collect();
        assert!(
            docs.iter().any(|d| d.ends_with("/chat/2024-03")),
            "{docs:?}"
        );

        let future = Utc::now() + Duration::days(2);
        assert!(
            m.backfill_message(&conversation, NewMessage::text("later"), future)
                .is_err()
        );
        assert!(
            m.backfill_message(&conversation, NewMessage::text(" "), at)
                .is_err()
        );
    }
}
