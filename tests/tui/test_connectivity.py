"""Connectivity against the stand-in server and NTP responder on loopback (never the internet)."""

from __future__ import annotations

import asyncio
import functools
import re
import time

import pytest

from lkdebug.core.model import CheckStatus
from lkdebug.demo.ntp import NtpResponder
from lkdebug.demo.server import StandInConfig, run_in_thread
from lkdebug.tui.panes.connectivity import SPINNER

from .conftest import drawn_label, fake_settings, make_app, open_tab, plain, run_probes, token, until


@pytest.fixture
def stand_in():
    with run_in_thread() as server, NtpResponder() as ntp:
        yield server, ntp


def app_on(server, ntp):
    """The app on the stand-in; it checks tokens with the real clock, so the app uses it too."""
    from lkdebug.tui.app import LkDebugApp

    return LkDebugApp(fake_settings(url=server.url.replace("http://", "ws://")), now=time.time,
                      ntp_servers=[ntp.address])


async def test_a_probe_run_fills_the_table(stand_in):
    app = app_on(*stand_in)
    async with app.run_test(size=(120, 36)) as pilot:
        await open_tab(pilot, "4")
        await run_probes(pilot)
        rows = {line.split()[1]: line for line in plain(app, "#conn-checks").splitlines() if line.strip()}
        assert {"url", "tcp", "http", "validate", "websocket", "ntp", "server_clock"} <= set(rows)
        from lkdebug.core.diagnose import CHECK_NAMES

        assert [name for name in rows if name in CHECK_NAMES] == list(CHECK_NAMES)  # fixed order, not arrival
        assert rows["validate"].startswith("✓") and rows["ntp"].startswith("✓")
        # The offsets are read from the NTP and clock probes' records, not their detail lines.
        clock_lines = str(app.query_one("#conn-clock").render()).splitlines()
        assert [re.sub(r"[+-]\d+\.\d{3} s$", "<offset>", line) for line in clock_lines] == [
            "NTP offset: <offset>", "server clock offset: <offset>"], clock_lines
        assert app.last_diagnosis is not None
        assert any(f.code == "server.token_accepted" for f in app.last_diagnosis.findings)


async def test_the_builder_token_is_tested_on_the_server(stand_in):
    app = app_on(*stand_in)
    async with app.run_test(size=(120, 36)) as pilot:
        await open_tab(pilot, "2")
        await pilot.press("ctrl+t")  # no identity or room: the server says so
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert app.query_one("#conn-token").value == "builder"
        validate = next(c for c in app.last_diagnosis.checks if c.name == "validate")
        assert validate.status is CheckStatus.FAIL
        assert "✗" in drawn_label(app, "connectivity")


async def test_escape_cancels_a_slow_run_and_the_ui_stays_responsive(monkeypatch):
    import lkdebug.core.diagnose

    # A server that never answers and probes that would wait an hour: the run ends only by Escape,
    # however slowly this machine gets through the keys below (a fixed delay raced them).
    monkeypatch.setattr(lkdebug.core.diagnose, "diagnose",
                        functools.partial(lkdebug.core.diagnose.diagnose, timeout=3600))
    with run_in_thread(StandInConfig(fault="silent")) as server, NtpResponder() as ntp:
        app = app_on(server, ntp)
        async with app.run_test(size=(80, 24)) as pilot:
            await open_tab(pilot, "4")
            await pilot.press("enter")
            await until(pilot, lambda: any(line[:1] in SPINNER for line in plain(app, "#conn-checks").splitlines()),
                        "a probe row shows its spinner")
            await pilot.press("2")  # switching tabs works while the probes run
            assert app.query_one("#tabs").active == "builder"
            await pilot.press("4")
            await pilot.pause()
            await pilot.press("escape")
            await app.workers.wait_for_complete()
            await pilot.pause()
            assert "Cancelled" in str(app.query_one("#conn-status").render())


async def test_a_crashing_probe_run_never_ends_the_app(monkeypatch):
    import lkdebug.core.diagnose

    async def broken(*args, **kwargs):
        await asyncio.sleep(0)
        raise RuntimeError("probe exploded")

    monkeypatch.setattr(lkdebug.core.diagnose, "diagnose", broken)
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await open_tab(pilot, "4")
        await run_probes(pilot)
        assert app.is_running
        assert "probe exploded" in plain(app, "#conn-findings-text")


async def test_a_crash_message_is_shown_without_the_token_or_its_escapes(monkeypatch):
    """An error's text can quote the probe URL (token in its query) or a server's words with escapes."""
    import lkdebug.core.diagnose

    raw = token()
    signature = raw.rsplit(".", 1)[1]

    async def broken(*args, **kwargs):
        await asyncio.sleep(0)
        raise RuntimeError(f"GET https://lk.example.test/rtc/validate?access_token={raw} said \x1b[31mno\x1b[0m")

    monkeypatch.setattr(lkdebug.core.diagnose, "diagnose", broken)
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await open_tab(pilot, "4")
        await run_probes(pilot)
        shown = plain(app, "#conn-findings-text")
        assert "RuntimeError" in shown and "lk.example.test/rtc/validate" in shown
        assert signature[:8] not in shown and "access_token=" not in shown
        assert "\x1b" not in shown
