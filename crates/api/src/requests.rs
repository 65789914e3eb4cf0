//! Arguments of the shell's commands.
//!
//! Every command takes either nothing or exactly one argument named `request` (so the UI always
//! calls `invoke(name, { request })`), whose type is listed here or in [`crate::models`].
//!
//! | command | request | answer |
//! |---|---|---|
//! | `app_info` | – | `AppInfo` |
//! | `session_state` | – | `SessionState` |
//! | `setup` | `SetupRequest` | `Profile` |
//! | `unlock` | `UnlockRequest` | `Profile` |
//! | `lock` | – | `()` |
//! | `profile` | – | `Profile` |
//! | `update_profile` | `Profile` | `Profile` |
//! | `time_zones` | – | `Vec<String>` (IANA names) |
//! | `today` | – | `Today` |
//! | `groups` | `GroupsRequest` | `Vec<Group>` |
//! | `group` | `IdRequest` | `GroupDetail` |
//! | `create_group` | `GroupForm` | `Group` |
//! | `update_group` | `UpdateGroup` | `Group` |
//! | `archive_group` | `ArchiveGroup` | `Group` |
//! | `leave_group` | `IdRequest` | `()` |
//! | `calendar` | `DateRange` | `Vec<Occurrence>` |
//! | `add_series` | `AddSeries` | `SavedSeries` |
//! | `update_series` | `UpdateSeries` | `SavedSeries` |
//! | `delete_series` | `IdRequest` | `()` |
//! | `cancel_occurrence` | `OccurrenceDate` | `Series` |
//! | `restore_occurrence` | `OccurrenceDate` | `Series` |
//! | `move_occurrence` | `MoveOccurrence` | `SavedSeries` |
//! | `export_group_ics` | `ExportIcs` | `()` (`.ics` is added to a path without it) |
//! | `contacts` | – | `Vec<Contact>` |
//! | `add_contact` | `ContactForm` | `Contact` |
//! | `update_contact` | `UpdateContact` | `Contact` |
//! | `remove_contact` | `IdRequest` | `()` |
//! | `reachable_now` | – | `Vec<Reachable>` |
//! | `conversations` | – | `Vec<Conversation>` (most recent first) |
//! | `messages` | `MessagesRequest` | `MessagePage` |
//! | `send_message` | `SendMessage` | `Message` |
//! | `mark_read` | `ConversationRequest` | `()` |
//! | `react` | `React` | `Message` |
//! | `unreact` | `IdRequest` (a message) | `Message` |
//! | `delete_message_for_me` | `IdRequest` (a message) | `()` |
//! | `edit_message` | `EditMessage` | `Message` |
//! | `retract_message` | `IdRequest` (one's own message) | `Message` |
//! | `peers` | – | `Vec<Peer>` |
//! | `read_receipts` | – | `bool` |
//! | `set_read_receipts` | `ReadReceipts` | `bool` |
//! | `journal` | `JournalRequest` | `Vec<EntryGroup>` |
//! | `add_entry` | `EntryForm` | `Entry` |
//! | `update_entry` | `UpdateEntry` | `Entry` |
//! | `delete_entry` | `IdRequest` | `()` |
//! | `search_journal` | `SearchRequest` | `Vec<SearchHit>` |
//! | `mood_series` | `DateRange` | `Vec<MoodPoint>` |
//! | `export_all` | `ExportAll` | `ExportSummary` |
//! | `delete_everything` | `DeleteEverything` | `()` |
//! | `choose_save_path` | `ChooseSavePath` | `Option<String>` (`None`: the member cancelled) |
//! | `choose_folder` | – | `Option<String>` (`None`: the member cancelled) |
//!
//! `choose_save_path` and `choose_folder` open the system's own dialogs (from the shell, so the
//! window needs no file-system permission); their answers feed `export_group_ics` and
//! `export_all`. Commands that need the data answer `ErrorKind::Locked` until `setup` or
//! `unlock` succeeds.

use chrono::{NaiveDate, NaiveDateTime};
use serde::{Deserialize, Serialize};

use crate::models::{ContactForm, EntryForm, GroupForm, MessageKind, Period, SeriesForm};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdRequest {
    pub id: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnlockRequest {
    /// `None` when the data is protected by the OS keychain.
    pub passphrase: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupsRequest {
    pub include_archived: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UpdateGroup {
    pub id: String,
    pub form: GroupForm,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ArchiveGroup {
    pub id: String,
    pub archived: bool,
}

/// Days in the viewer's (the member's) time zone, both ends included.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DateRange {
    pub from: NaiveDate,
    pub to: NaiveDate,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AddSeries {
    pub group_id: String,
    pub form: SeriesForm,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UpdateSeries {
    pub id: String,
    pub form: SeriesForm,
}

/// One meeting of a series, by its date in the meeting's own zone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OccurrenceDate {
    pub series_id: String,
    pub date: NaiveDate,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MoveOccurrence {
    pub series_id: String,
    /// The meeting's usual local start.
    pub original: NaiveDateTime,
    /// Its new local start, in the meeting's zone.
    pub to: NaiveDateTime,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExportIcs {
    pub group_id: String,
    /// Where to write, as chosen in a save dialog.
    pub path: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UpdateContact {
    pub id: String,
    pub form: ContactForm,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JournalRequest {
    pub period: Period,
    /// A day inside the period to show.
    pub date: NaiveDate,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UpdateEntry {
    pub id: String,
    pub form: EntryForm,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SearchRequest {
    pub query: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExportAll {
    /// A folder, as chosen in a dialog: `mutua-export.json` and one `.ics` per group go there.
    pub folder: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExportSummary {
    pub files: Vec<String>,
}

/// Asks where to save a file, suggesting a name (its extension, e.g. `.ics`, becomes the
/// dialog's file-type filter).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChooseSavePath {
    pub suggested_name: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeleteEverything {
    /// Must be the member's pseudonym, typed again: the second step of the confirmation.
    pub confirm: String,
}

/// Where a message goes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MessageTarget {
    /// A conversation by id (`group:…` or `dm:…`), as `Conversation::id` gives it.
    Conversation(String),
    /// A group's thread, by group id.
    Group(String),
    /// One member, by member id: starts the one-to-one conversation if there is none yet.
    Member(String),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SendMessage {
    pub target: MessageTarget,
    /// 1 to 4,000 characters (trimmed).
    pub text: String,
    /// The id of a message of the same conversation this one answers.
    pub reply_to: Option<String>,
    pub kind: MessageKind,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MessagesRequest {
    pub conversation: String,
    /// A message id from `MessagePage::older`: the page before it. `None`: the newest page.
    pub before: Option<String>,
    /// 1 to 200.
    pub limit: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConversationRequest {
    pub conversation: String,
}

/// Reacts with one emoji, replacing the member's earlier reaction to that message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct React {
    pub message_id: String,
    pub emoji: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EditMessage {
    pub id: String,
    pub text: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReadReceipts {
    pub enabled: bool,
}
