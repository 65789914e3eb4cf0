"""Two members, two app instances, no relay and no network: a group message by sync file.

Ana creates a group and shows Carmen an in-person invitation; Carmen joins on her own app (own
data folder, own webview storage). Neither has a relay. Ana writes in the group's thread and, in
Settings → Sync → Sync file, saves a sync file; Carmen opens it: the group and the message
arrive. Carmen answers with a file for Ana only; Ana opens it. A damaged copy is refused in
words and changes nothing. The files hold none of the words.

WebDriver cannot click a native file dialog, so both apps run with MUTUA_E2E_STICK: a folder
that stands in for a USB stick and for the dialogs (saving writes the suggested name there,
opening picks the newest sync file there). Everything else is the real window, clicked.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import App
from members import (create_group_and_invite, first_run, join_with_code, members_running, message_texts,
                     send)
from members import open_group_thread as open_thread

ANA = "Ana Lucía"
CARMEN = "Carmen Ruiz"
GROUP = "Saturday Walkers"
FIRST = "The walk starts at the old bridge this Saturday."
ANSWER = "I will bring the thermos. See you at the bridge!"


@pytest.fixture(scope="module")
def stick(run_dir) -> Path:
    folder = run_dir / "stick"
    folder.mkdir(exist_ok=True)
    for old in folder.iterdir():
        old.unlink()
    return folder


@pytest.fixture(scope="module")
def members(run_dir, shots, stick):
    env = {"MUTUA_E2E_STICK": str(stick)}
    with members_running(run_dir, shots, ("file-ana", "file-carmen"), "the sync-file test", env) as apps:
        yield apps


def open_sync_file_page(app: App) -> None:
    app.nav("settings")
    app.click("settings-sync-file")
    app.wait_heading("Sync file")


def sync_files(stick: Path) -> list[Path]:
    return sorted(stick.glob("*.mutua-sync"))


def test_two_members_pass_a_group_message_by_sync_file(members, stick):
    ana, carmen = members

    with ana.step("Ana: first run, a group, an in-person invitation (no relay anywhere)"):
        first_run(ana, ANA)
        code = create_group_and_invite(ana, GROUP)

    with carmen.step("Carmen: joins with the code; the group's details are not here yet"):
        first_run(carmen, CARMEN)
        join_with_code(carmen, code)

    with ana.step("Ana: writes to the group, then saves a sync file of everything"):
        open_thread(ana, GROUP)
        send(ana, FIRST)
        open_sync_file_page(ana)
        ana.choose("sync-file-scope-everything")
        ana.click("sync-file-save")
        ana.wait(lambda d: ana.present("sync-file-saved"), "the saved summary", timeout=60)
        saved = ana.text_of("sync-file-saved")
        assert saved.startswith("Saved "), saved
        assert "for 1 group to mutua-" in saved and ".mutua-sync (" in saved, saved
        assert len(sync_files(stick)) == 1, list(stick.iterdir())
        ana.shot("sync-file")

    with carmen.step("Carmen: a damaged copy is refused in words, and changes nothing"):
        good = sync_files(stick)[0]
        data = good.read_bytes()
        cut = stick / "zz-cut-copy.mutua-sync"
        cut.write_bytes(data[: len(data) // 2])
        open_sync_file_page(carmen)
        carmen.click("sync-file-open")
        carmen.wait(lambda d: "damaged" in carmen.text_of("sync-file-open-error"), "the damage to be reported",
                    timeout=60)
        assert "Nothing was changed" in carmen.text_of("sync-file-open-error")
        assert not carmen.present("sync-file-opened")
        cut.unlink()
        # The good file is the newest again.
        good.touch()

    with carmen.step("Carmen: opens Ana's file; the group and the message arrive"):
        carmen.click("sync-file-open")
        carmen.wait(lambda d: carmen.present("sync-file-opened"), "the opened summary", timeout=60)
        opened = carmen.text_of("sync-file-opened")
        assert opened.startswith("Opened: "), opened
        assert "new updates" in opened and "1 group updated" in opened, opened
        carmen.shot("sync-file-opened")
        open_thread(carmen, GROUP)
        carmen.wait(lambda d: FIRST in message_texts(carmen), "Ana's message in Carmen's thread")

    with carmen.step("Carmen answers with a file only for Ana"):
        send(carmen, ANSWER)
        for old in sync_files(stick):
            old.unlink()
        open_sync_file_page(carmen)
        carmen.choose("sync-file-scope-person")
        ana_id = carmen.wait(
            lambda d: d.execute_script(
                "const o = [...document.querySelectorAll('[data-testid=sync-file-person] option')]"
                ".find(o => o.textContent.trim() === arguments[0]); return o ? o.value : false",
                ANA,
            ),
            "Ana among the people to save a file for",
        )
        carmen.set_value("sync-file-person", ana_id)
        carmen.click("sync-file-save")
        carmen.wait(lambda d: carmen.present("sync-file-saved"), "the saved summary", timeout=60)
        assert carmen.text_of("sync-file-saved").startswith("Saved "), carmen.text_of("sync-file-saved")

    with ana.step("Ana: opens Carmen's file and reads the answer"):
        open_sync_file_page(ana)
        ana.click("sync-file-open")
        ana.wait(lambda d: ana.present("sync-file-opened"), "the opened summary", timeout=60)
        open_thread(ana, GROUP)
        ana.wait(lambda d: ANSWER in message_texts(ana), "Carmen's answer in Ana's thread")
        mine = {m.get_attribute("data-mine") for m in ana.find_all("message-item")}
        assert mine == {"true", "false"}, mine

    with ana.step("the files on the stick hold none of the words"):
        for path in sync_files(stick):
            stored = path.read_bytes()
            for secret in (FIRST, ANSWER, GROUP, ANA, CARMEN):
                assert secret.encode() not in stored, f"{secret!r} is readable in {path.name}"
