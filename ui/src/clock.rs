//! What the UI asks the browser engine itself: the clock, the system's time zone and language,
//! and one remembered preference (the language to show on the unlock screen, before the
//! profile can be read).

use chrono::{DateTime, NaiveDate, Utc};
use js_sys::{Array, Intl, Object, Reflect};
use wasm_bindgen::{JsCast, JsValue};

use crate::i18n::Lang;

const LANG_KEY: &str = "mutua.lang";

/// The IANA zone the system is set to, as `Intl.DateTimeFormat().resolvedOptions().timeZone`.
pub fn system_time_zone() -> Option<String> {
    let format = Intl::DateTimeFormat::new(&Array::new(), &Object::new());
    let options = format.resolved_options();
    Reflect::get(&options, &JsValue::from_str("timeZone"))
        .ok()
        .and_then(|zone| zone.as_string())
        .filter(|zone| !zone.is_empty())
}

/// Today's date in `zone` (the viewer's), falling back to the system's local date.
pub fn today_in(zone: &str) -> NaiveDate {
    date_in(zone).unwrap_or_else(|| {
        let now = js_sys::Date::new_0();
        NaiveDate::from_ymd_opt(
            now.get_full_year() as i32,
            now.get_month() + 1,
            now.get_date(),
        )
        .unwrap_or_default()
    })
}

fn date_in(zone: &str) -> Option<NaiveDate> {
    let options = Object::new();
    for (key, value) in [
        ("timeZone", zone),
        ("year", "numeric"),
        ("month", "2-digit"),
        ("day", "2-digit"),
    ] {
        Reflect::set(&options, &JsValue::from_str(key), &JsValue::from_str(value)).ok()?;
    }
    let locales = Array::of1(&JsValue::from_str("en-CA"));
    // An unknown zone throws a RangeError; `catch` is not available on this constructor, so
    // check the zone against the engine's list first when it has one.
    if !zone_known(zone) {
        return None;
    }
    let format = Intl::DateTimeFormat::new(&locales, &options);
    let text = format
        .format()
        .call1(&format, &js_sys::Date::new_0().into())
        .ok()?
        .as_string()?;
    NaiveDate::parse_from_str(&text, "%Y-%m-%d").ok()
}

/// `14:05`: the wall-clock time of `at` in `zone`.
pub fn time_in(zone: &str, at: DateTime<Utc>) -> Option<String> {
    if !zone_known(zone) {
        return None;
    }
    let options = Object::new();
    for (key, value) in [
        ("timeZone", zone),
        ("hour", "2-digit"),
        ("minute", "2-digit"),
    ] {
        Reflect::set(&options, &JsValue::from_str(key), &JsValue::from_str(value)).ok()?;
    }
    Reflect::set(
        &options,
        &JsValue::from_str("hourCycle"),
        &JsValue::from_str("h23"),
    )
    .ok()?;
    let locales = Array::of1(&JsValue::from_str("en-GB"));
    let format = Intl::DateTimeFormat::new(&locales, &options);
    let date = js_sys::Date::new(&JsValue::from_f64(at.timestamp_millis() as f64));
    format
        .format()
        .call1(&format, &date.into())
        .ok()?
        .as_string()
}

/// Whether the engine knows `zone` (`Intl.supportedValuesOf("timeZone")`, where available).
fn zone_known(zone: &str) -> bool {
    if zone == "UTC" || zone == "Etc/UTC" {
        return true;
    }
    thread_local! {
        static KNOWN: std::cell::RefCell<std::collections::HashMap<String, bool>> =
            std::cell::RefCell::new(std::collections::HashMap::new());
    }
    if let Some(known) = KNOWN.with(|known| known.borrow().get(zone).copied()) {
        return known;
    }
    let known = engine_knows(zone);
    KNOWN.with(|cache| cache.borrow_mut().insert(zone.to_owned(), known));
    known
}

fn engine_knows(zone: &str) -> bool {
    let intl = js_sys::global();
    let Ok(intl) = Reflect::get(&intl, &JsValue::from_str("Intl")) else {
        return false;
    };
    let Ok(supported) = Reflect::get(&intl, &JsValue::from_str("supportedValuesOf")) else {
        return false;
    };
    let Some(supported) = supported.dyn_ref::<js_sys::Function>() else {
        return false;
    };
    match supported.call1(&intl, &JsValue::from_str("timeZone")) {
        Ok(list) => Array::from(&list)
            .iter()
            .any(|value| value.as_string().as_deref() == Some(zone)),
        Err(_) => false,
    }
}

/// The language the system prefers, if it is one Mutua speaks.
pub fn system_language() -> Lang {
    web_sys::window()
        .and_then(|window| window.navigator().language())
        .map(|tag| Lang::from_code(&tag))
        .unwrap_or(Lang::En)
}

/// The language last shown, remembered outside the encrypted store (in the webview's local
/// storage) so the unlock screen can speak it. It says nothing about the member beyond that;
/// a first run ignores it.
pub fn remembered_language() -> Option<Lang> {
    let storage = web_sys::window()?.local_storage().ok()??;
    let code = storage.get_item(LANG_KEY).ok()??;
    Some(Lang::from_code(&code))
}

pub fn remember_language(lang: Lang) {
    if let Some(Ok(Some(storage))) = web_sys::window().map(|window| window.local_storage()) {
        // Losing this only means the unlock screen speaks the system's language.
        let _ = storage.set_item(LANG_KEY, lang.code());
    }
}

/// Sets `<html lang>` so screen readers pronounce the page in the right language.
pub fn set_document_language(lang: Lang) {
    if let Some(root) = web_sys::window()
        .and_then(|window| window.document())
        .and_then(|document| document.document_element())
    {
        let _ = root.set_attribute("lang", lang.code());
    }
}
