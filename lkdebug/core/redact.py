"""Masking rules (DESIGN §6): one place decides what a person or a file may see."""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Sequence

from lkdebug.core import codec, lazyre

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing, which every command would pay for
if TYPE_CHECKING:
    from typing import Any

KEY_VISIBLE = 6

# What a terminal would obey rather than show: C0 and C1 controls, DEL, the bidi overrides that
# reorder a line, and lone surrogates (which cannot even be encoded). Tab and newline are kept
# only where the caller asks (multi-line text such as a finding's detail).
_CONTROLS = "\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\ud800-\udfff"
_control_patterns: dict[bool, re.Pattern[str]] = {}

# A JWT is recognised by its structure, never by how its header happens to be spelt (`eyJ`, `eyAi`,
# `IHsi`...): in a dot-separated run of base64url (padding tolerated) of three or more segments, a
# segment that follows one decoding to a JSON object (the payload), and is not one itself, is a
# signature. The lookbehind lets a run start only where no base64 character precedes it (`=` may:
# `access_token=eyJ...`) and possessive quantifiers never backtrack into it, so each character is
# scanned a bounded number of times (no quadratic rescan of a 20 MB paste).
_DOTTED_RUN = lazyre.compile(r"(?<![A-Za-z0-9_-])[A-Za-z0-9_-]++=*+(?:\.[A-Za-z0-9_-]++=*+){2,}+")
SIGNATURE_HIDDEN = "<signature hidden>"
# A JWT after masking, as it appears in scrubbed text (to shorten an echoed token to "<the token>").
MASKED_JWT = lazyre.compile(r"(?<![A-Za-z0-9_-])[A-Za-z0-9_-]+=*\.[A-Za-z0-9_-]+=*\." + re.escape(SIGNATURE_HIDDEN))
# Segments longer than this are not parsed in full (memory stays bounded): their first and last
# bytes must look like a JSON object. Hiding a non-signature is harmless; showing one is not.
_PARSE_LIMIT = 1 << 20
# A run of more dots than this is no token in real text; it is masked from its third segment on,
# unexamined, so a crafted paste of millions of segments costs one pass.
_MAX_SEGMENTS = 64
# Runs examined (decoded) per text: past these, every further run is masked from its third segment on
# by shape alone, in one pass with no Python call per run. A JWT's signature is never before its third
# segment, so nothing is shown that decoding would have hidden; `1.2.3` past the budget loses its `3`.
# A server body, a log or a report holds far fewer; a crafted 20 MB paste of `e30.e30.e30` 1.7 million.
DECODE_BUDGET = 10_000
# A run as its first two segments and the rest (split, whose pieces come from C: a replacement template
# costs a Python call per match on 3.11), cut into chunks of about _SHAPE_CHUNK at a character no run holds.
_SHAPED_RUN = lazyre.compile(r"(?<![A-Za-z0-9_-])([A-Za-z0-9_-]++=*+\.[A-Za-z0-9_-]++=*+)(\.[A-Za-z0-9_-]++=*+(?:\.[A-Za-z0-9_-]++=*+)*+)")
_RUN_BOUNDARY = lazyre.compile(r"[^A-Za-z0-9_.=-]")
_SHAPE_CHUNK = 1 << 20
# Base64 of a JSON text's first byte: `{`, or the whitespace JSON allows before it.
_OBJECT_STARTS = frozenset("eICD")
_JSON_SPACE = b" \t\r\n"
_CACHED_LENGTH = 4096
_PRECHECK_LENGTH = 4096  # longer texts go straight to the query-secret substitution (_scrub)
# `livekit-server --dev`'s secret is documented, so hiding it protects nothing, and every finding that
# says "the API secret" would read "the API <6 chars...>".
_PUBLIC_SECRETS = frozenset({"secret"})
# userinfo in a URL (`ws://admin:PASS@host`, `postgres://u:pw@db`): the password is hidden, the user kept.
# A raw `@` in a password ends at the last `@` of the authority, as urlsplit reads it. The pattern
# starts with the literal `://`, which the regex engine finds without trying every position.
_USERINFO = lazyre.compile(r"://([^\s/?#@:]*+):(?:[^\s/?#@]*+@)++")
# Names of variables and query parameters whose values are secrets, in the words users really use: some
# anywhere in the name, the others a pattern (the short ones only as whole words: not COMPASS, BYPASS).
_SECRET_ANYWHERE = ("secret", "passphrase", "credential", "private")
_SECRET_WORDS = "|".join((*_SECRET_ANYWHERE, r"passw(?:or)?d", r"(?<![a-z0-9])(?:pass|pwd|pw)(?![a-z0-9])"))
_SECRET_NAME = lazyre.compile(_SECRET_WORDS, re.IGNORECASE)
# The same words for ASCII text once lowered, which folds it exactly (what else IGNORECASE folds, such as ſ, ı, İ
# and the Kelvin sign, is not ASCII): IGNORECASE makes these patterns about four times dearer to compile.
_SECRET_NAME_ASCII = lazyre.compile(_SECRET_WORDS)
# `?db_password=...&api_secret=...` in a URL: values of parameters named like secrets.
_QUERY_SECRET = lazyre.compile(rf"([?&;][A-Za-z0-9_.-]{{0,64}}?(?:{_SECRET_WORDS})[A-Za-z0-9_.-]{{0,64}}=)[^&#\s\"'<>`]++",
                               re.IGNORECASE)


def visible(text: str, keep_newlines: bool = False) -> str:
    """`text` with every control character made visible (ESC as `\\x1b`), so it is shown, never obeyed.

    Every renderer, CLI and TUI, passes text from outside (files, claims, server bodies and
    headers, paths) through this before it reaches a terminal.
    """
    if _plain(text, keep_newlines):
        return text
    pattern = _controls(keep_newlines)
    if not pattern.search(text):
        return text
    return pattern.sub(_escape, text)


def _plain(text: str, keep_newlines: bool) -> bool:
    """Whether `text` holds nothing `_controls` matches, answered without its pattern (the surrogates and C1 in
    a 64K-entry table), which takes longer to compile than judging a token: every character the pattern
    matches (Unicode's Cc, Cf and Cs) is one str.isprintable() refuses."""
    return (text.replace("\n", " ").replace("\t", " ") if keep_newlines else text).isprintable()


def _controls(keep_newlines: bool) -> re.Pattern[str]:
    pattern = _control_patterns.get(keep_newlines)
    if pattern is None:
        extra = "" if keep_newlines else "\t\n"
        pattern = _control_patterns[keep_newlines] = re.compile(f"[{extra}{_CONTROLS}]")
    return pattern


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def visible_json(text: str) -> str:
    """JSON text with what json.dumps(ensure_ascii=False) leaves raw (DEL, C1, bidi overrides, lone
    surrogates) written as `\\u` escapes: still valid JSON, the same values, nothing a terminal obeys."""
    if _plain(text, True):
        return text
    return _controls(True).sub(lambda match: f"\\u{ord(match.group()):04x}", text)


def control_characters(text: str) -> list[str]:
    """Every character of `text` that `visible` would escape (tab and newline included), in order."""
    return [] if _plain(text, False) else _controls(False).findall(text)


def has_controls(text: str) -> bool:
    """Whether `text` holds a character `visible` would change (tab and newline included)."""
    return visible(text) != text


def fingerprint(secret: str) -> str:
    """First 8 hex digits of SHA-256: enough to compare two secrets, useless to an attacker."""
    return codec.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()[:8]


def mask_key(key: str, reveal: bool = False) -> str:
    if reveal or len(key) <= KEY_VISIBLE:
        return key
    return key[:KEY_VISIBLE] + "…"


def mask_secret(secret: str, reveal: bool = False) -> str:
    if reveal:
        return secret
    return f"<{len(secret)} chars, sha256 {fingerprint(secret)}>"


def mask_token(token: str, reveal: bool = False) -> str:
    """Header and claims stay readable; the signature is what makes a token usable."""
    if reveal:
        return token
    return _hide_tokens(token)


def scrub(text: str, secrets: Sequence[str] = (), reveal: bool = False) -> str:
    """The one redaction of free text (a server body or header, a claim, a finding, a URL): every JWT
    signature, every known secret, the password of every URL and every secret-named query value go."""
    if reveal or not text:
        return text
    return _scrub(text, _masks(secrets))


def _masks(secrets: Sequence[str]) -> list[tuple[str, str]]:
    """(secret, its mask), longest first, so a secret inside a longer one never leaves part of the longer."""
    return [(s, mask_secret(s)) for s in sorted({s for s in secrets if len(s) >= 4} - _PUBLIC_SECRETS, key=len, reverse=True)]


def _scrub(text: str, masks: list[tuple[str, str]]) -> str:
    text = _hide_tokens(text)
    if "://" in text and "@" in text:  # userinfo ends in an @: a URL without one compiles no pattern
        text = _USERINFO.sub(r"://\1:***@", text)
    # A secret-named parameter follows ?, & or ; and holds a secret word. The word search spares short texts
    # the compile of _QUERY_SECRET, but on a long one it costs more than the substitution it would skip
    # (0.45 s against 0.01 s on a 20 MB URL: the pattern's alternation is tried at every position).
    if "=" in text and ("?" in text or "&" in text or ";" in text) and (
            len(text) > _PRECHECK_LENGTH or _names_a_secret(text)):
        text = _QUERY_SECRET.sub(r"\1***", text)
    for secret, mask in masks:
        text = text.replace(secret, mask)
    return text


def scrub_all(value: Any, secrets: Sequence[str] = (), reveal: bool = False) -> Any:
    """`scrub` over every string (keys included) of a JSON-shaped document."""
    if reveal:
        return value
    masks = _masks(secrets)  # once, not per string: an env document of 10,000 variables holds 130,000

    def scrubbed(item: Any) -> Any:
        if isinstance(item, str):
            return _scrub(item, masks) if item else item
        if isinstance(item, dict):
            return {scrubbed(k): scrubbed(v) for k, v in item.items()}
        if isinstance(item, (list, tuple)):
            return [scrubbed(v) for v in item]
        return item

    return scrubbed(value)


def shown(text: str, secrets: Sequence[str] = (), reveal: bool = False, keep_newlines: bool = False) -> str:
    """Outside text as a terminal or a document may show it: scrubbed, then its control characters visible."""
    return visible(scrub(text, secrets, reveal), keep_newlines)


# A URL's or a path's query in free text (`wss://host/rtc?access_token=...&sdk=python`, `/rtc/validate?...`):
# error texts quote the request, whose query holds the token and whatever else the client sent.
_URL_QUERY = lazyre.compile(r"((?:://|/)[^\s?#\"'<>]*+)\?[^\s#\"'<>]*+")
QUERY_CUT = "?…"


def error_words(text: str, secrets: Sequence[str] = (), keep_newlines: bool = False) -> str:
    """An error's text or a peer's reason phrase as a finding may quote it: every URL's query cut, then `shown`."""
    if "?" in text:
        text = _URL_QUERY.sub(lambda match: match.group(1) + QUERY_CUT, text)
    return shown(text, secrets, keep_newlines=keep_newlines)


def _hide_tokens(text: str) -> str:
    # Two dots at least, or no token: a cheap count spares the scan of a dot-less 20 MB paste.
    if text.count(".") < 2:
        return text
    parts, done = [], 0
    for examined, match in enumerate(_DOTTED_RUN.finditer(text)):
        if examined == DECODE_BUDGET:
            # The last run examined ended where no base64 character follows: the slice starts no run early.
            parts.append(_mask_by_shape(text[done:]))
            return "".join(parts)
        parts += (text[done:match.start()], _hide_signatures(match))
        done = match.end()
    parts.append(text[done:])
    return "".join(parts)


def _mask_by_shape(text: str) -> str:
    """Every run masked from its third segment on, undecoded; memory bounded by the chunk, not the text."""
    out, start = [], 0
    while start < len(text):
        boundary = _RUN_BOUNDARY.search(text, min(start + _SHAPE_CHUNK, len(text)))
        end = boundary.end() if boundary else len(text)
        pieces = _SHAPED_RUN.split(text[start:end])  # before, two segments, the rest, before, ...
        pieces[2::3] = ["." + SIGNATURE_HIDDEN] * (len(pieces) // 3)
        out.append("".join(pieces))
        start = end
    return "".join(out)


def _hide_signatures(match: re.Match[str]) -> str:
    segments = match.group().split(".", _MAX_SEGMENTS)
    if len(segments) > _MAX_SEGMENTS:
        return f"{segments[0]}.{segments[1]}.{SIGNATURE_HIDDEN}"
    objects = [_is_json_object(segment) for segment in segments]
    hidden = False
    for i in range(1, len(segments)):
        # What follows the payload (a JSON object) is the signature (never one): even when text is glued
        # to the header (`xeyJ...`) and hides it, the signature must not show.
        if objects[i - 1] and not objects[i]:
            segments[i] = SIGNATURE_HIDDEN
            hidden = True
    return ".".join(segments) if hidden else match.group()


def _b64decode(unpadded: str) -> bytes | None:
    try:
        return codec.b64url_decode(unpadded + "=" * (-len(unpadded) % 4))
    except ValueError:  # binascii.Error, and non-ASCII text
        return None


def _is_json_object(segment: str) -> bool:
    """Whether a base64url segment decodes to a JSON object (as a JWT's header and payload do)."""
    if segment[0] not in _OBJECT_STARTS:
        return False
    # A log repeats the same token on every line: remember short segments (long ones would stay in memory).
    return _judged(segment) if len(segment) <= _CACHED_LENGTH else _judge(segment)


@functools.lru_cache(maxsize=256)
def _judged(segment: str) -> bool:
    return _judge(segment)


def _judge(segment: str) -> bool:
    unpadded = segment.rstrip("=")
    if len(unpadded) > _PARSE_LIMIT:
        head, tail = _b64decode(unpadded[:64]), _b64decode(unpadded[(len(unpadded) - 12) // 4 * 4:])
        return (head is not None and tail is not None and head.lstrip(_JSON_SPACE).startswith(b"{")
                and tail.rstrip(_JSON_SPACE).endswith(b"}"))
    data = _b64decode(unpadded)
    if data is None or not data.lstrip(_JSON_SPACE).startswith(b"{") or not data.rstrip(_JSON_SPACE).endswith(b"}"):
        return False
    try:  # invalid UTF-8 as Go's encoding/json takes it (replaced), so the server's reading decides
        return isinstance(json.loads(data.decode("utf-8", "replace")), dict)
    except (ValueError, RecursionError):
        return False


def is_secret_name(name: str) -> bool:
    """Whether a name (a variable, a query parameter) says its value is a secret: API_SECRET, DB_PASSWORD,
    REDIS_PASS, TURN_PWD, GCP_CREDENTIALS, PRIVATE_KEY."""
    return _names_a_secret(name)


def _names_a_secret(text: str) -> bool:
    """`_SECRET_NAME.search(text)`; for ASCII, the pattern (1 M instructions to compile) only when neither a
    word that counts anywhere nor a piece every other match holds ("pass", "pw") settles it."""
    if not text.isascii():
        return _SECRET_NAME.search(text) is not None
    lowered = text.lower()
    if any(word in lowered for word in _SECRET_ANYWHERE):
        return True
    return ("pass" in lowered or "pw" in lowered) and _SECRET_NAME_ASCII.search(lowered) is not None


def kind_of_variable(name: str) -> str:
    """How a variable's value is masked: 'secret', 'key', 'token' or 'plain'."""
    upper = name.upper()
    if is_secret_name(upper) or upper.endswith("_KEYS") or upper == "LIVEKIT_CONFIG":
        return "secret"
    if "TOKEN" in upper:
        return "token"
    if upper.endswith("API_KEY") or upper.endswith("_KEY"):
        return "key"
    return "plain"


def display_value(name: str, value: str, secrets: Sequence[str], reveal: bool = False) -> str:
    """A variable's value as a person may see it: masked by its name, and no known secret anywhere in it."""
    return scrub(mask_value(name, value, reveal), list(secrets), reveal)


def mask_value(name: str, value: str, reveal: bool = False) -> str:
    kind = kind_of_variable(name)
    if kind == "secret":
        return mask_secret(value, reveal)
    if kind == "key":
        return mask_key(value, reveal)
    if kind == "token":
        return mask_token(value, reveal)
    return value
