"""The answer on the first screen at 80x24 and 60x20, every finding reachable by keyboard.

Real runs against the stand-in server and NTP responder on loopback: a bad secret, a server clock
120 s ahead, a proxy that answers every path with a page instead of the WebSocket upgrade; and an
expired token in the Decoder. What is asserted is what the terminal shows (screen_text), so a
finding hidden under the fold, clipped or pushed below the probe rows fails.
"""

from __future__ import annotations

import time

import pytest
from textual import events

from lkdebug.core import records
from lkdebug.core.model import Finding, KnownKey, Setting, Severity
from lkdebug.demo import DEMO_API_KEY
from lkdebug.demo.ntp import NtpResponder
from lkdebug.demo.server import StandInConfig, run_in_thread

from .conftest import FROZEN_NOW, fake_settings, make_app, open_tab, run_probes, screen_text, token

pytestmark = pytest.mark.timeout(120)

SIZES = [(80, 24), (60, 20)]
WRONG_SECRET = "Zq7PwL0xK3vN8bT1rY5uE2oI9aS4dF6gH0jM"
# Enough presses to page through any tab at 60x20 (each press moves at least one line).
PRESSES = 60


def shown(text: str, screen: str) -> bool:
    """Whether the start of `text` is on screen, also where it wraps (a follower folded under its cause
    is indented, so at 60 columns its title takes two lines)."""
    return " ".join(text[:40].split()) in " ".join(screen.split())


def core_order(findings):
    from lkdebug.core.diagnose import order_findings

    return order_findings(findings)


async def pages(pilot, key: str = "pagedown") -> list[str]:
    """The screen after each press of `key` from where the focus is, until nothing changes."""
    screens = [screen_text(pilot.app)]
    for _ in range(PRESSES):
        await pilot.press(key)
        await pilot.pause()
        screens.append(screen_text(pilot.app))
        if len(screens) >= 3 and screens[-1] == screens[-2] == screens[-3]:
            break
    return screens


def reachable(titles: list[str], screens: list[str]) -> list[str]:
    """The titles never seen on any of the screens."""
    return [t for t in titles if not any(shown(t, s) for s in screens)]


def app_on(server, ntp, secret: str | None = None):
    from lkdebug.tui.app import LkDebugApp

    settings = fake_settings(url=server.url.replace("http://", "ws://"))
    if secret:
        settings = records.replace(
            settings, api_secret=Setting("LIVEKIT_API_SECRET", secret, ".env.local"),
            known_keys=[KnownKey(DEMO_API_KEY, secret, ".env.local")],
        )
    return LkDebugApp(settings, now=time.time, ntp_servers=[ntp.address])


SCENARIOS = {
    "bad secret": (StandInConfig(), WRONG_SECRET, "server.signature_mismatch"),
    "skewed clock": (StandInConfig(clock_offset=120), None, "clock.skew_server"),
    "proxy without Upgrade": (StandInConfig(fault="proxy"), None, "net.proxy_no_upgrade"),
}


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("scenario", list(SCENARIOS))
async def test_connectivity_opens_with_the_root_cause_and_reaches_every_finding(scenario, size):
    config, secret, code = SCENARIOS[scenario]
    with run_in_thread(config) as server, NtpResponder() as ntp:
        app = app_on(server, ntp, secret)
        async with app.run_test(size=size) as pilot:
            await open_tab(pilot, "4")
            await run_probes(pilot)
            findings = core_order(app.last_diagnosis.findings)
            expected = next(f for f in findings if f.code == code)
            first = screen_text(app)
            # Without scrolling: the core's first root cause and the one this fault is about.
            assert shown(findings[0].title, first), first
            assert shown(expected.title, first), first
            assert expected.fix and shown(expected.fix.split()[0], first)
            # The same cause heads every tab, the Decoder's included.
            await pilot.press("3")
            await pilot.pause()
            assert shown(findings[0].title[: size[0] - 30], screen_text(app).splitlines()[1])
            await pilot.press("4")
            await pilot.pause()
            # Every finding and the last probe row, by keyboard alone.
            screens = await pages(pilot)
            assert not reachable([f.title for f in findings], screens)
            last_row = app.last_diagnosis.checks[-1].name
            assert any(f" {last_row} " in s for s in screens), screens[-1]


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
async def test_the_decoder_answers_an_expired_token_first(size):
    app = make_app()
    async with app.run_test(size=size) as pilot:
        await open_tab(pilot, "3")
        # Pasted, as tokens usually arrive: typed key by key it took a minute here (a Pilot press waits
        # for the app to idle after each key); typing is proven in a real terminal by test_tmux.py.
        app.post_message(events.Paste("Bearer " + token(now=FROZEN_NOW - 7200)))  # as the driver sends it
        await pilot.pause()
        first = screen_text(app)
        assert "answers 401" in first and "token is expired" in first.replace("\n", " ")
        assert shown("Expired 1h 0m ago", first) and "token.expired" in first
        await pilot.press("escape")  # out of the field: the keys scroll the tab
        screens = await pages(pilot)
        decoded = app.query_one("DecoderPane")._decoded
        assert not reachable([f.title for f in decoded.findings], screens)
        assert any("roomJoin" in s for s in screens)  # the claims, below the answer


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
async def test_environment_rows_are_one_line_and_everything_is_reachable(size):
    app = make_app()
    async with app.run_test(size=size) as pilot:
        await open_tab(pilot, "1")
        first = screen_text(app)
        assert shown("LIVEKIT_URL is set in two files", first)
        lines = first.splitlines()
        for variable in app.settings.variables:
            # One line each, the file's name whole (no `.env.loca` / `l`).
            row = next(line for line in lines if line.lstrip().startswith(variable.name + " "))
            assert ".env" in row
        assert ".env.loca\n" not in first
        screens = await pages(pilot)
        assert any("not found in" in s for s in screens)  # the last source, past the rows


@records.dataclass(frozen=True)
class Caused(Finding):
    """A finding naming its cause, as diagnose's `because` does (read with getattr by the renderers)."""

    because: str | None = None


async def test_a_finding_that_follows_from_another_is_folded_under_its_cause():
    from lkdebug.tui.widgets.findings import FindingsView

    cause = Finding("server.signature_mismatch", Severity.ERROR, "server", "The secret does not match", "", "Use the right one.")
    follower = Caused("server.api_denied", Severity.ERROR, "server", "The server API refused the key", "", None,
                      because=cause.code)
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await open_tab(pilot, "1")
        app.query_one("#env-findings", FindingsView).show([follower, cause])
        await pilot.pause()
        lines = screen_text(app).splitlines()
        at = next(i for i, line in enumerate(lines) if "The secret does not match" in line)
        assert "fix: Use the right one." in lines[at + 1]
        assert "↳" in lines[at + 2] and "The server API refused the key" in lines[at + 2]
