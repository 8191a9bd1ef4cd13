"""`python -m lkdebug.tui.screenshots DIR`: one SVG per tab and size, from the demo (stand-in server, fake keys).

Generated, not drawn: the app is driven headless like a user would, waits for its workers, and
saves each tab: at 80x24, the terminal most users have (`environment.svg`...), and at 120x36
(`environment-120x36.svg`...).
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
import time
from pathlib import Path

SIZES = ((80, 24), (120, 36))


def expired_demo_token(now: float) -> str:
    """A token that expired an hour ago, signed with the demo key: what the Decoder is for."""
    from lkdebug.core.mint import build_claims, mint
    from lkdebug.demo import DEMO_API_KEY, DEMO_API_SECRET

    claims = build_claims(api_key=DEMO_API_KEY, identity="alice", video={"roomJoin": True, "room": "standup"},
                          valid_for=3600, now=now - 7200)
    return mint(claims, DEMO_API_SECRET)


async def capture(folder: Path, size: tuple[int, int], suffix: str = "") -> list[Path]:
    from lkdebug.tui.demo import demo_app
    from lkdebug.demo.ntp import NtpResponder
    from lkdebug.demo.server import run_in_thread

    folder.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    with tempfile.TemporaryDirectory(prefix="lkdebug-shots-") as project, run_in_thread() as server, \
            NtpResponder() as ntp:
        app = demo_app(server, ntp, Path(project))
        async with app.run_test(size=size) as pilot:

            async def save(name: str) -> None:
                await app.workers.wait_for_complete()
                await pilot.pause()
                written.append(Path(app.save_screenshot(f"{name}{suffix}.svg", str(folder))))

            async def open_tab(keys: tuple[str, ...], pane: str) -> None:
                """Switch tabs as a user would, then wait until the pane is built (on its tab's first opening)
                and has the focus it gives itself."""
                await pilot.press(*keys)
                for _ in range(1000):  # 10 s at most
                    built = app.query(pane)
                    if built and app.focused is not None and built.first() in app.focused.ancestors_with_self:
                        await pilot.pause()
                        return
                    await pilot.pause(0.01)
                raise RuntimeError(f"the {pane} was not built within 10 s")

            await pilot.pause()
            await save("environment")

            await open_tab(("2",), "BuilderPane")
            # Focused as Tab would (at 80x24 some fields are below the fold, out of a click's reach).
            for field, text in (("#f-sub", "alice"), ("#f-video-room", "standup"), ("#f-attributes", "team=web")):
                app.query_one(field).focus()
                await pilot.press(*text)
            app.query_one("#builder-form").scroll_home(animate=False)
            await save("builder")

            await open_tab(("escape", "3"), "DecoderPane")
            await pilot.press(*"Bearer ")  # the empty input has the focus when the tab opens
            app.query_one("#decoder-input").insert(expired_demo_token(time.time()))
            await save("decoder")

            await open_tab(("escape", "4"), "ConnectivityPane")
            await pilot.press("enter")
            await save("connectivity")
    return written


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    folder = Path(args[0] if args else "screenshots")
    for size in SIZES:
        suffix = "" if size == SIZES[0] else f"-{size[0]}x{size[1]}"
        for path in asyncio.run(capture(folder, size, suffix)):
            print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
