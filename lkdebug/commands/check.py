"""`lkdebug check`: the offline checks and every network probe, as a table and findings (DESIGN §3)."""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from typing import TextIO

from lkdebug.cli import UsageError
from lkdebug.commands.common import exit_code, settings_from_args
from lkdebug.core.model import CheckResult, CheckStatus, Report
from lkdebug.core.marks import STATUS
from lkdebug.core.render import dump_json, findings_text, paint, summary_line, use_colour


class Progress:
    """One status line on stderr, rewritten as probes start and end; only on a terminal, erased at the end."""

    def __init__(self, stream: TextIO):
        self.stream = stream
        self.states: dict[str, CheckStatus] = {}

    def update(self, result: CheckResult) -> None:
        self.states[result.name] = result.status
        done = sum(1 for s in self.states.values() if s is not CheckStatus.RUNNING)
        marks = " ".join(f"{name} {STATUS[status].symbol}" for name, status in self.states.items())
        self.stream.write(f"\r\x1b[Kchecking ({done} done): {marks}"[: 200])
        self.stream.flush()

    def clear(self) -> None:
        self.stream.write("\r\x1b[K")
        self.stream.flush()


def _ntp_servers(values: list[str]) -> list[tuple[str, int]] | None:
    from lkdebug.core.clock import parse_ntp_server

    if not values:
        return None
    try:
        return [parse_ntp_server(value) for value in values]
    except ValueError as error:
        raise UsageError(f"--ntp-server {error}") from None


def table(report: Report, colour: bool) -> str:
    width = max(len(c.name) for c in report.checks) if report.checks else 0
    lines = []
    for check in report.checks:
        mark = STATUS[check.status]
        duration = "" if check.duration_ms is None or check.status is CheckStatus.SKIP else f"{check.duration_ms:.0f} ms"
        lines.append(f"{paint(mark.symbol, mark.ansi, colour)} {check.name:<{width}}  {duration:>8}  {check.detail}")
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    if args.timeout <= 0:
        raise UsageError("--timeout must be a positive number of seconds")
    servers = _ntp_servers(args.ntp_server)
    settings = settings_from_args(args)
    from lkdebug.core.diagnose import diagnose

    # The live line rewrites itself with escape codes: only where colour would be shown too.
    progress = Progress(sys.stderr) if use_colour(sys.stderr) and not args.json else None
    try:
        report = asyncio.run(diagnose(
            settings, url=args.url, token=args.token, network=not args.no_network, timeout=args.timeout,
            ntp_servers=servers, now=time.time, on_update=progress.update if progress else None,
        ))
    finally:
        if progress:
            progress.clear()
    if args.json:
        dump_json(report.to_dict())
        return exit_code(report.findings)
    colour = use_colour(sys.stdout)
    print(f"lkdebug check: {report.target_url or '(no LiveKit URL)'}")
    if args.no_network:
        report.checks = [c for c in report.checks if c.status is not CheckStatus.SKIP]
    if report.checks:
        print(table(report, colour))
    if args.no_network:
        print("Network probes not run (--no-network).")
    print()
    print(findings_text(report.findings, colour))
    print()
    print(summary_line(report.findings))
    return exit_code(report.findings)
