"""Connectivity tab: run the core's probes against the target, one row per probe as they finish.

The probes run in an async worker (exclusive, exit_on_error=False): the user can switch tabs,
type or cancel with Escape meanwhile, and a failing probe run shows as a finding instead of
ending the app. Nothing touches the network until the user asks (Enter or the Run button).
"""

from __future__ import annotations

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Button, Input, Label, Static
from textual.worker import Worker, WorkerState

from lkdebug.core.marks import STATUS
from lkdebug.core.model import CheckResult, CheckStatus, Settings
from lkdebug.core.redact import scrub, visible
from lkdebug.tui.messages import FindingsChanged, ProbesFinished, ProbeUpdated
from lkdebug.tui.app import typing_into
from lkdebug.tui.widgets.cycle import Cycle
from lkdebug.tui.widgets.findings import FindingsView
from lkdebug.tui.widgets.released import ReleasedWhenHidden
from lkdebug.tui.widgets.rows import RowList

SPINNER = "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏"
TOKEN_CHOICES = [
    ("minted from the settings", "settings"),
    ("the Builder's token", "builder"),
    ("the Decoder's token", "decoder"),
]
IDLE = "Press Enter to run the probes (DNS, TCP, TLS, HTTP, /rtc/validate, WebSocket, server API, clocks)."


class ConnectivityPane(Vertical, ReleasedWhenHidden):
    help = (
        "Connectivity",
        "Runs lkdebug's probes against the URL with the chosen token: DNS, TCP, TLS, HTTP, "
        "`/rtc/validate` (the server's verdict on the token), the `/rtc` WebSocket upgrade, the "
        "server API, and the clock offsets (NTP and the server's Date header). Enter runs, "
        "Escape cancels; you can switch tabs while they run.",
    )
    BINDINGS = [
        Binding("enter", "run", "Run", id="connectivity-run"),
        Binding("escape", "cancel", "Cancel", id="connectivity-cancel"),
    ]

    def compose(self) -> ComposeResult:
        with Horizontal(id="conn-form"):
            yield Label("URL", classes="field-label-short")
            yield Input(id="conn-url", placeholder="wss://your-project.livekit.cloud", compact=True)
            yield Cycle(TOKEN_CHOICES, id="conn-token")
            yield Button("Run", id="conn-run", compact=True)
        yield FindingsView(id="conn-findings")
        with VerticalScroll(id="conn-result", classes="evidence") as evidence:
            # The rows pass the keys on to it at their ends: one stop less on Tab.
            evidence.can_focus = False
            yield Static(id="conn-status")
            yield RowList(id="conn-checks")
            yield Static(id="conn-clock")

    def focus_first(self) -> None:
        """The conclusion (its keys go on into the evidence), else the probe rows; Enter runs from either."""
        findings = self.query_one(FindingsView)
        (findings if findings.findings else self.query_one(RowList)).focus()

    def on_mount(self) -> None:
        self.query_one("#conn-url", Input).help = (
            "URL",
            "The LiveKit URL to probe (prefilled from the settings): `wss://` or `https://` for "
            "a server behind TLS, `ws://` or `http://` for a local one. Enter runs the probes.",
        )
        self.query_one("#conn-token", Cycle).help = (
            "Token",
            "Which token `/rtc/validate` and the WebSocket probe send: one minted from the "
            "settings (a throwaway identity), or the one in the Builder or the Decoder.",
        )
        self._results: dict[str, CheckResult] = {}
        self._rows_shown = -1
        self.query_one(FindingsView).show_text(Text(IDLE, style="dim"))
        self._frame = 0
        self._spinner = self.set_interval(0.1, self._spin, pause=True, name="probe-spinner")
        self.watch(self.app, "settings", self._prefill)
        # At once too: a run asked for before this tab was first opened (which built this pane).
        self.watch(self.app, "probe_request", self._requested)
        self.watch(self.app, "reveal", self._render_rows, init=False)

    def _prefill(self, settings: Settings | None) -> None:
        url_input = self.query_one("#conn-url", Input)
        if settings and settings.url and not url_input.value:
            url_input.value = settings.url.value

    def _requested(self, request: tuple[int, str]) -> None:
        serial, token = request
        if not serial:
            return  # none yet
        if token:
            origin = next((o for o, t in self.app.tokens.items() if t == token), "builder")
            self.query_one("#conn-token", Cycle).value = origin
        self.action_run()

    @on(Input.Changed, "#conn-url")
    def _url_changed(self, event: Input.Changed) -> None:
        self._aimed_elsewhere(event.value)

    def _aimed_elsewhere(self, url: str) -> bool:
        """The probes send signed tokens: a served viewer may aim them only at the settings' server."""
        settings = self.app.settings
        expected = settings.url.value.strip() if settings and settings.url else ""
        if url.strip() != expected and self.app.refused_for_viewer("Changing the URL"):
            self.query_one("#conn-url", Input).value = expected
            return True
        return False

    # Running

    @on(Input.Submitted, "#conn-url")
    @on(Button.Pressed, "#conn-run")
    def action_run(self) -> None:
        choice = self.query_one("#conn-token", Cycle).value
        token = None if choice == "settings" else self.app.tokens.get(str(choice))
        if choice != "settings" and not token:
            self.app.notify(f"{dict((v, k) for k, v in TOKEN_CHOICES)[choice]} is empty", severity="warning")
            return
        url = self.query_one("#conn-url", Input).value.strip() or None
        if self._aimed_elsewhere(url or ""):
            return
        self._results = {}
        self._render_rows()
        self.query_one("#conn-status", Static).update(Text(f"Running against {url or 'the settings URL'}…", style="bold"))
        self.query_one("#conn-clock", Static).update("")
        self.query_one(FindingsView).show_text(Text("Probing… the conclusion appears here when the probes end.", style="dim"))
        self._spinner.resume()
        self.run_probes(url, token)

    @work(exclusive=True, group="probes", exit_on_error=False, description="connectivity probes")
    async def run_probes(self, url: str | None, token: str | None) -> None:
        from lkdebug.core.diagnose import diagnose  # aiohttp, websockets, ntplib: only when asked

        report = await diagnose(
            self.app.settings or Settings(),
            url=url,
            token=token,
            ntp_servers=self.app.ntp_servers,
            now=self.app.now,
            on_update=lambda result: self.post_message(ProbeUpdated(result)),
        )
        self.post_message(ProbesFinished(report))

    def action_cancel(self) -> None:
        self.workers.cancel_group(self, "probes")

    @on(ProbeUpdated)
    def _probe_updated(self, message: ProbeUpdated) -> None:
        self._results[message.result.name] = message.result
        self._render_rows()

    @on(ProbesFinished)
    def _probes_finished(self, message: ProbesFinished) -> None:
        report = message.report
        for check in report.checks:
            self._results[check.name] = check
        self._render_rows()
        self._stop("Done" + (f" ({report.target_url})" if report.target_url else ""))
        self._show_clock()
        self.query_one(FindingsView).show(report.findings)
        self.post_message(FindingsChanged("connectivity", list(report.findings)))
        if self.app.focused is not None and self in self.app.focused.ancestors and not typing_into(self.app.focused):
            # The conclusion may now need scrolling: put the keys where it is.
            self.call_after_refresh(self.focus_first)

    @on(Worker.StateChanged)
    def _worker_state(self, event: Worker.StateChanged) -> None:
        if event.worker.group != "probes":
            return
        if event.state is WorkerState.CANCELLED:
            self._stop("Cancelled")
        elif event.state is WorkerState.ERROR:
            from lkdebug.core.diagnose import crash_finding  # loaded: the worker that failed imported it

            finding = crash_finding("The probes", event.worker.error, (self.app.settings or Settings()).secrets())
            self._stop("Stopped on an error")
            self.query_one(FindingsView).show([finding])
            self.post_message(FindingsChanged("connectivity", [finding]))

    def _stop(self, status: str) -> None:
        self._spinner.pause()
        if self._results:
            from lkdebug.core.diagnose import CHECK_NAMES  # already loaded: a run is under way

            order = {name: index for index, name in enumerate(CHECK_NAMES)}
        # Rows in the probes' fixed order (url, dns, tcp, ...), not in the order they reported.
        for name, result in sorted(self._results.items(), key=lambda item: order.get(item[0], len(order))):
            if result.status is CheckStatus.RUNNING:
                self._results[name] = CheckResult(name, CheckStatus.SKIP, None, status.lower())
        self._render_rows()
        self.query_one("#conn-status", Static).update(Text(status, style="bold"))

    # Rendering

    def _spin(self) -> None:
        self._frame = (self._frame + 1) % len(SPINNER)
        self._render_rows()

    def _render_rows(self) -> None:
        """One line per probe (mark, name, ms, the detail cut to the width); the selected one opens in full."""
        settings = self.app.settings or Settings()
        secrets = settings.secrets()
        rows = []
        if self._results:
            from lkdebug.core.diagnose import CHECK_NAMES  # already loaded: a run is under way

            order = {name: index for index, name in enumerate(CHECK_NAMES)}
        # Rows in the probes' fixed order (url, dns, tcp, ...), not in the order they reported.
        for name, result in sorted(self._results.items(), key=lambda item: order.get(item[0], len(order))):
            mark = STATUS[result.status]
            symbol = SPINNER[self._frame] if result.status is CheckStatus.RUNNING else mark.symbol
            line = Text()
            line.append(f"{symbol} ", style=mark.style)
            line.append(f"{visible(name):<12} ", style="bold")
            # Probe details quote the server (bodies, headers): masked, and shown rather than obeyed.
            detail = visible(scrub(result.detail, secrets, self.app.reveal), keep_newlines=True)
            ms = "      " if result.duration_ms is None else f"{result.duration_ms:>4.0f}ms"
            line.append(f"{ms}  " + detail.replace("\n", " "))
            rows.append((line, Text(detail)))
        count = len(rows)
        # Spinner frames change no heights: repaint only, unless a row came or went.
        self.query_one(RowList).set_rows(rows, layout=count != self._rows_shown)
        self._rows_shown = count

    def _show_clock(self) -> None:
        from lkdebug.core.clock import NtpResult  # already loaded: these results come from a run
        from lkdebug.core.diagnose import ServerClock

        lines = Text()
        for name, label in (("ntp", "NTP offset"), ("server_clock", "server clock offset")):
            result = self._results.get(name)
            if result is None:
                continue
            record = result.payload(NtpResult) or result.payload(ServerClock)
            seconds = None if record is None else record.offset
            if lines:
                lines.append("\n")
            lines.append(f"{label}: ", style="bold")
            lines.append(f"{seconds:+.3f} s" if seconds is not None else visible(result.detail or "n/a"))
        self.query_one("#conn-clock", Static).update(lines)
