//! Mutua's Tauri shell: it opens the window, registers the commands and owns nothing else.
//!
//! Commands stay a few lines each (state → core → [`mutua_api`] types); the product's logic lives
//! in `mutua-core`. The app is assembled in [`build_app`], generic over the runtime and told
//! where the data lives, so the unit tests drive the very same command table through Tauri's
//! mock runtime, on a temporary directory, without a display.

mod commands;
mod convert;
mod error;
mod hub;
mod qr;
mod state;
mod sync;

use std::path::PathBuf;

use tauri::{App, Builder, Context, Manager, Runtime};

use crate::state::AppState;

/// Starts the app on the desktop (from `main`) or on mobile (from the platform's entry point).
#[cfg_attr(mobile, tauri::mobile_entry_point)]
pub fn run() {
    let context = tauri::generate_context!("../tauri.conf.json");
    match build_app(Builder::default(), context, data_dir) {
        Ok(app) => app.run(|handle, event| {
            if let tauri::RunEvent::Exit = event {
                handle.state::<AppState>().close();
            }
        }),
        Err(error) => {
            // Nothing is shown yet when the app fails to start, so stderr is all we have.
            eprintln!("Mutua could not start: {error}");
            std::process::exit(1);
        }
    }
}

/// Where the member's data lives: `MUTUA_DATA_DIR` when set (the end-to-end tests point it at a
/// scratch folder), else the platform's app data folder (`~/.local/share/org.mutua.app`, …).
fn data_dir<R: Runtime>(app: &App<R>) -> tauri::Result<PathBuf> {
    match std::env::var_os("MUTUA_DATA_DIR") {
        Some(dir) if !dir.is_empty() => Ok(PathBuf::from(dir)),
        _ => app.path().app_data_dir(),
    }
}

/// Builds the app on any runtime (the real one, or the mock one in tests) and gives it its
/// state. `data_dir` says where the member's data lives; it is asked once the app exists, since
/// the platform's folders are known only then, and before any command can run.
fn build_app<R: Runtime>(
    builder: Builder<R>,
    context: Context<R>,
    data_dir: impl FnOnce(&App<R>) -> tauri::Result<PathBuf>,
) -> tauri::Result<App<R>> {
    let app = app_builder(builder).build(context)?;
    let dir = data_dir(&app)?;
    app.manage(AppState::new(dir));
    Ok(app)
}

/// Everything the app registers: the dialog and notification plugins and the command table.
fn app_builder<R: Runtime>(builder: Builder<R>) -> Builder<R> {
    builder
        .plugin(tauri_plugin_dialog::init())
        .plugin(tauri_plugin_notification::init())
        .invoke_handler(tauri::generate_handler![
            commands::session::app_info,
            commands::session::session_state,
            commands::session::setup,
            commands::session::unlock,
            commands::session::lock,
            commands::session::profile,
            commands::session::update_profile,
            commands::session::time_zones,
            commands::session::today,
            commands::session::delete_everything,
            commands::groups::groups,
            commands::groups::group,
            commands::groups::create_group,
            commands::groups::update_group,
            commands::groups::archive_group,
            commands::groups::leave_group,
            commands::meetings::calendar,
            commands::meetings::add_series,
            commands::meetings::update_series,
            commands::meetings::delete_series,
            commands::meetings::cancel_occurrence,
            commands::meetings::restore_occurrence,
            commands::meetings::move_occurrence,
            commands::contacts::contacts,
            commands::contacts::add_contact,
            commands::contacts::update_contact,
            commands::contacts::remove_contact,
            commands::contacts::reachable_now,
            commands::messages::conversations,
            commands::messages::messages,
            commands::messages::send_message,
            commands::messages::mark_read,
            commands::messages::react,
            commands::messages::unreact,
            commands::messages::delete_message_for_me,
            commands::messages::edit_message,
            commands::messages::retract_message,
            commands::messages::peers,
            commands::messages::read_receipts,
            commands::messages::set_read_receipts,
            commands::journal::journal,
            commands::journal::add_entry,
            commands::journal::update_entry,
            commands::journal::delete_entry,
            commands::journal::search_journal,
            commands::journal::mood_series,
            commands::files::export_group_ics,
            commands::files::export_all,
            commands::files::choose_save_path,
            commands::files::choose_folder,
            commands::sync::sync_status,
            commands::sync::sync_settings,
            commands::sync::set_sync_settings,
            commands::sync::sync_now,
            commands::sync::create_invite,
            commands::sync::accept_invite,
            commands::sync::read_qr_image,
            commands::sync::join_requests,
            commands::sync::answer_join,
            commands::sync::remove_member,
            commands::devices::setup_paired,
            commands::devices::pairing_status,
            commands::devices::cancel_pairing,
            commands::devices::create_pairing,
            commands::devices::devices,
            commands::hub::hub_status,
            commands::hub::start_hosting,
            commands::hub::stop_hosting,
            commands::hub::find_hubs,
            commands::hub::join_hub,
            commands::hub::leave_hub,
            commands::bundle::choose_sync_file_to_save,
            commands::bundle::choose_sync_file_to_open,
            commands::bundle::export_sync_file,
            commands::bundle::import_sync_file,
        ])
}

#[cfg(test)]
mod tests;
