"""A served session (`lkdebug serve`) without --allow-reveal: no signed token leaves the process.

The viewer in the browser may be anyone holding the URL: they see the header and payload of the
Builder's token but not its signature, cannot copy or download a token, and cannot aim the probes
(which send signed tokens) at a server of their own. With --allow-reveal all of it works.
"""

from __future__ import annotations

import socket
import time

import pytest

from lkdebug.demo.ntp import NtpResponder
from lkdebug.demo.server import run_in_thread
from lkdebug.tui.widgets.tabbar import TabBar

from .conftest import fake_settings, make_app, open_tab, plain


@pytest.fixture
def toasts(monkeypatch):
    """Every toast the app shows, by patching the class: the app is built inside each test."""
    from lkdebug.tui.app import LkDebugApp

    shown: list[str] = []
    monkeypatch.setattr(LkDebugApp, "notify", lambda self, message, **_: shown.append(str(message)))
    return shown


@pytest.fixture
def delivered(monkeypatch):
    from lkdebug.tui.app import LkDebugApp

    files: list[tuple[str | None, str]] = []
    monkeypatch.setattr(LkDebugApp, "deliver_text",
                        lambda self, file, *, save_filename=None, **_: files.append((save_filename, file.read())))
    return files


@pytest.fixture
def listener():
    """A server of the viewer's choosing: a TCP port that records whether anything connected."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(8)
        sock.setblocking(False)
        yield sock


def connected(sock: socket.socket) -> bool:
    try:
        conn, _ = sock.accept()
    except BlockingIOError:
        return False
    conn.close()
    return True


def refusal(toasts: list[str]) -> str:
    assert toasts, "no toast"
    return toasts[-1]


async def test_the_builder_shows_header_and_payload_but_no_signature(toasts):
    app = make_app(served=True, allow_reveal=False)
    async with app.run_test(size=(120, 36)) as pilot:
        await open_tab(pilot, "2")
        token = app.tokens["builder"]
        header, payload, signature = token.split(".")
        shown = plain(app, "#builder-preview-text")
        assert f"{header}.{payload}" in shown.replace("\n", "")
        assert signature not in shown.replace("\n", "") and signature[:8] not in shown
        await pilot.press("ctrl+r")  # reveal is refused as well
        assert signature not in plain(app, "#builder-preview-text").replace("\n", "")


async def test_copy_and_download_of_tokens_are_refused_with_the_reason(toasts, delivered):
    app = make_app(served=True, allow_reveal=False)
    async with app.run_test(size=(120, 36)) as pilot:
        await open_tab(pilot, "2")
        assert app.tokens["builder"]
        await pilot.press("ctrl+y")  # the Builder's own binding
        assert "Copy token: refused in a served session" in refusal(toasts) and "--allow-reveal" in refusal(toasts)
        app.query_one("#builder-copy").press()  # its button
        await pilot.pause()
        assert "Copy token: refused" in refusal(toasts)
        for action in ("copy_token", "download_token"):  # the palette's commands
            await app.run_action(action)
            assert "refused in a served session" in refusal(toasts) and "--allow-reveal" in refusal(toasts)
        assert "Download token" in refusal(toasts)
        assert app.clipboard == "" and delivered == []
        # The Decoder's input would show the whole token.
        await pilot.press("ctrl+o")
        assert "Open in the Decoder: refused" in refusal(toasts)
        assert app.query_one(TabBar).active == "builder"
        # The lk line holds no token (it reads the secret from the environment): it may be copied.
        await pilot.press("ctrl+g")
        assert app.clipboard.startswith("lk token create")


async def test_the_probes_go_only_to_the_settings_url(toasts, listener):
    elsewhere = f"ws://127.0.0.1:{listener.getsockname()[1]}"
    app = make_app(fake_settings(url="ws://127.0.0.1:9"), served=True, allow_reveal=False)
    async with app.run_test(size=(120, 36)) as pilot:
        await open_tab(pilot, "4")
        url = app.query_one("#conn-url")
        assert url.value == "ws://127.0.0.1:9"
        url.value = elsewhere
        await pilot.pause()
        assert url.value == "ws://127.0.0.1:9"  # the change is undone
        assert "Changing the URL: refused in a served session" in refusal(toasts)
        # Even if the field held another URL (settings reloaded under it), Enter does not probe it.
        with app.prevent(type(url).Changed):
            url.value = elsewhere
        app.query_one(TabBar).focus()
        app.query_one("#conn-run").press()
        await pilot.pause()
        await app.workers.wait_for_complete()
        assert app.last_diagnosis is None and not connected(listener)
        assert "Changing the URL: refused" in refusal(toasts)


async def test_the_settings_server_is_still_probed_when_served():
    with run_in_thread() as server, NtpResponder() as ntp:
        from lkdebug.tui.app import LkDebugApp

        app = LkDebugApp(fake_settings(url=server.ws_url), now=time.time, ntp_servers=[ntp.address],
                         served=True, allow_reveal=False)
        async with app.run_test(size=(120, 36)) as pilot:
            await open_tab(pilot, "4")
            await pilot.press("enter")
            await app.workers.wait_for_complete()
            await pilot.pause()
            assert app.last_diagnosis.target_url == server.ws_url
            validate = next(c for c in app.last_diagnosis.checks if c.name == "validate")
            assert validate.status.value == "pass"


async def test_allow_reveal_hands_out_tokens_and_lets_the_url_change(toasts, delivered):
    with run_in_thread() as elsewhere, NtpResponder() as ntp:
        from lkdebug.tui.app import LkDebugApp

        app = LkDebugApp(fake_settings(url="ws://127.0.0.1:9"), now=time.time, ntp_servers=[ntp.address],
                         served=True, allow_reveal=True)
        async with app.run_test(size=(120, 36)) as pilot:
            await open_tab(pilot, "2")
            await pilot.press("ctrl+y")
            assert app.clipboard == app.tokens["builder"]
            await app.run_action("download_token")
            assert delivered == [("lkdebug-token.txt", app.tokens["builder"] + "\n")]
            await pilot.press("ctrl+o")
            await pilot.pause()
            assert app.query_one("#decoder-input").text == app.tokens["builder"]
            await pilot.press("2")
            await pilot.pause()
            await pilot.press("ctrl+r")
            assert app.tokens["builder"].split(".")[2] in plain(app, "#builder-preview-text").replace("\n", "")
            await pilot.press("4")
            await pilot.pause()
            url = app.query_one("#conn-url")
            url.value = elsewhere.ws_url
            await pilot.pause()
            assert url.value == elsewhere.ws_url
            app.query_one("#conn-run").press()
            await pilot.pause()
            await app.workers.wait_for_complete()
            await pilot.pause()
            assert app.last_diagnosis.target_url == elsewhere.ws_url
            assert not any("refused" in toast for toast in toasts)


def test_the_policy_is_one_property_of_the_app():
    assert make_app(served=True, allow_reveal=False).tokens_stay_here
    assert not make_app(served=True, allow_reveal=True).tokens_stay_here
    assert not make_app().tokens_stay_here  # the user's own terminal
