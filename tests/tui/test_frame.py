"""The frame: header, tab switching, tab counts, reveal/mask, F1 help, palette, copy."""

from __future__ import annotations

from lkdebug.core.model import Settings
from lkdebug.demo import DEMO_API_SECRET
from lkdebug.tui.widgets.help import HelpScreen
from lkdebug.tui.widgets.footer import KeysFooter
from lkdebug.tui.widgets.tabbar import TabBar


from .conftest import FROZEN_NOW, drawn_label, make_app, open_tab, plain, settle, token, until


async def test_header_names_target_and_masks_key(app):
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.pause()
        header = str(app.query_one("#target").render())
        assert "wss://fake-project.livekit.cloud" in header
        assert "APIdem…" in header and ".env.local" in header
        assert DEMO_API_SECRET not in header


async def test_digits_switch_tabs_and_escape_leaves_a_text_field(app):
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        tabs = app.query_one(TabBar)
        await pilot.press("3")
        assert tabs.active == "decoder"
        await pilot.pause()
        assert app.focused is app.query_one("#decoder-input")  # ready for a typed token
        await pilot.press("e", "2")  # a digit of the token
        assert tabs.active == "decoder" and app.focused.text == "e2"
        await pilot.press("ctrl+l", "2")  # no token starts with a digit: in the empty field it switches
        assert tabs.active == "builder"
        await pilot.pause()
        await pilot.click("#f-sub")  # the user's own focus (the tab's focus on the empty identity still switches)
        await pilot.press("4")  # typed into the identity field
        assert tabs.active == "builder"
        await pilot.press("escape", "4")
        assert tabs.active == "connectivity"


async def test_a_tab_builds_its_pane_when_first_opened(app):
    # A pane's widgets (the Builder's form alone is about ninety) are memory a session that never
    # opens its tab should not hold.
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert not app.query("BuilderPane, DecoderPane, ConnectivityPane")
        await open_tab(pilot, "3")
        assert app.query("DecoderPane") and not app.query("BuilderPane, ConnectivityPane")
        assert app.focused is app.query_one("#decoder-input")


def shown_pane(app) -> str:
    """The tab whose pane is on screen (the others are not displayed)."""
    (shown,) = [pane.id for pane in app.query(".pane") if pane.display and pane.region.height]
    return shown


async def test_a_tab_asked_for_before_the_hidden_tabs_are_mounted_opens_once_they_are(app):
    async with app.run_test(size=(80, 24)) as pilot:
        # The pilot starts before the first frame is drawn: the hidden tabs come after it.
        assert not app.query("#decoder.pane")
        await pilot.press("3")
        await settle(pilot)
        assert shown_pane(app) == "decoder" and app.focused is app.query_one("#decoder-input")
        await pilot.press("escape", "1")
        await pilot.pause()
        assert shown_pane(app) == "env" and app.query_one("#decoder.pane").display is False


async def test_a_click_on_a_tab_or_its_underline_opens_it_and_focuses_its_pane(app):
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        row = app.query_one(TabBar).render_line(0).text
        await pilot.click("#tabs", offset=(row.index("3 Decoder") + 2, 0))
        await pilot.pause()
        assert app.query_one(TabBar).active == "decoder" and shown_pane(app) == "decoder"
        assert app.focused is app.query_one("#decoder-input")
        await pilot.click("#tabs", offset=(row.index("2 Builder") - 1, 1))  # the underline, under the padding
        await pilot.pause()
        assert shown_pane(app) == "builder" and app.query_one("BuilderPane") in app.focused.ancestors
        await pilot.click("#tabs", offset=(79, 0))  # right of the last tab: nothing changes
        await pilot.pause()
        assert shown_pane(app) == "builder"


async def test_the_focused_tab_bar_moves_with_the_arrows_and_keeps_the_active_tab_in_view(app):
    async with app.run_test(size=(30, 24)) as pilot:  # narrower than the four labels
        await settle(pilot)
        bar = app.query_one(TabBar)
        bar.focus()
        await pilot.press("left")  # from the first, round to the last
        await pilot.pause()
        assert bar.active == "connectivity" and shown_pane(app) == "connectivity"
        row, underline = bar.render_line(0).text, bar.render_line(1).text
        assert "1 Environment" not in row and len(row) == len(underline) == 30
        start, end = row.index("4 Connectivity"), row.index("4 Connectivity") + len("4 Connectivity")
        assert underline[start - 1] + underline[end] == "╸╺"  # the highlight's ends, under the label's
        assert app.focused is not bar  # the shown pane has the focus, as after a digit
        bar.focus()
        await pilot.press("right")  # round to the first again, scrolled back into view
        await pilot.pause()
        assert bar.active == "env" and bar.render_line(0).text.startswith(" 1 Environment")


async def test_tab_labels_count_errors_and_warnings(app):
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.pause()
        assert "!1" in drawn_label(app, "env")
        assert "✗" not in drawn_label(app, "decoder")
        await pilot.press("3")
        await pilot.pause()
        app.query_one("#decoder-input").load_text(token(now=FROZEN_NOW - 7200))
        await pilot.pause()
        assert "✗" in drawn_label(app, "decoder")
        app.query_one("#decoder-input").load_text(token())
        await pilot.pause()
        assert "✗" not in drawn_label(app, "decoder")


async def test_an_untouched_builder_counts_nothing_until_edited(app):
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.pause()
        assert "✗" not in drawn_label(app, "builder")  # the empty form is not the user's problem yet
        await pilot.press("2")
        await pilot.pause()
        app.query_one("#f-sub").focus()
        await pilot.press("a")  # an identity, still no room: the server would answer `no room name`
        await pilot.pause()
        assert "✗" in drawn_label(app, "builder")


async def test_no_settings_points_to_the_demo():
    app = make_app(Settings())
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.pause()
        assert "lkdebug demo" in str(app.query_one("#env-banner").render())
        assert "no LiveKit settings found" in str(app.query_one("#target").render())


async def test_reveal_shows_secret_then_leaving_the_tab_masks_it(app):
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        await pilot.pause()
        def shown() -> str:  # long values fold over lines
            return "".join(plain(app, "#env-variables").split())

        assert DEMO_API_SECRET not in shown()
        await pilot.press("ctrl+r")
        await pilot.pause()
        assert app.reveal
        assert DEMO_API_SECRET in shown()
        await pilot.press("2")
        await pilot.pause()
        assert not app.reveal


async def test_f1_explains_the_focused_grant(app):
    from lkdebug.core.grants import grant

    async with app.run_test(size=(120, 36)) as pilot:
        await open_tab(pilot, "2")
        grants = app.query_one("#checks-video")
        grants.focus()
        grants.highlight("video.roomAdmin")
        await pilot.press("f1")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        assert grant("video.roomAdmin").meaning in app.screen._markdown
        await pilot.press("escape")
        assert not isinstance(app.screen, HelpScreen)


async def test_palette_offers_lkdebug_commands_beside_textuals(app):
    from textual.app import App

    from lkdebug.tui.app import _lkdebug_commands
    from lkdebug.tui.palette import COMMANDS, LkDebugCommands

    assert App.COMMANDS <= app.COMMANDS and _lkdebug_commands in app.COMMANDS
    assert _lkdebug_commands() is LkDebugCommands
    titles = {title for title, _, _ in COMMANDS}
    assert {"Copy token", "Decode clipboard", "Run checks", "Export report", "Reveal / mask secrets",
            "Reload settings"} <= titles
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.pause()
        for _, _, action in COMMANDS:
            assert hasattr(app, f"action_{action}"), action


async def test_copy_puts_the_token_in_the_clipboard_and_the_toast_hides_it(app, monkeypatch):
    toasts: list[str] = []
    monkeypatch.setattr(app, "notify", lambda message, **_: toasts.append(message))
    async with app.run_test(size=(80, 24)) as pilot:
        await open_tab(pilot, "2")
        await pilot.press("ctrl+y")
        copied = app.tokens["builder"]
        assert copied and app.clipboard == copied
        assert toasts and f"{len(copied)} characters" in toasts[-1]
        assert all(copied not in t and copied.split(".")[2] not in t for t in toasts)
        await pilot.press("ctrl+g")
        assert app.clipboard.startswith("lk token create")
        assert DEMO_API_SECRET not in app.clipboard


async def test_download_token_delivers_the_token_as_a_file(monkeypatch):
    app = make_app(served=True, allow_reveal=True)  # a browser download (tests/tui/test_download.py: a terminal)
    saved: list[tuple[str, str]] = []
    toasts: list[str] = []
    monkeypatch.setattr(app, "deliver_text", lambda file, *, save_filename=None, **_: saved.append((save_filename, file.read())))
    monkeypatch.setattr(app, "notify", lambda message, **_: toasts.append(message))
    async with app.run_test(size=(80, 24)) as pilot:
        await open_tab(pilot, "2")
        app.action_download_token()
        built = app.tokens["builder"]
        assert built and saved == [("lkdebug-token.txt", built + "\n")]
        assert built not in toasts[-1] and "the Builder's token" in toasts[-1]


async def test_decode_clipboard_opens_what_was_copied(app):
    async with app.run_test(size=(80, 24)) as pilot:
        await open_tab(pilot, "2")
        await pilot.press("ctrl+y")
        app.action_decode_clipboard()
        await settle(pilot)  # the Decoder's pane is built now, on its tab's first opening, and takes the request
        assert app.query_one(TabBar).active == "decoder"
        assert app.query_one("#decoder-input").text == app.clipboard


async def test_export_report_copies_a_redacted_report(app):
    async with app.run_test(size=(80, 24)) as pilot:
        await open_tab(pilot, "3")
        app.query_one("#decoder-input").load_text(token())
        await pilot.pause()
        app.action_export_report()
        text = app.clipboard
        assert text.startswith("## lkdebug report") and "LIVEKIT_URL" in text
        assert DEMO_API_SECRET not in text and token().split(".")[2] not in text


async def test_a_served_session_downloads_the_report_instead(monkeypatch):
    app = make_app(served=True)
    saved: list[tuple[str, str]] = []

    def deliver_text(file, *, save_filename=None, **_):
        saved.append((save_filename, file.read()))

    monkeypatch.setattr(app, "deliver_text", deliver_text)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        app.action_export_report()
        name, text = saved[0]
        assert name == "lkdebug-report.md" and "LIVEKIT_URL" in text
        assert DEMO_API_SECRET not in text and app.clipboard == ""


async def test_a_tab_opened_from_the_command_line_has_its_keys_at_once():
    from lkdebug.demo.server import refused_port

    from .conftest import fake_settings

    url = f"ws://127.0.0.1:{refused_port()}"  # Enter must start a run; nothing listens there
    app = make_app(fake_settings(url=url), tab="connectivity", ntp_servers=[])
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert app.focused is not None and app.query_one("ConnectivityPane") in app.focused.ancestors
        await pilot.press("enter")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert app.last_diagnosis is not None


async def test_the_decoder_opened_from_the_command_line_takes_typing():
    app = make_app(tab="decoder")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press(*"eyJ1")
        assert app.query_one("#decoder-input").text == "eyJ1"


def footer(app) -> str:
    """The footer's row as drawn."""
    return app.query_one(KeysFooter).render_line(0).text


async def test_the_footer_follows_the_keys_but_is_not_rebuilt_for_the_same_keys(app):
    async with app.run_test(size=(80, 24)) as pilot:
        await open_tab(pilot, "3")
        assert app.focused is app.query_one("#decoder-input")
        # In the field: escape leaves it, q is a letter.
        assert "esc Leave field" in footer(app) and "q Quit" not in footer(app)
        keys = app.query_one(KeysFooter)._keys
        await pilot.press("e", "y", "J")  # each key refreshes the bindings: the same keys, not taken again
        await pilot.pause()
        assert app.query_one(KeysFooter)._keys is keys
        await pilot.press("escape")  # out of the field: other keys, drawn at once
        await pilot.pause()
        assert "q Quit" in footer(app) and "1-4 Tabs" in footer(app) and "esc Leave field" not in footer(app)


async def test_the_builder_field_focus_changes_the_footer_keys(app):
    async with app.run_test(size=(80, 24)) as pilot:
        await open_tab(pilot, "2")
        assert app.focused is app.query_one("#f-sub")
        row = footer(app)
        assert "esc Leave field" in row and "q Quit" not in row and row.rstrip().endswith("▏^p palette")
        await pilot.press("escape")
        await pilot.pause()
        row = footer(app)
        assert "q Quit" in row and "1-4 Tabs" in row and "esc Leave field" not in row
        assert len(row) == 80 and row.rstrip().endswith("▏^p palette")


async def test_a_click_on_a_footer_key_runs_its_binding(app):
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await until(pilot, lambda: "^r Reveal" in footer(app), "the footer's keys")
        assert not app.reveal
        await pilot.click(KeysFooter, offset=(footer(app).index("^r Reveal") + 4, 0))
        await pilot.pause()
        assert app.reveal  # ctrl+r, as if typed
        await pilot.click(KeysFooter, offset=(footer(app).index("Reveal") + 20, 0))  # the blank: nothing
        await pilot.pause()
        assert app.reveal


async def test_the_hovered_footer_key_is_highlighted(app):
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await until(pilot, lambda: "q Quit" in footer(app), "the footer's keys")
        bar = app.query_one(KeysFooter)

        def background(x: int) -> object:
            cells = [(segment.style.bgcolor, len(segment.text)) for segment in bar.render_line(0)]
            for color, width in cells:
                if x < width:
                    return color
                x -= width

        quit_at, help_at = footer(app).index("q Quit"), footer(app).index("f1 Help")
        plain = background(quit_at)
        await pilot.hover(KeysFooter, offset=(quit_at, 0))
        await pilot.pause()
        assert background(quit_at) != plain and background(quit_at + 4) == background(quit_at)
        assert background(help_at) == plain  # only the key under the mouse
        assert bar.tooltip is None  # as on a FooterKey: the palette's key alone has one
        await pilot.hover(KeysFooter, offset=(footer(app).index("^p palette"), 0))
        await pilot.pause()
        assert bar.tooltip == "Open the command palette" and background(quit_at) == plain
        await pilot.hover("#tabs")
        await pilot.pause()
        assert background(quit_at) == plain
