"""A member's journey through the real app, in order (pytest runs these top to bottom with -x;
they share one app and one data folder):

first run → a group → a monthly "2nd Tuesday" meeting → its occurrences in the agenda and the
month grid → cancel one → a contact with availability → a journal entry with mood and emotions
→ found by search → a message in the group's thread → every screen at desktop width → Spanish → quit, relaunch, unlock →
everything still there → the phone-width pass (390×844) → lock and unlock → the unlock screen
speaks the last language after a relaunch.

Elements are found by the `data-testid` hooks the UI documents in ui/E2E_HOOKS.md. Every step
ends by checking `window.__errors` (filled by ui/static/index.html): any JS error fails it.
"""

from __future__ import annotations

from selenium.webdriver.common.by import By

from conftest import DESKTOP, PHONE, App

PSEUDONYM = "Ana G."
PASSPHRASE = "calm harbour 2026"
GROUP = "Tuesday Circle"
GROUP_PURPOSE = "Peer support for people living with anxiety."
GROUP_PLACE = "Centro Cívico Delicias, room 2"
GROUP_GUIDELINES = "What is said here stays here.\nSpeak from your own experience."
MEETING = "Tuesday Circle meeting"
ZONE = "Europe/Madrid"
FIRST = "2026-01-13"  # the second Tuesday of January 2026
CANCELLED = "2026-02-10"  # the second Tuesday of February: the one we cancel
CONTACT = "Luis M."
ENTRY_TEXT = "The Tuesday circle felt warm tonight. We talked about sleep routines and small steps."
SEARCH_WORD = "routines"
MESSAGE = "Thank you all for tonight. Same time next month?"

# The second Tuesdays of the first months of 2026, and the other Tuesdays of those months.
SECOND_TUESDAYS = {"2026-01": "2026-01-13", "2026-02": "2026-02-10", "2026-03": "2026-03-10", "2026-04": "2026-04-14"}
OTHER_TUESDAYS = {
    "2026-01": ["2026-01-06", "2026-01-20", "2026-01-27"],
    "2026-02": ["2026-02-03", "2026-02-17", "2026-02-24"],
    "2026-03": ["2026-03-03", "2026-03-17", "2026-03-24", "2026-03-31"],
    "2026-04": ["2026-04-07", "2026-04-21", "2026-04-28"],
}
MONTHS_EN = {"2026-01": "January 2026", "2026-02": "February 2026", "2026-03": "March 2026", "2026-04": "April 2026"}

NAV_EN = {"today": "Today", "messages": "Messages", "groups": "Groups", "calendar": "Calendar", "contacts": "Contacts",
          "journal": "Journal", "settings": "Settings"}
NAV_ES = {"today": "Hoy", "messages": "Mensajes", "groups": "Grupos", "calendar": "Calendario", "contacts": "Contactos",
          "journal": "Diario", "settings": "Ajustes"}


# --------------------------------------------------------------------------------------------
# helpers


def nav_labels(app: App) -> dict[str, str]:
    return {s: app.find(f"nav-{s}").text.strip() for s in NAV_EN}


def show_month(app: App, month: str) -> None:
    """Moves the calendar to `month` ("2026-02") with the ‹ › buttons, like a person."""
    want = MONTHS_EN[month]
    for _ in range(60):
        label = app.text_of("calendar-month-label")
        if label == want:
            break
        # Labels are "February 2026": compare (year, month) to choose a direction.
        shown = _parse_month_label(label)
        app.click("calendar-next" if shown < month else "calendar-prev")
        app.wait(lambda d, old=label: app.text_of("calendar-month-label") != old, "the month to change")
    else:
        raise AssertionError(f"could not reach {want}")
    app.wait(lambda d: not app.present("loading"), "the month's meetings to load")


def _parse_month_label(label: str) -> str:
    names = ["january", "february", "march", "april", "may", "june", "july", "august",
             "september", "october", "november", "december"]
    name, year = label.lower().rsplit(" ", 1)
    return f"{year}-{names.index(name) + 1:02d}"


def agenda_rows(app: App, date: str, testid: str = "agenda-row"):
    return app.d.find_elements(By.CSS_SELECTOR, f'[data-testid="{testid}"][data-date="{date}"]')


def month_cell(app: App, date: str):
    return app.find(f"month-day-{date}")


def view(app: App, which: str) -> None:
    button = app.find(f"calendar-view-{which}")
    app.click(button)
    app.wait(lambda d: button.get_attribute("aria-pressed") == "true", f"the {which} view")
    app.wait(lambda d: not app.present("loading"), "the calendar to load")
    if which == "month":
        app.find("month-grid")


def assert_second_tuesday_only(app: App, month: str) -> None:
    """In the month grid: a meeting on the month's second Tuesday, none on its other Tuesdays."""
    show_month(app, month)
    cell = month_cell(app, SECOND_TUESDAYS[month])
    titles = [li.get_attribute("data-title") for li in app.find_all("month-meeting", cell)]
    assert titles == [MEETING], f"{SECOND_TUESDAYS[month]}: expected the meeting, found {titles}"
    for other in OTHER_TUESDAYS[month]:
        found = app.find_all("month-meeting", month_cell(app, other))
        assert not found, f"{other} is not a second Tuesday but shows {len(found)} meeting(s)"
    assert len(app.find_all("month-meeting")) == 1, "exactly one meeting in the month"


# --------------------------------------------------------------------------------------------
# the journey


def test_01_first_run(app: App):
    with app.step("launch: the first-run screen"):
        app.launch()
        app.find("setup-form", timeout=30)
        app.set_value("setup-language", "en")
        app.wait_heading("Welcome to Mutua")
        # The anonymity norm is explained next to the pseudonym.
        assert "initial" in app.d.find_element(By.ID, "setup-pseudonym-hint").text.lower()
        app.shot("first-run")
        app.resize(*PHONE)
        app.no_horizontal_scroll("first run (phone)")
        app.shot("first-run")
        app.resize(*DESKTOP)

    with app.step("an empty passphrase is refused in words, next to the field"):
        app.fill("setup-pseudonym", PSEUDONYM)
        if app.present("setup-protection-keychain"):
            app.choose("setup-protection-passphrase")
        app.click("setup-submit")
        assert "8" in app.text_of("setup-passphrase-error")
        assert app.find("setup-pseudonym").get_attribute("value") == PSEUDONYM, "nothing is lost"

    with app.step("choose pseudonym, passphrase, English, Madrid time"):
        app.fill("setup-passphrase", PASSPHRASE)
        app.fill("setup-passphrase-again", PASSPHRASE)
        app.set_value("setup-time-zone", ZONE)
        app.click("setup-submit")
        app.find("nav", timeout=60)  # deriving the key from the passphrase takes a moment
        app.wait(lambda d: app.text_of("today-title") == f"Hello, {PSEUDONYM}", "the greeting")
        app.wait_status(f"Welcome, {PSEUDONYM}")
        assert ".." not in app.status_text(), f"doubled full stop: {app.status_text()!r}"
        assert nav_labels(app) == NAV_EN


def test_02_create_group(app: App):
    with app.step("groups: empty at first"):
        app.nav("groups")
        app.wait_heading("Groups")
        app.find("groups-empty")

    with app.step("create a group"):
        app.click("groups-new")
        app.wait_heading("New group")
        app.fill("group-name", GROUP)
        app.fill("group-purpose", GROUP_PURPOSE)
        app.choose("group-kind-mutual-aid")
        app.choose("group-admission-open")
        app.fill("group-place", GROUP_PLACE)
        app.fill("group-guidelines-input", GROUP_GUIDELINES)
        app.click("group-submit")
        app.wait(lambda d: app.text_of("group-title") == GROUP, "the new group's page")
        app.wait_status("Group created.")
        assert app.text_of("group-purpose") == GROUP_PURPOSE
        assert app.text_of("group-guidelines") == GROUP_GUIDELINES
        members = [m.get_attribute("data-name") for m in app.find_all("member-item")]
        assert members == [PSEUDONYM], members
        app.find("group-meetings-empty")

    with app.step("the group is listed"):
        app.click("group-back")
        item = app.by_attr("group-item", "name", GROUP)
        assert GROUP_PURPOSE in item.text


def test_03_add_monthly_meeting(app: App):
    with app.step("add a meeting from the group's page"):
        app.click(app.by_attr("group-item", "name", GROUP).find_element(By.CSS_SELECTOR, App.css("group-open")))
        app.wait(lambda d: app.text_of("group-title") == GROUP, "the group's page")
        app.click("group-add-meeting")
        app.wait_heading("Add meeting")
        app.find("series-form")
        app.wait(lambda d: app.selected_text("series-group") == GROUP, "the group preselected")

    with app.step('every month on the 2nd Tuesday, from 13 January 2026 at 19:00 Madrid'):
        app.fill("series-title", MEETING)
        app.fill("series-date", FIRST)  # a text field: YYYY-MM-DD, read back in words
        app.wait(
            lambda d: app.text_of("series-date-words") == "Tuesday 13 January 2026",
            lambda: f"the date in words (now {app.text_of('series-date-words')!r})",
        )
        app.set_value("series-time", "19:00")
        app.fill("series-duration", "90")
        app.set_value("series-time-zone", ZONE)
        app.choose("series-repeat-monthly-weekday")
        app.set_value("series-nth", "2")
        app.set_value("series-nth-weekday", "tu")
        app.choose("series-ends-never")
        app.wait(
            lambda d: app.text_of("series-rule-description") == "Every month on the second Tuesday",
            "the rule in words",
        )
        assert app.find_all("series-start-note")[0].text == "", "13 Jan 2026 is a second Tuesday"
        app.choose("series-format-in-person")
        place = app.find("series-place")
        assert place.get_attribute("value") == GROUP_PLACE, "the group's place is offered"
        app.click("series-submit")
        app.wait_heading("Calendar")
        app.wait_status("Meeting added.")
        app.wait(lambda d: app.text_of("calendar-month-label") == MONTHS_EN["2026-01"], "January 2026")


def test_04_occurrences_in_agenda_and_month(app: App):
    with app.step("agenda: one meeting a month, on the second Tuesday"):
        view(app, "agenda")
        for month, date in SECOND_TUESDAYS.items():
            show_month(app, month)
            app.find("agenda")
            rows = app.find_all("agenda-row")
            dates = [r.get_attribute("data-date") for r in rows]
            assert dates == [date], f"{month}: expected a meeting on {date} only, got {dates}"
            row = rows[0]
            assert row.get_attribute("data-title") == MEETING
            when = row.find_element(By.CSS_SELECTOR, App.css("occurrence-when")).text
            assert when.startswith("19:00–20:30"), when
            assert GROUP in row.text and GROUP_PLACE in row.text, row.text

    with app.step("month grid: the second Tuesday cells"):
        view(app, "month")
        for month in ("2026-04", "2026-03", "2026-02", "2026-01"):
            assert_second_tuesday_only(app, month)

    with app.step("month grid: a day's meetings under the grid"):
        show_month(app, "2026-02")
        app.click(app.find(f"month-day-{CANCELLED}").find_element(By.TAG_NAME, "button"))
        panel = app.by_attr("month-selected-day", "date", CANCELLED)
        app.wait(lambda d: bool(agenda_rows(app, CANCELLED)), "the day's meeting under the grid")
        assert MEETING in panel.text


def test_05_cancel_one_occurrence(app: App):
    with app.step("cancel the February meeting (two steps)"):
        view(app, "agenda")
        show_month(app, "2026-02")
        row = agenda_rows(app, CANCELLED)[0]
        app.click("occurrence-cancel", within=row)
        app.click("occurrence-cancel-yes", within=row)
        app.wait_status("cancelled")
        app.wait(lambda d: not agenda_rows(app, CANCELLED), "the meeting to leave the agenda")
        cancelled = app.by_attr("agenda-row-cancelled", "date", CANCELLED)
        assert cancelled.get_attribute("data-title") == MEETING
        assert "Cancelled" in cancelled.text

    with app.step("month grid: struck through on its day; the others stay"):
        view(app, "month")
        cell = month_cell(app, CANCELLED)
        assert not app.find_all("month-meeting", cell)
        struck = app.find_all("month-meeting-cancelled", cell)
        assert [s.get_attribute("data-title") for s in struck] == [MEETING]
        show_month(app, "2026-03")
        assert app.find_all("month-meeting", month_cell(app, SECOND_TUESDAYS["2026-03"]))

    with app.step("the group's page lists the cancelled date"):
        app.nav("groups")
        app.click(app.by_attr("group-item", "name", GROUP).find_element(By.CSS_SELECTOR, App.css("group-open")))
        series = app.by_attr("series-item", "title", MEETING)
        assert "Every month on the second Tuesday" in series.text
        app.by_attr("cancelled-item", "date", CANCELLED)


def test_06_contact_with_availability(app: App):
    with app.step("contacts: empty at first"):
        app.nav("contacts")
        app.wait_heading("Contacts")
        app.find("contacts-empty")

    with app.step("add a contact who can be reached on Tuesday evenings"):
        app.click("contacts-add")
        app.wait_heading("Add contact")
        app.fill("contact-pseudonym", CONTACT)
        app.set_value("contact-time-zone", ZONE)
        app.fill("contact-phone", "+34 600 000 000")
        app.set_value("contact-group", app.d.execute_script(
            "return [...document.querySelector('[data-testid=contact-group]').options]"
            ".find(o => o.textContent.trim() === arguments[0]).value", GROUP))
        app.find("availability-empty")
        app.click("availability-add")
        row = app.find("availability-row")
        app.set_value("availability-weekday", "1", within=row)  # Tuesday
        app.set_value("availability-from", "18:00", within=row)
        app.set_value("availability-to", "21:00", within=row)
        app.click("contact-submit")
        app.wait_heading("Contacts")
        app.wait_status(CONTACT)
        item = app.by_attr("contact-item", "name", CONTACT)
        availability = item.find_element(By.CSS_SELECTOR, App.css("contact-availability")).text
        assert "Tue 18:00–21:00" in availability, availability
        assert GROUP in item.text


def test_07_journal_entry(app: App):
    with app.step("journal: write an entry with mood and emotions"):
        app.nav("journal")
        app.wait_heading("Journal")
        app.find("journal-empty")
        app.choose("journal-mood-4")
        app.choose("journal-emotion-hopeful")
        app.choose("journal-emotion-connected")
        app.fill("journal-text", ENTRY_TEXT)
        app.fill("journal-tags", "circle, sleep")
        app.click("journal-submit")
        app.wait_status("Entry saved.")
        entry = app.find("journal-entry")
        assert entry.find_element(By.CSS_SELECTOR, App.css("journal-entry-text")).text == ENTRY_TEXT
        mood = entry.find_element(By.CSS_SELECTOR, App.css("mood-badge"))
        assert mood.get_attribute("data-mood") == "4"
        emotions = [e.get_attribute("data-emotion") for e in entry.find_elements(By.CSS_SELECTOR, "[data-emotion]")]
        assert sorted(emotions) == ["connected", "hopeful"], emotions
        assert "#circle" in entry.text and "#sleep" in entry.text
        # The form is ready for the next entry.
        assert app.find("journal-text").get_attribute("value") == ""
        # The mood chart has a text summary for people who cannot see it.
        app.wait(
            lambda d: "4.0" in app.text_of("mood-chart-summary"),
            lambda: f"the mood chart's summary (now {app.text_of('mood-chart-summary')!r})",
        )


def test_08_find_it_by_search(app: App):
    with app.step("search: a word that is not there"):
        app.fill("journal-search", "zebra")
        app.click("journal-search-submit")
        app.find("search-empty")

    with app.step("search: a word from the entry"):
        app.fill("journal-search", SEARCH_WORD)
        app.click("journal-search-submit")
        app.wait(lambda d: app.text_of("search-count") == "1 entry found", "one result")
        hit = app.find("search-result")
        marked = [m.text for m in hit.find_elements(By.TAG_NAME, "mark")]
        assert any(SEARCH_WORD in m.lower() for m in marked), (hit.text, marked)


def test_08b_group_message(app: App):
    with app.step("messages: the group's thread is listed, empty"):
        app.nav("messages")
        app.wait_heading("Messages")
        item = app.by_attr("conversation-item", "title", GROUP)
        assert "No messages yet" in app.text_of("conversation-last"), item.text
        app.click(item.find_element(By.CSS_SELECTOR, App.css("conversation-open")))
        app.wait(lambda d: app.text_of("thread-title") == GROUP, "the group's thread")
        app.find("thread-empty")

    with app.step("send a message: it is listed, in the thread and in the inbox"):
        app.fill("composer-text", MESSAGE)
        app.click("composer-send")
        app.wait_status("Message sent.")
        app.wait(lambda d: app.present("message-item"), "the message in the thread")
        message = app.find("message-item")
        assert message.get_attribute("data-mine") == "true"
        assert app.text_of("message-text") == MESSAGE
        assert app.find("composer-text").get_attribute("value") == "", "the composer is cleared"
        app.click("thread-back")
        app.wait_heading("Messages")
        item = app.by_attr("conversation-item", "title", GROUP)
        assert MESSAGE[:40] in item.text, item.text
        assert item.get_attribute("data-unread") == "0", "one's own messages are never unread"


def test_09_every_screen_at_desktop_width(app: App):
    """Screenshots of each main screen with the data in it; nothing scrolls sideways."""
    with app.step("desktop tour"):
        app.resize(*DESKTOP)
        tour(app)


def tour(app: App, suffix: str = "") -> None:
    app.nav("today")
    app.find("today-title")
    app.wait(lambda d: bool(app.find_all("today-meeting")), "the next meeting on Today")
    check_screen(app, "today", suffix)
    app.nav("groups")
    app.by_attr("group-item", "name", GROUP)
    check_screen(app, "groups", suffix)
    app.click(app.by_attr("group-item", "name", GROUP).find_element(By.CSS_SELECTOR, App.css("group-open")))
    app.by_attr("series-item", "title", MEETING)
    check_screen(app, "group", suffix)
    app.nav("messages")
    item = app.by_attr("conversation-item", "title", GROUP)
    check_screen(app, "messages", suffix)
    app.click(item.find_element(By.CSS_SELECTOR, App.css("conversation-open")))
    app.wait(lambda d: app.present("message-item"), "the group's messages")
    check_screen(app, "thread", suffix)
    app.nav("calendar")
    view(app, "agenda")
    app.click("calendar-today")
    app.wait(lambda d: not app.present("loading"), "the calendar to load")
    check_screen(app, "calendar-agenda", suffix)
    view(app, "month")
    check_screen(app, "calendar-month", suffix)
    app.nav("contacts")
    app.by_attr("contact-item", "name", CONTACT)
    check_screen(app, "contacts", suffix)
    app.nav("journal")
    app.find("journal-entry")
    check_screen(app, "journal", suffix)
    app.nav("settings")
    app.find("settings-language")
    check_screen(app, "settings", suffix)


def check_screen(app: App, name: str, suffix: str) -> None:
    nav = app.find("nav")
    rect = app.d.execute_script(
        "const r = arguments[0].getBoundingClientRect();"
        "return [r.top, r.bottom, r.left, r.right, window.innerWidth, window.innerHeight];",
        nav,
    )
    top, bottom, left, right, width, height = rect
    assert top >= -1 and left >= -1 and right <= width + 1 and bottom <= height + 1, (
        f"{name}: the navigation is not fully in view: {rect}"
    )
    for section in NAV_EN:
        assert app.find(f"nav-{section}").is_displayed(), f"{name}: nav-{section} hidden"
    app.no_horizontal_scroll(name)
    app.shot(name, suffix)
    app.check_errors(name)


def test_10_switch_to_spanish(app: App):
    with app.step("settings: Español"):
        app.nav("settings")
        app.set_value("settings-language", "es")
        app.wait(lambda d: nav_labels(app) == NAV_ES, f"Spanish navigation (now {nav_labels(app)})")
        app.wait_status("Idioma cambiado.")
        app.wait_heading("Ajustes")
        assert app.d.execute_script("return document.documentElement.lang") == "es"

    with app.step("the screens speak Spanish"):
        app.nav("today")
        app.wait(lambda d: app.text_of("today-title") == f"Hola, {PSEUDONYM}", "the Spanish greeting")
        app.shot("today", "-es")
        app.nav("groups")
        app.wait_heading("Grupos")
        assert app.text_of("groups-new") == "Nuevo grupo"
        app.click(app.by_attr("group-item", "name", GROUP).find_element(By.CSS_SELECTOR, App.css("group-open")))
        series = app.by_attr("series-item", "title", MEETING)
        assert "Cada mes, el segundo martes" in series.text, series.text
        app.nav("calendar")
        app.wait_heading("Calendario")
        view(app, "month")
        assert app.text_of("calendar-view-month") == "Mes"
        label = app.text_of("calendar-month-label")
        assert " de 20" in label, f"Spanish month label, got {label!r}"
        app.shot("calendar-month", "-es")
        app.nav("contacts")
        app.wait_heading("Contactos")
        item = app.by_attr("contact-item", "name", CONTACT)
        assert "mar 18:00–21:00" in item.text, item.text
        app.nav("journal")
        app.wait_heading("Diario")
        app.find("journal-entry")
        assert "esperanzado/a" in app.find("journal-entry").text, app.find("journal-entry").text
        app.shot("journal", "-es")


def test_11_quit_relaunch_unlock(app: App):
    with app.step("quit and relaunch: the unlock screen"):
        app.relaunch()
        app.find("unlock-form", timeout=30)
        # Which language it speaks is checked on its own at the end (test_13).
        app.wait(
            lambda d: app.heading() in ("Mutua está bloqueada", "Mutua is locked"),
            lambda: f"the unlock screen's heading (now {app.heading()!r})",
        )
        assert not app.present("nav"), "nothing is shown before unlocking"

    with app.step("a wrong passphrase is refused, next to the field"):
        app.fill("unlock-passphrase", "not the passphrase")
        app.click("unlock-submit")
        app.find("unlock-passphrase-error", timeout=60)

    with app.step("unlock with the passphrase"):
        app.fill("unlock-passphrase", PASSPHRASE)
        app.click("unlock-submit")
        app.find("nav", timeout=60)
        app.wait(lambda d: nav_labels(app) == NAV_ES, "the saved language (Spanish)")
        app.wait(lambda d: app.text_of("today-title") == f"Hola, {PSEUDONYM}", "the greeting")

    with app.step("everything is still there"):
        app.wait(lambda d: bool(app.find_all("today-meeting")), "the next meeting on Today")
        app.wait(lambda d: bool(app.find_all("today-entry")), "the journal entry on Today")
        app.nav("groups")
        app.click(app.by_attr("group-item", "name", GROUP).find_element(By.CSS_SELECTOR, App.css("group-open")))
        assert app.text_of("group-guidelines") == GROUP_GUIDELINES
        app.by_attr("series-item", "title", MEETING)
        app.by_attr("cancelled-item", "date", CANCELLED)
        app.nav("calendar")
        view(app, "agenda")
        show_month_any_language(app, "2026-02")
        app.by_attr("agenda-row-cancelled", "date", CANCELLED)
        assert not agenda_rows(app, CANCELLED)
        show_month_any_language(app, "2026-03")
        app.by_attr("agenda-row", "date", SECOND_TUESDAYS["2026-03"])
        app.nav("contacts")
        item = app.by_attr("contact-item", "name", CONTACT)
        assert "18:00–21:00" in item.text
        app.nav("journal")
        entry = app.find("journal-entry")
        assert ENTRY_TEXT in entry.text
        app.fill("journal-search", SEARCH_WORD)
        app.click("journal-search-submit")
        app.find("search-result")


def show_month_any_language(app: App, month: str) -> None:
    """Like show_month, by counting months from "This month" (works in any language)."""
    import datetime

    app.click("calendar-today")
    today = datetime.date.today()
    year, mon = (int(x) for x in month.split("-"))
    steps = (year - today.year) * 12 + (mon - today.month)
    for _ in range(abs(steps)):
        old = app.text_of("calendar-month-label")
        app.click("calendar-next" if steps > 0 else "calendar-prev")
        app.wait(lambda d, old=old: app.text_of("calendar-month-label") != old, "the month to change")
    app.wait(lambda d: not app.present("loading"), "the month's meetings to load")


def test_12_phone_width(app: App):
    with app.step("back to English"):
        app.nav("settings")
        app.set_value("settings-language", "en")
        app.wait(lambda d: nav_labels(app) == NAV_EN, "English navigation")

    with app.step("phone width: every screen, the navigation visible, no sideways scrolling"):
        app.resize(*PHONE)
        tour(app)

    with app.step("one-tap mood check-in on Today"):
        app.nav("today")
        before = len(app.find_all("today-entry"))
        app.click("today-mood-3")
        app.wait_status("Saved: Okay.")
        app.wait(lambda d: len(app.find_all("today-entry")) == before + 1, "the check-in in Recent journal")

    with app.step("lock, then unlock (phone and desktop screenshots)"):
        app.nav("settings")
        app.click("settings-lock")
        app.find("unlock-form", timeout=30)
        app.wait_heading("Mutua is locked")
        app.no_horizontal_scroll("unlock (phone)")
        app.shot("unlock")
        app.resize(*DESKTOP)
        app.shot("unlock")
        app.fill("unlock-passphrase", PASSPHRASE)
        app.click("unlock-submit")
        app.find("nav", timeout=60)
        app.wait_status("Unlocked.")


def test_13_unlock_screen_speaks_the_last_language(app: App):
    """The unlock screen cannot read the (encrypted) profile, so the UI remembers the last
    language outside it; after a relaunch it must greet the member in that language."""
    with app.step("switch to Spanish, quit, relaunch"):
        app.nav("settings")
        app.set_value("settings-language", "es")
        app.wait(lambda d: nav_labels(app) == NAV_ES, "Spanish navigation")
        app.wait_status("Idioma cambiado.")
        app.relaunch()
        app.find("unlock-form", timeout=30)
        app.wait(
            lambda d: app.heading() == "Mutua está bloqueada",
            lambda: f"the unlock screen in Spanish (it shows {app.heading()!r})",
        )
        assert app.d.execute_script("return document.documentElement.lang") == "es"
        app.shot("unlock", "-es")

    with app.step("unlock: Spanish throughout"):
        app.fill("unlock-passphrase", PASSPHRASE)
        app.click("unlock-submit")
        app.find("nav", timeout=60)
        app.wait(lambda d: nav_labels(app) == NAV_ES, "Spanish navigation")
