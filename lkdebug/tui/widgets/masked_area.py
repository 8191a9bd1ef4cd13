"""A TextArea that draws every JWT signature in its text as dots unless the app's reveal is on (DESIGN §6).

Only the drawing changes: the text (what is decoded, copied, edited) stays what the user typed or
pasted. Each hidden character is drawn as one `•`, one cell like the base64 character it stands for,
so soft wrapping, the cursor and the selection land on the same columns as in the real text.
"""

from __future__ import annotations

import functools
import re

from rich.text import Text
from textual.widgets import TextArea

from lkdebug.core.redact import SIGNATURE_HIDDEN, mask_token

HIDDEN = "•"
# Where a hidden stretch may end in the real text: one segment (`_hide_signatures` hides segment by
# segment) or the rest of a dotted run (a run past redact's budget or segment limit is hidden whole).
_SEGMENT = re.compile(r"[A-Za-z0-9_-]*=*")
_RUN_REST = re.compile(r"[A-Za-z0-9_.=-]*")
_RUN_START = re.compile(r"(?<![A-Za-z0-9_-])[A-Za-z0-9_-]+=*\.[A-Za-z0-9_-]+=*\.")


@functools.lru_cache(maxsize=64)
def signature_spans(line: str) -> tuple[tuple[int, int], ...]:
    """The [start, end) character ranges of `line` that `scrub` would hide as signatures.

    redact decides (the same finding by shape as every other masked view); this only maps its
    `<signature hidden>` placeholders back onto the real text's positions.
    """
    masked = mask_token(line)
    if masked == line:
        return ()
    spans = _align(line, masked)
    return spans if spans is not None else _past_second_dot(line)


def _align(line: str, masked: str) -> tuple[tuple[int, int], ...] | None:
    spans, i, j = [], 0, 0
    while j < len(masked):
        at = masked.find(SIGNATURE_HIDDEN, j)
        literal = masked[j:] if at < 0 else masked[j:at]
        if not line.startswith(literal, i):
            return None
        i, j = i + len(literal), j + len(literal)
        if at < 0:
            break
        after = j + len(SIGNATURE_HIDDEN)
        if line.startswith(SIGNATURE_HIDDEN, i):  # the user's own text says it (a signature never starts with `<`)
            i, j = i + len(SIGNATURE_HIDDEN), after
            continue
        next_at = masked.find(SIGNATURE_HIDDEN, after)
        following = masked[after:] if next_at < 0 else masked[after:next_at]
        for pattern in (_SEGMENT, _RUN_REST):
            end = pattern.match(line, i).end()
            # The shorter stretch first; the text after it must be what redact left there.
            if end > i and (line[end:] == following if next_at < 0 else line.startswith(following, end)):
                break
        else:
            return None
        spans.append((i, end))
        i, j = end, after
    return tuple(spans) if i == len(line) else None


def _past_second_dot(line: str) -> tuple[tuple[int, int], ...]:
    """Every dotted run from its third segment on: more than redact hides, never less (no signature
    comes before a run's third segment)."""
    spans = []
    for match in _RUN_START.finditer(line):
        end = _RUN_REST.match(line, match.end()).end()
        if end > match.end():
            spans.append((match.end(), end))
    return tuple(spans)


class MaskedTextArea(TextArea):
    """Signatures drawn as `•` while `app.reveal` is off; toggling reveal redraws the field."""

    def on_mount(self) -> None:
        self.watch(self.app, "reveal", self._redraw, init=False)

    def _redraw(self) -> None:
        self._line_cache.clear()  # its keys know the text's layout, not whether signatures show
        self.refresh()

    def get_line(self, line_index: int) -> Text:
        line = super().get_line(line_index)
        if self.app.reveal:
            return line
        spans = signature_spans(line.plain)
        if spans:
            plain, pieces, done = line.plain, [], 0
            for start, end in spans:
                pieces += (plain[done:start], HIDDEN * (end - start))
                done = end
            pieces.append(plain[done:])
            line.plain = "".join(pieces)
        return line
