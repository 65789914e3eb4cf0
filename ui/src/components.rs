//! Small pieces every screen uses: field errors, two-step confirmations, loading lines, the
//! time zone select and the mood faces.

use leptos::html;
use leptos::prelude::*;

use crate::app::use_ui;
use crate::i18n::{Key, Lang, fill, mood_word, text};

/// A message for the member: a text of ours (shown in the language of the moment, so it
/// follows a language switch) or words that arrived already written (from the shell).
#[derive(Debug, Clone, PartialEq)]
pub enum Msg {
    Key(Key),
    /// A text with `{0}`, `{1}` holes and their values.
    Fill(Key, Vec<String>),
    Text(String),
}

impl Msg {
    pub fn show(&self, lang: Lang) -> String {
        match self {
            Msg::Key(key) => text(*key, lang).to_owned(),
            Msg::Fill(key, values) => {
                let values: Vec<&str> = values.iter().map(String::as_str).collect();
                fill(text(*key, lang), &values)
            }
            Msg::Text(words) => words.clone(),
        }
    }
}

impl From<Key> for Msg {
    fn from(key: Key) -> Msg {
        Msg::Key(key)
    }
}

impl From<String> for Msg {
    fn from(words: String) -> Msg {
        Msg::Text(words)
    }
}

/// What went wrong with a form: per field (shown under it) and for the whole form (shown next
/// to its button). Typed values live in their own signals, so an error never clears them.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FormErrors {
    fields: Vec<(&'static str, Msg)>,
    form: Option<Msg>,
}

impl FormErrors {
    pub fn field(&mut self, field: &'static str, message: impl Into<Msg>) {
        if !self.has(field) {
            self.fields.push((field, message.into()));
        }
    }

    pub fn form(&mut self, message: impl Into<Msg>) {
        self.form = Some(message.into());
    }

    pub fn has(&self, field: &str) -> bool {
        self.fields.iter().any(|(name, _)| *name == field)
    }

    pub fn get(&self, field: &str) -> Option<Msg> {
        self.fields
            .iter()
            .find(|(name, _)| *name == field)
            .map(|(_, message)| message.clone())
    }

    pub fn form_error(&self) -> Option<Msg> {
        self.form.clone()
    }

    pub fn is_empty(&self) -> bool {
        self.fields.is_empty() && self.form.is_none()
    }

    /// Puts a message from the shell under the field it is about (by the words it uses),
    /// or next to the form's button when it names none.
    pub fn place(&mut self, message: String, fields: &[(&'static str, &[&str])]) {
        let lower = message.to_lowercase();
        for (field, words) in fields {
            if words.iter().any(|word| lower.contains(word)) {
                self.field(field, message);
                return;
            }
        }
        self.form(message);
    }
}

/// `aria-invalid` and `aria-describedby` for an input whose errors live in `errors`.
pub fn invalid(
    errors: RwSignal<FormErrors>,
    field: &'static str,
) -> impl Fn() -> Option<&'static str> {
    move || errors.with(|e| e.has(field)).then_some("true")
}

pub fn described(
    errors: RwSignal<FormErrors>,
    field: &'static str,
    id: impl Into<String>,
) -> impl Fn() -> Option<String> {
    let id = id.into();
    move || errors.with(|e| e.has(field)).then(|| format!("{id}-error"))
}

/// The message under a field, when there is one. Its id is `<input id>-error`.
///
/// The test hook is `<testid or id>-error`.
#[component]
pub fn FieldError(
    errors: RwSignal<FormErrors>,
    field: &'static str,
    #[prop(into)] id: String,
    #[prop(optional)] testid: Option<&'static str>,
) -> impl IntoView {
    let ui = use_ui();
    let hook = format!("{}-error", testid.unwrap_or(&id));
    move || {
        errors.with(|e| e.get(field)).map(|message| {
            let message = message.show(ui.lang.get());
            view! {
                <p class="field-error" id=format!("{id}-error") data-testid=hook.clone()>
                    {message}
                </p>
            }
        })
    }
}

/// The form-level message next to a form's button; always present so it is announced.
#[component]
pub fn FormError(errors: RwSignal<FormErrors>, testid: &'static str) -> impl IntoView {
    let ui = use_ui();
    view! {
        <p class="form-error" aria-live="polite" data-testid=testid>
            {move || errors.with(|e| e.form_error()).map(|m| m.show(ui.lang.get()))}
        </p>
    }
}

/// "Loading…", announced politely.
#[component]
pub fn Loading() -> impl IntoView {
    let ui = use_ui();
    view! {
        <p class="loading" role="status" data-testid="loading">
            {move || ui.t(Key::Loading)}
        </p>
    }
}

/// An error in words where a list or page could not be read.
#[component]
pub fn LoadError(message: String) -> impl IntoView {
    view! {
        <p class="error" role="alert" data-testid="load-error">
            {message}
        </p>
    }
}

/// A destructive action in two steps: the button, then a question with "Yes" and "No".
/// Focus moves to "No" when the question appears, and back to the button when it closes.
#[component]
pub fn Confirm(
    /// The button's text.
    label: Key,
    /// The question asked before acting.
    question: Key,
    /// The text of the button that acts.
    yes: Key,
    /// Prefix of the test hooks: `<testid>`, `<testid>-yes`, `<testid>-no`.
    testid: &'static str,
    on_yes: Callback<()>,
    #[prop(optional)] danger: bool,
    #[prop(optional, into)] name: Option<String>,
) -> impl IntoView {
    let ui = use_ui();
    let open = RwSignal::new(false);
    let no_button = NodeRef::<html::Button>::new();
    let open_button = NodeRef::<html::Button>::new();
    Effect::new(move || {
        if let Some(button) = no_button.get() {
            let _ = button.focus();
        }
    });
    let close = move || {
        open.set(false);
        request_animation_frame(move || {
            if let Some(button) = open_button.get_untracked() {
                let _ = button.focus();
            }
        });
    };
    let aria_label = name
        .clone()
        .map(|name| move || format!("{} — {}", ui.t(label), name));
    view! {
        <span class="confirm">
            <button
                type="button"
                node_ref=open_button
                class=if danger { "danger" } else { "secondary" }
                data-testid=testid
                aria-expanded=move || if open.get() { "true" } else { "false" }
                aria-label=aria_label
                on:click=move |_| open.set(true)
            >
                {move || ui.t(label)}
            </button>
            <Show when=move || open.get()>
                <span
                    class="confirm-question"
                    role="group"
                    aria-label=move || ui.t(question)
                    on:keydown=move |ev| {
                        if ev.key() == "Escape" {
                            close();
                        }
                    }
                >
                    <span class="question">{move || ui.t(question)}</span>
                    <button
                        type="button"
                        class="danger"
                        data-testid=format!("{testid}-yes")
                        on:click=move |_| {
                            open.set(false);
                            on_yes.run(());
                        }
                    >
                        {move || ui.t(yes)}
                    </button>
                    <button
                        type="button"
                        class="secondary"
                        node_ref=no_button
                        data-testid=format!("{testid}-no")
                        on:click=move |_| close()
                    >
                        {move || ui.t(Key::No)}
                    </button>
                </span>
            </Show>
        </span>
    }
}

/// A select of IANA zones, with `value` selected; the list comes from the shell once.
#[component]
pub fn ZoneSelect(
    id: &'static str,
    value: RwSignal<String>,
    #[prop(optional)] errors: Option<RwSignal<FormErrors>>,
    #[prop(optional)] field: &'static str,
) -> impl IntoView {
    let ui = use_ui();
    ui.load_zones();
    let options = move || {
        let mut zones = ui.zones.get().unwrap_or_default();
        let current = value.get();
        if !current.is_empty() && !zones.contains(&current) {
            zones.insert(0, current.clone());
        }
        zones
            .into_iter()
            .map(|zone| {
                let selected = zone == current;
                view! {
                    <option value=zone.clone() prop:selected=selected>
                        {zone.replace('_', " ")}
                    </option>
                }
            })
            .collect_view()
    };
    let invalid_attr = move || {
        errors
            .map(|errors| errors.with(|e| e.has(field)))
            .unwrap_or(false)
            .then_some("true")
    };
    view! {
        <select
            id=id
            data-testid=id
            aria-invalid=invalid_attr
            on:change=move |ev| value.set(event_target_value(&ev))
        >
            {options}
        </select>
    }
}

/// A mood as a drawn face (no emoji font needed), with its word for screen readers when
/// `labelled`, else hidden (when a word sits beside it).
#[component]
pub fn MoodFace(mood: u8, #[prop(optional)] size: Option<u32>) -> impl IntoView {
    let size = size.unwrap_or(28);
    // Mouth from a frown (1) to a smile (5): the curve's control point moves down as k grows.
    let k = (f64::from(mood.clamp(1, 5)) - 3.0) / 2.0;
    let (ends, control) = (44.0 - 4.0 * k, 44.0 + 10.0 * k);
    let mouth = format!("M20 {ends} Q32 {control} 44 {ends}");
    let fill = match mood {
        1 => "#c9d6e8",
        2 => "#d3dde3",
        3 => "#e4e6d8",
        4 => "#d7ecd9",
        _ => "#c5ecd0",
    };
    view! {
        <svg
            class="mood-face"
            viewBox="0 0 64 64"
            width=size
            height=size
            aria-hidden="true"
            focusable="false"
        >
            <circle cx="32" cy="32" r="29" fill=fill stroke="#2c3e3b" stroke-width="3" />
            <circle cx="22" cy="26" r="3.5" fill="#2c3e3b" />
            <circle cx="42" cy="26" r="3.5" fill="#2c3e3b" />
            <path d=mouth fill="none" stroke="#2c3e3b" stroke-width="3.5" stroke-linecap="round" />
        </svg>
    }
}

/// A face and its word, e.g. for an entry in a list.
#[component]
pub fn MoodBadge(mood: u8) -> impl IntoView {
    let ui = use_ui();
    view! {
        <span class="mood-badge" data-testid="mood-badge" data-mood=mood>
            <MoodFace mood size=22 />
            <span>{move || mood_word(mood, ui.lang.get())}</span>
        </span>
    }
}

/// A date typed as `2026-02-10`, with the date read back in words under it.
///
/// A text field rather than `type="date"`: WebKitGTK's date field edits month, day and year
/// as separate segments in the system locale's order, which makes typing a date unpredictable
/// (and scripted input locale-dependent). The read-back confirms what was understood.
#[component]
pub fn DateField(
    #[prop(into)] id: String,
    testid: &'static str,
    label: Key,
    value: RwSignal<String>,
    errors: RwSignal<FormErrors>,
    field: &'static str,
    #[prop(optional, into)] disabled: Option<Signal<bool>>,
    /// Hide the visible label (when a radio button beside the field already says it).
    #[prop(optional)]
    hidden_label: bool,
) -> impl IntoView {
    let ui = use_ui();
    let hint_id = format!("{id}-hint");
    let words = move || {
        let lang = ui.lang.get();
        match crate::dates::parse_date(&value.get()) {
            Some(date) => crate::i18n::date_long(date, lang),
            None => crate::i18n::text(Key::DateFormatHint, lang).to_owned(),
        }
    };
    let describedby = {
        let (hint_id, id) = (hint_id.clone(), id.clone());
        move || {
            if errors.with(|e| e.has(field)) {
                format!("{hint_id} {id}-error")
            } else {
                hint_id.clone()
            }
        }
    };
    let disabled = move || disabled.map(|d| d.get()).unwrap_or(false);
    view! {
        <div class="field date-field">
            <label for=id.clone() class:visually-hidden=hidden_label>
                {move || ui.t(label)}
            </label>
            <input
                id=id.clone()
                data-testid=testid
                type="text"
                inputmode="numeric"
                autocomplete="off"
                class="date-input"
                placeholder=move || ui.t(Key::DatePlaceholder)
                disabled=disabled
                aria-invalid=invalid(errors, field)
                aria-describedby=describedby
                bind:value=value
            />
            <p class="hint" id=hint_id data-testid=format!("{testid}-words")>
                {words}
            </p>
            <FieldError errors field id=id.clone() testid=testid />
        </div>
    }
}
