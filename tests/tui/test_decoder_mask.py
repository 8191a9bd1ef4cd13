"""The Decoder's input draws a pasted token's signature masked unless reveal is on (DESIGN §6): the
screen is shared (paired sessions, `lkdebug serve`), the text underneath stays what was pasted."""

from __future__ import annotations

import json

import pytest
from textual import events

from lkdebug.core.redact import SIGNATURE_HIDDEN, mask_token
from lkdebug.tui.widgets.masked_area import _align, _past_second_dot, HIDDEN, signature_spans

from .conftest import open_tab, screen_text, token, until

# Longer than this, a run of a signature's characters on screen is a leak (6 may occur by chance).
LEAK = 7


def leaks(shown: str, signature: str) -> list[str]:
    return [signature[i:i + LEAK] for i in range(len(signature) - LEAK + 1) if signature[i:i + LEAK] in shown]


def field_text(field) -> str:
    """The field's drawn rows joined, so a signature soft-wrapped over two rows is still one run."""
    return "".join(field.render_line(y).text.rstrip() for y in range(field.content_size.height))


def spellings(raw: str) -> list[str]:
    return [raw, f"Bearer {raw}", f'"{raw}"', json.dumps({"token": raw}, indent=2),
            f"wss://demo.example/rtc?access_token={raw}&auto_subscribe=1", f"x{raw}"]


@pytest.mark.parametrize("text", spellings(token()), ids=["bare", "bearer", "quoted", "json", "url", "glued"])
def test_the_drawn_text_hides_exactly_what_scrub_hides(text):
    drawn = "\n".join(_draw(line) for line in text.split("\n"))
    assert drawn.replace(HIDDEN, "") != drawn
    # Each dotted stretch is where redact put its placeholder: the same finding, by shape.
    assert _placeholders(drawn) == mask_token(text)
    assert not leaks(drawn, token().rsplit(".", 1)[1])


def test_text_that_holds_no_token_or_an_earlier_mask_is_drawn_as_it_is():
    raw = token()
    already = mask_token(raw)
    assert signature_spans("version 1.2.3 of a.b.c") == ()
    assert signature_spans(already) == ()
    spans = signature_spans(f"{already} and {raw}")
    assert [f"{already} and {raw}"[a:b] for a, b in spans] == [raw.rsplit(".", 1)[1]]


def test_a_run_past_the_segment_limit_is_hidden_from_its_third_segment_on():
    header, payload, _ = token().split(".")
    text = ".".join([header, payload] + ["abcdefgh"] * 70)
    assert signature_spans(text) == ((len(header) + len(payload) + 2, len(text)),)


def test_a_mask_that_cannot_be_mapped_back_hides_more_never_less():
    # Should redact ever hide a stretch this cannot place, every run goes from its third segment on.
    raw = token()
    assert _align(f"{raw} x", mask_token(raw) + " y") is None
    signature = raw.rsplit(".", 1)[1]
    text = f"see {raw} and v1.2.3"
    assert [text[a:b] for a, b in _past_second_dot(text)] == [signature, "3"]


def _draw(line: str) -> str:
    for start, end in signature_spans(line):
        line = line[:start] + HIDDEN * (end - start) + line[end:]
    return line


def _placeholders(line: str) -> str:
    out, i = [], 0
    while i < len(line):
        if line[i] == HIDDEN:
            while i < len(line) and line[i] == HIDDEN:
                i += 1
            out.append(SIGNATURE_HIDDEN)
        else:
            out.append(line[i])
            i += 1
    return "".join(out)


async def test_a_pasted_token_shows_no_signature_until_reveal(app):
    raw = token()
    signature = raw.rsplit(".", 1)[1]
    pasted = f"Bearer {raw}"
    async with app.run_test(size=(80, 24)) as pilot:
        await open_tab(pilot, "3")
        field = app.query_one("#decoder-input")
        assert field.has_focus
        app.post_message(events.Paste(pasted))  # as the terminal driver delivers it
        await until(pilot, lambda: field.text == pasted, "the paste landed in the field")
        await pilot.pause()
        pane = app.query_one("DecoderPane")
        assert pane._decoded.raw == raw and pane._decoded.signature.status == "valid"
        assert HIDDEN in field_text(field)
        assert not leaks(screen_text(app), signature)
        assert not leaks(field_text(field), signature)

        # Editing still works on the real text; the drawing follows it.
        await pilot.press("end", "x")
        assert field.text == pasted + "x"
        assert not leaks(field_text(field), signature)
        await pilot.press("backspace")
        assert field.text == pasted
        assert pane._decoded.raw == raw and pane._decoded.signature.status == "valid"
        assert not leaks(screen_text(app), signature)

        await pilot.press("ctrl+r")
        await until(pilot, lambda: app.reveal, "reveal turned on")
        await pilot.pause()
        # At 80x24 the field is one row, the token's last: the signature's tail, now readable.
        assert field_text(field) and field_text(field) in signature
        assert leaks(screen_text(app), signature)
        assert field.text == pasted

        await pilot.press("ctrl+r")
        await until(pilot, lambda: not app.reveal, "reveal turned off")
        await pilot.pause()
        assert not leaks(screen_text(app), signature)
        assert not leaks(field_text(field), signature)
