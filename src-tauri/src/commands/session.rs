//! First run, locking and unlocking, the profile, the Today screen, and deleting everything.

use chrono::Duration;
use mutua_api::{
    ApiError, AppInfo, DeleteEverything, Profile, SessionState, SetupRequest, Today, UnlockRequest,
};
use mutua_core::calendar::parse_tz;
use mutua_core::sync::PairingStatus;
use mutua_core::{Error, Mutua, NewProtection, Unlock};
use tauri::{AppHandle, Runtime};

use crate::convert;
use crate::state::{blocking, with_store, with_store_shared};

/// How many meetings, and how far ahead, the Today screen shows.
const TODAY_MEETINGS: usize = 5;
const TODAY_DAYS_AHEAD: i64 = 14;
const TODAY_ENTRIES: u32 = 5;

/// The app's version and whether this device already has a data directory (first run or not).
#[tauri::command]
pub async fn app_info<R: Runtime>(app: AppHandle<R>) -> Result<AppInfo, ApiError> {
    let version = app.package_info().version.to_string();
    blocking(app, move |state| {
        Ok(AppInfo {
            version,
            data_dir_present: state.data_dir.is_dir(),
        })
    })
    .await
}

#[tauri::command]
pub async fn session_state<R: Runtime>(app: AppHandle<R>) -> Result<SessionState, ApiError> {
    blocking(app, |state| {
        let initialised = Mutua::exists(&state.data_dir);
        Ok(SessionState {
            initialised,
            unlocked: state.slot().is_some(),
            protection: Mutua::protection(&state.data_dir)
                .ok()
                .map(convert::protection),
            keychain_available: state.keychain_available(),
            language: Mutua::remembered_language(&state.data_dir),
        })
    })
    .await
}

/// First run. All or nothing: if the time zone or language is refused after the data was
/// created, the new data is removed again, so the member can simply correct and retry.
#[tauri::command]
pub async fn setup<R: Runtime>(
    app: AppHandle<R>,
    request: SetupRequest,
) -> Result<Profile, ApiError> {
    let handle = app.clone();
    let profile = blocking(app, move |state| {
        let mut slot = state.slot();
        let dir = &state.data_dir;
        if slot.is_some() {
            return Err(Error::AlreadyInitialised(dir.display().to_string()).into());
        }
        let protection = match request.passphrase.as_deref() {
            Some(passphrase) => NewProtection::Passphrase(passphrase),
            None => NewProtection::Keychain,
        };
        // `init` refuses a directory that already holds data, before touching anything.
        let mut store = Mutua::init(dir, &request.pseudonym, protection)?;
        let time_zone = request
            .time_zone
            .unwrap_or_else(|| mutua_core::time::system_time_zone().name().to_owned());
        let configured = (|| {
            store.set_time_zone(&time_zone)?;
            if let Some(language) = request.language.as_deref() {
                store.set_language(Some(language))?;
            }
            store.profile()
        })();
        match configured {
            Ok(profile) => {
                *slot = Some(store);
                Ok(convert::profile(profile))
            }
            Err(error) => {
                drop(store);
                if let Err(cleanup) = Mutua::destroy(dir) {
                    eprintln!("mutua: could not remove a half-made setup: {cleanup:?}");
                }
                Err(error.into())
            }
        }
    })
    .await?;
    crate::sync::restart(&handle);
    Ok(profile)
}

/// Opens the data (Argon2id makes this take about a tenth of a second). Unlocking data that
/// is already open just answers the profile.
#[tauri::command]
pub async fn unlock<R: Runtime>(
    app: AppHandle<R>,
    request: UnlockRequest,
) -> Result<Profile, ApiError> {
    let handle = app.clone();
    let profile = blocking(app, move |state| {
        let mut slot = state.slot();
        if let Some(store) = slot.as_ref() {
            return Ok(convert::profile(store.profile()?));
        }
        let how = match request.passphrase.as_deref() {
            Some(passphrase) => Unlock::Passphrase(passphrase),
            None => Unlock::Keychain,
        };
        let store = Mutua::open(&state.data_dir, how)?;
        // A new device still waiting for its other device has no profile yet: the window
        // asks `pairing_status` and shows the waiting screen.
        let pending = matches!(
            store.pairing_status()?,
            Some(PairingStatus::Waiting { .. } | PairingStatus::Refused { .. })
        );
        let profile = if pending {
            Profile {
                pseudonym: String::new(),
                language: None,
                time_zone: None,
            }
        } else {
            convert::profile(store.profile()?)
        };
        *slot = Some(store);
        Ok(profile)
    })
    .await?;
    crate::sync::restart(&handle);
    Ok(profile)
}

/// Closes the store; the key leaves memory with it.
#[tauri::command]
pub async fn lock<R: Runtime>(app: AppHandle<R>) -> Result<(), ApiError> {
    blocking(app, |state| {
        state.close();
        Ok(())
    })
    .await
}

#[tauri::command]
pub async fn profile<R: Runtime>(app: AppHandle<R>) -> Result<Profile, ApiError> {
    with_store(app, |m| Ok(convert::profile(m.profile()?))).await
}

/// Saves what changed. Everything is checked before anything is written. A time zone of
/// `None` keeps the current one (the profile cannot go back to having none).
#[tauri::command]
pub async fn update_profile<R: Runtime>(
    app: AppHandle<R>,
    request: Profile,
) -> Result<Profile, ApiError> {
    with_store_shared(app, move |m| {
        let current = m.profile()?;
        let pseudonym = mutua_core::profile::check_pseudonym(&request.pseudonym)?;
        if let Some(zone) = &request.time_zone {
            parse_tz(zone).map_err(Error::from)?;
        }
        // The language is checked by the core as it is set, so it goes first.
        if request.language != current.language {
            m.set_language(request.language.as_deref())?;
        }
        if pseudonym != current.pseudonym {
            m.set_pseudonym(&pseudonym)?;
        }
        if let Some(zone) = &request.time_zone
            && current.time_zone.as_ref() != Some(zone)
        {
            m.set_time_zone(zone)?;
        }
        Ok(convert::profile(m.profile()?))
    })
    .await
}

/// Every IANA zone name the app knows, sorted, for the time zone pickers.
#[tauri::command]
pub async fn time_zones() -> Vec<String> {
    let mut names: Vec<String> = chrono_tz::TZ_VARIANTS
        .iter()
        .map(|tz| tz.name().to_owned())
        .collect();
    names.sort();
    names
}

/// The Today screen: the next meetings (two weeks ahead, at most five), who can be reached
/// now, and the latest journal entries.
#[tauri::command]
pub async fn today<R: Runtime>(app: AppHandle<R>) -> Result<Today, ApiError> {
    with_store(app, |m| {
        let viewer = convert::viewer_zone(m)?;
        let now = mutua_core::time::now();
        let mut upcoming = m.calendar(now, now + Duration::days(TODAY_DAYS_AHEAD))?;
        upcoming.truncate(TODAY_MEETINGS);
        Ok(Today {
            pseudonym: m.profile()?.pseudonym,
            next_meetings: convert::occurrences(upcoming, &m.series(None)?, viewer),
            reachable: m
                .reachable_at(now)?
                .into_iter()
                .map(|r| convert::reachable(r, viewer))
                .collect(),
            recent_entries: m
                .recent_entries(TODAY_ENTRIES)?
                .into_iter()
                .map(convert::entry)
                .collect(),
            now_utc: now,
        })
    })
    .await
}

/// Removes every trace of the member's data from this device (database, key info, keychain
/// entry), once they have typed their pseudonym again. Needs the data unlocked.
#[tauri::command]
pub async fn delete_everything<R: Runtime>(
    app: AppHandle<R>,
    request: DeleteEverything,
) -> Result<(), ApiError> {
    blocking(app, move |state| {
        let mut slot = state.slot();
        let store = slot.as_ref().ok_or_else(|| state.locked())?;
        let pseudonym = store.profile()?.pseudonym;
        if request.confirm.trim().to_lowercase() != pseudonym.trim().to_lowercase() {
            return Err(Error::Invalid(
                "the name typed is not your name in Mutua; nothing was deleted".into(),
            )
            .into());
        }
        // Close the database before its files go.
        state.sync.stop();
        state.hub.stop_all();
        slot.take();
        Mutua::destroy(&state.data_dir)?;
        // The hub's database holds only ciphertext, but "everything" means everything.
        mutua_hub::host::reset(&state.data_dir).map_err(|e| Error::Invalid(e.to_string()))?;
        match std::fs::remove_file(state.data_dir.join(crate::sync::SETTINGS_FILE)) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                return Err(Error::Io {
                    path: state.data_dir.display().to_string(),
                    source: e,
                }
                .into());
            }
            _ => {}
        }
        // The folder itself goes too if nothing else lives there (a no-op otherwise).
        let _ = std::fs::remove_dir(&state.data_dir);
        Ok(())
    })
    .await
}
