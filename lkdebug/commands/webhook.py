"""`lkdebug webhook verify`: is this webhook request one LiveKit signed, and if not, why (core/webhook.py)."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from lkdebug.exitcodes import ExitCode, UsageError
from lkdebug.commands.common import settings_from_args
from lkdebug.core import render
from lkdebug.core.redact import visible
from lkdebug.core.decode import Signature
from lkdebug.core.model import KnownKey
from lkdebug.core.webhook import WebhookCheck, verify


BODY_LIMIT = 1 << 20  # a LiveKit webhook body is a few KB; `--body /dev/zero` must not read forever


def run(args: argparse.Namespace) -> int:
    if args.body == "-":
        body = sys.stdin.buffer.read(BODY_LIMIT + 1)
    else:
        try:
            with Path(args.body).open("rb") as handle:
                body = handle.read(BODY_LIMIT + 1)
        except OSError as error:
            raise UsageError(f"--body {args.body}: {error.strerror or error}") from None
    if len(body) > BODY_LIMIT:
        raise UsageError(f"--body {args.body}: longer than {BODY_LIMIT >> 20} MiB; a LiveKit webhook body is a few KB")
    settings = settings_from_args(args)
    known = list(settings.known_keys)
    if settings.server_keys:
        known += [KnownKey(k, s, "the livekit-server config") for k, s in settings.server_keys.items()]
    check = verify(body, args.authorization, known_keys=known, server_keys=settings.server_keys, now=time.time())
    if args.json:
        render.dump_json({"schema": "lkdebug/webhook-verify/1", **check.to_dict(args.reveal)})
    else:
        print(webhook_text(check, len(body), render.use_colour(sys.stdout)))
    return ExitCode.OK if check.valid else ExitCode.FINDINGS


def webhook_text(check: WebhookCheck, size: int, colour: bool = False) -> str:
    bold = lambda text: render.bold(text, colour)  # noqa: E731
    out = [f"{bold('Webhook')}    {'VALID' if check.valid else 'INVALID'}"]
    signature = check.decoded.signature if check.decoded else Signature()
    out.append(f"{bold('Signature')}  {signature.status}"
               + (f": key {signature.key} (from {visible(str(signature.origin))})" if signature.key else ""))
    claim = "no sha256 claim" if check.claim_sha256 is None else (
        "matches the token" if check.body_matches else f"does not match the token's {visible(check.claim_sha256)}")
    out.append(f"{bold('Body')}       {size} bytes, sha256 {check.body_sha256}: {claim}")
    for name, at in (check.decoded.times.items() if check.decoded else ()):
        out.append(f"{bold(name):<10} {at.iso} ({at.relative})")
    labels = {"livekit-api": "livekit-api WebhookReceiver.receive", "node": "livekit-server-sdk (Node) receive"}
    for sdk, results in check.sdk.items():
        for result in results:
            answer = "accepts" if result["raises"] is None else f"raises {visible(result['raises'])}"
            key = f" with {result['key']} (from {visible(str(result['origin']))})" if result["key"] else ""
            out.append(f"{bold('SDK')}        {labels[sdk]}{key}: {answer}")
    if check.causes:
        out += ["", bold("Likely causes")] + [f"  - {visible(cause)}" for cause in check.causes]
    out += ["", bold("Findings"), render.findings_text(check.findings, colour), "", render.summary_line(check.findings)]
    return "\n".join(out)
