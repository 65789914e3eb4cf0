//! The command table driven through Tauri's mock runtime, the way the UI calls it: JSON bodies
//! `{"request": …}` in, JSON answers (or serialised [`ApiError`]s) out. Each test gets its own
//! app on its own temporary data directory. One file per topic.

mod bundle;
mod calendar;
mod contacts;
mod files;
mod groups;
mod hub;
mod journal;
mod messages;
mod session;
mod sync;

use mutua_api::{ApiError, ErrorKind, Profile};
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use tauri::ipc::{CallbackFn, InvokeBody, InvokeResponseBody};
use tauri::test::{INVOKE_KEY, MockRuntime, get_ipc_response, mock_builder, mock_context};
use tauri::webview::InvokeRequest;
use tauri::{App, Manager, WebviewWindow, WebviewWindowBuilder};
use tempfile::TempDir;

use crate::build_app;

pub const PASSPHRASE: &str = "correct horse battery";

/// One app on the mock runtime with its own data directory.
pub struct Harness {
    // Kept alive for the window; closed, then dropped (and the directory removed) at the end
    // of a test.
    app: App<MockRuntime>,
    window: WebviewWindow<MockRuntime>,
    home: TempDir,
}

/// A test's app closes its store as the real one does on exit: no worker thread of it is left
/// inside SQLCipher when the test binary exits.
impl Drop for Harness {
    fn drop(&mut self) {
        self.app.state::<crate::state::AppState>().close();
    }
}

impl Harness {
    /// A fresh app; its data directory (`<tmp>/data`) does not exist yet, as on a first run.
    pub fn new() -> Harness {
        let home = tempfile::tempdir().expect("temporary directory");
        let data_dir = home.path().join("data");
        let context = mock_context(tauri::test::noop_assets());
        let app =
            build_app(mock_builder(), context, move |_| Ok(data_dir)).expect("mock app builds");
        let window = WebviewWindowBuilder::new(&app, "main", Default::default())
            .build()
            .expect("mock window builds");
        Harness { app, window, home }
    }

    /// A fresh app already set up (passphrase-protected) as "Ana G." in Europe/Madrid.
    pub fn set_up() -> Harness {
        let h = Harness::new();
        let _: Profile = h.ok(
            "setup",
            json!({
                "pseudonym": "Ana G.",
                "passphrase": PASSPHRASE,
                "language": "es",
                "time_zone": "Europe/Madrid",
            }),
        );
        h
    }

    pub fn data_dir(&self) -> std::path::PathBuf {
        self.home.path().join("data")
    }

    /// A scratch folder outside the data directory (for exports).
    pub fn scratch(&self) -> std::path::PathBuf {
        let dir = self.home.path().join("out");
        std::fs::create_dir_all(&dir).expect("scratch folder");
        dir
    }

    /// Invokes `cmd` with `{"request": request}`, or with no arguments when `request` is null.
    pub fn invoke(&self, cmd: &str, request: Value) -> Result<InvokeResponseBody, Value> {
        if request.is_null() {
            self.invoke_raw(cmd, json!({}))
        } else {
            self.invoke_raw(cmd, json!({ "request": request }))
        }
    }

    /// Invokes `cmd` with exactly these arguments.
    pub fn invoke_raw(&self, cmd: &str, arguments: Value) -> Result<InvokeResponseBody, Value> {
        let body = InvokeBody::Json(arguments);
        let invoke = InvokeRequest {
            cmd: cmd.into(),
            callback: CallbackFn(0),
            error: CallbackFn(1),
            url: "tauri://localhost".parse().expect("valid url"),
            body,
            headers: Default::default(),
            invoke_key: INVOKE_KEY.to_string(),
        };
        get_ipc_response(&self.window, invoke)
    }

    /// [`Harness::invoke`], with the answer or the [`ApiError`] deserialised.
    pub fn call<T: DeserializeOwned>(&self, cmd: &str, request: Value) -> Result<T, ApiError> {
        match self.invoke(cmd, request) {
            Ok(body) => Ok(body
                .deserialize()
                .unwrap_or_else(|e| panic!("`{cmd}` answered something unexpected: {e}"))),
            Err(error) => Err(serde_json::from_value(error.clone())
                .unwrap_or_else(|_| panic!("`{cmd}` rejected without an ApiError: {error}"))),
        }
    }

    pub fn ok<T: DeserializeOwned>(&self, cmd: &str, request: Value) -> T {
        self.call(cmd, request)
            .unwrap_or_else(|e| panic!("`{cmd}` failed: {e}"))
    }

    pub fn err(&self, cmd: &str, request: Value) -> ApiError {
        match self.call::<Value>(cmd, request) {
            Ok(answer) => panic!("`{cmd}` should have failed, answered {answer}"),
            Err(e) => e,
        }
    }

    /// Creates a peer-led group and answers its id.
    pub fn group(&self, name: &str) -> String {
        let group: mutua_api::Group = self.ok("create_group", group_form(name));
        group.id
    }
}

pub fn group_form(name: &str) -> Value {
    json!({
        "name": name,
        "purpose": "Carers who meet on Tuesdays",
        "kind": "mutual_aid",
        "planned_sessions": null,
        "admission": "open",
        "language": "es",
        "place": "Community hall",
        "online_url": null,
        "guidelines": "What is said here stays here.",
    })
}

pub fn assert_kind(error: &ApiError, kind: ErrorKind) {
    assert_eq!(error.kind, kind, "unexpected error: {error}");
}
