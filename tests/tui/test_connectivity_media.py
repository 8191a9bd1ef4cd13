"""The Connectivity tab shows the join, TURN and host probes like any other (loopback stand-in, never the internet)."""

from __future__ import annotations

import time

from lkdebug.demo.ntp import NtpResponder
from lkdebug.demo.server import StandInConfig, run_in_thread

from .conftest import fake_settings, open_tab, plain, run_probes


async def test_the_join_row_shows_the_server_and_hides_the_turn_credentials():
    from lkdebug.tui.app import LkDebugApp

    config = StandInConfig(ice_servers=("turn:tui-user:tui-secret-pw@127.0.0.1:9?transport=udp",))
    with run_in_thread(config) as server, NtpResponder() as ntp:
        app = LkDebugApp(fake_settings(url=server.ws_url), now=time.time, ntp_servers=[ntp.address])
        async with app.run_test(size=(120, 36)) as pilot:
            await open_tab(pilot, "4")
            await run_probes(pilot)
            # Each probe is one line cut to the width; its whole text is what opens when it is selected.
            table = " ".join(detail.plain for detail in app.query_one("#conn-checks").details)
            findings = plain(app, "#conn-findings-text")
    assert "livekit-server 1.13" in table and "turn:127.0.0.1:9?transport=udp (with credentials)" in table
    assert "media.turn_unreachable" in findings
    assert "tui-secret-pw" not in table + findings and "tui-user" not in table + findings
