"""`lkdebug check`: the offline checks and every network probe, as a table and findings (DESIGN §3)."""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence

from lkdebug.commands.common import exit_code, now_from_args, ntp_servers, run_probes, settings_from_args
from lkdebug.core import redact
from lkdebug.exitcodes import UsageError
from lkdebug.core.model import CheckResult, CheckStatus, Report, Settings
from lkdebug.core.render import dump_json, findings_text, paint, summary_line, use_colour

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing, which every command would pay for
if TYPE_CHECKING:
    from typing import TextIO


class Progress:
    """One status line on stderr, rewritten as probes start and end; only on a terminal, erased at the end."""

    def __init__(self, stream: TextIO):
        self.stream = stream
        self.states: dict[str, CheckStatus] = {}

    def update(self, result: CheckResult) -> None:
        from lkdebug.core.marks import STATUS  # the marks are the text's and this line's: `--json` needs none

        self.states[result.name] = result.status
        done = sum(1 for s in self.states.values() if s is not CheckStatus.RUNNING)
        marks = " ".join(f"{name} {STATUS[status].symbol}" for name, status in self.states.items())
        self.stream.write(f"\r\x1b[Kchecking ({done} done): {marks}"[: 200])
        self.stream.flush()

    def clear(self) -> None:
        self.stream.write("\r\x1b[K")
        self.stream.flush()


def _ice_servers(args: argparse.Namespace) -> list:
    """`--ice-server` URLs with their credentials: from the URL, or `--ice-user` and `--ice-password-file`."""
    credential = ""
    if args.ice_password_file:
        from pathlib import Path

        from lkdebug.core.settings_files import Skipped, read_secret_file

        label = f"--ice-password-file {args.ice_password_file}"
        try:  # a file or a pipe, capped and bounded in time as --api-secret-file is: never /dev/zero for ever
            credential = read_secret_file(Path(args.ice_password_file)).decode("utf-8").strip("\r\n")
        except Skipped as reason:
            raise UsageError(f"{label}: {reason}") from None
        except OSError as error:
            raise UsageError(f"{label}: {error.strerror or error}") from None
        except UnicodeDecodeError:
            raise UsageError(f"{label}: not UTF-8") from None
    if not args.ice_server:
        return []
    from lkdebug.core.ice import server_from_flag

    servers = []
    for text in args.ice_server:
        server = server_from_flag(text, args.ice_user, credential)
        if server is None:
            raise UsageError(f"--ice-server {text!r} is not a stun:, turn: or turns: URL (turn:[USER:PASS@]host[:port][?transport=udp|tcp])")
        servers.append(server)
    return servers


def _add_media(report: Report, document: dict) -> None:
    """The join response, TURN allocations, media join and host config as structured JSON beside their details.

    A record exists only when its probe ran, which loaded its module: these imports then cost nothing."""
    by_name = {c.name: c for c in report.checks}
    for entry in document["checks"]:
        result = by_name[entry["name"]]
        if result.name == "tls" and getattr(result.data, "addresses", ()):  # a name with several addresses: each one's outcome
            entry["addresses"] = [a.to_dict() for a in result.data.addresses]
        if result.data is None or result.name not in ("join", "turn", "media_join", "host"):
            continue
        from lkdebug.core.hostside import MediaConfig
        from lkdebug.core.join import JoinInfo
        from lkdebug.core.media_join import MediaSteps
        from lkdebug.core.turn import Relays

        if (info := result.payload(JoinInfo)) is not None:
            entry["join"] = info.to_dict()
        elif (relays := result.payload(Relays)) is not None:
            entry["allocations"] = [a.to_dict() for a in relays.allocations]
        elif (steps := result.payload(MediaSteps)) is not None:
            entry["media"] = steps.to_dict()
        elif (config := result.payload(MediaConfig)) is not None:
            entry["config"] = config.to_dict()


def table(report: Report, colour: bool, secrets: Sequence[str] = ()) -> str:
    """One line per check; a detail quotes the peer (its body, its headers), so it is scrubbed and made visible."""
    from lkdebug.core.marks import STATUS

    width = max(len(c.name) for c in report.checks) if report.checks else 0
    lines = []
    for check in report.checks:
        mark = STATUS[check.status]
        duration = "" if check.duration_ms is None or check.status is CheckStatus.SKIP else f"{check.duration_ms:.0f} ms"
        lines.append(f"{paint(mark.symbol, mark.ansi, colour)} {check.name:<{width}}  {duration:>8}  {redact.shown(check.detail, secrets)}")
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    if args.timeout <= 0:
        raise UsageError("--timeout must be a positive number of seconds")
    servers = ntp_servers(args)
    if args.now is not None and not args.no_network:
        raise UsageError("--now needs --no-network: the probes ask real servers, which answer for the real time")
    moment = now_from_args(args)
    if args.relay_only and not args.media:
        raise UsageError("--relay-only goes with --media")
    if args.media and args.no_media:
        raise UsageError("--media and --no-media contradict each other")
    if args.media and args.no_network:
        raise UsageError("--media joins over the network: drop --no-network")
    if args.ice_server and args.no_media:
        raise UsageError("--ice-server is for the TURN and media probes, which --no-media skips")
    ice_servers = _ice_servers(args)
    settings = settings_from_args(args)
    from lkdebug.core.diagnose import diagnose, diagnose_offline

    if args.no_network:  # no probe runs, so no event loop (nor asyncio) is needed
        report = diagnose_offline(settings, url=args.url, token=args.token,
                                  now=moment if args.now is not None else time.time())
        return _print_report(args, report, settings)
    # The live line rewrites itself with escape codes: only where colour would be shown too.
    progress = Progress(sys.stderr) if use_colour(sys.stderr) and not args.json else None
    try:
        report = run_probes(diagnose(
            settings, url=args.url, token=args.token, network=not args.no_network, timeout=args.timeout,
            ntp_servers=servers, now=(lambda: moment) if args.now is not None else time.time,
            on_update=progress.update if progress else None,
            media=not args.no_media, ice_servers=ice_servers, media_join=args.media, relay_only=args.relay_only,
        ))
    finally:
        if progress:
            progress.clear()
    return _print_report(args, report, settings)


def _print_report(args: argparse.Namespace, report: Report, settings: Settings) -> int:
    secrets = settings.secrets()
    if args.json:
        document = {"schema": "lkdebug/check/1", **report.to_dict()}
        _add_media(report, document)
        dump_json(redact.scrub_all(document, secrets, args.reveal))
        return exit_code(report.findings)
    colour = use_colour(sys.stdout)
    print(f"lkdebug check: {redact.shown(report.target_url or '(no LiveKit URL)', secrets)}")
    if args.no_network:
        report.checks = [c for c in report.checks if c.status is not CheckStatus.SKIP]
    if report.checks:
        print(table(report, colour, secrets))
    if args.no_network:
        print("Network probes not run (--no-network).")
    print()
    print(findings_text(report.findings, colour, secrets))
    print()
    print(summary_line(report.findings))
    return exit_code(report.findings)
