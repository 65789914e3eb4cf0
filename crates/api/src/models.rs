//! What the screens show and send: groups, meetings, contacts, messages, journal, profile.
//!
//! These mirror the core's types in shape but not in code: the UI (wasm32) must not depend on
//! the core (SQLite, Automerge). The shell converts between the two in one module.

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use serde::{Deserialize, Serialize};

/// Is there data on this device, and is it open?
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionState {
    pub initialised: bool,
    pub unlocked: bool,
    /// How the data is protected, once initialised.
    pub protection: Option<Protection>,
    /// Whether an OS keychain answered on this device (offered on first run if so).
    pub keychain_available: bool,
    /// The language the member chose, kept beside the encrypted store so that the unlock
    /// screen can already speak it.
    #[serde(default)]
    pub language: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Protection {
    Keychain,
    Passphrase,
}

/// First run: who you are and how the data is protected.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SetupRequest {
    pub pseudonym: String,
    /// `None` means "use the OS keychain".
    pub passphrase: Option<String>,
    pub language: Option<String>,
    pub time_zone: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Profile {
    pub pseudonym: String,
    pub language: Option<String>,
    pub time_zone: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GroupKind {
    MutualAid,
    Facilitated,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Admission {
    Open,
    Closed,
}

/// The group form, for creating and editing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupForm {
    pub name: String,
    pub purpose: Option<String>,
    pub kind: GroupKind,
    pub planned_sessions: Option<u32>,
    pub admission: Admission,
    pub language: Option<String>,
    pub place: Option<String>,
    pub online_url: Option<String>,
    pub guidelines: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Group {
    pub id: String,
    pub form: GroupForm,
    pub archived: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Member {
    pub member_id: String,
    pub pseudonym: String,
    /// "member", "facilitator", "co-host", "service:secretary".
    pub roles: Vec<String>,
    pub is_me: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GroupDetail {
    pub group: Group,
    pub members: Vec<Member>,
    pub series: Vec<Series>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MeetingFormat {
    InPerson,
    Online,
    Hybrid,
    Phone,
}

/// The meeting-series form. `rrule` is RFC 5545 text (the UI's recurrence editor builds it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SeriesForm {
    pub title: String,
    pub start: NaiveDateTime,
    pub time_zone: String,
    pub duration_minutes: u32,
    pub rrule: Option<String>,
    pub format: MeetingFormat,
    pub place: Option<String>,
    pub online_url: Option<String>,
    pub phone: Option<String>,
    pub agenda: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Series {
    pub id: String,
    pub group_id: String,
    pub form: SeriesForm,
    pub cancelled: Vec<NaiveDateTime>,
    /// Moved occurrences: (original local start, new local start).
    pub moved: Vec<(NaiveDateTime, NaiveDateTime)>,
}

/// Saving a series can come with a note, e.g. a start inside a daylight-saving gap.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SavedSeries {
    pub series: Series,
    pub note: Option<String>,
}

/// One meeting on the calendar.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Occurrence {
    pub series_id: String,
    pub group_id: String,
    pub group_name: String,
    pub title: String,
    pub original_start: NaiveDateTime,
    /// Wall-clock start in the meeting's own zone.
    pub start_local: NaiveDateTime,
    pub time_zone: String,
    pub start_utc: DateTime<Utc>,
    pub end_utc: DateTime<Utc>,
    /// Wall-clock start in the viewer's zone (the member's profile zone).
    pub start_viewer: NaiveDateTime,
    pub moved: bool,
    pub format: MeetingFormat,
    pub place: Option<String>,
    pub online_url: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Window {
    /// 0 = Monday … 6 = Sunday.
    pub weekday: u8,
    /// Minutes after midnight; `end` may be 1440, and `end <= start` runs past midnight.
    pub start: u16,
    pub end: u16,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContactForm {
    pub pseudonym: String,
    pub phone: Option<String>,
    pub link: Option<String>,
    pub note: Option<String>,
    pub group_id: Option<String>,
    pub time_zone: String,
    pub availability: Vec<Window>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Contact {
    pub id: String,
    pub form: ContactForm,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Reachable {
    pub contact: Contact,
    pub their_time: NaiveDateTime,
    pub until_utc: DateTime<Utc>,
    /// `until_utc` on the viewer's wall clock.
    pub until_viewer: NaiveDateTime,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EntryForm {
    pub text: String,
    pub mood: Option<u8>,
    pub emotions: Vec<String>,
    pub tags: Vec<String>,
    /// `None`: now.
    pub written_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    pub id: String,
    pub text: String,
    pub mood: Option<u8>,
    pub emotions: Vec<String>,
    pub tags: Vec<String>,
    pub written_at: DateTime<Utc>,
    pub local_date: NaiveDate,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Period {
    Day,
    Week,
    Month,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EntryGroup {
    pub label: String,
    pub entries: Vec<Entry>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SearchHit {
    pub entry: Entry,
    pub snippet: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MoodPoint {
    pub date: NaiveDate,
    pub average: f64,
    pub count: u32,
}

/// The Today screen in one call.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Today {
    pub pseudonym: String,
    pub next_meetings: Vec<Occurrence>,
    pub reachable: Vec<Reachable>,
    pub recent_entries: Vec<Entry>,
    pub now_utc: DateTime<Utc>,
}

/// A group's thread or a one-to-one conversation, as the inbox lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Conversation {
    /// `group:<group id>` or `dm:<pair id>`: what the message commands take.
    pub id: String,
    pub kind: ConversationKind,
    /// The group's name, or the other member's pseudonym.
    pub title: String,
    pub group_id: Option<String>,
    /// The other member, in a one-to-one conversation.
    pub peer_id: Option<String>,
    pub last: Option<MessagePreview>,
    /// Messages from others the member has not read yet, up to [`UNREAD_CAP`].
    pub unread: u32,
    /// An archived group's thread: readable, not writable.
    pub read_only: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConversationKind {
    Group,
    Direct,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MessageKind {
    Text,
    /// "How is everyone doing this week?"
    CheckIn,
}

/// The newest message of a conversation, in one line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MessagePreview {
    pub author_pseudonym: String,
    pub mine: bool,
    /// The first 80 characters on one line; empty when `deleted`.
    pub excerpt: String,
    pub kind: MessageKind,
    pub sent_at: DateTime<Utc>,
    /// `sent_at` on the viewer's wall clock.
    pub sent_viewer: NaiveDateTime,
    pub deleted: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Message {
    pub id: String,
    pub conversation: String,
    pub author_id: String,
    /// The author's pseudonym when they sent it.
    pub author_pseudonym: String,
    pub mine: bool,
    /// Empty when `deleted`.
    pub text: String,
    pub kind: MessageKind,
    pub sent_at: DateTime<Utc>,
    /// `sent_at` on the viewer's wall clock.
    pub sent_viewer: NaiveDateTime,
    pub reply_to: Option<Quote>,
    pub reactions: Vec<Reaction>,
    pub edited: bool,
    /// Retracted by its author, for everyone.
    pub deleted: bool,
}

/// The message a reply answers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Quote {
    pub id: String,
    /// Both `None` when the quoted message is deleted or not on this device.
    pub author_pseudonym: Option<String>,
    pub excerpt: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reaction {
    pub emoji: String,
    pub count: u32,
    pub mine: bool,
    /// Pseudonyms of who chose it.
    pub by: Vec<String>,
}

/// How far another member has read (only for a member who shares their own receipts).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Receipt {
    pub member_id: String,
    pub pseudonym: String,
    pub read_up_to: DateTime<Utc>,
}

/// A page of a conversation, oldest first; `older` fetches the page before it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MessagePage {
    pub conversation: String,
    pub messages: Vec<Message>,
    /// Pass as `MessagesRequest::before` for older messages; `None` at the beginning.
    pub older: Option<String>,
    pub read_by: Vec<Receipt>,
}

/// Someone the member can write to: a member of one of their groups, or someone they already
/// have a conversation with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Peer {
    pub member_id: String,
    pub pseudonym: String,
}

/// Unread counts stop at this number (core counts no further); show it as "999+".
pub const UNREAD_CAP: u32 = 999;

/// An unread count as a badge shows it: "7", or "999+" at the cap (also for sums of counts).
pub fn unread_label(count: u32) -> String {
    if count >= UNREAD_CAP {
        format!("{UNREAD_CAP}+")
    } else {
        count.to_string()
    }
}
