"""`lkdebug serve` end to end: the real server as a subprocess, the page in headless Chromium.

The terminal in the page is xterm.js drawn on a canvas, so its text is not in the DOM. What it
shows is read from the WebSocket frames the page receives (the app's output bytes, ANSI escapes
stripped), and pixels are compared through `page.screenshot()`. The page never reaches the
internet: every request to another host than 127.0.0.1 is aborted (textual-serve's page links a
web font). The page is opened at the URL `serve` printed, with its secret; each test stops the
server and checks that the per-tab lkdebug processes are gone too (tests/served.py).

`LKDEBUG_WRITE_SCREENSHOTS=1` also saves the served page as screenshots/served.png.
"""

from __future__ import annotations

import os
import re
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from lkdebug.demo import DEMO_API_KEY, DEMO_API_SECRET
from tests.served import WAIT, Served, lkdebug_serve

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
# Without the background-networking flags Chromium calls home at start, and the internet is closed.
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
SCREENSHOT = Path(__file__).resolve().parents[1] / "screenshots" / "served.png"
ANSI = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[PX^_][^\x1b]*\x1b\\|\x1b[@-Z\\-_]")
FAKE_URL = "wss://lkdebug-fake-project.livekit.cloud"
# Enough of the secret to recognise it even where a narrow column cuts it short; masking shows none of it.
SECRET_SHOWN = DEMO_API_SECRET[:16]


@pytest.fixture
def project() -> Path:
    # Under the isolated HOME (conftest.py), so the page (and served.png) shows a short ~/ path.
    folder = Path(os.environ["HOME"]) / "my-livekit-app"
    folder.mkdir()
    (folder / ".env").write_text(
        f"LIVEKIT_URL={FAKE_URL}\nLIVEKIT_API_KEY={DEMO_API_KEY}\nLIVEKIT_API_SECRET={DEMO_API_SECRET}\n"
    )
    return folder


# The browser


@pytest.fixture(scope="module")
def chromium():
    reason = None
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        reason = "the playwright package is not installed (pip install -e '.[test]')"
    if reason is None and not CHROMIUM.exists():
        reason = f"{CHROMIUM} is missing (apt-get install chromium; .ci/run does it)"
    if reason:
        if os.environ.get("CI"):
            pytest.fail(f"{reason}: CI must run the lkdebug serve browser test")
        pytest.skip(reason)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


class ServedPage:
    """A browser tab on `lkdebug serve`: what the terminal was told to draw, and the keyboard."""

    def __init__(self, browser, url: str) -> None:
        self.page = browser.new_page(viewport={"width": 1280, "height": 800})
        self.output: list[bytes] = []
        self.reached: set[str] = set()
        self.blocked: list[str] = []
        self.page.route("**/*", self._only_loopback)
        self.page.on("websocket", lambda ws: ws.on("framereceived", self._received))
        self.page.goto(url)
        # textual-serve hides its intro dialog and shows the terminal on the app's first byte.
        self.page.wait_for_selector("body.-first-byte", timeout=WAIT * 1000)

    def _only_loopback(self, route) -> None:
        host = urlsplit(route.request.url).hostname
        if host == "127.0.0.1":
            self.reached.add(host)
            route.continue_()
        else:
            self.blocked.append(route.request.url)
            route.abort()

    def _received(self, payload: str | bytes) -> None:
        # Binary frames are the app's terminal output; text frames are protocol (pong, meta).
        if isinstance(payload, bytes):
            self.output.append(payload)

    def mark(self) -> int:
        return len(self.output)

    def text(self, since: int = 0) -> str:
        return ANSI.sub("", b"".join(self.output[since:]).decode("utf-8", "replace"))

    def wait_for(self, *phrases: str, since: int = 0) -> str:
        """Wait until the terminal was told to draw every phrase (whitespace-insensitive: lines wrap)."""
        wanted = [re.sub(r"\s+", "", phrase) for phrase in phrases]
        deadline = time.monotonic() + WAIT
        while True:
            text = self.text(since)
            flat = re.sub(r"\s+", "", text)
            if all(phrase in flat for phrase in wanted):
                return text
            if time.monotonic() > deadline:
                raise AssertionError(f"the terminal never showed {phrases!r} within {WAIT:.0f} s; it showed:\n{text[-3000:]}")
            self.page.wait_for_timeout(50)  # lets playwright deliver the frames

    def settle(self, quiet: float = 0.3) -> None:
        """Wait until the app stopped drawing for `quiet` seconds, then for xterm's next paint.

        `quiet` stays under the 0.5 s between a focused field's cursor blinks, which draw for as long as
        the field has the focus: with 0.5 s the Builder (its identity focused) was never quiet, and the
        wait ran out its 30 s and carried on. Never quiet within WAIT is a failure, not a pass."""
        deadline = time.monotonic() + WAIT
        count, since = self.mark(), time.monotonic()
        while time.monotonic() - since < quiet:
            if time.monotonic() > deadline:
                raise AssertionError(f"the terminal kept drawing for {WAIT:.0f} s; it showed:\n{self.text(count)[-3000:]}")
            self.page.wait_for_timeout(50)
            if self.mark() != count:
                count, since = self.mark(), time.monotonic()
        self.page.evaluate("() => new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)))")

    def press(self, key: str) -> None:
        # xterm.js reads keys from its hidden textarea; focusing it avoids a click landing on a widget.
        self.page.locator("textarea.xterm-helper-textarea").focus()
        self.page.keyboard.press(key)


def _per_tab_apps(served: Served) -> list[list[str]]:
    return [argv for _, argv in served.apps()]


# The tests


def test_browser_shows_the_environment_and_switches_tabs(chromium, project, tmp_path):
    with lkdebug_serve(project, tmp_path / "serve.log") as served:
        tab = ServedPage(chromium, served.url)
        tab.wait_for("Environment", "LIVEKIT_API_SECRET", FAKE_URL)
        tab.settle()
        shown = tab.text()
        assert "roomJoin" not in shown  # the Builder's form is not drawn yet
        assert SECRET_SHOWN not in shown  # masked: the browser never receives the secret
        before = tab.page.screenshot()
        if os.environ.get("LKDEBUG_WRITE_SCREENSHOTS") == "1":
            SCREENSHOT.parent.mkdir(exist_ok=True)
            SCREENSHOT.write_bytes(before)

        start = tab.mark()
        tab.press("2")
        tab.wait_for("roomJoin", since=start)  # a grant of the Builder's form (grants.py's name)
        tab.settle()
        assert tab.page.screenshot() != before

        # Each browser tab runs its own `lkdebug tui --served` with the server's settings options.
        apps = _per_tab_apps(served)
        assert len(apps) == 1 and apps[0][4:7] == ["--served", "--dir", str(project)]
        assert tab.reached == {"127.0.0.1"}
        assert tab.blocked, "the Google font link was expected and blocked; did the page change?"
        tab.page.close()


def test_browser_session_refuses_to_reveal_and_says_it_is_served(chromium, project, tmp_path):
    with lkdebug_serve(project, tmp_path / "serve.log") as served:
        tab = ServedPage(chromium, served.url)
        tab.wait_for("LIVEKIT_API_SECRET")
        tab.settle()
        first_screen = tab.text()  # before the refusal below, whose toast says "served session"
        start = tab.mark()
        tab.press("Control+r")
        tab.wait_for("Secrets stay masked", since=start)
        tab.settle()
        assert SECRET_SHOWN not in tab.text()
        tab.page.close()
    if not re.search(r"(?<![\w/.-])served(?![\w/-])", first_screen, re.IGNORECASE):
        pytest.xfail("TUI: a served session does not say so on screen yet (the header should show that "
                     "the session is served in a browser; sub_title alone is not drawn without a Header)")


def test_allow_reveal_lets_the_browser_session_reveal(chromium, project, tmp_path):
    with lkdebug_serve(project, tmp_path / "serve.log", "--allow-reveal") as served:
        assert _per_tab_apps(served) == []  # no tab yet, no lkdebug tui process
        tab = ServedPage(chromium, served.url)
        tab.wait_for("LIVEKIT_API_SECRET")
        assert [argv[-1] for argv in _per_tab_apps(served)] == ["--allow-reveal"]
        start = tab.mark()
        tab.press("Control+r")
        tab.wait_for("Secrets and signatures shown", SECRET_SHOWN, since=start)
        tab.page.close()

