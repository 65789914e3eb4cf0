//! The private journal: entries by day, week or month, search, and the mood chart.

use mutua_api::{
    ApiError, DateRange, Entry, EntryForm, EntryGroup, IdRequest, JournalRequest, MoodPoint,
    SearchHit, SearchRequest, UpdateEntry,
};
use mutua_core::journal::period_bounds;
use tauri::{AppHandle, Runtime};

use crate::convert;
use crate::state::with_store;

/// How many search results one query returns, best first.
const SEARCH_LIMIT: u32 = 50;

/// The entries of the day, ISO week or month around `date`, newest group first.
#[tauri::command]
pub async fn journal<R: Runtime>(
    app: AppHandle<R>,
    request: JournalRequest,
) -> Result<Vec<EntryGroup>, ApiError> {
    with_store(app, move |m| {
        let period = convert::period(request.period);
        let (from, to) = period_bounds(period, request.date);
        let groups = m.entries_by(period, from, to)?;
        Ok(groups.into_iter().map(convert::entry_group).collect())
    })
    .await
}

/// A new entry, dated now unless the form says otherwise, on the member's own calendar.
#[tauri::command]
pub async fn add_entry<R: Runtime>(
    app: AppHandle<R>,
    request: EntryForm,
) -> Result<Entry, ApiError> {
    with_store(app, move |m| {
        let viewer = convert::viewer_zone(m)?;
        let entry = m.add_entry(convert::new_entry_fields(request, viewer))?;
        Ok(convert::entry(entry))
    })
    .await
}

/// Replaces an entry's content; `written_at: None` keeps its time (it does not mean "now").
#[tauri::command]
pub async fn update_entry<R: Runtime>(
    app: AppHandle<R>,
    request: UpdateEntry,
) -> Result<Entry, ApiError> {
    with_store(app, move |m| {
        let old = m.find_entry(&request.id)?;
        let fields = convert::edited_entry_fields(request.form, &old);
        Ok(convert::entry(m.update_entry(&old.id, fields)?))
    })
    .await
}

#[tauri::command]
pub async fn delete_entry<R: Runtime>(
    app: AppHandle<R>,
    request: IdRequest,
) -> Result<(), ApiError> {
    with_store(app, move |m| {
        m.delete_entry(&request.id)?;
        Ok(())
    })
    .await
}

/// Full-text search: words match by prefix and ignore accents; matches are in [brackets] in
/// each snippet.
#[tauri::command]
pub async fn search_journal<R: Runtime>(
    app: AppHandle<R>,
    request: SearchRequest,
) -> Result<Vec<SearchHit>, ApiError> {
    with_store(app, move |m| {
        let hits = m.search_journal(&request.query, SEARCH_LIMIT)?;
        Ok(hits.into_iter().map(convert::search_hit).collect())
    })
    .await
}

/// Average mood per day (the entries' own days) over `from..=to`; days without one are absent.
#[tauri::command]
pub async fn mood_series<R: Runtime>(
    app: AppHandle<R>,
    request: DateRange,
) -> Result<Vec<MoodPoint>, ApiError> {
    with_store(app, move |m| {
        let points = m.mood_series(request.from, request.to)?;
        Ok(points.into_iter().map(convert::mood_point).collect())
    })
    .await
}
