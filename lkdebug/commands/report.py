"""`lkdebug report`: a redacted document, ready to paste into an issue or a support ticket."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from lkdebug.commands.common import exit_code, ntp_servers, run_probes, settings_from_args
from lkdebug.core.redact import visible
from lkdebug.exitcodes import UsageError


def run(args: argparse.Namespace) -> int:
    from lkdebug.core import report as report_doc

    output = Path(args.output) if args.output else None
    if output is not None and output.exists():
        # lkdebug never writes over a user's file.
        raise UsageError(f"--output {output}: already exists; choose a new file name")
    if args.timeout <= 0:
        raise UsageError("--timeout must be a positive number of seconds")
    servers = ntp_servers(args)
    settings = settings_from_args(args)
    now = time.time()
    decoded = None
    if args.token:
        from lkdebug.core.decode import decode

        decoded = decode(args.token, known_keys=settings.known_keys, server_keys=settings.server_keys, now=now)
    diagnosis = None
    if args.network:
        from lkdebug.core.diagnose import diagnose

        diagnosis = run_probes(diagnose(settings, url=args.url, token=args.token, network=True, timeout=args.timeout,
                                         ntp_servers=servers, now=time.time))
    doc = report_doc.build_report(settings, decoded=decoded, diagnosis=diagnosis, now=now)
    text = report_doc.to_json(doc) if args.format == "json" else report_doc.to_markdown(doc)
    if output is None:
        sys.stdout.write(text)
    else:
        try:
            with output.open("x", encoding="utf-8") as handle:
                handle.write(text)
        except OSError as error:
            raise UsageError(f"--output {output}: {error.strerror or error}") from None
        print(f"lkdebug: report written to {visible(str(output))} ({len(text)} characters, secrets masked)", file=sys.stderr)
    return exit_code([f for f in settings.findings] + (decoded.findings if decoded else []) + (diagnosis.findings if diagnosis else []))
