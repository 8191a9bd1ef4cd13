"""The lkdebug TUI: a target header, four tabs over the core, a footer of bindings.

Shared state lives on the app (settings, reveal, the token one tab hands to another); panes post
typed messages (messages.py) up to it and watch the state they need, so no pane queries another
(hidden panes are `Lazy` and may not be mounted yet). Only the Environment tab is built before
the first frame; the others, and every heavy import (aiohttp, livekit-api), come after it.
"""

from __future__ import annotations

import errno
import gc
import io
import os
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from textual import events, on, work
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.reactive import var
from textual.screen import Screen
from textual.widget import Widget
from textual.containers import Container
from textual.css.query import NoMatches
from textual.widgets import Static

from lkdebug.core.marks import SEVERITY
from lkdebug.core.model import Finding, Report, Settings, Severity
from lkdebug.core.redact import visible
from lkdebug.tui.messages import (
    FindingsChanged,
    OpenInDecoder,
    ProbesFinished,
    SettingsLoaded,
    TestOnServer,
    TokenChanged,
)
from lkdebug.tui.panes.environment import EnvironmentPane
from lkdebug.tui.terminal import watch_terminal
from lkdebug.tui.widgets.findings import counts, headline, ordered
from lkdebug.tui.widgets.header import TargetHeader, target_text
from lkdebug.tui.widgets.tabbar import TabBar

if TYPE_CHECKING:
    from lkdebug.tui.widgets.deferred import Deferred


def save_new_file(directory: Path, name: str, text: str) -> Path:
    """Write `text` to a file that did not exist (name, name-2, name-3...), readable by its owner only."""
    stem, dot, suffix = name.rpartition(".")
    for number in range(1, 100):
        path = directory / (name if number == 1 else f"{stem}-{number}{dot}{suffix}")
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            continue
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        return path
    raise FileExistsError(errno.EEXIST, f"{directory / name} and 98 more names are taken")


def _lkdebug_commands():
    # A callable, as Textual's own system provider is: textual.command loads when the palette opens.
    from lkdebug.tui.palette import LkDebugCommands

    return LkDebugCommands


def typing_into(widget: Widget | None) -> bool:
    """Whether keys typed now are characters of a text field (an Input or a TextArea). By class
    name: those widgets load with the tabs that use them, after the first frame."""
    return widget is not None and any(cls.__name__ in ("Input", "TextArea") for cls in type(widget).__mro__)


# Tab id (the CLI's --tab names) -> label.
TABS = {"env": "Environment", "builder": "Builder", "decoder": "Decoder", "connectivity": "Connectivity"}
# The tabs not shown first: tab id -> (module, class) of the pane built in it after the first frame.
HIDDEN_PANES = {
    "builder": ("lkdebug.tui.panes.builder", "BuilderPane"),
    "decoder": ("lkdebug.tui.panes.decoder", "DecoderPane"),
    "connectivity": ("lkdebug.tui.panes.connectivity", "ConnectivityPane"),
}
PANES_CSS = Path(__file__).with_name("panes.tcss")


class MainScreen(Screen):
    """The screen the app starts on (Textual's default screen, with two steps less before the first frame).

    Nothing is focused in the first frame: the open tab's pane takes the focus right after it
    (_tab_activated). Textual's auto focus would focus the tab bar first and restyle it (and its
    four component styles) before that frame, to draw it focused for one frame only. Other
    screens (help, the palette) keep the app's auto focus.

    Nor is the screen restyled when it is first shown: Textual restyles a screen's whole tree each
    time it becomes the active one, for rules that may have changed while another screen was on
    top; the first time, every node on it was styled as it was mounted, moments before, with the
    same rules (19 M instructions, the first frame's every widget styled twice). A change to the
    rules in between (a theme set before the app runs) counts as a CSS update: then it restyles.
    """

    AUTO_FOCUS = ""

    def __init__(self, *, id: str) -> None:
        super().__init__(id=id)
        self._shown = False
        self._css_count: int | None = None  # the app's CSS updates when the screen was mounted

    def on_mount(self) -> None:
        self._css_count = self.app._css_update_count

    def on_screen_resume(self, event: events.ScreenResume) -> None:
        # Textual calls each class's handler in turn, this one before Screen's, which restyles.
        if not self._shown:
            self._shown = True
            if self.app._css_update_count == self._css_count:
                event.refresh_styles = False


class LkDebugApp(App[int]):
    CSS_PATH = "app.tcss"
    # Below 110 columns the Builder stacks its preview under the form.
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (110, "-wide")]
    TITLE = "lkdebug"
    COMMANDS = App.COMMANDS | {_lkdebug_commands}
    BINDINGS = [
        Binding("1", "show_tab('env')", "Tabs", id="tab-env", key_display="1-4"),
        Binding("2", "show_tab('builder')", "Builder", id="tab-builder", show=False),
        Binding("3", "show_tab('decoder')", "Decoder", id="tab-decoder", show=False),
        Binding("4", "show_tab('connectivity')", "Connect", id="tab-connectivity", show=False),
        # Digits type into text fields; Escape leaves the field for the rest of the tab, where
        # 1-4 switch tabs and the tab's own keys work.
        Binding("escape", "leave_field", "Leave field", id="leave-field"),
        # q is a letter in a text field; ctrl+q quits from anywhere.
        Binding("q", "quit_here", "Quit", id="quit-q"),
        Binding("f1", "help", "Help", id="help"),
        Binding("ctrl+r", "toggle_reveal", "Reveal", id="reveal"),
    ]

    # The discovered settings (None until discovery finished or when it failed).
    settings: var[Settings | None] = var(None, always_update=True)
    # Secrets and token signatures are shown only while this is on (DESIGN §6).
    reveal = var(False)
    # A token another tab asked the Decoder to show; (serial, token) so asking twice still fires.
    decoder_request: var[tuple[int, str]] = var((0, ""))
    # A token to test on the server, or "" for one minted from the settings.
    probe_request: var[tuple[int, str]] = var((0, ""))
    # The tab whose pane is shown (a hidden tab's pane is built when it is first shown: Deferred).
    shown_tab = var("env")

    def __init__(
        self,
        settings: Settings | None,
        *,
        load_settings: Callable[[], Settings] | None = None,
        tab: str = "env",
        token: str | None = None,
        now: Callable[[], float] = time.time,
        demo: str | None = None,
        ntp_servers: Sequence[tuple[str, int]] | None = None,
        served: bool = False,
        allow_reveal: bool = True,
    ) -> None:
        """`settings` are injected (tests, demo) or discovered by the command; `load_settings`
        rediscovers them for reload (None: nothing to reload). `now` is the clock every pane uses."""
        super().__init__()
        self._load_settings = load_settings
        self._initial_tab = tab if tab in TABS else "env"
        self._initial_token = token or ""
        self.now = now
        self.ntp_servers = list(ntp_servers) if ntp_servers is not None else None
        self.allow_reveal = allow_reveal
        self.served = served
        # The latest token each tab holds, for "copy token" and the Connectivity token choice.
        self.tokens: dict[str, str | None] = {"builder": None, "decoder": None}
        self.lk_command: str | None = None
        self.last_diagnosis: Report | None = None
        self._counts: dict[str, tuple[int, int]] = {}
        self._findings: dict[str, list[Finding]] = {}
        self._headline = headline(None).markup  # what compose draws: no finding yet
        self._serial = 0
        self.set_reactive(LkDebugApp.settings, settings)
        self.set_reactive(LkDebugApp.shown_tab, self._initial_tab)
        # The header says plainly when this is not the user's own terminal session.
        self._tag = ("DEMO", demo) if demo else ("SERVED", "in a browser") if served else None
        if self._tag:
            self.sub_title = " ".join(self._tag)

    def run(self, *args, **kwargs) -> int | None:
        # What is loaded by now (textual, rich, the core, the settings) lives as long as the
        # process. Frozen, the collector stops walking it: otherwise a full collection lands
        # before the first frame and costs 30-40 ms of the start. Garbage made later is still
        # collected. Here, not in __init__: tests build many apps in one process (run_test).
        gc.freeze()
        return super().run(*args, **kwargs)

    def get_default_screen(self) -> Screen:
        return MainScreen(id="_default")

    def compose(self) -> ComposeResult:
        # Drawn as composed: each update before the first frame would lay the frame out again.
        yield TargetHeader(target_text(self.settings, self.reveal, self._tag), id="target")
        # The worst root cause found on any tab, so the Decoder still says that the clock is off.
        yield Static(headline(None), id="headline")
        yield TabBar({tab: self._label(tab) for tab in TABS}, active=self._initial_tab, id="tabs")
        # The panes are the screen's own children, one shown at a time (_open_pane): a container
        # switching them (ContentSwitcher) drew its 20 blank lines under the pane's own, and cost
        # the first frame 7 M instructions.
        environment = EnvironmentPane(id="env", classes="pane")
        environment.display = self.shown_tab == "env"
        yield environment
        # The hidden tabs are mounted after the first frame is drawn (_after_first_frame), so
        # their modules (and aiohttp, websockets...), widgets and CSS cost the first screen nothing.
        # So is the footer: it has no key to draw before the screen publishes its bindings, after
        # that frame (its module and widget cost the start about 23 M instructions as Textual's Footer).

    def _label(self, tab: str) -> str:
        number = list(TABS).index(tab) + 1
        errors, warnings = self._counts.get(tab, (0, 0))
        label = f"{number} {TABS[tab]}"
        if errors:
            label += f" {SEVERITY[Severity.ERROR].symbol}{errors}"
        if warnings:
            label += f" {SEVERITY[Severity.WARNING].symbol}{warnings}"
        return label

    def watch_settings(self) -> None:
        self._render_target()

    def watch_reveal(self) -> None:
        self._render_target()

    def _render_target(self) -> None:
        for header in self.query(TargetHeader):  # none yet while the app composes
            header.update(target_text(self.settings, self.reveal, self._tag))

    def on_mount(self) -> None:
        if not self.is_headless:
            watch_terminal(self)
        self.call_after_refresh(self._after_first_frame)

    def _after_first_frame(self) -> None:
        # The hidden panes' rules, read and parsed before any of them is built (only this file
        # is parsed: the others are cached). No node on screen matches them, so nothing is
        # restyled now; a theme change reparses them with the rest.
        self.stylesheet.read(PANES_CSS)
        self.stylesheet.parse()
        from lkdebug.tui.widgets.deferred import Deferred
        from lkdebug.tui.widgets.footer import KeysFooter

        screen = self.screen_stack[0]
        screen.mount(KeysFooter())
        panes = []
        for tab, (module, name) in HIDDEN_PANES.items():
            kwargs = {"initial": self._initial_token} if tab == "decoder" else {}
            pane = Container(Deferred(module, name, **kwargs), id=tab, classes="pane")
            pane.display = False
            panes.append(pane)
        screen.mount_all(panes, after=screen.get_child_by_id("env"))
        # A hidden tab opened before now (`--tab decoder`, a quick 3) is shown now.
        self._open_pane(self.query_one(TabBar).active)
        # The core's root-cause order lives with the probes (diagnose), too heavy for the first
        # frame; once loaded, the Environment tab re-renders in that order.
        import lkdebug.core.diagnose  # noqa: F401

        self.settings = self.settings

    def action_quit_here(self) -> None:
        self.exit(self.return_code)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # Where q or a digit is a character of a text field, those keys type it: their bindings
        # go from the footer (escape, shown instead, leaves the field).
        in_field = typing_into(self.focused)
        if action == "show_tab":
            return not in_field or getattr(self.focused, "switches_tabs", False)
        if action == "quit_here":
            return not in_field
        if action == "leave_field":
            return in_field
        return True

    # Tabs

    def action_show_tab(self, tab: str) -> None:
        self.query_one(TabBar).active = tab

    def action_leave_field(self) -> None:
        for widget in self._pane(self.shown_tab).query(
                "FindingsView, RowList, .evidence, .tab-focus").results():
            if widget.display and widget.focusable:
                widget.focus()
                return
        self.query_one(TabBar).focus()

    @on(TabBar.Activated)
    def _tab_activated(self, message: TabBar.Activated) -> None:
        # Revealed secrets are for the tab the user revealed them on; leaving it masks them again.
        self.reveal = False
        self._open_pane(message.tab)

    def _pane(self, tab: str) -> Widget:
        """The tab's pane (NoMatches for a hidden tab before the first frame was drawn)."""
        return self.screen_stack[0].get_child_by_id(tab)

    def _open_pane(self, tab: str) -> None:
        try:
            pane = self._pane(tab)
        except NoMatches:
            return  # a hidden tab before the first frame was drawn: _after_first_frame opens it
        with self.batch_update():
            for other in self.screen_stack[0].query_children(".pane"):
                other.display = other is pane
        self.shown_tab = tab
        self._focus_pane(pane)

    # By name, not @on(Deferred.Ready): deferred.py (and its dataclass) loads after the first frame.
    def on_deferred_ready(self, message: Deferred.Ready) -> None:
        # A tab opened before its pane was built (`--tab decoder`, a quick 3) gets its focus now.
        pane = message.widget.parent
        if pane.id == self.query_one(TabBar).active:
            self._focus_pane(pane)

    def _focus_pane(self, pane: Widget) -> None:
        """Each pane knows where a user starts (`focus_first`): its field when that is the tab's
        first job and still empty, else its conclusion or its evidence, so its keys work at once.
        At once, too: while the focus stays in the pane just hidden, Textual may switch back to it."""
        for child in (pane, *pane.children):
            focus_first = getattr(child, "focus_first", None)
            if focus_first is not None:
                focus_first()
                return
        for target in pane.query(".tab-focus").results():
            target.focus()
            return
        # Not built yet (its Deferred): the tab bar holds the focus, not the pane just hidden.
        self.query_one(TabBar).focus()

    @on(FindingsChanged)
    def _count_findings(self, message: FindingsChanged) -> None:
        self._findings[message.tab] = message.findings
        self._render_headline()
        if self._counts.get(message.tab, (0, 0)) == counts(message.findings):
            return  # unchanged (a tab starts at none): relabelling would cost a layout pass
        self._counts[message.tab] = counts(message.findings)
        # A pane may report while the app is shutting down and the tabs are already gone.
        for tabs in self.query(TabBar):
            tabs.set_label(message.tab, self._label(message.tab))

    def _render_headline(self) -> None:
        found = [(f, tab) for tab, findings in self._findings.items() for f in findings]
        top = ordered([f for f, _ in found])
        where = next((self._label_name(tab) for f, tab in found if top and f is top[0]), "")
        text = headline(top[0] if top else None, where)
        if text.markup != self._headline:
            self._headline = text.markup
            for line in self.query("#headline"):
                line.update(text)

    def _label_name(self, tab: str) -> str:
        return f"{list(TABS).index(tab) + 1} {TABS[tab]}"

    # Shared actions (bindings and the command palette)

    @property
    def tokens_stay_here(self) -> bool:
        """The served-session policy every token action asks: without --allow-reveal, no token
        signed with the project's secret leaves this process (to the viewer's clipboard, a
        download, or a server the viewer names); the viewer still sees header and payload."""
        return self.served and not self.allow_reveal

    def refused_for_viewer(self, what: str) -> bool:
        """True, with a toast saying why and how, when the policy keeps `what` from a served viewer."""
        if self.tokens_stay_here:
            self.notify(f"{what}: refused in a served session, tokens signed with the project's secret stay "
                        "on the host (restart with lkdebug serve --allow-reveal to allow it)", severity="warning", timeout=6)
        return self.tokens_stay_here

    def action_toggle_reveal(self) -> None:
        if not self.allow_reveal:
            self.notify("Secrets stay masked in a served session (lkdebug serve --allow-reveal)", severity="warning")
            return
        self.reveal = not self.reveal
        self.notify("Secrets and signatures shown" if self.reveal else "Secrets masked", timeout=2)

    def action_help(self) -> None:
        from lkdebug.tui.widgets.help import HelpScreen, bindings_markdown, help_for

        title, body = help_for(self.focused)
        self.push_screen(HelpScreen(title, body + bindings_markdown(self.screen)))

    def copy(self, text: str, what: str) -> None:
        """The one clipboard path: OSC 52 (works over SSH); the toast never echoes the value."""
        self.copy_to_clipboard(text)
        self.notify(f"Copied {what} ({len(text)} characters)", timeout=3)

    def _current_token(self) -> tuple[str, str] | None:
        """(token, which) for the copy and download actions: the Builder's first, else the Decoder's."""
        for origin in ("builder", "decoder"):
            if self.tokens[origin]:
                return self.tokens[origin], f"the {origin.capitalize()}'s token"
        self.notify("No token yet: fill in the Builder (2) or paste one in the Decoder (3)", severity="warning")
        return None

    def action_copy_token(self) -> None:
        if self.refused_for_viewer("Copy token"):
            return
        if current := self._current_token():
            self.copy(*current)

    def action_download_token(self) -> None:
        # In a browser, OSC 52 may be refused; a download always works. In a terminal it is
        # saved to the downloads folder because the person asked for exactly that file.
        if self.refused_for_viewer("Download token"):
            return
        if current := self._current_token():
            token, what = current
            if self.served:
                self.deliver_text(io.StringIO(token + "\n"), save_filename="lkdebug-token.txt")
                self.notify(f"Downloading {what} as lkdebug-token.txt ({len(token)} characters)")
                return
            # Not Textual's terminal delivery: it replaces a file of the same name, mode 0644.
            from platformdirs import user_downloads_path

            folder = user_downloads_path()
            try:
                path = save_new_file(folder, "lkdebug-token.txt", token + "\n")
            except OSError as error:
                self.notify(f"Could not save {what} in {visible(str(folder))}: {error.strerror or error}",
                            severity="error", markup=False)
                return
            self.notify(f"Saved {what} as {visible(str(path))} ({len(token)} characters, only you can read it)", markup=False)

    def action_copy_lk_command(self) -> None:
        if self.lk_command:
            self.copy(self.lk_command, "the `lk token create` command")
        else:
            self.notify("Fill in the Builder (2) first", severity="warning")

    def action_decode_clipboard(self) -> None:
        # A terminal app cannot read the system clipboard; it can decode what lkdebug copied,
        # and otherwise the user pastes (terminal paste) into the Decoder's input.
        if self.clipboard:
            self._serial += 1
            self.decoder_request = (self._serial, self.clipboard)
        else:
            self.notify("Nothing copied in lkdebug yet: paste the token into the Decoder's input")
        self.action_show_tab("decoder")

    def action_run_checks(self, token: str = "") -> None:
        self._serial += 1
        self.probe_request = (self._serial, token)
        self.action_show_tab("connectivity")

    def action_export_report(self) -> None:
        from lkdebug.core.report import build_report, to_markdown
        from lkdebug.core.decode import decode

        settings = self.settings or Settings()
        decoded = None
        if self.tokens["decoder"]:
            decoded = decode(self.tokens["decoder"], known_keys=settings.known_keys,
                             server_keys=settings.server_keys, now=self.now())
        doc = build_report(settings, decoded=decoded, diagnosis=self.last_diagnosis, now=self.now())
        markdown = to_markdown(doc)
        if self.served:
            # In a browser the report arrives as a download on the helper's side.
            self.deliver_text(io.StringIO(markdown), save_filename="lkdebug-report.md")
            self.notify("Downloading the redacted report as lkdebug-report.md")
        else:
            # lkdebug writes no files of its own accord: the report goes to the clipboard
            # (OSC 52, works over SSH); `lkdebug report --output FILE` writes one on request.
            self.copy(markdown, "the redacted report (Markdown)")

    @work(thread=True, exclusive=True, group="settings", exit_on_error=False)
    def action_reload_settings(self) -> None:
        # Blocking file reads: a thread worker, reporting back through a (thread-safe) message.
        if self._load_settings is None:
            self.post_message(SettingsLoaded(self.settings))
            return
        try:
            self.post_message(SettingsLoaded(self._load_settings()))
        except Exception as error:  # a bad file must not end the app: show it instead
            self.post_message(SettingsLoaded(None, f"{type(error).__name__}: {error}"))

    @on(SettingsLoaded)
    def _settings_loaded(self, message: SettingsLoaded) -> None:
        if message.error:
            self.notify(f"Could not reload settings: {message.error}", severity="error")
            return
        self.settings = message.settings

    @on(OpenInDecoder)
    def _open_in_decoder(self, message: OpenInDecoder) -> None:
        self._serial += 1
        self.decoder_request = (self._serial, message.token)
        self.action_show_tab("decoder")

    @on(TestOnServer)
    def _test_on_server(self, message: TestOnServer) -> None:
        self.action_run_checks(message.token)

    @on(ProbesFinished)
    def _probes_finished(self, message: ProbesFinished) -> None:
        self.last_diagnosis = message.report

    @on(TokenChanged)
    def _token_changed(self, message: TokenChanged) -> None:
        self.tokens[message.origin] = message.token
        if message.origin == "builder":
            self.lk_command = message.lk_command

