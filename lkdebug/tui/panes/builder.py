"""Token Builder tab: a form generated from the core's grant table, with a live preview.

Every change rebuilds the claims with `core.mint.build_claims`, mints them with the settings'
secret and runs the core's `decode` on the result for the lint findings and the server's
verdict; the pane only turns widgets into arguments and results into text.
"""

from __future__ import annotations

import json
from collections.abc import Callable

from rich.json import JSON
from rich.text import Text
from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.widget import Widget
from textual.widgets import Button, Input, Static

from lkdebug.core.grants import GROUPS, GRANTS, Grant
from lkdebug.core.lk_line import lk_token_create
from lkdebug.core.model import Settings
from lkdebug.tui.app import TABS
from lkdebug.tui.messages import FindingsChanged, OpenInDecoder, TestOnServer, TokenChanged
from lkdebug.tui.widgets.checklist import Checklist
from lkdebug.tui.widgets.cycle import Cycle
from lkdebug.tui.widgets.field_grid import FieldGrid
from lkdebug.tui.widgets.findings import ordered, rich_findings
from lkdebug.tui.widgets.fold import Fold
from lkdebug.tui.widgets.jwt import jwt_text
from lkdebug.tui.widgets.released import ReleasedWhenHidden

# Claims the minter sets (iss, times, jti) or LiveKit services set; not form fields.
NOT_IN_FORM = {"iss", "nbf", "exp", "iat", "jti", "roomConfig", "kindDetails", "sha256"}
# Groups shown open; the rarer grant objects start collapsed so the form fits 80x24.
OPEN_GROUPS = ("participant", "video", "sip")
DEFAULT_TTL = "6h"
TTL_HELP = (
    "TTL (valid for)",
    "How long the token is valid: `30s`, `10m`, `6h`, `1d`, `1h30m`. The server rejects it from "
    "`exp` plus 60 s of leeway. lkdebug warns about very long and very short lifetimes.",
)


def field_id(path: str) -> str:
    return "f-" + path.replace(".", "-")


def grant_help(g: Grant) -> tuple[str, str]:
    body = f"{g.meaning}\n\nClaim `{g.path}` ({g.type}); when absent the server assumes **{g.default_label}**."
    if g.choices:
        body += "\n\nAccepted values: " + ", ".join(f"`{c}`" for c in g.choices) + "."
    if g.cli_flag:
        body += f"\n\n`lkdebug token create {g.cli_flag}` sets it."
    return (g.path, body)


def form_grants() -> list[Grant]:
    """Every grant the form edits: the table minus what the minter or LiveKit's services set."""
    return [g for g in GRANTS if not (g.group in ("jwt", "participant") and g.json_name in NOT_IN_FORM)]


def _split(text: str) -> list[str]:
    return [item.strip() for item in text.split(",") if item.strip()]


def parse_field(g: Grant, text: str) -> object:
    """The claim value typed into a text field, or ValueError saying why it is not one."""
    if g.type == "int":
        try:
            return int(text)
        except ValueError:
            raise ValueError(f"{text!r} is not a whole number") from None
    if g.type == "map":
        pairs = {}
        for item in _split(text):
            key, sep, value = item.partition("=")
            if not sep or not key.strip():
                raise ValueError(f"{item!r} is not key=value (separate pairs with commas)")
            pairs[key.strip()] = value.strip()
        return pairs
    if g.type == "list[str]":
        return _split(text)
    if g.type == "json":
        if g.path == "roomConfig.agents" and not text.lstrip().startswith(("[", "{")):
            # The common case, an agent name (or a few), without writing JSON.
            return [{"agentName": name} for name in _split(text)]
        try:
            return json.loads(text)
        except ValueError as error:
            raise ValueError(f"not JSON: {error}") from None
    return text


class GrantField:
    """Marker: a form widget that edits one grant (its `help` comes from the grant table)."""


class GrantInput(Input, GrantField):
    """Tells its form on the keystroke itself, not through a bubbling Changed message: the
    preview then lands in the same frame as the typed character (one layout and repaint per
    keystroke instead of two)."""

    def __init__(self, value: str = "", *, on_edit: Callable[[], None], **kwargs) -> None:
        super().__init__(value, **kwargs)
        self._on_edit = on_edit

    def watch_value(self) -> None:
        if self.is_mounted:
            self._on_edit()


class IdentityInput(GrantInput):
    """The identity, focused when the tab opens so it can be typed at once. Until then 1-4 still switch
    tabs (the footer shows them), as on the Decoder; clicked or tabbed into, a digit is the identity's
    (numeric identities are common)."""

    opened_with_tab = False  # set when the tab opening focused it; any other focus is the user's own

    @property
    def switches_tabs(self) -> bool:
        return self.opened_with_tab and not self.value

    def on_key(self, event: events.Key) -> None:
        # Before Input inserts the key (as DecoderInput does): the digit is the app's tab binding.
        if self.switches_tabs and event.character and event.character in "1234":
            event.prevent_default()
            event.stop()
            self.app.action_show_tab(list(TABS)[int(event.character) - 1])

    def on_click(self) -> None:
        self.opened_with_tab = False
        self.refresh_bindings()

    def on_blur(self) -> None:
        self.opened_with_tab = False

    def watch_value(self) -> None:
        super().watch_value()
        self.refresh_bindings()  # 1-4 in the footer or not


class GrantChecks(Checklist, GrantField):
    """A group's yes/no grants, one line each (space or a click toggles): one widget for the
    group instead of a Checkbox per grant, which cost 30 to 50 KiB each. F1 explains the
    highlighted grant."""

    def __init__(self, grants: list[Grant], **kwargs) -> None:
        self._grants = {g.path: g for g in grants}
        super().__init__(*[(g.json_name, g.path, g.path == "video.roomJoin") for g in grants], **kwargs)

    @property
    def help(self) -> tuple[str, str]:
        return grant_help(self._grants[self.values[self.highlighted]])

    def highlight(self, path: str) -> None:
        """Move the highlight to the grant at `path` (a claim path such as `video.roomAdmin`)."""
        self.highlighted = list(self._grants).index(path)


class GrantCycle(Cycle, GrantField):
    pass


class GrantChoices(Checklist, GrantField):
    """A grant that lists some of a few values (canPublishSources): one line per value."""


class BuilderPane(Horizontal, ReleasedWhenHidden):
    help = (
        "Token Builder",
        "Fill in the form: the preview shows the token's header and payload, the JWT, its size, "
        "what a current server would answer and what lkdebug would warn about. Keys: ctrl+y copy "
        "the token, ctrl+g copy the `lk token create` line, ctrl+o open it in the Decoder, ctrl+t "
        "test it on the server.",
    )
    BINDINGS = [
        Binding("ctrl+y", "copy_token", "Copy token", id="builder-copy-token"),
        Binding("ctrl+g", "copy_lk", "Copy lk cmd", id="builder-copy-lk"),
        Binding("ctrl+o", "open_decoder", "Decode", id="builder-open-decoder"),
        Binding("ctrl+t", "test_server", "Test", id="builder-test"),
    ]

    def __init__(self) -> None:
        super().__init__(id="builder-body")
        self._grants = {g.path: g for g in form_grants()}
        self._token: str | None = None
        self._lk_command: str | None = None
        self._errors: dict[str, str | None] = {}
        self._shown: str | None = None  # the preview's markup, as last drawn
        self._height: tuple[int, int] | None = None  # (width, lines) it was last laid out at
        self._widgets: dict[str, Widget] = {}  # grant path -> its form widget, once built
        self._touched = False  # an untouched form is not a problem to count on the tab
        self._previewed = False  # no token until the tab is first shown (on_show)

    # The form

    def focus_first(self) -> None:
        """The identity, the one field every token needs: a user who opens the tab types it at once."""
        identity = self._widgets["sub"]
        identity.opened_with_tab = True
        # It is the form's first field: the form shows its top. Focus's own scroll, asked for before
        # the pane is laid out (a tab just shown), moved the form a line down once the layout came,
        # or not, depending on what else the screen was drawing then (the footer's rebuild).
        identity.focus(scroll_visible=False)
        self.query_one("#builder-form").scroll_home(animate=False)

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="builder-form", classes="tab-focus"):
            for group, title in GROUPS.items():
                if group == "jwt":
                    continue  # its one form field, the identity, leads the participant section
                if not self._group_grants(group):
                    continue
                if group in OPEN_GROUPS:
                    yield Static(title, classes="section-title")
                    yield from self._group_widgets(group)
                else:
                    # The rarer grants are built when their section is first opened: a form
                    # widget costs memory and every layout pass walks it.
                    title = "Agent dispatch and room configuration" if group == "roomConfig" else title
                    yield Fold(title, id=f"group-{group}")
            with Horizontal(id="builder-actions"):
                yield Button("Copy token", id="builder-copy", compact=True)
                yield Button("Copy lk", id="builder-lk", compact=True)
                yield Button("Decoder", id="builder-decoder", compact=True)
                yield Button("Test", id="builder-test-button", compact=True)
        with VerticalScroll(id="builder-preview"):
            # The status, the JWT, the payload, the header, the findings and the lk line, one
            # under another: one Static draws them all (a Static each cost about 60 KiB).
            yield Static(id="builder-preview-text")

    @on(Fold.Opened)
    async def _open_group(self, event: Fold.Opened) -> None:
        """A section opened for the first time: its fields in a Collapsible, open, where its Fold was."""
        from textual.widgets import Collapsible  # with the first section opened
        from textual.widgets._collapsible import CollapsibleTitle

        fold = event.fold
        form, focused = fold.parent, fold.has_focus
        index = form.children.index(fold)
        group = fold.id.removeprefix("group-")
        await fold.remove()
        collapsible = Collapsible(*self._group_widgets(group), title=fold.title, collapsed=False, id=fold.id)
        await form.mount(collapsible, before=index)
        if focused:
            collapsible.query_one(CollapsibleTitle).focus()
        collapsible.call_after_refresh(collapsible.scroll_visible)  # as a Collapsible opening does

    def _group_grants(self, group: str) -> list[Grant]:
        grants = [g for g in self._grants.values() if g.group == group]
        return [self._grants["sub"], *grants] if group == "participant" else grants

    def _group_widgets(self, group: str) -> list[Widget]:
        grants = self._group_grants(group)
        checks = [g for g in grants if g.type == "bool"]
        fields = [g for g in grants if g.type != "bool"]
        if group == "video":
            # The room and the yes/no grants first: they decide most joins.
            room = [g for g in fields if g.json_name == "room"]
            others = [g for g in fields if g.json_name != "room"]
            return [self._fields(room), self._checks(group, checks), self._fields(others)]
        widgets = [self._fields(fields, ttl=group == "participant")] if fields else []
        return widgets + ([self._checks(group, checks)] if checks else [])

    def _fields(self, grants: list[Grant], ttl: bool = False) -> FieldGrid:
        """One FieldGrid per group: the fields under one another, their labels drawn beside them
        by the group (no widget per label, no container per row: every layout pass, one per
        keystroke in a field, walks every widget)."""
        rows: list[tuple[str, Widget]] = []
        for g in grants:
            label = "identity" if g.path == "sub" else g.json_name
            if g.type == "tristate":
                widget: Widget = GrantCycle(
                    [(f"default ({g.default_label})", ""), ("true", "true"), ("false", "false")],
                    id=field_id(g.path),
                )
            elif g.choices and g.type == "str":
                widget = GrantCycle([(f"default ({g.default_label})", ""), *((c, c) for c in g.choices)],
                                    id=field_id(g.path))
            elif g.choices:
                widget = GrantChoices(*[(c, c) for c in g.choices], id=field_id(g.path))
            else:
                widget = (IdentityInput if g.path == "sub" else GrantInput)(
                    placeholder=self._placeholder(g), compact=True, id=field_id(g.path), on_edit=self._edited)
            widget.help = grant_help(g)
            self._widgets[g.path] = widget
            rows.append((label, widget))
        if ttl:
            ttl_input = GrantInput(DEFAULT_TTL, id="f-ttl", compact=True, on_edit=self._edited)
            ttl_input.help = TTL_HELP
            rows.append(("TTL", ttl_input))
        return FieldGrid(rows, classes="fields")

    def _checks(self, group: str, checks: list[Grant]) -> GrantChecks:
        grants = GrantChecks(checks, id=f"checks-{group}", classes="checks")
        for g in checks:
            self._widgets[g.path] = grants
        return grants

    @staticmethod
    def _placeholder(g: Grant) -> str:
        if g.path == "sub":
            return "participant identity, e.g. alice"
        if g.type == "map":
            return "key=value, key2=value2"
        if g.type == "list[str]":
            return "a, b, c"
        if g.path == "roomConfig.agents":
            return "agent name, or JSON"
        return g.default_label if g.default_label != "(none)" else ""

    # Reading the form

    def _values(self) -> tuple[dict, dict[str, str]]:
        """build_claims' keyword arguments from the form, and an error per invalid field."""
        from lkdebug.core.times import parse_duration

        errors: dict[str, str] = {}
        groups: dict[str, dict] = {}
        participant: dict = {}
        for path, g in self._grants.items():
            widget = self._widgets.get(path)
            if widget is None or not widget.is_mounted:
                continue  # in a section not opened yet: absent, the server's default
            value = self._widget_value(g, widget, errors)
            if value is None:
                continue
            if g.group in ("participant", "jwt"):
                participant[g.json_name] = value
            else:
                groups.setdefault(g.group, {})[g.json_name] = value
        ttl_text = self.query_one("#f-ttl", Input).value.strip() or DEFAULT_TTL
        try:
            valid_for = parse_duration(ttl_text)
        except ValueError as error:
            errors["ttl"] = str(error)
            valid_for = parse_duration(DEFAULT_TTL)
        video = groups.pop("video", None)
        sip = groups.pop("sip", None)
        extra = dict(groups)
        for name in ("roomPreset",):
            if name in participant:
                extra[name] = participant.pop(name)
        kwargs = dict(
            identity=participant.get("sub"),
            name=participant.get("name"),
            kind=participant.get("kind"),
            metadata=participant.get("metadata"),
            attributes=participant.get("attributes"),
            video=video,
            sip=sip,
            extra=extra or None,
            valid_for=valid_for,
        )
        return kwargs, errors

    def _widget_value(self, g: Grant, widget: Widget, errors: dict[str, str]) -> object:
        if isinstance(widget, GrantChecks):
            return True if g.path in widget.selected else None
        if isinstance(widget, Checklist):
            return list(widget.selected) or None
        if isinstance(widget, Cycle):
            if not widget.value:
                return None  # absent: the server's default
            return {"true": True, "false": False}[widget.value] if g.type == "tristate" else widget.value
        text = widget.value.strip()
        error = None
        value = None
        if text:
            try:
                value = parse_field(g, text)
            except ValueError as problem:
                error = str(problem)
        self._mark(field_id(g.path), error)
        if error:
            errors[g.path] = error
        return value if value not in ("", [], {}) else None

    def _mark(self, ident: str, error: str | None) -> None:
        # Only on a change: every widget update costs a layout pass, and this runs per keystroke.
        if self._errors.get(ident) == error:
            return
        self._errors[ident] = error
        field = self.query_one(f"#{ident}")
        field.set_class(bool(error), "-invalid")
        text = Text(f"✗ {error}", style="bold red") if error else ""
        # The line under a field is made on its first error: most fields never have one, and
        # each widget costs memory and a place in every layout pass.
        for message in self.query(f"#{ident}-error").results(Static):
            message.update(text)
            message.display = bool(error)
            return
        if error:
            field.parent.mount(Static(text, id=f"{ident}-error", classes="field-error"), after=field)

    def _show(self, parts: list[Text]) -> None:
        """Draw the preview's parts, each from a new line, with a layout pass only when its height changes.

        A layout pass arranges the whole screen (the form has ~150 widgets); typing into a field
        mostly changes characters, not line counts, so most keystrokes only repaint.
        """
        text = Text("\n").join(parts)
        key = text.markup
        if self._shown == key:
            return
        self._shown = key
        widget = self.query_one("#builder-preview-text", Static)
        width = widget.content_region.width
        lines = len(text.wrap(self.app.console, width)) if width else 0
        same_height = width > 0 and self._height == (width, lines)
        self._height = (width, lines)
        widget.update(text, layout=not same_height)

    # The preview

    def on_mount(self) -> None:
        self.watch(self.app, "settings", self._restate, init=False)
        self.watch(self.app, "reveal", self._restate, init=False)

    def on_show(self) -> None:
        # The first preview mints, decodes and lints (the core's decode and server rules): not until
        # the tab is first seen.
        if not self._previewed:
            self.update_preview()

    def _restate(self) -> None:
        if self._previewed:
            self.update_preview()

    @on(Cycle.Changed)
    @on(Checklist.Changed)
    def _form_changed(self) -> None:
        self._edited()

    def _edited(self) -> None:
        self._touched = True
        self.update_preview()

    def update_preview(self) -> None:
        from lkdebug.core.decode import decode
        from lkdebug.core.mint import HEADER, build_claims, mint

        self._previewed = True
        settings = self.app.settings or Settings()
        now = self.app.now()
        kwargs, errors = self._values()
        self._mark("f-ttl", errors.get("ttl"))
        api_key = settings.api_key.value if settings.api_key else ""
        secret = settings.api_secret.value if settings.api_secret else ""
        claims = build_claims(api_key=api_key, now=now, **kwargs)
        status = Text()
        findings = []
        if errors:
            status.append(f"✗ {len(errors)} field(s) need fixing: ", style="bold red")
            status.append(", ".join(errors), style="bold")
            self._token = None
        elif not secret:
            status.append("✗ no API secret found: the token cannot be signed (see the Environment tab)", style="bold red")
            self._token = None
        else:
            self._token = mint(claims, secret)
            decoded = decode(self._token, known_keys=settings.known_keys, server_keys=settings.server_keys, now=now)
            findings = decoded.findings
            if decoded.verdict is not None:
                v = decoded.verdict
                style = "bold green" if v.accepted else "bold red"
                # The v1.13 body echoes the whole token: shown masked unless revealed.
                message = decoded.verdict_message(v.era, self.app.reveal)
                status.append(f"{'✓' if v.accepted else '✗'} server would answer {v.status} {message}", style=style)
        self._lk_command = lk_token_create(claims, api_key=settings.api_key, api_secret=settings.api_secret,
                                           reveal=self.app.reveal).text()
        reveal = self.app.reveal
        payload = Text("payload ", style="bold")
        payload.append_text(JSON(json.dumps(claims)).text)
        header = Text("header  ", style="bold")
        header.append_text(JSON(json.dumps(HEADER)).text)
        lk_line = Text("lk      ", style="bold")
        lk_line.append(self._lk_command, style="dim")
        self._show([status, jwt_text(self._token, reveal) if self._token else Text(), payload, header,
                    rich_findings(ordered(findings)), lk_line])
        self.post_message(FindingsChanged("builder", list(findings) if self._touched else []))
        self.post_message(TokenChanged("builder", self._token, self._lk_command))

    # Actions

    def _need_token(self) -> str | None:
        if not self._token:
            self.app.notify("No token: fix the fields marked in red, or set an API secret", severity="warning")
        return self._token

    def action_copy_token(self) -> None:
        if self.app.refused_for_viewer("Copy token"):
            return
        if token := self._need_token():
            self.app.copy(token, "the token")

    def action_copy_lk(self) -> None:
        if self._lk_command:
            self.app.copy(self._lk_command, "the `lk token create` command")

    def action_open_decoder(self) -> None:
        # The Decoder's input shows the whole token, signature included.
        if self.app.refused_for_viewer("Open in the Decoder"):
            return
        if token := self._need_token():
            self.post_message(OpenInDecoder(token))

    def action_test_server(self) -> None:
        if token := self._need_token():
            self.post_message(TestOnServer(token))

    @on(Button.Pressed)
    def _button(self, event: Button.Pressed) -> None:
        action = {
            "builder-copy": self.action_copy_token,
            "builder-lk": self.action_copy_lk,
            "builder-decoder": self.action_open_decoder,
            "builder-test-button": self.action_test_server,
        }.get(event.button.id or "")
        if action:
            action()

