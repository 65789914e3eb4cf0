"""Two members at a meeting with no internet: one app hosts sync for the room, the other finds it.

Ana and Carmen each run their own app (own data folder, own webview storage); neither has a
relay. Carmen joins Ana's group with an in-person code. Ana writes in the group's thread, then
turns on Settings → Meeting hub → "Host sync for this meeting"; her screen shows "Hub NNNN", an
address to type and a QR code. Carmen presses "Look for hubs nearby": Ana's hub answers by mDNS
(on the loopback interface and a port of this run, MUTUA_HUB_INTERFACES / MUTUA_HUB_MDNS_PORT,
so nothing leaves the machine) and one tap syncs: the message arrives. Carmen answers; it reaches
Ana through her own hub. Both status lines name the hub while it syncs (neither has a relay).
Then Carmen stops, a garbled address is refused in words, and the
address on Ana's screen typed by hand connects again. The hub's files hold none of the words.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import App, free_port
from members import (create_group_and_invite, first_run, join_with_code, members_running,
                     message_texts, open_group_thread, send)

ANA = "Ana Lucía"
CARMEN = "Carmen Ruiz"
GROUP = "Village Hall Circle"
FIRST = "No signal in the hall again, so here is the rota for March."
ANSWER = "Got the rota. I can take the second Tuesday."
# Both apps share two cores with WebKit: generous, bounded.
SYNC_WAIT = 90


@pytest.fixture(scope="module")
def members(run_dir, shots):
    env = {"MUTUA_HUB_INTERFACES": "lo", "MUTUA_HUB_MDNS_PORT": str(free_port())}
    with members_running(run_dir, shots, ("hub-ana", "hub-carmen"), "the meeting-hub test", env) as apps:
        yield apps


def open_hub_page(app: App) -> None:
    app.nav("settings")
    app.click("settings-hub")
    app.wait_heading("Meeting hub")


def hub_state(app: App, testid: str) -> str:
    return app.find(testid).get_attribute("data-state") or ""


def test_two_members_sync_at_a_meeting_through_a_hub(members):
    ana, carmen = members

    with ana.step("Ana: first run, a group and an in-person invitation (no relay anywhere)"):
        first_run(ana, ANA)
        code = create_group_and_invite(ana, GROUP)

    with carmen.step("Carmen: joins with the code"):
        first_run(carmen, CARMEN)
        join_with_code(carmen, code)

    with ana.step("Ana: writes to the group, then hosts sync for the meeting"):
        open_group_thread(ana, GROUP)
        send(ana, FIRST)
        open_hub_page(ana)
        ana.click("hub-host-switch")
        ana.wait(lambda d: ana.present("hub-code"), "the hub's number", timeout=30)
        hub = ana.find("hub-code").get_attribute("data-code")
        assert hub and len(hub) == 4 and hub.isdigit(), hub
        assert ana.text_of("hub-code") == f"Hub {hub}"
        assert ana.find("hub-qr").find_elements("css selector", "svg"), "the QR code is drawn"
        address = ana.text_of("hub-address-shown")
        assert ":" in address, address
        ana.wait(lambda d: hub_state(ana, "hub-own-status") == "ok",
                 lambda: f"Ana's own data with her hub ({ana.text_of('hub-own-status')!r})", timeout=SYNC_WAIT)
        # The status line under the navigation speaks of the hub, not "sync is off".
        ana.wait(lambda d: f"Hosting Hub {hub}" in ana.text_of("sync-status"),
                 lambda: f"the status line names the hub ({ana.text_of('sync-status')!r})", timeout=30)
        ana.shot("hub-hosting")

    with carmen.step("Carmen: finds Hub NNNN nearby and syncs with one tap; the message arrives"):
        open_hub_page(carmen)

        def found(_):
            if carmen.find("hub-find").get_attribute("aria-busy") == "true":
                return False
            items = [i for i in carmen.find_all("hub-nearby-item") if i.get_attribute("data-code") == hub]
            if items:
                return items[0]
            # Nothing answered this time: look again (mDNS answers can be missed once).
            carmen.click("hub-find")
            return False

        carmen.click("hub-find")
        item = carmen.wait(found, f"Hub {hub} among the hubs nearby", timeout=SYNC_WAIT)
        carmen.shot("hub-nearby")
        carmen.click(item.find_element("css selector", App.css("hub-nearby-sync")))
        carmen.wait(lambda d: hub_state(carmen, "hub-status") == "ok",
                    lambda: f"Carmen synced with the hub ({carmen.text_of('hub-status')!r})", timeout=SYNC_WAIT)
        assert f"Hub {hub}" in carmen.text_of("hub-status")
        # The hub joined is marked as such in the list, not offered again.
        carmen.wait(lambda d: carmen.present("hub-nearby-current"), "the joined hub marked in the list")
        assert not [i for i in carmen.find_all("hub-nearby-item")
                    if i.get_attribute("data-code") == hub
                    and i.find_elements("css selector", App.css("hub-nearby-sync"))]
        carmen.wait(lambda d: f"Hub {hub}" in carmen.text_of("sync-status") and hub_state(carmen, "sync-status") == "ok",
                    lambda: f"the status line names the hub ({carmen.text_of('sync-status')!r})", timeout=30)
        carmen.shot("hub-joined")
        open_group_thread(carmen, GROUP, timeout=SYNC_WAIT)
        carmen.wait(lambda d: FIRST in message_texts(carmen), "Ana's message in Carmen's thread", timeout=SYNC_WAIT)

    with carmen.step("Carmen answers; it reaches Ana through her hub"):
        send(carmen, ANSWER)
        open_group_thread(ana, GROUP)
        ana.wait(lambda d: ANSWER in message_texts(ana), "Carmen's answer in Ana's thread", timeout=SYNC_WAIT)
        # (The host's screen counts devices by network address, loopback not included: both
        # apps here are on one machine, so that count is proven by the shell's own test.)
        open_hub_page(ana)

    with carmen.step("Carmen: stops; a garbled address is refused; the address on Ana's screen connects"):
        open_hub_page(carmen)
        carmen.click("hub-leave")
        carmen.gone(App.css("hub-joined"), "the joined hub")
        carmen.fill("hub-address", "the village hall")
        carmen.click("hub-address-submit")
        carmen.wait(lambda d: "is not a hub address" in carmen.body_text(), "the refusal in words")
        assert "has spaces" in carmen.status_text(), carmen.status_text()
        assert not carmen.present("hub-joined")
        carmen.fill("hub-address", address)
        carmen.click("hub-address-submit")
        carmen.wait(lambda d: carmen.present("hub-status") and hub_state(carmen, "hub-status") == "ok",
                    "Carmen synced again by the typed address", timeout=SYNC_WAIT)

    with ana.step("Ana stops hosting; the hub's files hold none of the words"):
        ana.click("hub-host-switch")
        ana.gone(App.css("hub-hosting"), "the hosting panel")
        data = Path(ana.tauri.env["MUTUA_DATA_DIR"]) / "hub"
        stored = b"".join(p.read_bytes() for p in data.rglob("*") if p.is_file())
        assert stored, f"the hub stored something in {data}"
        for secret in (FIRST, ANSWER, GROUP, ANA, CARMEN):
            assert secret.encode() not in stored, f"{secret!r} is readable in the hub's files"
