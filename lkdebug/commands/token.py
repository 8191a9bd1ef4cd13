"""`lkdebug token create` and `lkdebug token decode` (DESIGN §3).

Neither imports textual, livekit-api or a JWT library: minting and checking HS256 is the standard library's hmac.
"""

from __future__ import annotations

import argparse
import json
import sys
import time

from lkdebug.cli import UsageError
from lkdebug.commands.common import settings_from_args
from lkdebug.core import render, server_rules
from lkdebug.core.grants import PARTICIPANT_KINDS, in_group
from lkdebug.core.model import KnownKey, Settings, Severity, has_error
from lkdebug.core.redact import mask_key, mask_secret, scrub
from lkdebug.core.token import HEADER, Decoded, build_claims, claim_rows, decode, iso_utc, mint, parse_duration, span

VALUE_WIDTH = 40


def run(args: argparse.Namespace) -> int:
    return create(args) if args.token_command == "create" else decode_command(args)


# ------------------------------------------------------------------------------------------- create


def create(args: argparse.Namespace) -> int:
    try:
        valid_for = parse_duration(args.valid_for)
    except ValueError as error:
        raise UsageError(f"--valid-for: {error}") from None
    video = _grant_from_flags(args, "video")
    if args.grant is not None:
        video = {**(video or {}), **_grant_json(args.grant)}
    sip = _grant_from_flags(args, "sip")
    if args.kind is not None and args.kind not in PARTICIPANT_KINDS:
        raise UsageError(f"--kind {args.kind!r}: use one of {', '.join(PARTICIPANT_KINDS)}")
    attributes = _attributes(args.attribute)

    settings = settings_from_args(args)
    if settings.api_key is None or settings.api_secret is None:
        raise UsageError(_missing_credentials(settings))
    api_key, secret = settings.api_key, settings.api_secret
    now = time.time()
    claims = build_claims(
        api_key=api_key.value, identity=args.identity, name=args.name, video=video, sip=sip,
        kind=args.kind, metadata=args.metadata, attributes=attributes, valid_for=valid_for, now=now,
    )
    token = mint(claims, secret.value)

    if args.json:
        render.dump_json({"token": token, "header": HEADER, "claims": claims})
    else:
        print(token)
    # The token is the product (printed whole); what it was made from goes to stderr, masked.
    print(f"lkdebug: signed with API key {mask_key(api_key.value, args.reveal)} (from {api_key.source}) and its secret "
          f"{mask_secret(secret.value, args.reveal)} (from {secret.source}); valid for {span(valid_for)}, until {iso_utc(claims['exp'])}",
          file=sys.stderr)
    known = [KnownKey(api_key.value, secret.value, secret.source), *settings.known_keys]
    checked = decode(token, known_keys=known, server_keys=settings.server_keys, now=now)
    problems = [f for f in checked.findings if f.severity in (Severity.ERROR, Severity.WARNING)]
    if problems:
        print(render.findings_text(problems, render.use_colour(sys.stderr)), file=sys.stderr)
    return 1 if has_error(problems) else 0


def _flag_attribute(flag: str) -> str:
    return flag.removeprefix("--").replace("-", "_")


def _grant_from_flags(args: argparse.Namespace, group: str) -> dict | None:
    """One grant object from the flags the grant table names for it; None when no flag was given."""
    values: dict = {}
    for row in in_group(group):
        value = getattr(args, _flag_attribute(row.cli_flag), None) if row.cli_flag else None
        # A false flag only says something where the server's default is true (--no-can-publish).
        if value in (None, "", []) or (value is False and row.default is not True):
            continue
        values[row.json_name] = list(dict.fromkeys(value)) if isinstance(value, list) else value
    return values or None


def _grant_json(text: str) -> dict:
    try:
        value = json.loads(text)
    except ValueError as error:
        raise UsageError(f"--grant: not JSON ({error}); e.g. --grant '{{\"canPublish\": false}}'") from None
    if not isinstance(value, dict):
        raise UsageError("--grant: expected a JSON object of video grants, e.g. '{\"canPublish\": false}'")
    known = {row.json_name: row for row in in_group("video")}
    for name, item in value.items():
        row = known.get(name)
        if row is None:
            import difflib

            close = difflib.get_close_matches(name, known, n=1)
            hint = " (the room field is `room`)" if name == "roomName" else (f" (did you mean {close[0]!r}?)" if close else "")
            raise UsageError(f"--grant: {name!r} is not a video grant{hint}; known: {', '.join(known)}")
        if not _has_type(item, row.type, row.choices):
            want = {"bool": "true or false", "tristate": "true or false", "str": "a string",
                    "list[str]": f"a list of {', '.join(row.choices) or 'strings'}"}.get(row.type, row.type)
            raise UsageError(f"--grant: {name} must be {want}, not {json.dumps(item)}")
    return value


def _has_type(value: object, kind: str, choices: tuple[str, ...]) -> bool:
    if kind in ("bool", "tristate"):
        return isinstance(value, bool)
    if kind == "str":
        return isinstance(value, str)
    if kind == "list[str]":
        return isinstance(value, list) and all(isinstance(v, str) and (not choices or v in choices) for v in value)
    return True


def _attributes(pairs: list[str]) -> dict[str, str] | None:
    attributes: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise UsageError(f"--attribute {pair!r}: use KEY=VALUE")
        attributes[key] = value
    return attributes or None


def _missing_credentials(settings: Settings) -> str:
    missing = " and ".join(name for name, setting in (("API key", settings.api_key), ("API secret", settings.api_secret))
                           if setting is None)
    looked = [s.path for s in settings.sources] or ["the environment"]
    shown = ", ".join(looked[:6]) + (f" and {len(looked) - 6} more" if len(looked) > 6 else "")
    return (f"no {missing} found (looked in {shown}); set LIVEKIT_API_KEY and LIVEKIT_API_SECRET in the environment "
            "or a .env file, or pass --api-key KEY with --api-secret-file FILE")


# ------------------------------------------------------------------------------------------- decode


def decode_command(args: argparse.Namespace) -> int:
    text = _read_token(args.token)
    settings = settings_from_args(args)
    decoded = decode(text, known_keys=settings.known_keys, server_keys=settings.server_keys, now=time.time())
    if args.json:
        render.dump_json(decoded.to_dict(reveal=args.reveal))
    else:
        print(decoded_text(decoded, reveal=args.reveal, colour=render.use_colour(sys.stdout)))
    return 1 if decoded.rejected or has_error(decoded.findings) else 0


def _read_token(argument: str | None) -> str:
    if argument not in (None, "-"):
        return argument
    stdin = sys.stdin
    if stdin is None or (argument is None and stdin.isatty()):
        raise UsageError("no token: pass it as an argument, or pipe it in (e.g. `pbpaste | lkdebug token decode`)")
    from lkdebug.core.token import MAX_INPUT

    # Enough for one character past decode()'s cap (UTF-8 takes up to 4 bytes a character), and no more:
    # `< /dev/zero` must not fill memory.
    limit = 4 * (MAX_INPUT + 1)
    data = stdin.buffer.read(limit) if hasattr(stdin, "buffer") else stdin.read(limit).encode("utf-8", "surrogateescape")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def _shown(text: str) -> str:
    return text if len(text) <= VALUE_WIDTH else text[: VALUE_WIDTH - 1] + "…"


def decoded_text(decoded: Decoded, reveal: bool = False, colour: bool = False) -> str:
    bold = lambda text: render.bold(text, colour)  # noqa: E731
    dim = lambda text: render.paint(text, "2", colour)  # noqa: E731
    out: list[str] = []
    if decoded.stripped:
        out.append(f"{bold('Input')}      removed {', '.join(decoded.stripped)}")
    if decoded.looks_like and decoded.raw is None:
        out.append(f"{bold('Input')}      not a JWT: {decoded.looks_like}")
    if decoded.header or decoded.claims:
        out.append(f"{bold('Header')}     {json.dumps(decoded.header, ensure_ascii=False)}")
        rows = [(path, _shown(value), meaning)
                for path, value, meaning in claim_rows(decoded.claims, decoded.times, absent_defaults=True)]
        width = max((len(path) for path, _, _ in rows), default=0)
        value_width = max((len(value) for _, value, _ in rows), default=0)
        out.append(bold("Claims"))
        out += [f"  {path:<{width}}  {value:<{value_width}}  {dim(meaning)}" for path, value, meaning in rows]
    if decoded.raw is not None:
        out.append(f"{bold('Signature')}  {_signature_line(decoded)}")
    if decoded.verdict is not None:
        out.append(_verdict_lines(decoded, reveal, bold, dim))
    out += ["", bold("Findings"), render.findings_text(decoded.findings, colour), "",
            render.summary_line(decoded.findings)]
    return "\n".join(out)


def _signature_line(decoded: Decoded) -> str:
    signature = decoded.signature
    if signature["status"] == "valid":
        return f"valid: matches the secret of {signature['key']} (from {signature['origin']})"
    if signature["status"] == "invalid":
        if signature.get("matched_key"):
            return (f"INVALID for {signature['key']}: made with the secret of {signature['matched_key']} "
                    f"(from {signature['matched_origin']})")
        return f"INVALID: does not match the secret of {signature['key']} (from {signature['origin']})"
    return "NOT CHECKED: lkdebug knows no secret for this token's key"


def _verdict_lines(decoded: Decoded, reveal: bool, bold, dim) -> str:
    verdict = decoded.verdict
    basis = f"; assumes {decoded.verdict_assumes}" if decoded.verdict_assumes else ""
    lines = [f"{bold('Verdict')}    {verdict.status} {decoded.verdict_message(verdict.era, reveal)}",
             dim(f"           predicted for livekit-server {server_rules.ERAS[verdict.era]}{basis}")]
    older = [(era, v) for era, v in decoded.eras.items() if era != verdict.era]
    if all((v.status, v.reason) == (verdict.status, verdict.reason) and verdict.accepted for _, v in older):
        lines.append(dim("           other server versions: the same"))
    elif older:
        lines.append(dim("           other server versions (<the token> is echoed whole by released servers):"))
        lines += [dim(f"             {server_rules.ERAS[era]}: {v.status} "
                      f"{scrub(v.message.replace(decoded.raw or '<none>', '<the token>'), decoded.secrets, reveal)}")
                  for era, v in older]
    return "\n".join(lines)
