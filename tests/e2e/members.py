"""What the tests with several members share: an own app (own tauri-driver, data folder and
webview storage) per member, the first run, and the group's thread."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

from selenium.webdriver.common.by import By

from conftest import WAIT, App, TauriDriver, app_binary, member_env

PASSPHRASE = "quiet river 2026"


def start_member(run_dir: Path, shots: Path, name: str, env: dict[str, str] | None = None):
    """A tauri-driver (and so an own app process) for `name`; the window opens at `first_run`."""
    root = run_dir / name
    root.mkdir(exist_ok=True)
    full = member_env(root)
    full.update(env or {})
    driver = TauriDriver(app_binary(), full, root / "tauri-driver.log")
    driver.start()
    folder = shots / name
    folder.mkdir(parents=True, exist_ok=True)
    return driver, App(driver, folder)


@contextlib.contextmanager
def members_running(run_dir: Path, shots: Path, names: tuple[str, ...], what: str,
                    env: dict[str, str] | None = None) -> Iterator[tuple[App, ...]]:
    """One app per name; at the end each is checked for errors, closed, and its driver stopped."""
    started: list[tuple[TauriDriver, App]] = []
    try:
        for name in names:
            started.append(start_member(run_dir, shots, name, env))
        yield tuple(app for _, app in started)
    finally:
        for driver, app in started:
            with contextlib.suppress(Exception):
                if app.driver is not None:
                    app.check_errors(what)
            app.quit()
            driver.stop()


def first_run(app: App, pseudonym: str) -> None:
    app.launch()
    app.find("setup-form", timeout=30)
    app.set_value("setup-language", "en")
    app.fill("setup-pseudonym", pseudonym)
    if app.present("setup-protection-keychain"):
        app.choose("setup-protection-passphrase")
    app.fill("setup-passphrase", PASSPHRASE)
    app.fill("setup-passphrase-again", PASSPHRASE)
    app.set_value("setup-time-zone", "Europe/Madrid")
    app.click("setup-submit")
    app.find("nav", timeout=60)


def create_group_and_invite(app: App, group: str) -> str:
    """Creates an open group and an in-person invitation; answers the invitation's code."""
    app.nav("groups")
    app.click("groups-new")
    app.wait_heading("New group")
    app.fill("group-name", group)
    app.choose("group-kind-mutual-aid")
    app.choose("group-admission-open")
    app.click("group-submit")
    app.wait(lambda d: app.text_of("group-title") == group, "the new group's page")
    app.click("group-invite")
    app.click("invite-create")
    app.wait_status("Invitation ready.")
    code = app.find("invite-code").get_property("value")
    assert code.startswith("mutua-invite:"), code[:40]
    return code


def join_with_code(app: App, code: str) -> None:
    app.nav("groups")
    app.click("groups-join")
    # Typing 500 characters through WebDriver is slow: set the field like a paste does.
    app.set_value("join-code", code)
    app.click("join-submit")
    app.wait_status("You joined")


def open_group_thread(app: App, group: str, timeout: float = WAIT) -> None:
    app.nav("messages")
    app.wait_heading("Messages")
    item = app.by_attr("conversation-item", "title", group, timeout=timeout)
    app.click(item.find_element(By.CSS_SELECTOR, App.css("conversation-open")))
    app.wait(lambda d: app.text_of("thread-title") == group, "the group's thread")


def message_texts(app: App) -> list[str]:
    return [m.text for m in app.find_all("message-text")]


def send(app: App, text: str) -> None:
    """Writes `text` in the open thread."""
    app.fill("composer-text", text)
    app.click("composer-send")
    app.wait_status("Message sent.")
