//! Mutua's Tauri shell: it opens the window, registers the commands and owns nothing else.
//!
//! Commands stay a few lines each (state → core → [`mutua_api`] types); the product's logic lives
//! in `mutua-core`. The builder is assembled in [`app_builder`], generic over the runtime, so the
//! unit tests drive the very same command table through Tauri's mock runtime without a display.

mod commands;
mod error;

use tauri::{Builder, Runtime};

/// Starts the app on the desktop (from `main`) or on mobile (from the platform's entry point).
#[cfg_attr(mobile, tauri::mobile_entry_point)]
pub fn run() {
    let context = tauri::generate_context!("../tauri.conf.json");
    if let Err(error) = app_builder(Builder::default()).run(context) {
        // Nothing is shown yet when the event loop fails to start, so stderr is all we have.
        eprintln!("Mutua could not start: {error}");
        std::process::exit(1);
    }
}

/// Everything the app registers, on any runtime (the real one, or the mock one in tests).
fn app_builder<R: Runtime>(builder: Builder<R>) -> Builder<R> {
    builder.invoke_handler(tauri::generate_handler![commands::app_info])
}

#[cfg(test)]
mod tests {
    use mutua_api::AppInfo;
    use tauri::ipc::{CallbackFn, InvokeBody};
    use tauri::test::{INVOKE_KEY, MockRuntime, get_ipc_response, mock_builder, mock_context};
    use tauri::webview::InvokeRequest;
    use tauri::{App, WebviewWindow, WebviewWindowBuilder};

    use super::app_builder;

    fn mock_app() -> (App<MockRuntime>, WebviewWindow<MockRuntime>) {
        let app = app_builder(mock_builder())
            .build(mock_context(tauri::test::noop_assets()))
            .expect("mock app builds");
        let window = WebviewWindowBuilder::new(&app, "main", Default::default())
            .build()
            .expect("mock window builds");
        (app, window)
    }

    fn invoke(cmd: &str) -> InvokeRequest {
        InvokeRequest {
            cmd: cmd.into(),
            callback: CallbackFn(0),
            error: CallbackFn(1),
            url: "tauri://localhost".parse().expect("valid url"),
            body: InvokeBody::default(),
            headers: Default::default(),
            invoke_key: INVOKE_KEY.to_string(),
        }
    }

    #[test]
    fn app_info_answers_with_the_package_version() {
        let (_app, window) = mock_app();

        let body = get_ipc_response(&window, invoke("app_info")).expect("app_info succeeds");
        let info: AppInfo = body.deserialize().expect("an AppInfo");

        // `mock_context` reports version 0.1.0 for its package.
        assert_eq!(info.version, "0.1.0");
    }

    #[test]
    fn unknown_commands_are_rejected() {
        let (_app, window) = mock_app();

        let result = get_ipc_response(&window, invoke("no_such_command"));

        assert!(result.is_err(), "expected a rejection, got {result:?}");
    }
}
