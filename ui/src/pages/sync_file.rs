//! Settings → Sync → Sync file: syncing with no internet. "Save sync file" (everything, one
//! group, or only what one person lacks) asks where with the system's dialog and says what it
//! saved; "Open sync file" asks which file and says what it brought. Problems with a file (cut
//! short, not a sync file, from a newer Mutua, for other groups) are said in words, and change
//! nothing.

use leptos::prelude::*;
use leptos::task::spawn_local;
use mutua_api::{
    Group, OpenedSyncFile, Peer, SavedSyncFile, SyncFileOpenOutcome, SyncFileProblem,
    SyncFileSaveOutcome, SyncFileScope,
};

use crate::app::{Screen, Ui, use_ui};
use crate::i18n::{Key, Lang, fill, plural, text};
use crate::ipc;

/// Which of the three choices is picked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum What {
    Everything,
    Group,
    Person,
}

/// The value of the "person" select that stands for the member's own other devices.
const MY_DEVICES: &str = "@me";

#[component]
pub fn SyncFilePage() -> impl IntoView {
    let ui = use_ui();
    view! {
        <div class="page-head">
            <div>
                <button
                    type="button"
                    class="link-button back"
                    data-testid="sync-file-back"
                    on:click=move |_| ui.go(Screen::Settings)
                >
                    {move || ui.t(Key::SyncFileBack)}
                </button>
                <h1 tabindex="-1">{move || ui.t(Key::SyncFileTitle)}</h1>
            </div>
        </div>
        <p class="hint">{move || ui.t(Key::SyncFileIntro)}</p>
        <SaveSection />
        <OpenSection />
    }
}

#[component]
fn SaveSection() -> impl IntoView {
    let ui = use_ui();
    let what = RwSignal::new(What::Everything);
    let group = RwSignal::new(String::new());
    let person = RwSignal::new(String::new());
    let result = RwSignal::new(None::<Vec<String>>);
    let error = RwSignal::new(None::<String>);
    let pending = RwSignal::new(false);
    let groups = LocalResource::new(move || {
        ui.version.track();
        ui.synced.track();
        async move { ipc::groups(false).await.unwrap_or_default() }
    });
    let peers = LocalResource::new(move || {
        ui.version.track();
        ui.synced.track();
        async move { ipc::peers().await.unwrap_or_default() }
    });
    let save = move |_| {
        if pending.get_untracked() {
            return;
        }
        let scope = match what.get_untracked() {
            What::Everything => SyncFileScope::Everything,
            What::Group => match group.get_untracked() {
                id if id.is_empty() => {
                    error.set(Some(ui.t(Key::SyncFileChooseGroup).to_owned()));
                    return;
                }
                group_id => SyncFileScope::Group { group_id },
            },
            What::Person => match person.get_untracked() {
                id if id.is_empty() => {
                    error.set(Some(ui.t(Key::SyncFileChoosePerson).to_owned()));
                    return;
                }
                id if id == MY_DEVICES => SyncFileScope::MyDevices,
                member_id => SyncFileScope::Member { member_id },
            },
        };
        let for_person = what.get_untracked() == What::Person;
        error.set(None);
        result.set(None);
        pending.set(true);
        spawn_local(async move {
            let saved = match ipc::choose_sync_file_to_save().await {
                Ok(Some(path)) => ipc::export_sync_file(scope, &path).await.map(Some),
                Ok(None) => Ok(None),
                Err(failure) => Err(failure),
            };
            let lang = ui.lang.get_untracked();
            match saved {
                Ok(Some(SyncFileSaveOutcome::Saved(file))) => {
                    let lines = saved_lines(&file, for_person, lang);
                    ui.say(lines[0].clone());
                    result.set(Some(lines));
                }
                Ok(Some(SyncFileSaveOutcome::NothingToSave)) => {
                    error.set(Some(text(Key::SyncFileNothingToSave, lang).to_owned()));
                }
                Ok(Some(SyncFileSaveOutcome::CannotWrite { detail })) => {
                    error.set(Some(fill(text(Key::SyncFileCannotWrite, lang), &[&detail])));
                }
                Ok(None) => {}
                Err(failure) => error.set(Some(ui.explain(&failure))),
            }
            pending.set(false);
        });
    };
    let choice = move |value: What, testid: &'static str, label: Key| {
        view! {
            <label class="choice">
                <input
                    type="radio"
                    name="sync-file-what"
                    data-testid=testid
                    prop:checked=move || what.get() == value
                    on:change=move |_| {
                        what.set(value);
                        error.set(None);
                    }
                />
                <span>{move || ui.t(label)}</span>
            </label>
        }
    };
    view! {
        <section class="panel" aria-labelledby="sync-file-save-h">
            <h2 id="sync-file-save-h">{move || ui.t(Key::SyncFileSaveTitle)}</h2>
            <div class="field" role="radiogroup" aria-labelledby="sync-file-what">
                <p class="label" id="sync-file-what">{move || ui.t(Key::SyncFileWhat)}</p>
                {choice(What::Everything, "sync-file-scope-everything", Key::SyncFileEverything)}
                {choice(What::Group, "sync-file-scope-group", Key::SyncFileOneGroup)}
                {choice(What::Person, "sync-file-scope-person", Key::SyncFileOnePerson)}
            </div>
            <Show when=move || what.get() == What::Group>
                <div class="field">
                    <label for="sync-file-group">{move || ui.t(Key::SyncFileGroupLabel)}</label>
                    <select
                        id="sync-file-group"
                        data-testid="sync-file-group"
                        on:change=move |ev| group.set(event_target_value(&ev))
                    >
                        <option value="" prop:selected=move || group.get().is_empty()></option>
                        {move || group_options(groups.get().unwrap_or_default(), group)}
                    </select>
                </div>
            </Show>
            <Show when=move || what.get() == What::Person>
                <div class="field">
                    <label for="sync-file-person">{move || ui.t(Key::SyncFilePersonLabel)}</label>
                    <select
                        id="sync-file-person"
                        data-testid="sync-file-person"
                        on:change=move |ev| person.set(event_target_value(&ev))
                    >
                        <option value="" prop:selected=move || person.get().is_empty()></option>
                        <option value=MY_DEVICES prop:selected=move || person.get() == MY_DEVICES>
                            {move || ui.t(Key::SyncFileMyDevices)}
                        </option>
                        {move || person_options(peers.get().unwrap_or_default(), person)}
                    </select>
                </div>
            </Show>
            <div class="actions">
                <button
                    type="button"
                    class="primary"
                    data-testid="sync-file-save"
                    disabled=move || pending.get()
                    on:click=save
                >
                    {move || {
                        if pending.get() { ui.t(Key::SyncFileSaving) } else { ui.t(Key::SyncFileSave) }
                    }}
                </button>
            </div>
            <Outcome error result error_testid="sync-file-save-error" result_testid="sync-file-saved" />
        </section>
    }
}

#[component]
fn OpenSection() -> impl IntoView {
    let ui = use_ui();
    let result = RwSignal::new(None::<Vec<String>>);
    let error = RwSignal::new(None::<String>);
    let pending = RwSignal::new(false);
    let open = move |_| {
        if pending.get_untracked() {
            return;
        }
        error.set(None);
        result.set(None);
        pending.set(true);
        spawn_local(async move {
            let opened = match ipc::choose_sync_file_to_open().await {
                Ok(Some(path)) => ipc::import_sync_file(&path).await.map(Some),
                Ok(None) => Ok(None),
                Err(failure) => Err(failure),
            };
            let lang = ui.lang.get_untracked();
            match opened {
                Ok(Some(SyncFileOpenOutcome::Opened(report))) => {
                    let lines = opened_lines(&report, lang);
                    ui.say(lines[0].clone());
                    result.set(Some(lines));
                    // Groups, meetings and messages on other screens are fetched again.
                    ui.changed();
                }
                Ok(Some(SyncFileOpenOutcome::Refused { problem })) => {
                    error.set(Some(text(problem_key(problem), lang).to_owned()));
                }
                Ok(None) => {}
                Err(failure) => error.set(Some(ui.explain(&failure))),
            }
            pending.set(false);
        });
    };
    view! {
        <section class="panel" aria-labelledby="sync-file-open-h">
            <h2 id="sync-file-open-h">{move || ui.t(Key::SyncFileOpenTitle)}</h2>
            <p class="hint">{move || ui.t(Key::SyncFileOpenHint)}</p>
            <div class="actions">
                <button
                    type="button"
                    class="primary"
                    data-testid="sync-file-open"
                    disabled=move || pending.get()
                    on:click=open
                >
                    {move || {
                        if pending.get() { ui.t(Key::SyncFileOpening) } else { ui.t(Key::SyncFileOpen) }
                    }}
                </button>
            </div>
            <Outcome error result error_testid="sync-file-open-error" result_testid="sync-file-opened" />
        </section>
    }
}

/// What a save or an open ended with: the refusal in words, or the summary's lines.
#[component]
fn Outcome(
    error: RwSignal<Option<String>>,
    result: RwSignal<Option<Vec<String>>>,
    error_testid: &'static str,
    result_testid: &'static str,
) -> impl IntoView {
    view! {
        <p class="form-error" role="alert" data-testid=error_testid>
            {move || error.get()}
        </p>
        <Show when=move || result.with(Option::is_some)>
            <div class="result" data-testid=result_testid>
                {move || {
                    result
                        .get()
                        .unwrap_or_default()
                        .into_iter()
                        .map(|line| view! { <p>{line}</p> })
                        .collect_view()
                }}
            </div>
        </Show>
    }
}

fn group_options(groups: Vec<Group>, chosen: RwSignal<String>) -> impl IntoView {
    groups
        .into_iter()
        .map(|g| {
            let id = g.id.clone();
            view! {
                <option value=g.id.clone() prop:selected=move || chosen.get() == id>
                    {g.form.name.clone()}
                </option>
            }
        })
        .collect_view()
}

fn person_options(peers: Vec<Peer>, chosen: RwSignal<String>) -> impl IntoView {
    peers
        .into_iter()
        .map(|p| {
            let id = p.member_id.clone();
            view! {
                <option value=p.member_id.clone() prop:selected=move || chosen.get() == id>
                    {p.pseudonym.clone()}
                </option>
            }
        })
        .collect_view()
}

fn problem_key(problem: SyncFileProblem) -> Key {
    match problem {
        SyncFileProblem::Damaged => Key::SyncFileDamaged,
        SyncFileProblem::NotASyncFile => Key::SyncFileNotASyncFile,
        SyncFileProblem::TooNew => Key::SyncFileTooNew,
        SyncFileProblem::NotForThisDevice => Key::SyncFileNotForThisDevice,
        SyncFileProblem::CannotRead => Key::SyncFileCannotRead,
    }
}

/// "Saved 312 updates for 2 groups to mutua-2026-12-06.mutua-sync (48 KB).", and what else the
/// member should know about the file.
fn saved_lines(file: &SavedSyncFile, for_person: bool, lang: Lang) -> Vec<String> {
    let mut lines = vec![fill(
        text(Key::SyncFileSaved, lang),
        &[
            &plural(
                file.updates,
                Key::SyncFileUpdate,
                Key::SyncFileUpdates,
                lang,
            ),
            &plural(file.groups, Key::SyncFileGroup, Key::SyncFileGroups, lang),
            &file.file_name,
            &size(file.bytes, lang),
        ],
    )];
    if for_person && file.updates == 0 {
        lines.push(text(Key::SyncFileNothingNew, lang).to_owned());
    }
    if file.key_changes > 0 {
        lines.push(fill(
            text(Key::SyncFileCarriesKeys, lang),
            &[&plural(
                file.key_changes,
                Key::SyncFileKeyChange,
                Key::SyncFileKeyChanges,
                lang,
            )],
        ));
    }
    lines
}

/// "Opened: 120 new updates, 3 groups up to date.", then warnings and notices.
fn opened_lines(report: &OpenedSyncFile, lang: Lang) -> Vec<String> {
    let mut parts = vec![plural(
        report.new_updates,
        Key::SyncFileNewUpdate,
        Key::SyncFileNewUpdates,
        lang,
    )];
    if report.groups_updated > 0 {
        parts.push(plural(
            report.groups_updated,
            Key::SyncFileGroupUpdated,
            Key::SyncFileGroupsUpdated,
            lang,
        ));
    }
    if report.groups_up_to_date > 0 {
        parts.push(plural(
            report.groups_up_to_date,
            Key::SyncFileGroupUpToDate,
            Key::SyncFileGroupsUpToDate,
            lang,
        ));
    }
    let mut lines = vec![fill(text(Key::SyncFileOpened, lang), &[&parts.join(", ")])];
    let mut add = |count: u32, one: Key, many: Key| {
        if count > 0 {
            lines.push(plural(count, one, many, lang));
        }
    };
    add(
        report.rejected,
        Key::SyncFileRejectedOne,
        Key::SyncFileRejectedMany,
    );
    add(
        report.waiting,
        Key::SyncFileWaitingOne,
        Key::SyncFileWaitingMany,
    );
    add(
        report.not_for_this_device,
        Key::SyncFileNotForMeOne,
        Key::SyncFileNotForMeMany,
    );
    for group in &report.removed_from {
        lines.push(fill(text(Key::SyncFileRemoved, lang), &[group]));
    }
    lines
}

fn size(bytes: u64, lang: Lang) -> String {
    if bytes < 1024 {
        fill(text(Key::SyncFileSizeBytes, lang), &[&bytes.to_string()])
    } else if bytes < 1024 * 1024 {
        fill(
            text(Key::SyncFileSizeKb, lang),
            &[&bytes.div_ceil(1024).to_string()],
        )
    } else {
        let mb = format!("{:.1}", bytes as f64 / (1024.0 * 1024.0));
        let mb = if lang == Lang::Es {
            mb.replace('.', ",")
        } else {
            mb
        };
        fill(text(Key::SyncFileSizeMb, lang), &[&mb])
    }
}

/// The way into this page from Settings → Sync.
#[component]
pub fn SyncFileLink() -> impl IntoView {
    let ui: Ui = use_ui();
    view! {
        <p>
            <button
                type="button"
                class="secondary"
                data-testid="settings-sync-file"
                on:click=move |_| ui.go(Screen::SyncFile)
            >
                {move || ui.t(Key::SyncFileGo)}
            </button>
        </p>
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn results_read_as_sentences_in_both_languages() {
        let file = SavedSyncFile {
            path: "/media/usb/mutua-2026-12-06.mutua-sync".into(),
            file_name: "mutua-2026-12-06.mutua-sync".into(),
            bytes: 48 * 1024,
            updates: 312,
            groups: 2,
            key_changes: 0,
        };
        assert_eq!(
            saved_lines(&file, false, Lang::En),
            vec!["Saved 312 updates for 2 groups to mutua-2026-12-06.mutua-sync (48 KB)."]
        );
        assert_eq!(
            saved_lines(&file, false, Lang::Es)[0],
            "Guardado: 312 novedades de 2 grupos en mutua-2026-12-06.mutua-sync (48 KB)."
        );
        let report = OpenedSyncFile {
            new_updates: 120,
            already_had: 4,
            groups_updated: 0,
            groups_up_to_date: 3,
            rejected: 1,
            waiting: 0,
            not_for_this_device: 0,
            key_changes: 0,
            removed_from: vec![],
        };
        let lines = opened_lines(&report, Lang::En);
        assert_eq!(lines[0], "Opened: 120 new updates, 3 groups up to date.");
        assert!(lines[1].starts_with("Warning: 1 update was forged"));
        assert_eq!(
            opened_lines(&report, Lang::Es)[0],
            "Abierto: 120 novedades nuevas, 3 grupos ya al día."
        );
        assert_eq!(size(3 * 1024 * 1024 + 200_000, Lang::Es), "3,2 MB");
    }
}
