"""Decoder tab: paste anything `lkdebug token decode` accepts; see what the server would answer.

Every change re-runs the core's `decode` (it never raises) and renders the result; a one-second
tick re-runs it too, so relative times tick and a token that just expired says so.
"""

from __future__ import annotations

import json

from rich.json import JSON
from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.widgets import Static, TextArea

from lkdebug.core.claim_rows import claim_rows
from lkdebug.core.decode import decode
from lkdebug.core.marks import STATUS
from lkdebug.core.model import CheckStatus, Settings
from lkdebug.core.redact import mask_token, visible
from lkdebug.core.server_rules import same_answers
from lkdebug.tui.app import TABS
from lkdebug.tui.messages import FindingsChanged, TokenChanged
from lkdebug.tui.widgets.findings import FindingsView
from lkdebug.tui.widgets.jwt import jwt_text
from lkdebug.tui.widgets.masked_area import MaskedTextArea
from lkdebug.tui.widgets.released import ReleasedWhenHidden
from lkdebug.tui.widgets.rows import RowList

TAB_KEYS = {str(number): tab for number, tab in enumerate(TABS, start=1)}
PASS, FAIL = STATUS[CheckStatus.PASS], STATUS[CheckStatus.FAIL]
# A signature's status, in the probes' colours.
# The value column's width in a claim's line (the whole value opens under the selected line).
CLAIM_VALUE_WIDTH = 24
_STATUS_STYLE = {"valid": PASS.style, "invalid": FAIL.style, "unchecked": STATUS[CheckStatus.WARN].style}


class DecoderInput(MaskedTextArea):
    help = (
        "Token input",
        "Paste or type a token, or anything that holds one: `Bearer eyJ...`, a URL with `?token=`, "
        "a quoted string, a JSON response with a `token` field. lkdebug strips the wrapping and "
        "says what it removed. The signature is drawn as dots unless reveal (ctrl+r) is on. While "
        "the field is empty 1-4 switch tabs (no token starts with a digit); escape leaves the field.",
    )

    @property
    def switches_tabs(self) -> bool:
        """Whether 1-4 switch tabs here now (the footer shows them then)."""
        return not self.text

    def on_key(self, event: events.Key) -> None:
        # Runs before TextArea inserts the key, after every earlier key is in: so this sees the
        # text as typed so far, with no race against a fast paste.
        if event.character in TAB_KEYS and not self.text:
            event.prevent_default()
            event.stop()
            self.app.action_show_tab(TAB_KEYS[event.character])

    def on_text_area_changed(self) -> None:
        self.refresh_bindings()  # 1-4 in the footer or not


class DecoderPane(Vertical, ReleasedWhenHidden):
    help = (
        "Decoder",
        "What the token says (header, claims with their meaning, times), whether its signature "
        "matches a key lkdebug knows, and the exact answer a current livekit-server would give.",
    )

    BINDINGS = [
        Binding("e", "edit", "Edit input", id="decoder-edit"),
        Binding("ctrl+l", "clear", "Clear", id="decoder-clear"),
    ]

    def __init__(self, initial: str = "") -> None:
        super().__init__()
        self._initial = initial
        self._decoded = None
        self._shown: dict[str, str] = {}

    def compose(self) -> ComposeResult:
        yield DecoderInput(self._initial, id="decoder-input", soft_wrap=True, show_line_numbers=False)
        # The answer (the server's verdict, then the findings) right under the input.
        yield Static(id="decoder-verdict")
        yield FindingsView(id="decoder-findings")
        with VerticalScroll(id="decoder-result", classes="evidence"):
            yield Static(id="decoder-summary")
            # A line per claim, the selected one opened in full: the other tabs' evidence rows,
            # and no DataTable to load for it (its module and caches: about 1 MiB of the peak).
            yield RowList(id="decoder-claims")
            yield Static(id="decoder-token")

    def focus_first(self) -> None:
        """The empty input, so a token typed or pasted key by key lands there (1-4 still switch
        tabs while it is empty; escape leaves it); else the conclusion or the evidence."""
        field = self.query_one(DecoderInput)
        findings = self.query_one(FindingsView)
        if not field.text.strip():
            field.focus()
        else:
            (findings if findings.findings else self.query_one("#decoder-result")).focus()

    def on_mount(self) -> None:
        # At once too: a request made before this tab was first opened (which built this pane).
        self.watch(self.app, "decoder_request", self._requested)
        self.watch(self.app, "reveal", self._rerender, init=False)
        self.watch(self.app, "settings", self._rerender, init=False)
        self.set_interval(1.0, self._tick, name="decoder-tick")
        self._render_all()

    def _requested(self, request: tuple[int, str]) -> None:
        serial, token = request
        if serial:  # 0: none yet
            self.query_one(DecoderInput).load_text(token)

    def on_text_area_changed(self, event: TextArea.Changed) -> None:
        self._render_all()

    def on_paste(self, event: events.Paste) -> None:
        # Pasting is what people do here: a paste anywhere in the tab replaces the input, so it
        # works without first moving focus into the field (the tab opens with 1-4 still live).
        field = self.query_one(DecoderInput)
        if field.has_focus:
            return  # the field handles its own paste
        event.stop()
        field.load_text(event.text)

    def action_edit(self) -> None:
        self.query_one(DecoderInput).focus()

    def action_clear(self) -> None:
        field = self.query_one(DecoderInput)
        field.load_text("")
        field.focus()

    def _decode(self):
        settings = self.app.settings or Settings()
        return decode(
            self.query_one(DecoderInput).text,
            known_keys=settings.known_keys,
            server_keys=settings.server_keys,
            now=self.app.now(),
        )

    def _render_all(self) -> None:
        decoded = self._decode()
        raw_changed = self._decoded is None or decoded.raw != self._decoded.raw
        self._decoded = decoded
        self._render_verdict()
        if raw_changed:
            self._render_claims()
            self.post_message(TokenChanged("decoder", decoded.raw))

    def _rerender(self) -> None:
        self._decoded = None
        self._render_all()

    def _tick(self) -> None:
        if self._decoded is not None and self._decoded.raw:
            self._decoded = self._decode()
            self._render_verdict()

    def _render_verdict(self) -> None:
        decoded, reveal = self._decoded, self.app.reveal
        verdict = Text()
        summary = Text()
        if not self.query_one(DecoderInput).text.strip():
            verdict.append("Paste or type a token (or anything holding one) in the field above; escape leaves the field.", style="dim")
        elif decoded.raw is None:
            verdict.append(f"{FAIL.symbol} not a token", style=FAIL.style)
            if decoded.looks_like:
                verdict.append(f": this looks like {visible(decoded.looks_like)}")
        elif decoded.verdict is not None:
            v = decoded.verdict
            if v.accepted:
                verdict.append(f"{PASS.symbol} a current server accepts it: {v.status} {visible(v.message or '')}", style=PASS.style)
            else:
                verdict.append(f"{FAIL.symbol} a current server answers {v.status}: ", style=FAIL.style)
                # The v1.13 body quotes the whole token, already in the field above: not twice.
                message = (decoded.verdict_message(v.era, reveal) or "").replace(mask_token(decoded.raw, reveal), "<the token>")
                verdict.append(visible(message), style="bold")
            if decoded.verdict_assumes:
                verdict.append(f"\nassuming {visible(decoded.verdict_assumes)}", style="italic")
        if decoded.raw is not None:
            if decoded.stripped:
                summary.append("\nstripped: " + visible(", ".join(decoded.stripped)), style="cyan")
            sig = decoded.signature
            summary.append("\nsignature: ")
            # Gaps end a span rather than start the next: SVG renderers drop a span's leading spaces.
            summary.append(sig.status + " ", style=_STATUS_STYLE.get(sig.status, "bold"))
            if sig.key:
                summary.append(f"with key {visible(sig.key)} ")
            if sig.origin:
                summary.append(f"({visible(sig.origin)})", style="dim")
            for name in ("nbf", "iat", "exp"):
                time_info = decoded.times.get(name)
                if time_info:
                    summary.append(f"\n{name}: ", style="bold")
                    summary.append(f"{time_info.iso}  ")
                    summary.append(time_info.relative, style="italic")
        if decoded.verdict is not None:
            v = decoded.verdict
            # Neighbouring eras that answer alike share a line, so six eras fit in the few rows there are.
            for span, ov in same_answers({era: ov for era, ov in decoded.eras.items() if era != v.era}):
                if ov.message != v.message:
                    # Older wordings echo the same token; once is enough to read.
                    message = (decoded.verdict_message(ov.era, reveal) or "").replace(mask_token(decoded.raw, reveal), "<token>")
                    summary.append(f"\n{span}: {ov.status} {visible(message)}", style="dim")
        self._update("#decoder-verdict", verdict)
        self._update("#decoder-summary", Text("\n").join([line for line in summary.split("\n") if line.plain]))
        # An empty input is not a problem to count on the tab: the user has not pasted yet.
        findings = decoded.findings if self.query_one(DecoderInput).text.strip() else []
        view = self.query_one(FindingsView)
        view.show(findings)
        view.display = bool(findings)
        self.post_message(FindingsChanged("decoder", list(findings)))

    def _update(self, selector: str, content: Text) -> None:
        # The one-second tick re-renders; an unchanged widget should not cost a layout pass.
        if self._shown.get(selector) != content.markup:
            self._shown[selector] = content.markup
            self.query_one(selector, Static).update(content)

    def _render_claims(self) -> None:
        decoded = self._decoded
        table = self.query_one("#decoder-claims", RowList)
        table.display = bool(decoded.claims)
        # Claims are the token author's text: plain Text, never markup, controls shown.
        rows = [(visible(path), visible(value), visible(meaning)) for path, value, meaning in claim_rows(decoded.claims)]
        path_width = max((len(path) for path, _, _ in rows), default=0)
        value_width = min(max((len(value) for _, value, _ in rows), default=0), CLAIM_VALUE_WIDTH)
        lines = []
        for path, value, meaning in rows:
            cut = value if len(value) <= value_width else value[:value_width - 1] + "…"
            line = Text(f"{path.ljust(path_width)}  {cut.ljust(value_width)}  ")
            line.append(meaning, style="dim")
            detail = Text(value)
            detail.append("\n" + meaning, style="dim")
            lines.append((line, detail))
        table.set_rows(lines, header=Text(f"{'claim'.ljust(path_width)}  {'value'.ljust(value_width)}  meaning", style="bold"))
        token_view = self.query_one("#decoder-token", Static)
        if decoded.raw:
            header = JSON(json.dumps(decoded.header, ensure_ascii=True))
            token_view.update(Text.assemble(
                Text("header ", style="bold"), header.text, "\n",
                jwt_text(decoded.raw, self.app.reveal),
            ))
        else:
            token_view.update("")
