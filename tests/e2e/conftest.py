"""End-to-end harness: the real Mutua binary in the real WebKit webview, driven through
tauri-driver + WebKitWebDriver (run under Xvfb by `cargo xtask e2e`).

Environment:
  MUTUA_APP          absolute path of the app binary (required)
  MUTUA_E2E_SHOTS    folder for screenshots (default: <pytest tmp>/shots)
  TAURI_DRIVER       tauri-driver binary (default: PATH, then ~/.cargo/bin/tauri-driver)
  WEBKIT_WEBDRIVER   native driver (default: /usr/bin/WebKitWebDriver)

One tauri-driver serves the whole run. It starts the app for every WebDriver session and passes
its own environment on, so the app's data folder (MUTUA_DATA_DIR) and its webview storage
(XDG_*_HOME) are per-run scratch folders set on tauri-driver. "Quit and relaunch" = end the
session, wait for the app process to exit, start a new session: same data, new process.

Every wait is bounded; the only sleeps are short polls. tauri-driver is stopped with SIGTERM
(never SIGKILL: a killed driver leaves WebKitWebDriver on its port), and whatever it started that
is still alive afterwards gets SIGTERM too, even when a test failed.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.common.exceptions import (
    ElementClickInterceptedException,
    ElementNotInteractableException,
    JavascriptException,
    StaleElementReferenceException,
    TimeoutException,
    WebDriverException,
)
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.common.options import ArgOptions
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support.ui import WebDriverWait

# Seconds. Generous for a loaded 2-core machine, but bounded.
DRIVER_START_TIMEOUT = 30
SESSION_TIMEOUT = 60
WAIT = 15
APP_EXIT_TIMEOUT = 20
STOP_TIMEOUT = 10
POLL = 0.1

DESKTOP = (1280, 800)
PHONE = (390, 844)


def log(message: str) -> None:
    print(f"[e2e {time.strftime('%H:%M:%S')}] {message}", flush=True)


# --------------------------------------------------------------------------------------------
# Processes


def _proc_stat(pid: int) -> tuple[int, int] | None:
    """(ppid, pgrp) of a live process, or None if it is gone (or a zombie)."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # The command name is in parentheses and may hold spaces: split after the last ')'.
    fields = raw[raw.rfind(")") + 2 :].split()
    if fields[0] == "Z":
        return None
    return int(fields[1]), int(fields[2])


def _alive(pid: int) -> bool:
    return _proc_stat(pid) is not None


def _descendants(root: int) -> list[int]:
    """Live processes under `root` (children, grandchildren, ...), found via /proc."""
    parents: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            stat = _proc_stat(int(entry))
            if stat:
                parents[int(entry)] = stat[0]
    found, frontier = [], [root]
    while frontier:
        parent = frontier.pop()
        children = [pid for pid, ppid in parents.items() if ppid == parent]
        found.extend(children)
        frontier.extend(children)
    return found


def _in_group(pgid: int) -> list[int]:
    out = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            stat = _proc_stat(int(entry))
            if stat and stat[1] == pgid:
                out.append(int(entry))
    return out


def _exe(pid: int) -> str | None:
    try:
        # A binary rebuilt while it runs shows as "<path> (deleted)".
        return os.readlink(f"/proc/{pid}/exe").removesuffix(" (deleted)")
    except OSError:
        return None


def _wait_gone(pids: list[int], timeout: float) -> list[int]:
    """Waits until none of `pids` is alive; returns those still alive at the deadline."""
    deadline = time.monotonic() + timeout
    while True:
        left = [pid for pid in pids if _alive(pid)]
        if not left or time.monotonic() > deadline:
            return left
        time.sleep(POLL)


def _terminate(pids: list[int], what: str) -> list[int]:
    """SIGTERM to each pid, then waits; returns survivors."""
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)
    left = _wait_gone(pids, STOP_TIMEOUT)
    if left:
        log(f"{what}: still alive {STOP_TIMEOUT} s after SIGTERM: {left}")
    return left


def _port_free(port: int) -> bool:
    """Nothing listens on it and it can be bound (connections in TIME_WAIT do not count)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", port)) != 0


def free_port(avoid: set[int] = frozenset()) -> int:
    """A port the kernel says is free, double-checked (nothing listens, we can bind it)."""
    for _ in range(50):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        if port not in avoid and _port_free(port):
            return port
    raise RuntimeError("could not find a free TCP port on 127.0.0.1")


def _find_tauri_driver() -> str:
    explicit = os.environ.get("TAURI_DRIVER")
    if explicit:
        return explicit
    on_path = shutil.which("tauri-driver")
    if on_path:
        return on_path
    cargo_home = Path(os.environ.get("CARGO_HOME") or Path.home() / ".cargo")
    candidate = cargo_home / "bin" / "tauri-driver"
    if candidate.is_file():
        return str(candidate)
    raise RuntimeError("tauri-driver not found: run `cargo xtask setup` (it installs 2.1.0)")


class TauriDriver:
    """One tauri-driver process (and WebKitWebDriver under it) for the whole run."""

    def __init__(self, app: Path, env: dict[str, str], log_path: Path):
        self.app = app
        self.env = env
        self.log_path = log_path
        self.proc: subprocess.Popen | None = None
        self.port = 0
        self.native_port = 0
        self._log_file = None

    def start(self) -> None:
        binary = _find_tauri_driver()
        native = os.environ.get("WEBKIT_WEBDRIVER", "/usr/bin/WebKitWebDriver")
        if not os.access(native, os.X_OK):
            raise RuntimeError(f"{native} missing: install webkit2gtk-driver (`cargo xtask setup`)")
        self.port = free_port()
        self.native_port = free_port({self.port})
        cmd = [
            binary,
            "--port", str(self.port),
            "--native-port", str(self.native_port),
            "--native-driver", native,
        ]  # fmt: skip
        log(f"starting {' '.join(cmd)}")
        self._log_file = open(self.log_path, "ab")  # noqa: SIM115 (closed in stop())
        # A new session (process group): everything it starts can be found and stopped later.
        self.proc = subprocess.Popen(
            cmd,
            env=self.env,
            stdin=subprocess.DEVNULL,
            stdout=self._log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + DRIVER_START_TIMEOUT
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(
                    f"tauri-driver exited at once ({self.proc.returncode}):\n{self.log_tail()}"
                )
            if self._answers():
                log(f"tauri-driver answers on 127.0.0.1:{self.port}")
                return
            if time.monotonic() > deadline:
                raise RuntimeError(
                    f"tauri-driver did not answer within {DRIVER_START_TIMEOUT} s:\n{self.log_tail()}"
                )
            time.sleep(0.2)

    def _answers(self) -> bool:
        # /status is forwarded to WebKitWebDriver: an answer means both are up.
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/status", timeout=2) as r:
                return r.status == 200
        except (urllib.error.URLError, OSError, ValueError):
            return False

    def log_tail(self, lines: int = 40) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return "(no tauri-driver log)"
        return "\n".join(text.splitlines()[-lines:])

    def app_pids(self) -> list[int]:
        """The app processes tauri-driver's WebKitWebDriver started."""
        if not self.proc:
            return []
        real = os.path.realpath(self.app)
        pids = set(_descendants(self.proc.pid)) | set(_in_group(self.proc.pid))
        return sorted(pid for pid in pids if _exe(pid) == real)

    def stop(self) -> None:
        """SIGTERM to tauri-driver (it then kills WebKitWebDriver), then SIGTERM to anything it
        started that is still alive. Never SIGKILL the driver."""
        if not self.proc:
            return
        pid = self.proc.pid
        if self.proc.poll() is None:
            started = _descendants(pid)
            log(f"stopping tauri-driver (pid {pid}) with SIGTERM")
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                log(f"tauri-driver still running {STOP_TIMEOUT} s after SIGTERM; SIGTERM again")
                self.proc.send_signal(signal.SIGTERM)
                with contextlib.suppress(subprocess.TimeoutExpired):
                    self.proc.wait(timeout=STOP_TIMEOUT)
        else:
            started = []
        # What it started (WebKitWebDriver, an app, WebKit's helpers) and is left over, by pid
        # and process group, once they have had a moment to follow the driver out.
        candidates = sorted({p for p in started + _in_group(pid) if p != pid})
        leftovers = _wait_gone(candidates, 3)
        if leftovers:
            names = [f"{p} ({os.path.basename(_exe(p) or '?')})" for p in leftovers]
            log(f"left over after tauri-driver: {', '.join(names)}; SIGTERM")
            survivors = _terminate(leftovers, "left-over processes")
            for p in survivors:
                # Last resort for non-driver processes only (an app that ignores SIGTERM).
                if _exe(p) == os.path.realpath(self.app):
                    log(f"app {p} ignores SIGTERM: SIGKILL")
                    with contextlib.suppress(ProcessLookupError):
                        os.kill(p, signal.SIGKILL)
        for port in (self.port, self.native_port):
            if port and not _port_free(port):
                log(f"warning: port {port} is still in use after stopping the drivers")
        if self._log_file:
            self._log_file.close()
        self.proc = None


# --------------------------------------------------------------------------------------------
# The app, through WebDriver


class JsErrors(AssertionError):
    pass


class App:
    """The running app (one WebDriver session at a time) plus helpers that act like a person:
    find things by their test hooks (data-testid), click, type, wait; fail on any JS error."""

    def __init__(self, tauri: TauriDriver, shots: Path):
        self.tauri = tauri
        self.shots = shots
        self.driver: webdriver.Remote | None = None
        self.size = DESKTOP
        self.launches = 0

    # ---- sessions ----

    def launch(self) -> None:
        assert self.driver is None, "a session is already open"
        options = ArgOptions()
        options.set_capability("browserName", "wry")
        options.set_capability("tauri:options", {"application": str(self.tauri.app)})
        start = time.monotonic()
        log(f"launching the app (session {self.launches + 1})")
        self.driver = webdriver.Remote(
            command_executor=f"http://127.0.0.1:{self.tauri.port}", options=options
        )
        self.launches += 1
        self.driver.set_script_timeout(WAIT)
        self.driver.set_page_load_timeout(SESSION_TIMEOUT)
        # The page is loaded when the session starts; wait for the wasm app to render.
        self.wait(
            lambda d: d.execute_script(
                "return document.readyState === 'complete' && !!document.querySelector('main')"
            ),
            "the UI to render a <main>",
            timeout=SESSION_TIMEOUT,
        )
        self.resize(*self.size)
        log(f"app up in {time.monotonic() - start:.1f} s; pids {self.tauri.app_pids()}")
        self.check_errors("start-up")

    def quit(self) -> None:
        """Ends the session (the app closes) and waits until the app process is gone."""
        if self.driver is None:
            return
        pids = self.tauri.app_pids()
        log(f"ending the session; app pids {pids}")
        try:
            self.driver.quit()
        except WebDriverException as error:
            log(f"ending the session failed: {error.msg if hasattr(error, 'msg') else error}")
        finally:
            self.driver = None
        left = _wait_gone(pids, APP_EXIT_TIMEOUT)
        if left:
            log(f"app {left} did not exit {APP_EXIT_TIMEOUT} s after the session ended; SIGTERM")
            left = _terminate(left, "app")
        assert not left, f"the app process {left} would not exit"

    def relaunch(self) -> None:
        self.quit()
        self.launch()

    # ---- waiting and errors ----

    @property
    def d(self) -> webdriver.Remote:
        assert self.driver is not None, "no session: call launch() first"
        return self.driver

    def wait(self, condition, what, timeout: float = WAIT):
        """Waits until `condition(driver)` is truthy (stale elements are retried); returns it.
        `what` says what is awaited (a callable is asked only when the wait fails)."""
        try:
            return WebDriverWait(
                self.d, timeout, poll_frequency=POLL, ignored_exceptions=(StaleElementReferenceException,)
            ).until(condition)
        except TimeoutException:
            if callable(what):
                try:
                    what = what()
                except WebDriverException as error:
                    what = f"(could not describe: {error.msg})"
            self.check_errors(f"waiting for {what}")
            self.failure_shot(what)
            raise AssertionError(
                f"timed out after {timeout} s waiting for {what}\n"
                f"status line: {self.status_text()!r}\nvisible text:\n{self.body_text()[:2000]}"
            ) from None

    def errors(self) -> list[str]:
        try:
            return list(self.d.execute_script("return window.__errors || []") or [])
        except JavascriptException as error:
            return [f"could not read window.__errors: {error.msg}"]

    def check_errors(self, where: str) -> None:
        errors = self.errors()
        if errors:
            self.failure_shot(f"js-error-{where}")
            raise JsErrors(f"JavaScript error(s) after {where}:\n  " + "\n  ".join(errors))

    @contextlib.contextmanager
    def step(self, name: str):
        """One step of the journey: logged, timed, JS errors checked at its end, a screenshot
        of the screen as it was if it fails."""
        log(f"step: {name}")
        start = time.monotonic()
        try:
            yield
        except Exception:
            self.failure_shot(name)
            raise
        self.check_errors(name)
        log(f"  ok ({time.monotonic() - start:.1f} s)")

    # ---- screenshots ----

    def shot(self, screen: str, suffix: str = "") -> Path:
        width = "phone" if self.size[0] < 700 else "desktop"
        path = self.shots / f"{screen}-{width}{suffix}.png"
        # Let fonts and the last frame settle: wait for two animation frames.
        self.d.execute_async_script(
            "const done = arguments[arguments.length - 1];"
            "(document.fonts ? document.fonts.ready : Promise.resolve())"
            ".then(() => requestAnimationFrame(() => requestAnimationFrame(() => done(true))));"
        )
        assert self.d.get_screenshot_as_file(str(path)), f"could not save {path}"
        log(f"  screenshot {path.name}")
        return path

    def failure_shot(self, name: str) -> None:
        """FAILED-<name>.png: the webview through WebDriver or, when that does not answer, the
        whole X display (ImageMagick's `import`)."""
        slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:60]
        path = self.shots / f"FAILED-{slug}.png"
        if self.driver is not None:
            with contextlib.suppress(Exception):
                if self.d.get_screenshot_as_file(str(path)):
                    return
        if shutil.which("import") and os.environ.get("DISPLAY"):
            with contextlib.suppress(Exception):
                subprocess.run(
                    ["import", "-window", "root", str(path)],
                    stdin=subprocess.DEVNULL,
                    capture_output=True,
                    timeout=20,
                    check=False,
                )

    # ---- window ----

    def resize(self, width: int, height: int) -> None:
        self.size = (width, height)
        self.d.set_window_size(width, height)
        # The viewport follows the window a moment later; the webview fills the window.
        self.wait(
            lambda d: abs(d.execute_script("return window.innerWidth") - width) <= 16,
            f"the viewport to become {width} px wide",
        )

    def no_horizontal_scroll(self, where: str) -> None:
        sizes = self.d.execute_script(
            "return [document.documentElement.scrollWidth, window.innerWidth,"
            " document.body.scrollWidth]"
        )
        scroll_width, inner_width, body_width = sizes
        if scroll_width > inner_width:
            wide = self.d.execute_script(
                "const w = window.innerWidth; const out = [];"
                "for (const el of document.querySelectorAll('body *')) {"
                "  const r = el.getBoundingClientRect();"
                "  if (r.right > w + 1 && r.width > 0) {"
                "    out.push(el.tagName.toLowerCase() + (el.dataset.testid ? '[' + el.dataset.testid + ']' : '')"
                "      + (el.className && typeof el.className === 'string' ? '.' + el.className.split(' ').join('.') : '')"
                "      + ' right=' + Math.round(r.right));"
                "  }"
                "  if (out.length >= 8) break;"
                "}"
                "return out;"
            )
            self.failure_shot(f"overflow-{where}")
            raise AssertionError(
                f"{where}: horizontal scrolling at {inner_width} px "
                f"(scrollWidth {scroll_width}, body {body_width}); widest: {wide}"
            )

    # ---- finding things ----

    @staticmethod
    def css(testid: str) -> str:
        return f'[data-testid="{testid}"]'

    def find(self, testid: str, within: WebElement | None = None, timeout: float = WAIT) -> WebElement:
        """The visible element with this hook (waits for it)."""
        root = within or self.d

        def visible(_):
            for el in root.find_elements(By.CSS_SELECTOR, self.css(testid)):
                if el.is_displayed():
                    return el
            return False

        return self.wait(visible, f"[data-testid={testid}] to be visible", timeout)

    def find_all(self, testid: str, within: WebElement | None = None) -> list[WebElement]:
        return (within or self.d).find_elements(By.CSS_SELECTOR, self.css(testid))

    def present(self, testid: str, within: WebElement | None = None) -> bool:
        return bool(self.find_all(testid, within))

    def by_attr(self, testid: str, attr: str, value: str, timeout: float = WAIT) -> WebElement:
        selector = f'{self.css(testid)}[data-{attr}="{value}"]'
        return self.wait(
            lambda d: next(iter(d.find_elements(By.CSS_SELECTOR, selector)), False),
            f"{selector}",
            timeout,
        )

    def gone(self, selector: str, what: str, timeout: float = WAIT) -> None:
        self.wait(lambda d: not d.find_elements(By.CSS_SELECTOR, selector), what, timeout)

    def text_of(self, testid: str) -> str:
        return self.find(testid).text

    def body_text(self) -> str:
        try:
            return self.d.find_element(By.TAG_NAME, "body").text
        except WebDriverException:
            return "(unreadable)"

    def status_text(self) -> str:
        try:
            els = self.find_all("status")
            return els[0].text if els else ""
        except WebDriverException:
            return ""

    def heading(self) -> str:
        return self.wait(
            lambda d: next((h.text for h in d.find_elements(By.CSS_SELECTOR, "main h1") if h.text), False),
            "a heading on the screen",
        )

    def wait_heading(self, expected: str) -> None:
        self.wait(
            lambda d: any(h.text.strip() == expected for h in d.find_elements(By.CSS_SELECTOR, "main h1")),
            f"the heading {expected!r} (now {self._h1s()!r})",
        )

    def _h1s(self) -> list[str]:
        with contextlib.suppress(WebDriverException):
            return [h.text for h in self.d.find_elements(By.CSS_SELECTOR, "main h1")]
        return []

    def wait_status(self, contains: str) -> None:
        self.wait(
            lambda d: contains in self.status_text(),
            f"the status line to say {contains!r} (now {self.status_text()!r})",
        )

    # ---- acting ----

    def _scroll_to(self, el: WebElement) -> None:
        # Centre it, so the phone layout's fixed bottom navigation does not cover it.
        self.d.execute_script("arguments[0].scrollIntoView({block: 'center', inline: 'nearest'});", el)

    def click(self, target: str | WebElement, within: WebElement | None = None) -> None:
        el = self.find(target, within) if isinstance(target, str) else target
        what = target if isinstance(target, str) else el.get_attribute("data-testid") or el.tag_name
        self.wait(lambda d: el.is_enabled(), f"{what} to be enabled")
        self._scroll_to(el)
        deadline = time.monotonic() + WAIT
        while True:
            try:
                el.click()
                return
            except (ElementClickInterceptedException, ElementNotInteractableException) as error:
                # Something (an animation, the fixed nav) was in the way: scroll and retry.
                if time.monotonic() > deadline:
                    raise AssertionError(f"could not click {what}: {error.msg}") from None
                time.sleep(0.2)
                self._scroll_to(el)

    def choose(self, testid: str, within: WebElement | None = None) -> None:
        """Ticks a radio button or a checkbox the way a person does: by clicking its label
        (the chips and mood faces hide the input itself)."""
        selector = self.css(testid)
        root = within or self.d
        inp = self.wait(
            lambda d: next(iter(root.find_elements(By.CSS_SELECTOR, selector)), False),
            f"[data-testid={testid}]",
        )
        if inp.is_selected() and inp.get_attribute("type") == "radio":
            return
        before = inp.is_selected()
        label = self.d.execute_script("return arguments[0].closest('label')", inp)
        self.click(label if label is not None else inp)
        self.wait(lambda d: inp.is_selected() != before, f"{testid} to toggle")

    def fill(self, testid: str, text: str, within: WebElement | None = None) -> WebElement:
        """Types into a text field (emptied first, with the keyboard so the UI sees it).

        Under load, a page that is still settling can re-render the field while keys arrive and
        lose some of them: then the field is found again and typed once more."""
        for attempt in (1, 2):
            el = self.find(testid, within)
            self._scroll_to(el)
            if el.get_attribute("value"):
                # Select all and delete, with keys, so the UI sees input events (clear() does not).
                el.send_keys(Keys.CONTROL, "a", Keys.NULL)
                el.send_keys(Keys.DELETE)
            # WebKitWebDriver drops "\n" from typed text: press Enter for each line break instead.
            lines = text.split("\n")
            for index, line in enumerate(lines):
                if index:
                    el.send_keys(Keys.ENTER)
                if line:
                    el.send_keys(line)
            holds = lambda: self.find(testid, within).get_property("value")  # noqa: E731
            if attempt == 1:
                deadline = time.monotonic() + 5
                while time.monotonic() < deadline:
                    with contextlib.suppress(WebDriverException):
                        if holds() == text:
                            return el
                    time.sleep(POLL)
                log(f"  {testid} lost keys while typing {text!r}: typing again")
                continue
            self.wait(lambda d: holds() == text, lambda: f"{testid} to hold {text!r} (it holds {holds()!r})")
        return self.find(testid, within)

    def set_value(self, testid: str, value: str, within: WebElement | None = None) -> WebElement:
        """Sets a date, time or select field as its picker would (value + input + change
        events): WebKit's native pickers cannot be typed into reliably over WebDriver."""
        el = self.find(testid, within)
        self._scroll_to(el)
        if el.tag_name.lower() == "select":
            self.wait(
                lambda d: d.execute_script(
                    "return [...arguments[0].options].some(o => o.value === arguments[1])", el, value
                ),
                f"option {value!r} in {testid}",
            )
        self.d.execute_script(
            """
            const [el, value] = arguments;
            const proto = el.tagName === 'SELECT' ? HTMLSelectElement.prototype
                : el.tagName === 'TEXTAREA' ? HTMLTextAreaElement.prototype : HTMLInputElement.prototype;
            Object.getOwnPropertyDescriptor(proto, 'value').set.call(el, value);
            el.dispatchEvent(new Event('input', {bubbles: true}));
            el.dispatchEvent(new Event('change', {bubbles: true}));
            """,
            el,
            value,
        )
        self.wait(lambda d: el.get_attribute("value") == value or el.get_property("value") == value,
                  f"{testid} to hold {value!r}")
        return el

    def selected_text(self, testid: str) -> str:
        """The visible text of a select's chosen option."""
        el = self.find(testid)
        return self.d.execute_script(
            "const o = arguments[0].selectedOptions[0]; return o ? o.textContent.trim() : ''", el
        )

    def nav(self, section: str) -> None:
        """Goes to a main screen through the navigation (nav-today, nav-groups, ...)."""
        button = self.find(f"nav-{section}")
        self.click(button)
        self.wait(lambda d: button.get_attribute("aria-current") == "page", f"nav-{section} to be current")
        self.wait(lambda d: not d.find_elements(By.CSS_SELECTOR, self.css("loading")), "loading to finish")


# --------------------------------------------------------------------------------------------
# Fixtures


def pytest_configure(config):
    # selenium's own RemoteConnection subclasses still pass this deprecated argument.
    config.addinivalue_line(
        "filterwarnings", "ignore:setting remote_server_addr:DeprecationWarning"
    )

    # SIGTERM (xtask's timeout) and our own deadline interrupt the run the way Ctrl+C does:
    # pytest then still tears the fixtures down, so the drivers are stopped properly.
    def interrupt(signum, _frame):
        why = "time limit (MUTUA_E2E_TIMEOUT) reached" if signum == signal.SIGALRM else "SIGTERM"
        log(f"interrupted: {why}; stopping")
        raise KeyboardInterrupt(why)

    signal.signal(signal.SIGTERM, interrupt)
    limit = os.environ.get("MUTUA_E2E_TIMEOUT", "").strip()
    if limit:
        signal.signal(signal.SIGALRM, interrupt)
        signal.alarm(int(limit))


@pytest.fixture(scope="session")
def run_dir(tmp_path_factory) -> Path:
    # <basetemp>/mutua-e2e: app data, webview storage, the tauri-driver log.
    return tmp_path_factory.mktemp("mutua-e2e", numbered=False)


@pytest.fixture(scope="session")
def shots(run_dir) -> Path:
    path = Path(os.environ.get("MUTUA_E2E_SHOTS") or run_dir / "shots")
    path.mkdir(parents=True, exist_ok=True)
    return path


def app_binary() -> Path:
    """The app under test (MUTUA_APP), checked; fails the test with advice otherwise."""
    app = os.environ.get("MUTUA_APP")
    if not app:
        pytest.fail("MUTUA_APP is not set: run `cargo xtask e2e`, which builds the app and sets it")
    app_path = Path(app)
    if not app_path.is_absolute() or not os.access(app_path, os.X_OK):
        pytest.fail(f"MUTUA_APP={app} is not an absolute path to an executable")
    if not os.environ.get("DISPLAY"):
        pytest.fail("no DISPLAY: run under Xvfb (`cargo xtask e2e` uses xvfb-run)")
    return app_path


def member_env(root: Path) -> dict[str, str]:
    """The environment for one member's app: its data and webview storage under `root`."""
    data = root / "data"
    xdg = root / "xdg"
    for sub in ("data", "cache", "config", "state"):
        (xdg / sub).mkdir(parents=True, exist_ok=True)
    data.mkdir(exist_ok=True)
    env = dict(os.environ)
    env.update(
        {
            # The member's data: a scratch folder for this run.
            "MUTUA_DATA_DIR": str(data),
            # The webview's own storage (localStorage keeps the unlock screen's language) and
            # caches: scratch too, so runs never see each other.
            "XDG_DATA_HOME": str(xdg / "data"),
            "XDG_CACHE_HOME": str(xdg / "cache"),
            "XDG_CONFIG_HOME": str(xdg / "config"),
            "XDG_STATE_HOME": str(xdg / "state"),
            # Deterministic clock zone for the viewer (the meeting is in Madrid too).
            "TZ": "Europe/Madrid",
            "LANG": "C.UTF-8",
            # No accessibility bus under Xvfb (avoids a start-up delay and warnings).
            "NO_AT_BRIDGE": "1",
            # Never let selenium fetch drivers.
            "SE_OFFLINE": "true",
        }
    )
    # No session bus: the OS keychain is unavailable, so the passphrase path is what runs.
    env.pop("DBUS_SESSION_BUS_ADDRESS", None)
    return env


@pytest.fixture(scope="session")
def tauri(run_dir, shots):
    app_path = app_binary()
    env = member_env(run_dir)
    data = Path(env["MUTUA_DATA_DIR"])
    log(f"app {app_path}; data {data}; screenshots {shots}")
    driver = TauriDriver(app_path, env, run_dir / "tauri-driver.log")
    try:
        driver.start()
        yield driver
    finally:
        driver.stop()
        log(f"tauri-driver log: {driver.log_path}")


@pytest.fixture(scope="session")
def app(tauri, shots):
    app = App(tauri, shots)
    try:
        yield app
    finally:
        if os.environ.get("MUTUA_E2E_KEEP_OPEN") and app.driver is not None:
            keep_open(app)
        with contextlib.suppress(Exception):
            if app.driver is not None:
                app.check_errors("the last test")
        app.quit()


def keep_open(app: App) -> None:
    """`cargo xtask e2e --keep-open`: leave the app as it is until Enter is pressed. pytest
    captures stdout and stdin, so this talks to the terminal directly."""
    signal.alarm(0)
    prompt = (
        f"\n[e2e] --keep-open: the app is still open on DISPLAY={os.environ.get('DISPLAY')} "
        f"(data in {app.tauri.env['MUTUA_DATA_DIR']}). Press Enter to close it. "
    )
    try:
        with open("/dev/tty", "w") as out, open("/dev/tty") as keyboard:
            out.write(prompt)
            out.flush()
            keyboard.readline()
    except OSError:
        log("--keep-open: no terminal to wait on; closing")


@pytest.hookimpl(tryfirst=True, hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.when == "call" and report.failed:
        app = item.funcargs.get("app")
        if isinstance(app, App) and app.driver is not None:
            app.failure_shot(item.name)
            with contextlib.suppress(Exception):
                report.sections.append(("visible text", app.body_text()[:4000]))
                report.sections.append(("window.__errors", json.dumps(app.errors(), indent=2)))
        tauri = item.funcargs.get("tauri")
        if isinstance(tauri, TauriDriver):
            report.sections.append(("tauri-driver log (tail)", tauri.log_tail()))
