//! The app's frame: which phase the session is in (first run, locked, open), which screen is
//! shown, the navigation, and the shared state every screen reads through [`Ui`].

use chrono::NaiveDate;
use leptos::prelude::*;
use leptos::task::spawn_local;
use mutua_api::{ApiError, ErrorKind, PairingState, Profile, Protection, SyncStatus};

use crate::clock;
use crate::i18n::{Key, Lang, text};
use crate::ipc;
use crate::pages::{
    calendar::CalendarPage, calendar::CalendarView, contacts::ContactEditPage,
    contacts::ContactsPage, devices::PairingPage, first_run::FirstRunPage,
    group_form::GroupFormPage, groups::GroupPage, groups::GroupsPage, journal::JournalPage,
    messages::MessagesPage, messages::ThreadPage, series_form::SeriesFormPage,
    settings::SettingsPage, sync::InvitePage, sync::JoinPage, sync::SyncBadge,
    sync_file::SyncFilePage, today::TodayPage, unlock::UnlockPage,
};

/// Where the session stands; decides between the first-run, unlock and main screens.
#[derive(Debug, Clone, PartialEq)]
pub enum Phase {
    Starting,
    /// The shell did not answer `session_state` (e.g. running outside the app).
    Unavailable(ApiError),
    FirstRun {
        keychain_available: bool,
    },
    Locked {
        protection: Option<Protection>,
    },
    /// A new device set up with a pairing code, waiting for the member's other device.
    Pairing,
    Open,
}

/// The screens of the open app. Sub-screens (a group's page, a form) carry what they show.
#[derive(Debug, Clone, PartialEq)]
pub enum Screen {
    Today,
    Messages,
    Thread(Thread),
    Groups,
    GroupNew,
    Group(String),
    GroupEdit(String),
    /// The invite screen of a group (id, name).
    Invite {
        group_id: String,
        group_name: String,
    },
    /// "Join a group": paste a code or open a picture of one.
    Join,
    Calendar,
    SeriesNew {
        group_id: Option<String>,
    },
    SeriesEdit {
        group_id: String,
        series_id: String,
    },
    Contacts,
    ContactNew,
    ContactEdit(String),
    Journal,
    Settings,
    /// Settings → Sync → saving and opening sync files.
    SyncFile,
}

/// A conversation to show: one that exists (by id), or a member not written to yet.
#[derive(Debug, Clone, PartialEq)]
pub enum Thread {
    Conversation(String),
    Direct {
        member_id: String,
        pseudonym: String,
    },
}

/// The seven places in the navigation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Section {
    Today,
    Messages,
    Groups,
    Calendar,
    Contacts,
    Journal,
    Settings,
}

impl Screen {
    pub fn section(&self) -> Section {
        match self {
            Screen::Today => Section::Today,
            Screen::Messages | Screen::Thread(_) => Section::Messages,
            Screen::Groups
            | Screen::GroupNew
            | Screen::Group(_)
            | Screen::GroupEdit(_)
            | Screen::Invite { .. }
            | Screen::Join => Section::Groups,
            Screen::Calendar | Screen::SeriesNew { .. } | Screen::SeriesEdit { .. } => {
                Section::Calendar
            }
            Screen::Contacts | Screen::ContactNew | Screen::ContactEdit(_) => Section::Contacts,
            Screen::Journal => Section::Journal,
            Screen::Settings | Screen::SyncFile => Section::Settings,
        }
    }
}

impl Section {
    const ALL: [Section; 7] = [
        Section::Today,
        Section::Messages,
        Section::Groups,
        Section::Calendar,
        Section::Contacts,
        Section::Journal,
        Section::Settings,
    ];

    fn screen(self) -> Screen {
        match self {
            Section::Today => Screen::Today,
            Section::Messages => Screen::Messages,
            Section::Groups => Screen::Groups,
            Section::Calendar => Screen::Calendar,
            Section::Contacts => Screen::Contacts,
            Section::Journal => Screen::Journal,
            Section::Settings => Screen::Settings,
        }
    }

    fn label(self) -> Key {
        match self {
            Section::Today => Key::NavToday,
            Section::Messages => Key::NavMessages,
            Section::Groups => Key::NavGroups,
            Section::Calendar => Key::NavCalendar,
            Section::Contacts => Key::NavContacts,
            Section::Journal => Key::NavJournal,
            Section::Settings => Key::NavSettings,
        }
    }

    fn testid(self) -> &'static str {
        match self {
            Section::Today => "nav-today",
            Section::Messages => "nav-messages",
            Section::Groups => "nav-groups",
            Section::Calendar => "nav-calendar",
            Section::Contacts => "nav-contacts",
            Section::Journal => "nav-journal",
            Section::Settings => "nav-settings",
        }
    }
}

/// State shared by every screen, provided as context. All fields are signals, so it is `Copy`.
#[derive(Debug, Clone, Copy)]
pub struct Ui {
    pub lang: RwSignal<Lang>,
    pub phase: RwSignal<Phase>,
    pub screen: RwSignal<Screen>,
    pub profile: RwSignal<Option<Profile>>,
    /// Bumped after every change; resources read it, so they fetch again.
    pub version: RwSignal<u32>,
    /// Bumped when a conversation is marked read, so the unread badge counts again (without
    /// making every screen fetch again).
    pub reads: RwSignal<u32>,
    /// The polite live region's text: what just happened.
    pub status: RwSignal<String>,
    /// The month the calendar shows (its first day), kept across screens.
    pub month: RwSignal<NaiveDate>,
    /// Agenda or month, kept across screens.
    pub calendar_view: RwSignal<CalendarView>,
    /// IANA zone names, fetched once from the shell.
    pub zones: RwSignal<Option<Vec<String>>>,
    /// Where background sync stands, polled from the shell while the app is open.
    pub sync: RwSignal<Option<SyncStatus>>,
    /// Bumped when a sync round brought something in: screens that show shared data (groups,
    /// meetings, messages) read it and fetch again; forms being filled in do not.
    pub synced: RwSignal<u32>,
}

impl Ui {
    fn new() -> Ui {
        // Start in the language last shown (so the Effect that remembers the current language
        // does not overwrite it before `boot` asks the shell), else the system's.
        let lang = clock::remembered_language().unwrap_or_else(clock::system_language);
        let today = clock::today_in(&clock::system_time_zone().unwrap_or_default());
        Ui {
            lang: RwSignal::new(lang),
            phase: RwSignal::new(Phase::Starting),
            screen: RwSignal::new(Screen::Today),
            profile: RwSignal::new(None),
            version: RwSignal::new(0),
            reads: RwSignal::new(0),
            status: RwSignal::new(String::new()),
            month: RwSignal::new(crate::dates::first_of_month(today)),
            calendar_view: RwSignal::new(CalendarView::Agenda),
            zones: RwSignal::new(None),
            sync: RwSignal::new(None),
            synced: RwSignal::new(0),
        }
    }

    /// The text of `key` in the current language (reactive when called inside a closure).
    pub fn t(&self, key: Key) -> &'static str {
        text(key, self.lang.get())
    }

    /// Shows another screen, clearing the last status message.
    pub fn go(&self, screen: Screen) {
        self.status.set(String::new());
        self.screen.set(screen);
        focus_heading();
    }

    /// Tells the member what just happened, through the polite live region.
    pub fn say(&self, message: impl Into<String>) {
        self.status.set(message.into());
    }

    /// Makes every screen fetch its data again after a change.
    pub fn changed(&self) {
        self.version.update(|v| *v = v.wrapping_add(1));
    }

    /// The member's own zone: the profile's, else the system's, else UTC.
    pub fn zone_untracked(&self) -> String {
        self.profile
            .with_untracked(|profile| profile.as_ref().and_then(|p| p.time_zone.clone()))
            .or_else(clock::system_time_zone)
            .unwrap_or_else(|| "UTC".to_owned())
    }

    /// Today's date in the member's zone.
    pub fn today(&self) -> NaiveDate {
        clock::today_in(&self.zone_untracked())
    }

    /// Takes a profile the shell answered with: it decides the language too.
    pub fn use_profile(&self, profile: Profile) {
        if let Some(code) = profile.language.as_deref() {
            self.lang.set(Lang::from_code(code));
        }
        self.profile.set(Some(profile));
    }

    /// An error in words, in the member's language; a `Locked` error also sends them to unlock.
    pub fn explain(&self, error: &ApiError) -> String {
        if error.kind == ErrorKind::Locked {
            // The shell locked (or restarted): ask it again where the session stands.
            spawn_local(boot(*self));
        }
        crate::i18n::error_text(error, self.lang.get_untracked())
    }

    /// Loads the zone list once (for the time zone selects).
    pub fn load_zones(&self) {
        if self.zones.with_untracked(Option::is_some) {
            return;
        }
        let zones = self.zones;
        spawn_local(async move {
            let list = ipc::time_zones().await.unwrap_or_default();
            zones.set(Some(list));
        });
    }
}

pub fn use_ui() -> Ui {
    expect_context::<Ui>()
}

/// Moves keyboard focus to the new screen's heading, so screen readers announce it.
fn focus_heading() {
    request_animation_frame(|| {
        if let Some(heading) = document()
            .query_selector("#main h1")
            .ok()
            .flatten()
            .and_then(|el| wasm_bindgen::JsCast::dyn_into::<web_sys::HtmlElement>(el).ok())
        {
            let _ = heading.focus();
        }
    });
}

#[component]
pub fn App() -> impl IntoView {
    let ui = Ui::new();
    provide_context(ui);
    Effect::new(move || {
        let lang = ui.lang.get();
        clock::set_document_language(lang);
        clock::remember_language(lang);
    });
    spawn_local(boot(ui));

    view! {
        {move || match ui.phase.get() {
            Phase::Starting => view! { <Starting /> }.into_any(),
            Phase::Unavailable(error) => view! { <Unavailable error /> }.into_any(),
            Phase::FirstRun { keychain_available } => {
                view! { <FirstRunPage keychain_available /> }.into_any()
            }
            Phase::Locked { protection } => view! { <UnlockPage protection /> }.into_any(),
            Phase::Pairing => view! { <PairingPage /> }.into_any(),
            Phase::Open => view! { <Shell /> }.into_any(),
        }}
    }
}

/// Asks the shell where the session stands and opens the matching screen.
pub async fn boot(ui: Ui) {
    let state = match ipc::session_state().await {
        Ok(state) => state,
        Err(error) => {
            ui.phase.set(Phase::Unavailable(error));
            return;
        }
    };
    if !state.initialised {
        // A new start speaks the system's language until the member picks one.
        ui.lang.set(clock::system_language());
        ui.phase.set(Phase::FirstRun {
            keychain_available: state.keychain_available,
        });
    } else if !state.unlocked {
        // The profile is sealed until unlocked: speak the language it was last shown in.
        let chosen = state.language.as_deref().map(Lang::from_code);
        if let Some(lang) = chosen.or_else(clock::remembered_language) {
            ui.lang.set(lang);
        }
        ui.phase.set(Phase::Locked {
            protection: state.protection,
        });
    } else if matches!(
        ipc::pairing_status().await,
        Ok(Some(
            PairingState::Waiting { .. } | PairingState::Refused { .. }
        ))
    ) {
        ui.phase.set(Phase::Pairing);
    } else {
        match ipc::profile().await {
            Ok(profile) => {
                ui.use_profile(profile);
                ui.phase.set(Phase::Open);
            }
            Err(error) => ui.phase.set(Phase::Unavailable(error)),
        }
    }
}

#[component]
fn Starting() -> impl IntoView {
    let ui = use_ui();
    view! {
        <main id="main" class="center-page">
            <Mark size=56 />
            <p class="loading" role="status" data-testid="starting">
                {move || ui.t(Key::Opening)}
            </p>
        </main>
    }
}

#[component]
fn Unavailable(error: ApiError) -> impl IntoView {
    let ui = use_ui();
    let message = error.message.clone();
    view! {
        <main id="main" class="center-page">
            <Mark size=56 />
            <h1>"Mutua"</h1>
            <p class="error" role="alert" data-testid="unavailable">
                {move || ui.t(Key::ShellUnavailable)}
                " "
                {message.clone()}
            </p>
            <button
                type="button"
                class="primary"
                data-testid="retry"
                on:click=move |_| {
                    ui.phase.set(Phase::Starting);
                    spawn_local(boot(ui));
                }
            >
                {move || ui.t(Key::TryAgain)}
            </button>
        </main>
    }
}

/// The open app: navigation plus the current screen.
#[component]
fn Shell() -> impl IntoView {
    let ui = use_ui();
    ui.load_zones();
    crate::pages::sync::poll_sync_status(ui);
    let unread = LocalResource::new(move || {
        ui.version.track();
        ui.synced.track();
        ui.reads.track();
        async move {
            ipc::conversations()
                .await
                .map(|list| list.iter().map(|c| c.unread).sum::<u32>())
                .unwrap_or(0)
        }
    });
    let nav_items = Section::ALL
        .into_iter()
        .map(|section| {
            let current = move || ui.screen.with(|s| s.section() == section);
            view! {
                <li>
                    <button
                        type="button"
                        class="nav-item"
                        data-testid=section.testid()
                        aria-current=move || current().then_some("page")
                        on:click=move |_| ui.go(section.screen())
                    >
                        <NavIcon section />
                        <span class="nav-label">{move || ui.t(section.label())}</span>
                        {(section == Section::Messages)
                            .then(|| {
                                view! {
                                    <Show when=move || unread.get().unwrap_or(0) != 0>
                                        <span class="nav-badge" data-testid="nav-unread">
                                            <span aria-hidden="true">
                                                {move || unread.get().unwrap_or(0).to_string()}
                                            </span>
                                            <span class="visually-hidden">
                                                {move || {
                                                    crate::i18n::fill(
                                                        ui.t(Key::UnreadNav),
                                                        &[&unread.get().unwrap_or(0).to_string()],
                                                    )
                                                }}
                                            </span>
                                        </span>
                                    </Show>
                                }
                            })}
                    </button>
                </li>
            }
        })
        .collect_view();

    view! {
        <a class="skip-link" href="#main">
            {move || ui.t(Key::SkipToContent)}
        </a>
        <div class="shell">
            <nav class="nav" aria-label=move || ui.t(Key::NavLabel) data-testid="nav">
                <div class="brand" aria-hidden="true">
                    <Mark size=32 />
                    <span>"Mutua"</span>
                </div>
                <ul>{nav_items}</ul>
                <SyncBadge />
            </nav>
            <main id="main" class="page" tabindex="-1">
                <p class="status" role="status" aria-live="polite" data-testid="status">
                    {move || ui.status.get()}
                </p>
                {move || match ui.screen.get() {
                    Screen::Today => view! { <TodayPage /> }.into_any(),
                    Screen::Messages => view! { <MessagesPage /> }.into_any(),
                    Screen::Thread(thread) => view! { <ThreadPage thread /> }.into_any(),
                    Screen::Groups => view! { <GroupsPage /> }.into_any(),
                    Screen::GroupNew => view! { <GroupFormPage id=None /> }.into_any(),
                    Screen::Group(id) => view! { <GroupPage id /> }.into_any(),
                    Screen::GroupEdit(id) => view! { <GroupFormPage id=Some(id) /> }.into_any(),
                    Screen::Invite { group_id, group_name } => {
                        view! { <InvitePage group_id group_name /> }.into_any()
                    }
                    Screen::Join => view! { <JoinPage /> }.into_any(),
                    Screen::Calendar => view! { <CalendarPage /> }.into_any(),
                    Screen::SeriesNew { group_id } => {
                        view! { <SeriesFormPage group_id series_id=None /> }.into_any()
                    }
                    Screen::SeriesEdit { group_id, series_id } => {
                        view! {
                            <SeriesFormPage group_id=Some(group_id) series_id=Some(series_id) />
                        }
                            .into_any()
                    }
                    Screen::Contacts => view! { <ContactsPage /> }.into_any(),
                    Screen::ContactNew => view! { <ContactEditPage id=None /> }.into_any(),
                    Screen::ContactEdit(id) => view! { <ContactEditPage id=Some(id) /> }.into_any(),
                    Screen::Journal => view! { <JournalPage /> }.into_any(),
                    Screen::Settings => view! { <SettingsPage /> }.into_any(),
                    Screen::SyncFile => view! { <SyncFilePage /> }.into_any(),
                }}
            </main>
        </div>
    }
}

/// The logo: two overlapping circles, two people meeting. Decorative, so hidden from readers.
#[component]
pub fn Mark(size: u32) -> impl IntoView {
    view! {
        <svg
            class="mark"
            viewBox="0 0 64 64"
            width=size
            height=size
            aria-hidden="true"
            focusable="false"
        >
            <circle cx="25" cy="32" r="20.5" fill="#268b82" fill-opacity="0.9" />
            <circle cx="39" cy="32" r="20.5" fill="#52b788" fill-opacity="0.8" />
        </svg>
    }
}

/// Small line icons for the navigation; the label beside each says what it is.
#[component]
fn NavIcon(section: Section) -> impl IntoView {
    let path = match section {
        Section::Today => {
            "M12 3v2M12 19v2M3 12h2M19 12h2M5.6 5.6l1.4 1.4M17 17l1.4 1.4M5.6 18.4 7 17M17 7l1.4-1.4M12 8a4 4 0 1 0 0 8 4 4 0 0 0 0-8z"
        }
        Section::Groups => {
            "M8 11a3 3 0 1 0 0-6 3 3 0 0 0 0 6zM16 11a3 3 0 1 0 0-6 3 3 0 0 0 0 6zM2 20c0-3 3-5 6-5s6 2 6 5M12 20c0-3 2-5 4-5 3 0 6 2 6 5"
        }
        Section::Messages => "M4 5h16v11H10l-5 4v-4H4zM8 9h8M8 12h5",
        Section::Calendar => "M4 6h16v14H4zM4 10h16M8 3v4M16 3v4",
        Section::Contacts => "M12 12a4 4 0 1 0 0-8 4 4 0 0 0 0 8zM4 21c0-4 4-6 8-6s8 2 8 6",
        Section::Journal => {
            "M6 3h11a2 2 0 0 1 2 2v16H6a2 2 0 0 1-2-2V5a2 2 0 0 1 2-2zM8 8h7M8 12h7"
        }
        Section::Settings => "M4 7h10M18 7h2M4 17h4M12 17h8M14 5v4M8 15v4",
    };
    view! {
        <svg
            class="nav-icon"
            viewBox="0 0 24 24"
            width="24"
            height="24"
            aria-hidden="true"
            focusable="false"
        >
            <path
                d=path
                fill="none"
                stroke="currentColor"
                stroke-width="1.8"
                stroke-linecap="round"
                stroke-linejoin="round"
            />
        </svg>
    }
}
