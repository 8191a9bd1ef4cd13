"""`lkdebug token create` and `lkdebug token decode` (DESIGN §3).

Neither imports textual or livekit-api; `create` mints with `core.mint` (HS256 on the standard library), `decode` checks with the
server's own rules (`server_rules`) and imports no JWT library.
"""

from __future__ import annotations

import argparse
import json
import sys

from lkdebug.commands.common import now_from_args, settings_from_args
from lkdebug.core import redact, render, server_rules
from lkdebug.core.grants import Grant, grant, in_group, parse_key_value
from lkdebug.exitcodes import UsageError
from lkdebug.core.model import KnownKey, Settings, Severity, has_error
from lkdebug.core.redact import mask_key, mask_secret, visible
from lkdebug.core.decode import Decoded, decode
from lkdebug.core.times import iso_utc, parse_duration, span

VALUE_WIDTH = 40


def run(args: argparse.Namespace) -> int:
    return create(args) if args.token_command == "create" else decode_command(args)


# ------------------------------------------------------------------------------------------- create


def create(args: argparse.Namespace) -> int:
    from lkdebug.core.mint import HEADER, build_claims, mint  # the signer: `token decode` never needs it

    if args.api_secret is not None:
        raise UsageError("--api-secret: lkdebug never takes a secret as a flag (it would stay in your shell history); "
                         "set LIVEKIT_API_SECRET or pass --api-secret-file FILE")
    try:
        valid_for = parse_duration(args.valid_for)
    except ValueError as error:
        raise UsageError(f"--valid-for: {error}") from None
    video = _grant_from_flags(args, "video")
    if args.grant is not None:
        video = {**(video or {}), **_grant_json(args.grant)}
    extra = {group: values for group in ("inference",) if (values := _grant_from_flags(args, group))}
    if getattr(args, "roomConfig.agents"):
        extra["roomConfig"] = {"agents": getattr(args, "roomConfig.agents")}
    attributes = _flag(args, grant("attributes")) or None
    _flag(args, grant("kind"))

    settings = settings_from_args(args)
    if args.lk:
        return _print_lk_line(args, settings, video, extra, attributes, valid_for)
    if settings.api_key is None or settings.api_secret is None:
        raise UsageError(_missing_credentials(settings))
    if not settings.api_secret.value:
        raise UsageError(f"{settings.api_secret.name} from {settings.api_secret.source} is empty: nothing can sign with it")
    api_key, secret = settings.api_key, settings.api_secret
    now = now_from_args(args)
    claims = build_claims(
        api_key=api_key.value, identity=args.sub, name=args.name, video=video, sip=_grant_from_flags(args, "sip"),
        kind=args.kind, metadata=args.metadata, attributes=attributes, extra=extra or None, valid_for=valid_for, now=now,
    )
    token = mint(claims, secret.value)

    if args.json:
        render.dump_json({"schema": "lkdebug/token-create/1", "token": token, "header": HEADER, "claims": claims})
    else:
        print(token)
    # The token is the product (printed whole); what it was made from goes to stderr, masked.
    print(redact.visible(f"lkdebug: signed with API key {mask_key(api_key.value, args.reveal)} (from {api_key.source}) and its "
                         f"secret {mask_secret(secret.value, args.reveal)} (from {secret.source}); valid for {span(valid_for)}, "
                         f"until {iso_utc(claims['exp'])}"), file=sys.stderr)
    known = [KnownKey(api_key.value, secret.value, secret.source), *settings.known_keys]
    checked = decode(token, known_keys=known, server_keys=settings.server_keys, now=now)
    problems = [f for f in checked.findings if f.severity in (Severity.ERROR, Severity.WARNING)]
    if problems:
        print(render.findings_text(problems, render.use_colour(sys.stderr), settings.secrets()), file=sys.stderr)
    return 1 if has_error(problems) else 0


def _print_lk_line(args: argparse.Namespace, settings: Settings, video: dict | None, extra: dict,
                   attributes: dict | None, valid_for: float) -> int:
    """`--lk`: the line on stdout (it never holds the secret), what to do first and what lk cannot set on stderr."""
    from lkdebug.core.lk_line import lk_token_create
    from lkdebug.core.mint import build_claims

    claims = build_claims(
        api_key=settings.api_key.value if settings.api_key else "", identity=args.sub, name=args.name, video=video,
        sip=_grant_from_flags(args, "sip"), kind=args.kind, metadata=args.metadata, attributes=attributes,
        extra=extra or None, valid_for=valid_for, now=now_from_args(args),
    )
    line = lk_token_create(claims, api_key=settings.api_key, api_secret=settings.api_secret, reveal=args.reveal)
    if args.json:
        render.dump_json({"schema": "lkdebug/token-create-lk/1", **line.to_dict(), "claims": claims})
        return 0
    print(line.command)
    for step in line.first:
        print(f"lkdebug: first {visible(step)}", file=sys.stderr)
    for gap in line.gaps:
        print(f"lkdebug: lk cannot set {gap.claim}: {visible(gap.text)}", file=sys.stderr)
    return 0


def _flag(args: argparse.Namespace, row: Grant) -> object:
    """The claim value of a grant's flag, checked against the table's type and choices."""
    value = getattr(args, row.path, None)
    if row.type == "list[str]":
        value = list(dict.fromkeys(item.strip() for text in value for item in text.split(",") if item.strip()))
    elif row.type == "map":
        try:
            value = dict(parse_key_value(text) for text in value)
        except ValueError as error:
            raise UsageError(f"{row.cli_flag} {error}") from None
    for item in value if isinstance(value, list) else [value]:
        if row.choices and item is not None and item not in row.choices:
            raise UsageError(f"{row.cli_flag} {item!r}: use one of {', '.join(row.choices)}")
    return value


def _grant_from_flags(args: argparse.Namespace, group: str) -> dict | None:
    """One grant object from the flags the grant table names for it; None when no flag was given."""
    values: dict = {}
    for row in in_group(group):
        value = _flag(args, row) if row.cli_flag else None
        # A false flag only says something where the server's default is true (--no-can-publish).
        if value in (None, "", []) or (value is False and row.default is not True):
            continue
        values[row.json_name] = value
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
    settings = settings_from_args(args, lint=False)  # the keys are what a decode reads; it shows no env findings
    decoded = decode(text, known_keys=settings.known_keys, server_keys=settings.server_keys, now=now_from_args(args))
    if args.json:
        render.dump_json({"schema": "lkdebug/token-decode/1", **decoded_json(decoded, reveal=args.reveal)})
    else:
        print(decoded_text(decoded, reveal=args.reveal, colour=render.use_colour(sys.stdout)))
    return 1 if decoded.rejected or has_error(decoded.findings) else 0


def _read_token(argument: str | None) -> str:
    if argument not in (None, "-"):
        return argument
    stdin = sys.stdin
    if stdin is None or (argument is None and stdin.isatty()):
        raise UsageError("no token: pass it as an argument, or pipe it in (e.g. `pbpaste | lkdebug token decode`)")
    from lkdebug.core.paste import MAX_INPUT

    # Enough for one character past decode()'s cap (UTF-8 takes up to 4 bytes a character), and no more:
    # `< /dev/zero` must not fill memory.
    limit = 4 * (MAX_INPUT + 1)
    data = stdin.buffer.read(limit) if hasattr(stdin, "buffer") else stdin.read(limit).encode("utf-8", "surrogateescape")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def _short(text: str) -> str:
    return text if len(text) <= VALUE_WIDTH else text[: VALUE_WIDTH - 1] + "…"


def decoded_json(decoded: Decoded, reveal: bool = False) -> dict:
    """The `token decode --json` document: claims that echo a known secret are scrubbed like the text."""
    return redact.scrub_all(decoded.to_dict(reveal=reveal), decoded.secrets, reveal)


def decoded_text(decoded: Decoded, reveal: bool = False, colour: bool = False) -> str:
    """The decode as text. Everything in a token is the sender's text: claims, header and even their
    names are scrubbed of known secrets and signatures and have their control characters made visible."""
    from lkdebug.core.claim_rows import claim_rows  # the text's table only: `--json` gives the claims as they are

    bold = lambda text: render.bold(text, colour)  # noqa: E731
    dim = lambda text: render.paint(text, "2", colour)  # noqa: E731
    shown = lambda text: redact.shown(text, decoded.secrets, reveal)  # noqa: E731
    out: list[str] = []
    if decoded.stripped:
        out.append(f"{bold('Input')}      removed {shown(', '.join(decoded.stripped))}")
    if decoded.looks_like and decoded.raw is None:
        out.append(f"{bold('Input')}      not a JWT: {shown(decoded.looks_like)}")
    if decoded.header or decoded.claims:
        out.append(f"{bold('Header')}     {shown(json.dumps(decoded.header, ensure_ascii=False))}")
        rows = [(shown(path), _short(shown(value)), shown(meaning))
                for path, value, meaning in claim_rows(decoded.claims, decoded.times, absent_defaults=True)]
        width = max((len(path) for path, _, _ in rows), default=0)
        value_width = max((len(value) for _, value, _ in rows), default=0)
        out.append(bold("Claims"))
        out += [f"  {path:<{width}}  {value:<{value_width}}  {dim(meaning)}" for path, value, meaning in rows]
    if decoded.raw is not None:
        out.append(f"{bold('Signature')}  {shown(_signature_line(decoded))}")
    if decoded.verdict is not None:
        out.append(_verdict_lines(decoded, reveal, bold, dim))
    out += ["", bold("Findings"), render.findings_text(decoded.findings, colour, decoded.secrets), "",
            render.summary_line(decoded.findings)]
    return "\n".join(out)


def _signature_line(decoded: Decoded) -> str:
    signature = decoded.signature
    if signature.status == "valid":
        return f"valid: matches the secret of {signature.key} (from {signature.origin})"
    if signature.status == "invalid":
        if signature.matched_key:
            return f"INVALID for {signature.key}: made with the secret of {signature.matched_key} (from {signature.matched_origin})"
        if signature.truncated:
            return f"INVALID: cut short, so no secret can match it (key {signature.key})"
        return f"INVALID: does not match the secret of {signature.key} (from {signature.origin})"
    return "NOT CHECKED: lkdebug knows no secret for this token's key"


def _verdict_lines(decoded: Decoded, reveal: bool, bold, dim) -> str:
    verdict = decoded.verdict
    basis = f"; assumes {redact.visible(decoded.verdict_assumes)}" if decoded.verdict_assumes else ""
    lines = [f"{bold('Verdict')}    {verdict.status} {redact.visible(decoded.verdict_message(verdict.era, reveal) or '')}",
             dim(f"           predicted for livekit-server {server_rules.ERAS[verdict.era]}{basis}")]
    older = [(era, v) for era, v in decoded.eras.items() if era != verdict.era]
    if all((v.status, v.reason) == (verdict.status, verdict.reason) and verdict.accepted for _, v in older):
        lines.append(dim("           other server versions: the same"))
    elif older:
        lines.append(dim("           other server versions (<the token> is echoed whole by released servers):"))
        # Neighbouring eras that answer alike (go-jose v3's three) share one line.
        lines += [dim(f"             {span}: {v.status} "
                      f"{redact.shown(v.message.replace(decoded.raw or '<none>', '<the token>'), decoded.secrets, reveal)}")
                  for span, v in server_rules.same_answers(dict(older))]
    return "\n".join(lines)
