//! The desktop binary: everything lives in the library so mobile builds share it.

// Without this, a release build on Windows also opens a console window.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

fn main() {
    mutua_app_lib::run();
}
