"""One Pilot test (or a few) per tab: the pane renders what the core says, on every change."""

from __future__ import annotations

from lkdebug.core import records, server_rules
from lkdebug.core.model import Setting

from .conftest import fake_settings, FROZEN_NOW, make_app, open_tab, plain, settle, token, until


def claims_of(raw: str) -> dict:
    return server_rules.parse_unverified(raw).claims


def text_of(app, selector: str) -> str:
    return str(app.query_one(selector).render())


# Decoder


async def test_typing_in_the_decoder_updates_the_verdict(app):
    async with app.run_test(size=(120, 36)) as pilot:
        await open_tab(pilot, "3")
        assert "Paste or type a token" in text_of(app, "#decoder-verdict")
        app.query_one("#decoder-input").focus()
        await pilot.press(*"Bearer ")
        app.query_one("#decoder-input").insert(token(now=FROZEN_NOW - 7200))
        await pilot.pause()
        verdict = text_of(app, "#decoder-verdict")
        assert "401" in verdict and "token is expired" in verdict
        assert "<the token>" in verdict  # the v1.13 body echoes the token, shown once, in the field
        assert "Bearer" in text_of(app, "#decoder-summary")  # what was stripped
        app.query_one("#decoder-input").clear()
        app.query_one("#decoder-input").insert(token())
        await pilot.pause()
        assert "200 success" in text_of(app, "#decoder-verdict")
        summary = text_of(app, "#decoder-summary")
        assert "valid" in summary and "APIdem" in summary


async def test_a_paste_anywhere_in_the_decoder_lands_in_its_input(app):
    from textual import events

    async with app.run_test(size=(80, 24)) as pilot:
        await open_tab(pilot, "3")
        field = app.query_one("#decoder-input")
        assert field.has_focus  # the empty field, so a token typed key by key lands there too
        await pilot.press("escape")
        assert not field.has_focus
        app.focused.post_message(events.Paste(f"Bearer {token()}"))
        await pilot.pause()
        assert field.text.startswith("Bearer ")
        assert "200 success" in text_of(app, "#decoder-verdict")
        await pilot.press("e")
        assert field.has_focus
        await pilot.press("ctrl+l")
        assert field.text == ""


async def test_decoder_explains_each_claim_from_the_grant_table(app):
    from lkdebug.core.grants import grant

    async with app.run_test(size=(120, 36)) as pilot:
        await open_tab(pilot, "3")
        app.query_one("#decoder-input").load_text(token())
        await pilot.pause()
        claims = app.query_one("#decoder-claims")
        rows = {line.split()[0]: detail.plain for line, detail in zip(claims.lines, claims.details)}
        assert rows["video.roomJoin"] == "true\n" + grant("video.roomJoin").meaning
        assert "sub" in rows and "exp" in rows


async def test_decoder_opens_with_the_token_given_on_the_command_line():
    app = make_app(tab="decoder", token=token(now=FROZEN_NOW - 7200))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.pause()
        await pilot.pause()
        assert "token is expired" in text_of(app, "#decoder-verdict")


async def test_decoder_gives_one_line_to_the_releases_that_answer_alike(app):
    async with app.run_test(size=(80, 24)) as pilot:
        await open_tab(pilot, "3")
        app.query_one("#decoder-input").load_text(token(room=""))
        await pilot.pause()
        summary = text_of(app, "#decoder-summary")
        # v1.13 answers `no room name`, as v1.9.1 onwards do; v1.6.2 to v1.9.0 and older let an empty room in.
        assert "v1.9.0 and older: 200 success" in summary and "v1.6.2 to v1.9.0" not in summary
        app.query_one("#decoder-input").load_text(token(now=FROZEN_NOW - 7200))
        await pilot.pause()
        summary = text_of(app, "#decoder-summary")
        assert summary.count("v1.4.1 to v1.12.x: 401 invalid token: <token>, error: go-jose/go-jose/jwt:") == 1
        assert "v1.9.1 to v1.12.x" not in summary


async def test_not_a_token_says_what_it_looks_like(app):
    async with app.run_test(size=(80, 24)) as pilot:
        await open_tab(pilot, "3")
        app.query_one("#decoder-input").load_text("[object Promise]")
        await pilot.pause()
        assert "not a token" in text_of(app, "#decoder-verdict")


# Builder


async def test_the_builder_mints_once_its_tab_is_shown_not_before(app):
    # Minting loads PyJWT (and cryptography, where installed): a session that never opens the
    # Builder does not pay for it, not even when the settings are reloaded meanwhile.
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        app.settings = app.settings
        await pilot.pause()
        assert app.tokens["builder"] is None
        await pilot.press("2")
        await until(pilot, lambda: app.tokens["builder"], "a token in the Builder's preview")
        assert claims_of(app.tokens["builder"])["video"]["roomJoin"] is True


async def test_a_builder_grant_toggled_changes_the_payload(app):
    async with app.run_test(size=(120, 36)) as pilot:
        await open_tab(pilot, "2")
        assert "roomAdmin" not in claims_of(app.tokens["builder"])["video"]
        assert "roomAdmin" not in text_of(app, "#builder-preview-text")
        grants = app.query_one("#checks-video")
        grants.focus()
        grants.highlight("video.roomAdmin")
        await pilot.press("space")
        await pilot.pause()
        assert claims_of(app.tokens["builder"])["video"]["roomAdmin"] is True
        assert "roomAdmin" in text_of(app, "#builder-preview-text")


async def test_the_builder_preview_is_one_widget_drawing_its_parts_in_order(app):
    async with app.run_test(size=(120, 36)) as pilot:
        await open_tab(pilot, "2")
        preview = app.query_one("#builder-preview")
        assert [child.id for child in preview.children] == ["builder-preview-text"]
        lines = text_of(app, "#builder-preview-text").splitlines()
        starts = [next(i for i, line in enumerate(lines) if line.startswith(head))
                  for head in ("✗ server would answer 400", "token (", "payload ", "header  ", "✗ error", "lk      ")]
        assert starts == sorted(starts)
        assert lines[starts[1] + 1].startswith(app.tokens["builder"].split(".")[0][:20])


async def test_builder_fields_reach_the_claims_and_the_lk_command(app):
    async with app.run_test(size=(120, 36)) as pilot:
        await open_tab(pilot, "2")
        for field, text in (("#f-sub", "alice"), ("#f-video-room", "standup"), ("#f-attributes", "team=web")):
            await pilot.click(field)
            await pilot.press(*text)
        await pilot.pause()
        claims = claims_of(app.tokens["builder"])
        assert claims["sub"] == "alice" and claims["video"]["room"] == "standup"
        assert claims["attributes"] == {"team": "web"}
        assert "200 success" in text_of(app, "#builder-preview-text")
        assert "--identity alice --room standup --join" in app.lk_command
        assert "--attribute team=web" in app.lk_command


async def test_the_builder_opens_with_the_identity_focused(app):
    async with app.run_test(size=(80, 24)) as pilot:
        await open_tab(pilot, "2")
        identity = app.query_one("#f-sub")
        assert identity.has_focus
        await pilot.press("3")  # empty and focused by the tab opening: 1-4 still switch tabs, as on the Decoder
        await pilot.pause()
        assert app.query_one("#tabs").active == "decoder"
        await pilot.press("escape", "2")
        await pilot.pause()
        assert identity.has_focus
        await pilot.press(*"alice")
        await pilot.pause()
        assert claims_of(app.tokens["builder"])["sub"] == "alice"
        await pilot.press("escape", "1")  # escape leaves the field, then 1-4 switch tabs
        await pilot.pause()
        assert not identity.has_focus
        await pilot.press("2")
        await pilot.pause()
        assert identity.has_focus  # each time the tab opens, its text selected (Textual's Input): typing replaces it
        await pilot.press(*"bob")
        await pilot.pause()
        assert claims_of(app.tokens["builder"])["sub"] == "bob"
        identity.value = ""
        await pilot.click("#f-sub")  # the user's own focus: a digit is the identity's (numeric identities)
        await pilot.press(*"42")
        await pilot.pause()
        assert app.query_one("#tabs").active == "builder" and claims_of(app.tokens["builder"])["sub"] == "42"


async def test_invalid_builder_input_marks_the_field_and_says_why(app):
    async with app.run_test(size=(120, 36)) as pilot:
        await open_tab(pilot, "2")
        ttl = app.query_one("#f-ttl")
        ttl.value = "5x"
        app.query_one("#f-attributes").value = "team"
        await pilot.pause()
        assert ttl.has_class("-invalid")
        assert app.query_one("#f-attributes").has_class("-invalid")
        assert "key=value" in text_of(app, "#f-attributes-error")
        assert text_of(app, "#f-ttl-error").startswith("✗")
        assert "2 field(s) need fixing" in text_of(app, "#builder-preview-text")
        assert app.tokens["builder"] is None
        ttl.value = "10m"
        app.query_one("#f-attributes").value = "team=web"
        await pilot.pause()
        assert not ttl.has_class("-invalid")
        claims = claims_of(app.tokens["builder"])
        assert claims["exp"] - claims["nbf"] == 600


async def test_builder_sends_its_token_to_the_decoder(app):
    async with app.run_test(size=(80, 24)) as pilot:
        await open_tab(pilot, "2")
        await pilot.press("ctrl+o")
        await pilot.pause()
        await pilot.pause()
        assert app.query_one("#decoder-input").text == app.tokens["builder"]


# Environment


async def test_environment_shows_sources_variables_and_which_value_wins(app):
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.pause()
        sources = str(app.query_one("#env-variables").after)  # drawn after the variables, by the same widget
        assert "/project/.env.local" in sources and "not found" in sources
        variables = plain(app, "#env-variables")
        assert "overridden" in variables and "ws://localhost:7880" in variables
        assert "env.conflict" in plain(app, "#env-findings-text")


async def test_environment_reloads_when_a_watched_file_changes(tmp_path):
    env_file = tmp_path / ".env.local"
    env_file.write_text("LIVEKIT_URL=wss://one.example\n")
    loads = []

    def load():
        loads.append(1)
        settings = fake_settings(url=f"wss://reloaded-{len(loads)}.example")
        return records.replace(settings, sources=[records.replace(settings.sources[1], path=str(env_file))])

    app = make_app(load(), load_settings=load)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.pause()
        env_file.write_text("LIVEKIT_URL=wss://two.example\n# edited\n")
        await until(pilot, lambda: len(loads) > 1, "the watched file's change reloaded the settings")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert len(loads) == 2
        assert "reloaded-2" in text_of(app, "#target")
        await pilot.press("r")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert "reloaded-3" in text_of(app, "#target")


async def test_the_no_settings_banner_comes_and_goes_with_the_settings():
    from lkdebug.core.model import Settings

    found = [Settings(), fake_settings()]
    app = make_app(Settings(), load_settings=lambda: found.pop(0))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert "lkdebug demo" in str(app.query_one("#env-banner").render())
        for banners in (1, 0):  # still none found, then a .env.local appeared
            await pilot.press("r")
            await app.workers.wait_for_complete()
            await pilot.pause()
            assert len(app.query("#env-banner")) == banners
        # The tab reads as it did before any reload: the findings right under the tab bar.
        assert app.query_one("#env-findings").region.y == 4


async def test_the_variables_title_follows_the_theme(app):
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)

        def title_colour() -> str:
            (title,) = [s for s in app.query_one("#env-variables").render_line(0) if s.text.strip()]
            assert title.text == "Variables" and title.style.bold and title.style.underline
            return title.style.color.triplet.hex.upper()

        assert title_colour() == app.theme_variables["accent"].upper()
        app.theme = "nord"  # another accent colour
        await pilot.pause()
        await pilot.pause()
        assert title_colour() == app.theme_variables["accent"].upper() != "#FEA62B"


async def test_without_variables_the_title_stays_and_is_not_drawn_focused():
    from lkdebug.core.model import Settings

    app = make_app(Settings())
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        rows = app.query_one("#env-variables")
        # The title, no row, then the sources drawn after the rows.
        assert plain(app, "#env-variables").split() == ["Variables", "Sources", "none"]
        # It keeps the focus (r reloads from here) without the focused rows' tint.
        assert app.focused is rows and rows.styles.background_tint.a == 0


async def test_a_failing_reload_is_a_message_not_a_crash(app):
    def broken():
        raise OSError("permission denied: .env.local")

    app = make_app(load_settings=broken)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("r")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert app.is_running and app.settings.url == Setting("LIVEKIT_URL", "wss://fake-project.livekit.cloud", ".env.local")


async def test_a_collapsed_grant_group_is_built_when_opened(app):
    from textual.widgets import Collapsible
    from textual.widgets._collapsible import CollapsibleTitle

    from lkdebug.tui.widgets.fold import Fold

    async with app.run_test(size=(120, 36)) as pilot:
        await open_tab(pilot, "2")
        fold = app.query_one("#group-inference", Fold)
        assert not app.query("#checks-inference") and not app.query(Collapsible)
        fold.focus()
        await pilot.press("enter")
        await pilot.pause()
        group = app.query_one("#group-inference", Collapsible)
        assert not group.collapsed and isinstance(app.focused, CollapsibleTitle) and app.focused.parent is group
        app.query_one("#checks-inference").focus()  # its one yes/no grant, highlighted
        await pilot.press("space")
        await pilot.pause()
        assert claims_of(app.tokens["builder"])["inference"] == {"perform": True}
        # Closed and opened again, it is the Collapsible's own toggle: the fields stay as they were.
        group.query_one(CollapsibleTitle).focus()
        await pilot.press("enter", "enter")
        await pilot.pause()
        assert not group.collapsed and claims_of(app.tokens["builder"])["inference"] == {"perform": True}


async def test_a_tristate_grant_cycles_default_true_false(app):
    async with app.run_test(size=(120, 36)) as pilot:
        await open_tab(pilot, "2")
        app.query_one("#f-video-canPublish").focus()
        await pilot.press("space")  # default -> true
        await pilot.press("space")  # true -> false
        await pilot.pause()
        assert claims_of(app.tokens["builder"])["video"]["canPublish"] is False
