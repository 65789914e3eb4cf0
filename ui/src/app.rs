//! The first screen: what Mutua is, and which version is running.

use leptos::prelude::*;
use mutua_api::{ApiError, AppInfo};

use crate::ipc;

#[component]
pub fn App() -> impl IntoView {
    let info = LocalResource::new(ipc::app_info);

    view! {
        <header class="masthead">
            <Mark />
            <h1>"Mutua"</h1>
        </header>
        <main id="main" class="page">
            <p class="lede">
                "Your groups, meetings, peers and journal — on this device, private, even offline."
            </p>
        </main>
        <footer class="about">
            <p id="app-version" role="status">
                {move || match info.get() {
                    None => "Checking the version…".to_string(),
                    Some(result) => version_line(result),
                }}
            </p>
        </footer>
    }
}

fn version_line(result: Result<AppInfo, ApiError>) -> String {
    match result {
        Ok(info) => format!("Version {}", info.version),
        Err(error) => format!("Could not read the version: {}", error.message),
    }
}

/// The logo: two overlapping circles, two people meeting. Decorative, so hidden from readers.
#[component]
fn Mark() -> impl IntoView {
    view! {
        <svg
            class="mark"
            viewBox="0 0 64 64"
            width="40"
            height="40"
            aria-hidden="true"
            focusable="false"
        >
            <circle cx="25" cy="32" r="20.5" fill="#268b82" fill-opacity="0.9" />
            <circle cx="39" cy="32" r="20.5" fill="#52b788" fill-opacity="0.8" />
        </svg>
    }
}
