"""Two members, two app instances, one real relay on loopback: between meetings.

Ana sets the relay in Settings, creates a group and shows an in-person invitation; Ben, on his
own app (own data folder, own webview storage), pastes the code and joins; the group arrives on
his device; Ana writes in the group's thread and Ben reads it live (the relay wakes his
long-poll); Ben answers and Ana reads it. The relay's database holds none of the words.

Each member has an own tauri-driver (and so an own app process), started here; the relay is the
real `mutua-relay` binary (MUTUA_RELAY, built by `cargo xtask e2e`) on 127.0.0.1 with SQLite.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess

import pytest
from selenium.webdriver.common.by import By

from conftest import App, log
from members import first_run, members_running, message_texts, send
from members import open_group_thread as open_thread

# Long enough that finding them by chance in ciphertext is out of the question.
ANA = "Ana Lucía"
BEN = "Benedict R."
GROUP = "Thursday Carers"
FIRST = "Made it through the week. Thank you for Thursday."
ANSWER = "Glad to hear it. Same place next week?"
# Sync goes over loopback, but both apps share two cores with WebKit: generous, bounded.
SYNC_WAIT = 90


@pytest.fixture(scope="module")
def relay(run_dir):
    binary = os.environ.get("MUTUA_RELAY")
    if not binary or not os.access(binary, os.X_OK):
        pytest.fail("MUTUA_RELAY is not set to the relay binary: run `cargo xtask e2e`")
    folder = run_dir / "relay"
    folder.mkdir(exist_ok=True)
    database = folder / "relay.db"
    log_file = open(folder / "relay.log", "ab")  # noqa: SIM115 (closed below)
    proc = subprocess.Popen(
        [binary, "serve", "--listen", "127.0.0.1:0", "--database", str(database)],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=log_file,
        start_new_session=True,
    )
    try:
        first = proc.stdout.readline().decode(errors="replace").strip()
        prefix = "mutua-relay listening on "
        if not first.startswith(prefix):
            pytest.fail(f"the relay did not start: {first!r} (see {folder / 'relay.log'})")
        url = first.removeprefix(prefix).split(" ")[0]
        log(f"relay at {url}, database {database}")
        yield url, database
    finally:
        with contextlib.suppress(ProcessLookupError):
            proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log_file.close()


@pytest.fixture(scope="module")
def members(run_dir, shots):
    with members_running(run_dir, shots, ("ana", "ben"), "the two-member test") as apps:
        yield apps


def sync_state(app: App) -> str:
    return app.find("sync-status").get_attribute("data-state") or ""


def test_two_members_exchange_a_group_message_through_a_relay(members, relay):
    ana, ben = members
    url, database = relay

    with ana.step("Ana: first run; sync is off until a relay is set"):
        first_run(ana, ANA)
        ana.wait(lambda d: sync_state(ana) == "off", "the sync status to say off")

    with ana.step("Ana: a wrong relay address is refused in words, nothing saved"):
        ana.nav("settings")
        ana.fill("settings-relay", "ftp://nowhere")
        ana.click("settings-sync-save")
        assert "relay address" in ana.text_of("settings-relay-error")

    with ana.step("Ana: sets the relay; the status line says she is up to date"):
        ana.fill("settings-relay", url)
        ana.click("settings-sync-save")
        ana.wait_status("Sync settings saved")
        ana.wait(lambda d: sync_state(ana) == "ok", lambda: f"sync to be ok ({ana.text_of('sync-status')!r})",
                 timeout=SYNC_WAIT)
        ana.shot("settings-sync")

    with ana.step("Ana: creates an open group and shows an in-person invitation"):
        ana.nav("groups")
        ana.click("groups-new")
        ana.wait_heading("New group")
        ana.fill("group-name", GROUP)
        ana.choose("group-kind-mutual-aid")
        ana.choose("group-admission-open")
        ana.click("group-submit")
        ana.wait(lambda d: ana.text_of("group-title") == GROUP, "the new group's page")
        ana.click("group-invite")
        ana.wait_heading(f"Invite someone to {GROUP}")
        ana.click("invite-create")
        ana.wait_status("Invitation ready.")
        qr = ana.find("invite-qr")
        assert qr.find_elements(By.CSS_SELECTOR, "svg"), "the QR code is drawn"
        code = ana.find("invite-code").get_property("value")
        assert code.startswith("mutua-invite:"), code[:40]
        ana.shot("invite")

    with ben.step("Ben: first run on his own device; a garbled code is refused"):
        first_run(ben, BEN)
        ben.nav("groups")
        ben.click("groups-join")
        ben.wait_heading("Join a group")
        ben.fill("join-code", "mutua-invite:not-a-real-code")
        ben.click("join-submit")
        assert "code" in ben.text_of("join-code-error")

    with ben.step("Ben: pastes Ana's code and joins; the code brings the relay"):
        # Typing 500 characters through WebDriver is slow: set the field like a paste does.
        ben.set_value("join-code", code)
        ben.click("join-submit")
        ben.wait_status(f"You joined {GROUP}")
        ben.nav("groups")
        ben.by_attr("group-item", "name", GROUP, timeout=SYNC_WAIT)
        ben.wait(lambda d: sync_state(ben) == "ok", lambda: f"Ben's sync ({ben.text_of('sync-status')!r})",
                 timeout=SYNC_WAIT)

    with ana.step("Ana: Ben is on the roster; she writes to the group"):
        ana.nav("groups")
        ana.click(ana.by_attr("group-item", "name", GROUP).find_element(By.CSS_SELECTOR, App.css("group-open")))
        ana.wait(
            lambda d: BEN in [m.get_attribute("data-name") for m in ana.find_all("member-item")],
            "Ben on the group's member list",
            timeout=SYNC_WAIT,
        )
        open_thread(ana, GROUP, timeout=SYNC_WAIT)
        send(ana, FIRST)

    with ben.step("Ben: the message arrives, unread, without him doing anything"):
        ben.nav("messages")
        item = ben.by_attr("conversation-item", "title", GROUP, timeout=SYNC_WAIT)
        ben.wait(lambda d: FIRST[:30] in ben.by_attr("conversation-item", "title", GROUP).text,
                 "Ana's message in Ben's inbox", timeout=SYNC_WAIT)
        assert item.get_attribute("data-unread") != "0", "it is unread"
        open_thread(ben, GROUP, timeout=SYNC_WAIT)
        ben.wait(lambda d: FIRST in message_texts(ben), "Ana's message in the thread")
        ben.shot("thread")

    with ben.step("Ben answers; Ana reads it"):
        send(ben, ANSWER)
        ana.wait(lambda d: ANSWER in message_texts(ana), "Ben's answer in Ana's thread", timeout=SYNC_WAIT)
        mine = {m.get_attribute("data-mine") for m in ana.find_all("message-item")}
        assert mine == {"true", "false"}, mine

    with ana.step("the relay's database holds none of the words"):
        stored = b"".join(
            p.read_bytes() for p in database.parent.iterdir() if p.name.startswith(database.name)
        )
        assert stored, "the relay stored something"
        for secret in (FIRST, ANSWER, GROUP, ANA, BEN):
            assert secret.encode() not in stored, f"{secret!r} is readable in the relay's files"
