//! The UI's one door to the shell: the only code that calls `window.__TAURI__.core.invoke`.
//!
//! Each command gets a typed function here, taking and returning `mutua-api` types, so pages
//! never see JSON, command names or JavaScript values. Whatever goes wrong on the way (the shell
//! refusing, an unknown command, running outside Tauri) arrives as an [`ApiError`].

use mutua_api::{ApiError, AppInfo};
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

/// The app's version and whether this device has a data directory yet.
pub async fn app_info() -> Result<AppInfo, ApiError> {
    call("app_info", &NoArgs {}).await
}

async fn call<A, T>(cmd: &str, args: &A) -> Result<T, ApiError>
where
    A: Serialize,
    T: DeserializeOwned,
{
    // JSON-compatible: maps become plain objects and 64-bit integers numbers, as Tauri expects.
    let args = args
        .serialize(&serde_wasm_bindgen::Serializer::json_compatible())
        .map_err(|error| ApiError::internal(format!("Could not send the request: {error}")))?;
    match invoke(cmd, args).await {
        Ok(value) => serde_wasm_bindgen::from_value(value).map_err(|error| {
            ApiError::internal(format!(
                "The app sent an answer the screen did not understand: {error}"
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
