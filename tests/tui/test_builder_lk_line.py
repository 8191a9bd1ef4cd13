"""The Builder's `lk token create` line (ctrl+g) comes from the core: no secret, and the key masked unless revealed."""

from __future__ import annotations

from lkdebug.demo import DEMO_API_KEY, DEMO_API_SECRET

from .conftest import open_tab


async def test_builder_lk_line_masks_the_key_until_revealed(app):
    async with app.run_test(size=(120, 36)) as pilot:
        await open_tab(pilot, "2")
        await pilot.pause()
        line = app.lk_command
        assert line.startswith("lk token create --api-key \"${LIVEKIT_API_KEY:?")
        assert DEMO_API_KEY not in line and DEMO_API_SECRET not in line
        # The fake settings read the secret from .env.local, which lk never reads: the line says to export it.
        assert "first: export LIVEKIT_API_SECRET from .env.local" in line
        app.reveal = True
        await pilot.pause()
        assert f"--api-key {DEMO_API_KEY}" in app.lk_command and DEMO_API_SECRET not in app.lk_command
