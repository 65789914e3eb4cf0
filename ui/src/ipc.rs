//! The UI's one door to the shell: the only code that calls `window.__TAURI__.core.invoke`.
//!
//! Each command gets a typed function here, taking and returning `mutua-api` types, so pages
//! never see JSON, command names or JavaScript values. Every command takes nothing or a single
//! argument named `request` (see the table in `mutua_api::requests`). Whatever goes wrong on the
//! way (the shell refusing, an unknown command, running outside Tauri) arrives as an [`ApiError`].

use chrono::NaiveDate;
use mutua_api::{
    AcceptInvite, AnswerJoin, CreateInvite, Device, InviteCode, JoinOutcome, JoinRequest,
    PairingCode, PairingState, RemoveMember, SetupPaired, SyncSettings, SyncStatus,
};
use mutua_api::{
    AddSeries, ApiError, AppInfo, ArchiveGroup, ChooseSavePath, Contact, ContactForm, Conversation,
    ConversationRequest, DateRange, DeleteEverything, Entry, EntryForm, EntryGroup, ExportAll,
    ExportIcs, ExportSummary, Group, GroupDetail, GroupForm, GroupsRequest, IdRequest,
    JournalRequest, Message, MessagePage, MessagesRequest, MoodPoint, MoveOccurrence, Occurrence,
    OccurrenceDate, Peer, Period, Profile, Reachable, React, ReadReceipts, SavedSeries, SearchHit,
    SearchRequest, SendMessage, Series, SeriesForm, SessionState, SetupRequest, Today,
    UnlockRequest, UpdateContact, UpdateEntry, UpdateGroup, UpdateSeries,
};
use mutua_api::{
    ExportSyncFile, ImportSyncFile, SyncFileOpenOutcome, SyncFileSaveOutcome, SyncFileScope,
};
use serde::Serialize;
use serde::de::DeserializeOwned;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::{JsValue, wasm_bindgen};

#[wasm_bindgen]
extern "C" {
    /// Tauri's `invoke`, exposed on `window.__TAURI__` by `"withGlobalTauri": true`. It resolves
    /// with the command's `Ok` value and rejects with its `Err` value (or a string from Tauri).
    #[wasm_bindgen(js_namespace = ["window", "__TAURI__", "core"], catch)]
    async fn invoke(cmd: &str, args: JsValue) -> Result<JsValue, JsValue>;
}

/// The arguments of a command that takes none: serialises to `{}`.
#[derive(Serialize)]
struct NoArgs {}

/// The arguments of a command that takes one: `{ "request": … }`.
#[derive(Serialize)]
struct Args<'a, R: Serialize> {
    request: &'a R,
}

// --- session and profile -------------------------------------------------------------------

/// The app's version and whether this device has a data directory yet.
pub async fn app_info() -> Result<AppInfo, ApiError> {
    call0("app_info").await
}

pub async fn session_state() -> Result<SessionState, ApiError> {
    call0("session_state").await
}

pub async fn setup(request: &SetupRequest) -> Result<Profile, ApiError> {
    call("setup", request).await
}

pub async fn unlock(request: &UnlockRequest) -> Result<Profile, ApiError> {
    call("unlock", request).await
}

pub async fn lock() -> Result<(), ApiError> {
    call0("lock").await
}

pub async fn profile() -> Result<Profile, ApiError> {
    call0("profile").await
}

pub async fn update_profile(profile: &Profile) -> Result<Profile, ApiError> {
    call("update_profile", profile).await
}

/// IANA zone names the core knows, for the time zone selects.
pub async fn time_zones() -> Result<Vec<String>, ApiError> {
    call0("time_zones").await
}

pub async fn today() -> Result<Today, ApiError> {
    call0("today").await
}

// --- groups --------------------------------------------------------------------------------

pub async fn groups(include_archived: bool) -> Result<Vec<Group>, ApiError> {
    call("groups", &GroupsRequest { include_archived }).await
}

pub async fn group(id: &str) -> Result<GroupDetail, ApiError> {
    call("group", &id_request(id)).await
}

pub async fn create_group(form: &GroupForm) -> Result<Group, ApiError> {
    call("create_group", form).await
}

pub async fn update_group(id: &str, form: &GroupForm) -> Result<Group, ApiError> {
    let request = UpdateGroup {
        id: id.to_owned(),
        form: form.clone(),
    };
    call("update_group", &request).await
}

pub async fn archive_group(id: &str, archived: bool) -> Result<Group, ApiError> {
    let request = ArchiveGroup {
        id: id.to_owned(),
        archived,
    };
    call("archive_group", &request).await
}

pub async fn leave_group(id: &str) -> Result<(), ApiError> {
    call("leave_group", &id_request(id)).await
}

// --- calendar ------------------------------------------------------------------------------

/// Occurrences across all current groups, for days `from..=to` in the viewer's zone.
pub async fn calendar(from: NaiveDate, to: NaiveDate) -> Result<Vec<Occurrence>, ApiError> {
    call("calendar", &DateRange { from, to }).await
}

pub async fn add_series(group_id: &str, form: &SeriesForm) -> Result<SavedSeries, ApiError> {
    let request = AddSeries {
        group_id: group_id.to_owned(),
        form: form.clone(),
    };
    call("add_series", &request).await
}

pub async fn update_series(id: &str, form: &SeriesForm) -> Result<SavedSeries, ApiError> {
    let request = UpdateSeries {
        id: id.to_owned(),
        form: form.clone(),
    };
    call("update_series", &request).await
}

pub async fn delete_series(id: &str) -> Result<(), ApiError> {
    call("delete_series", &id_request(id)).await
}

pub async fn cancel_occurrence(request: &OccurrenceDate) -> Result<Series, ApiError> {
    call("cancel_occurrence", request).await
}

pub async fn restore_occurrence(request: &OccurrenceDate) -> Result<Series, ApiError> {
    call("restore_occurrence", request).await
}

pub async fn move_occurrence(request: &MoveOccurrence) -> Result<SavedSeries, ApiError> {
    call("move_occurrence", request).await
}

/// Asks the shell for a native save dialog proposing `suggested_name` (its extension becomes
/// the file filter); `None` when the member closed it.
pub async fn choose_save_path(suggested_name: &str) -> Result<Option<String>, ApiError> {
    let request = ChooseSavePath {
        suggested_name: suggested_name.to_owned(),
    };
    call("choose_save_path", &request).await
}

/// Asks the shell for a native folder picker; `None` when the member closed it.
pub async fn choose_folder() -> Result<Option<String>, ApiError> {
    call0("choose_folder").await
}

pub async fn export_group_ics(group_id: &str, path: &str) -> Result<(), ApiError> {
    let request = ExportIcs {
        group_id: group_id.to_owned(),
        path: path.to_owned(),
    };
    call("export_group_ics", &request).await
}

// --- contacts ------------------------------------------------------------------------------

pub async fn contacts() -> Result<Vec<Contact>, ApiError> {
    call0("contacts").await
}

pub async fn add_contact(form: &ContactForm) -> Result<Contact, ApiError> {
    call("add_contact", form).await
}

pub async fn update_contact(id: &str, form: &ContactForm) -> Result<Contact, ApiError> {
    let request = UpdateContact {
        id: id.to_owned(),
        form: form.clone(),
    };
    call("update_contact", &request).await
}

pub async fn remove_contact(id: &str) -> Result<(), ApiError> {
    call("remove_contact", &id_request(id)).await
}

pub async fn reachable_now() -> Result<Vec<Reachable>, ApiError> {
    call0("reachable_now").await
}

// --- messages ------------------------------------------------------------------------------

/// Every conversation, the most recent first, with unread counts.
pub async fn conversations() -> Result<Vec<Conversation>, ApiError> {
    call0("conversations").await
}

/// The `limit` newest messages of a conversation sent before the message `before`.
pub async fn messages(
    conversation: &str,
    before: Option<&str>,
    limit: u32,
) -> Result<MessagePage, ApiError> {
    let request = MessagesRequest {
        conversation: conversation.to_owned(),
        before: before.map(str::to_owned),
        limit,
    };
    call("messages", &request).await
}

pub async fn send_message(request: &SendMessage) -> Result<Message, ApiError> {
    call("send_message", request).await
}

pub async fn mark_read(conversation: &str) -> Result<(), ApiError> {
    let request = ConversationRequest {
        conversation: conversation.to_owned(),
    };
    call("mark_read", &request).await
}

pub async fn react(message_id: &str, emoji: &str) -> Result<Message, ApiError> {
    let request = React {
        message_id: message_id.to_owned(),
        emoji: emoji.to_owned(),
    };
    call("react", &request).await
}

pub async fn unreact(message_id: &str) -> Result<Message, ApiError> {
    call("unreact", &id_request(message_id)).await
}

/// Hides a message on this device only.
pub async fn delete_message_for_me(message_id: &str) -> Result<(), ApiError> {
    call("delete_message_for_me", &id_request(message_id)).await
}

/// Takes back one of the member's own messages, for everyone.
pub async fn retract_message(message_id: &str) -> Result<Message, ApiError> {
    call("retract_message", &id_request(message_id)).await
}

/// Who the member can start a one-to-one conversation with.
pub async fn peers() -> Result<Vec<Peer>, ApiError> {
    call0("peers").await
}

pub async fn read_receipts() -> Result<bool, ApiError> {
    call0("read_receipts").await
}

pub async fn set_read_receipts(enabled: bool) -> Result<bool, ApiError> {
    call("set_read_receipts", &ReadReceipts { enabled }).await
}

// --- journal -------------------------------------------------------------------------------

pub async fn journal(period: Period, date: NaiveDate) -> Result<Vec<EntryGroup>, ApiError> {
    call("journal", &JournalRequest { period, date }).await
}

pub async fn add_entry(form: &EntryForm) -> Result<Entry, ApiError> {
    call("add_entry", form).await
}

pub async fn update_entry(id: &str, form: &EntryForm) -> Result<Entry, ApiError> {
    let request = UpdateEntry {
        id: id.to_owned(),
        form: form.clone(),
    };
    call("update_entry", &request).await
}

pub async fn delete_entry(id: &str) -> Result<(), ApiError> {
    call("delete_entry", &id_request(id)).await
}

pub async fn search_journal(query: &str) -> Result<Vec<SearchHit>, ApiError> {
    let request = SearchRequest {
        query: query.to_owned(),
    };
    call("search_journal", &request).await
}

pub async fn mood_series(from: NaiveDate, to: NaiveDate) -> Result<Vec<MoodPoint>, ApiError> {
    call("mood_series", &DateRange { from, to }).await
}

// --- everything ----------------------------------------------------------------------------

pub async fn export_all(folder: &str) -> Result<ExportSummary, ApiError> {
    let request = ExportAll {
        folder: folder.to_owned(),
    };
    call("export_all", &request).await
}

pub async fn delete_everything(confirm: &str) -> Result<(), ApiError> {
    let request = DeleteEverything {
        confirm: confirm.to_owned(),
    };
    call("delete_everything", &request).await
}

// --- sync, invitations, members -------------------------------------------------------------

pub async fn sync_status() -> Result<SyncStatus, ApiError> {
    call0("sync_status").await
}

pub async fn sync_settings() -> Result<SyncSettings, ApiError> {
    call0("sync_settings").await
}

pub async fn set_sync_settings(settings: &SyncSettings) -> Result<SyncSettings, ApiError> {
    call("set_sync_settings", settings).await
}

// --- sync files ----------------------------------------------------------------------------

/// The native save dialog for a sync file; `None` when the member closed it.
pub async fn choose_sync_file_to_save() -> Result<Option<String>, ApiError> {
    call0("choose_sync_file_to_save").await
}

/// The native open dialog for a sync file; `None` when the member closed it.
pub async fn choose_sync_file_to_open() -> Result<Option<String>, ApiError> {
    call0("choose_sync_file_to_open").await
}

pub async fn export_sync_file(
    scope: SyncFileScope,
    path: &str,
) -> Result<SyncFileSaveOutcome, ApiError> {
    let request = ExportSyncFile {
        scope,
        path: path.to_owned(),
    };
    call("export_sync_file", &request).await
}

pub async fn import_sync_file(path: &str) -> Result<SyncFileOpenOutcome, ApiError> {
    let request = ImportSyncFile {
        path: path.to_owned(),
    };
    call("import_sync_file", &request).await
}

pub async fn sync_now() -> Result<(), ApiError> {
    call0("sync_now").await
}

pub async fn create_invite(group_id: &str, remote: bool) -> Result<InviteCode, ApiError> {
    let request = CreateInvite {
        group_id: group_id.to_owned(),
        remote,
    };
    call("create_invite", &request).await
}

pub async fn accept_invite(code: &str) -> Result<JoinOutcome, ApiError> {
    let request = AcceptInvite {
        code: code.to_owned(),
    };
    call("accept_invite", &request).await
}

/// The Mutua code in a picture the member picks; `None` if they cancelled.
pub async fn read_qr_image() -> Result<Option<String>, ApiError> {
    call0("read_qr_image").await
}

pub async fn join_requests() -> Result<Vec<JoinRequest>, ApiError> {
    call0("join_requests").await
}

pub async fn answer_join(request: &AnswerJoin) -> Result<(), ApiError> {
    call("answer_join", request).await
}

pub async fn remove_member(group_id: &str, member_id: &str) -> Result<(), ApiError> {
    let request = RemoveMember {
        group_id: group_id.to_owned(),
        member_id: member_id.to_owned(),
    };
    call("remove_member", &request).await
}

pub async fn setup_paired(request: &SetupPaired) -> Result<PairingState, ApiError> {
    call("setup_paired", request).await
}

pub async fn pairing_status() -> Result<Option<PairingState>, ApiError> {
    call0("pairing_status").await
}

pub async fn cancel_pairing() -> Result<(), ApiError> {
    call0("cancel_pairing").await
}

pub async fn create_pairing() -> Result<PairingCode, ApiError> {
    call0("create_pairing").await
}

pub async fn devices() -> Result<Vec<Device>, ApiError> {
    call0("devices").await
}

// --- the door itself -----------------------------------------------------------------------

fn id_request(id: &str) -> IdRequest {
    IdRequest { id: id.to_owned() }
}

async fn call0<T: DeserializeOwned>(cmd: &str) -> Result<T, ApiError> {
    send(cmd, &NoArgs {}).await
}

async fn call<R: Serialize, T: DeserializeOwned>(cmd: &str, request: &R) -> Result<T, ApiError> {
    send(cmd, &Args { request }).await
}

async fn send<A, T>(cmd: &str, args: &A) -> Result<T, ApiError>
where
    A: Serialize,
    T: DeserializeOwned,
{
    // JSON-compatible: maps become plain objects, `None` becomes `null` and 64-bit integers
    // numbers, as Tauri's JSON deserialiser expects; chrono types are ISO strings either way.
    let args = args
        .serialize(&serde_wasm_bindgen::Serializer::json_compatible())
        .map_err(|error| ApiError::internal(format!("Could not send the request: {error}")))?;
    match invoke(cmd, args).await {
        Ok(value) => serde_wasm_bindgen::from_value(value).map_err(|error| {
            ApiError::internal(format!(
                "The app sent an answer the screen did not understand ({cmd}): {error}"
            ))
        }),
        Err(rejection) => Err(rejection_to_error(rejection)),
    }
}

/// Commands reject with a serialised [`ApiError`]; Tauri itself rejects with a string, and a
/// missing `window.__TAURI__` (the page opened in a plain browser) throws a `TypeError`.
fn rejection_to_error(rejection: JsValue) -> ApiError {
    if let Ok(error) = serde_wasm_bindgen::from_value::<ApiError>(rejection.clone()) {
        return error;
    }
    if let Some(text) = rejection.as_string() {
        return ApiError::internal(text);
    }
    if let Some(error) = rejection.dyn_ref::<js_sys::Error>() {
        let message = String::from(error.message());
        if error.name() == "TypeError" {
            return ApiError::internal(format!(
                "Mutua's window is not connected to the app ({message})."
            ));
        }
        return ApiError::internal(message);
    }
    ApiError::internal(format!("Unexpected answer from the app: {rejection:?}"))
}
