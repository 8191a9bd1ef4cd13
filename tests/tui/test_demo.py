"""`lkdebug demo`: the TUI on the stand-in, settings from lkdebug's own fake project, labelled as a demo."""

from __future__ import annotations

from lkdebug.tui.demo import demo_app
from lkdebug.demo.ntp import NtpResponder
from lkdebug.demo.server import run_in_thread

from .conftest import plain, settle


async def test_demo_shows_which_file_wins_and_says_it_is_a_demo(tmp_path):
    with run_in_thread() as server, NtpResponder() as ntp:
        app = demo_app(server, ntp, tmp_path)
        async with app.run_test(size=(120, 36)) as pilot:
            await settle(pilot)
            await pilot.pause()
            header = plain(app, "#target")
            assert "DEMO" in header and server.url.replace("http://", "ws://") in header
            assert app.settings.url.source == ".env.local"
            assert "env.conflict" in [f.code for f in app.settings.findings]
            await pilot.press("tab")  # from the conclusion to the variables: the selected one opens
            assert app.focused is app.query_one("#env-variables")
            winner = next(i for i, v in enumerate(app.settings.variables) if v.name == "LIVEKIT_URL" and v.wins)
            await pilot.press(*["down"] * winner)
            assert "wins over .env" in plain(app, "#env-variables")
            assert app.ntp_servers == [ntp.address]
