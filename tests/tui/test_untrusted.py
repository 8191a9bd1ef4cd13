"""Text from outside (server bodies and headers, claims, settings values) is shown as text: Rich
markup in it is not markup, and control characters are shown (`\\x1b`), never sent raw."""

from __future__ import annotations

import pytest
from aiohttp import web

from lkdebug.core import records
from lkdebug.core.model import Setting, Variable
from lkdebug.demo import DEMO_API_KEY, DEMO_API_SECRET

from .conftest import fake_settings, make_app, open_tab, run_probes, screen_text

pytestmark = pytest.mark.timeout(60)

HOSTILE = "[/x] [bold]x \x1b]52;c;cHduZWQ=\x07\x1b]0;pwned\x07"


def assert_shown_as_text(screen: str) -> None:
    assert "[/x]" in screen and "[bold]x" in screen
    assert "\\x1b]52;c;" in screen and "\x1b" not in screen


async def test_markup_and_escapes_in_claims_are_shown_as_text():
    from lkdebug.core.mint import build_claims, mint

    claims = build_claims(api_key=DEMO_API_KEY, identity="[/x]", name=HOSTILE, metadata=HOSTILE,
                          video={"roomJoin": True, "room": "[/x]"}, valid_for=600, now=1_768_474_800)
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await open_tab(pilot, "3")
        app.query_one("#decoder-input").load_text(mint(claims, DEMO_API_SECRET))
        await pilot.pause()
        assert app.is_running
        assert_shown_as_text(screen_text(app))


async def test_markup_and_escapes_in_settings_values_are_shown_as_text():
    settings = fake_settings()
    hostile = Variable("NEXT_PUBLIC_LIVEKIT_URL", "ws://" + HOSTILE, "/project/.env")
    settings = records.replace(settings, variables=[hostile, *settings.variables])
    app = make_app(settings)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_tab(pilot, "1")
        app.query_one("#env-variables").focus()  # the first row opens with its whole value
        await pilot.pause()
        assert_shown_as_text(screen_text(app))


@pytest.fixture
async def hostile_server():
    """Answers every request 401 with markup and escapes in the body and the Server header."""

    async def answer(request: web.Request) -> web.Response:
        return web.Response(status=401, text=HOSTILE, headers={"Server": "[/x]"})

    application = web.Application()
    application.router.add_route("*", "/{tail:.*}", answer)
    runner = web.AppRunner(application)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    yield f"ws://127.0.0.1:{port}"
    await runner.cleanup()


async def test_markup_and_escapes_in_a_server_body_are_shown_as_text(hostile_server):
    settings = records.replace(fake_settings(url=hostile_server),
                                   url=Setting("LIVEKIT_URL", hostile_server, ".env.local"))
    app = make_app(settings, ntp_servers=[])
    async with app.run_test(size=(120, 40)) as pilot:
        await open_tab(pilot, "4")
        await run_probes(pilot)
        assert app.is_running and app.last_diagnosis is not None
        app.query_one("#conn-checks").focus()
        await pilot.press("down", "down", "down", "down", "down")  # to the validate row, opened
        await pilot.pause()
        screen = screen_text(app)
        assert "[/x]" in screen and "\x1b" not in screen
        assert "\\x1b]52;c;" in screen
