"""Mint, unwrap, decode and explain LiveKit access tokens.

`decode` takes whatever a person pastes and never raises: it finds the JWT (or says what the input
is instead), checks the signature against every secret lkdebug knows, predicts the server's answer
with `server_rules` (never re-implemented here) and lints the claims against the grant table.
This module imports neither textual, livekit-api nor PyJWT (HS256 is the standard library's hmac),
so `lkdebug token decode` and `token create` start fast.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import re
import secrets as _random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone

from lkdebug.core import server_rules
from lkdebug.core.grants import GRANT_OBJECTS, GROUPS, PARTICIPANT_KINDS, grant, in_group
from lkdebug.core.model import Finding, KnownKey, Severity
from lkdebug.core.redact import mask_key, mask_secret, mask_token, scrub
from lkdebug.core.server_rules import Verdict

DEFAULT_VALID_FOR = 6 * 3600  # the Go and Python server SDKs' default TTL
TTL_SHORT_S = 60
TTL_LONG_S = 24 * 3600
LEEWAY_S = server_rules.LEEWAY_S

# ---------------------------------------------------------------------------------------- durations

_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|sec|min|hr|s|m|h|d)")
_UNIT_S = {"ms": 0.001, "s": 1, "sec": 1, "m": 60, "min": 60, "h": 3600, "hr": 3600, "d": 86400}


def parse_duration(text: str) -> float:
    """"30s" "10m" "6h" "1d" "1h30m" (or bare seconds) -> seconds. ValueError with a usable message."""
    compact = text.strip().lower().replace(" ", "")
    if re.fullmatch(r"\d+(?:\.\d+)?", compact):
        return float(compact)
    total, position = 0.0, 0
    for match in _DURATION_PART.finditer(compact):
        if match.start() != position:
            break
        total += float(match.group(1)) * _UNIT_S[match.group(2)]
        position = match.end()
    if not compact or position != len(compact):
        raise ValueError(f"{text!r} is not a duration: use e.g. 30s, 10m, 6h, 1d or 1h30m")
    return total


def span(seconds: float) -> str:
    """A length of time for people: "42 s", "3 min", "3 min 5 s", "5h 59m", "2d 3h"."""
    if math.isnan(seconds):
        return "an unknown time"
    if math.isinf(seconds):
        return "forever"
    whole = int(round(abs(seconds)))
    if whole < 60:
        return f"{whole} s"
    minutes, rest = divmod(whole, 60)
    if whole < 600:
        return f"{minutes} min" + (f" {rest} s" if rest else "")
    if whole < 3600:
        return f"{minutes} min"
    if whole < 86400:
        hours, rest = divmod(whole, 3600)
        return f"{hours}h {rest // 60}m"
    days, rest = divmod(whole, 86400)
    return f"{days}d {rest // 3600}h"


def relative(seconds_from_now: float) -> str:
    """"in 5h 59m", "3 min ago" or "now"; the TUI reuses it for any timestamp."""
    if abs(seconds_from_now) < 0.5:
        return "now"
    return f"in {span(seconds_from_now)}" if seconds_from_now > 0 else f"{span(seconds_from_now)} ago"


def describe_time(claim: str, seconds_from_now: float) -> str:
    """A time claim in words: "expired 3 min ago", "valid for 5h 59m more", "not valid for another 2 min"."""
    if math.isnan(seconds_from_now):
        return "not a usable time"
    now_ish = abs(seconds_from_now) < 0.5
    # A server accepts nbf and exp up to LEEWAY_S off: say so, or "not valid yet" reads as a rejection.
    leeway = f"; a server still accepts it (its {server_rules.LEEWAY_S} s leeway)"
    if claim == "exp":
        return "expires now" if now_ish else (
            f"valid for {span(seconds_from_now)} more" if seconds_from_now > 0 else f"expired {span(seconds_from_now)} ago"
            + (leeway if -seconds_from_now < server_rules.LEEWAY_S else ""))
    if claim == "nbf":
        return "valid from now" if now_ish else (
            f"not valid for another {span(seconds_from_now)}" + (leeway if seconds_from_now <= server_rules.LEEWAY_S else "")
            if seconds_from_now > 0 else f"valid since {span(seconds_from_now)} ago")
    return "issued now" if now_ish else (
        f"issued {span(seconds_from_now)} in the future" if seconds_from_now > 0 else f"issued {span(seconds_from_now)} ago")


def claim_rows(claims: dict, times: Mapping[str, dict] | None = None,
               absent_defaults: bool = False) -> list[tuple[str, str, str]]:
    """(path, value as text, meaning) for every claim, grant objects flattened to `video.roomJoin`.

    Meanings come from the grant table. With `times` (Decoded.times) a time claim is explained as a
    date and how far from now; with `absent_defaults` every video tristate the token leaves out is
    listed with the default the server assumes (the CLI shows them, the TUI's table does not).
    """
    rows = []
    for name, value in claims.items():
        if name in GRANT_OBJECTS and isinstance(value, dict):
            for key, inner in value.items():
                known = grant(f"{name}.{key}")
                rows.append((f"{name}.{key}", _claim_text(inner),
                             known.meaning if known else "not a LiveKit grant: the server ignores it"))
            if absent_defaults and name == "video":
                rows += [(row.path, f"(absent: {row.default_label})", row.meaning)
                         for row in in_group("video") if row.type == "tristate" and row.json_name not in value]
            continue
        known = grant(name)
        meaning = known.meaning if known else (
            f"the {name} grant" if name in GRANT_OBJECTS else "not a LiveKit claim: the server ignores it")
        if times and name in times:
            meaning = f"{times[name]['iso'] or 'not a date'}, {times[name]['relative']}"
        rows.append((name, _claim_text(value), meaning))
    return rows


def _claim_text(value: object) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def _seconds_between(at: float, now: float) -> float:
    """at - now as a float; an integer beyond any float counts as forever (either way)."""
    try:
        return float(at - now)
    except OverflowError:
        return math.inf if at > now else -math.inf


def iso_utc(at: float) -> str | None:
    """A Unix time as `2026-01-15T12:00:00Z`; None for a number no date can hold."""
    try:
        return datetime.fromtimestamp(float(at), timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    except (OverflowError, ValueError, OSError):
        return None


# ------------------------------------------------------------------------------------------ minting


def build_claims(
    *,
    api_key: str,
    identity: str | None = None,
    name: str | None = None,
    video: dict | None = None,
    sip: dict | None = None,
    kind: str | None = None,
    metadata: str | None = None,
    attributes: dict[str, str] | None = None,
    extra: dict | None = None,
    valid_for: float = DEFAULT_VALID_FOR,
    now: float,
) -> dict:
    """The payload livekit-api's AccessToken writes for the same inputs (times aside: they are `now`).

    Like AccessToken: `sub` is always present, empty values are left out, a video grant spells out
    canPublish/canSubscribe/canPublishData (true unless given), a SIP grant spells out admin/call.
    """
    claims: dict = {}
    for claim, value in (("name", name), ("kind", kind), ("metadata", metadata)):
        if value:
            claims[claim] = value
    if video is not None:
        claims["video"] = {
            "canPublish": True, "canSubscribe": True, "canPublishData": True,
            **{k: v for k, v in video.items() if v is not None and v != ""},
        }
    if sip is not None:
        claims["sip"] = {"admin": False, "call": False, **sip}
    if attributes:
        claims["attributes"] = dict(attributes)
    claims.update(extra or {})
    claims.update({"sub": identity or "", "iss": api_key, "nbf": int(now), "exp": int(now + valid_for)})
    return claims


HEADER = {"alg": "HS256", "typ": "JWT"}  # the header of every token lkdebug mints


def _segment(data: bytes) -> bytes:
    return base64.urlsafe_b64encode(data).rstrip(b"=")


def mint(claims: dict, secret: str) -> str:
    """HS256 (`HEADER`): the only algorithm livekit-server accepts.

    Signed with the standard library's hmac, as PyJWT would (compact JSON, unpadded base64url):
    PyJWT pulls in cryptography (~10 MB, ~100 ms) for nothing HS256 needs. The interop tests
    check these tokens with livekit-api's TokenVerifier.
    """
    header, payload = (json.dumps(part, separators=(",", ":")).encode("utf-8") for part in (HEADER, claims))
    signing_input = _segment(header) + b"." + _segment(payload)
    return (signing_input + b"." + _segment(server_rules.hmac_signature(signing_input, secret))).decode("ascii")


def probe_claims(api_key: str, now: float) -> dict:
    """A throwaway join token for `/rtc/validate`: hidden, can do nothing, expires in 10 minutes.

    Validate joins no room and opens no session, so the random room and identity leave no trace.
    """
    suffix = _random.token_hex(4)
    return build_claims(
        api_key=api_key,
        identity=f"lkdebug-probe-{suffix}",
        video={"roomJoin": True, "room": f"lkdebug-probe-{suffix}", "hidden": True,
               "canPublish": False, "canSubscribe": False, "canPublishData": False},
        valid_for=600,
        now=now,
    )


# ---------------------------------------------------------------------------------- unwrapping input

# Field names apps use for the token in JSON bodies and URLs (LiveKit Meet: `liveKitUrl=...&token=`).
_TOKEN_FIELDS = ("token", "accesstoken", "access_token", "participanttoken", "participant_token", "jwt")
_JWT_SHAPE = re.compile(r"[A-Za-z0-9_\-+/=]+\.[A-Za-z0-9_\-+/=]*\.[A-Za-z0-9_\-+/=]*")
_BEARER = re.compile(r"(?i)(authorization\s*:\s*)?bearer(\s+|$)")
_ASSIGNMENT = re.compile(r"(?:export\s+)?[A-Za-z_][A-Za-z0-9_]*\s*[=:]\s*(\S.*)", re.S)
_INVISIBLE = "\ufeff\u200b\u200c\u200d\u2060"


def _token_in_json(value: object, depth: int = 0) -> tuple[str, object] | None:
    """(field name, value) of the first token-like field, searching nested objects a little."""
    if depth > 4 or not isinstance(value, dict):
        return None
    for key, item in value.items():
        if key.lower() in _TOKEN_FIELDS:
            return key, item
    for item in value.values():
        found = _token_in_json(item, depth + 1)
        if found:
            return found
    return None


def _token_in_url(text: str) -> tuple[str, str] | None:
    from urllib.parse import parse_qsl, urlsplit  # only URL-shaped input pays for it

    try:
        parts = urlsplit(text) if "://" in text else None
    except ValueError:
        return None
    queries = [parts.query, parts.fragment] if parts else [text.lstrip("?#")]
    for query in queries:
        for key, value in parse_qsl(query, keep_blank_values=True):
            if key.lower() in _TOKEN_FIELDS:
                return key, value
    return None


def _unwrap(text: str) -> tuple[str, list[str], str | None]:
    """Peel what people paste around a token. Returns (candidate, what was stripped, why it stopped)."""
    stripped: list[str] = []
    current = text
    stop: str | None = None
    for _ in range(8):  # wrappers nest ("Bearer" inside quotes inside JSON) but not deeply
        trimmed = current.strip().strip(_INVISIBLE).strip()
        if trimmed != current:
            invisible = any(c in _INVISIBLE for c in current) and not any(c in _INVISIBLE for c in trimmed)
            note = "invisible characters (BOM or zero-width)" if invisible else "surrounding whitespace or newlines"
            if note not in stripped:
                stripped.append(note)
            current = trimmed
        if not current:
            break
        if len(current) >= 2 and current[0] == current[-1] and current[0] in "\"'`":
            current = current[1:-1]
            stripped.append("surrounding quotes")
            continue
        bearer = _BEARER.match(current)
        if bearer:
            current = current[bearer.end():]
            stripped.append("'Authorization: Bearer' header" if bearer.group(1) else "'Bearer ' prefix")
            continue
        if current[0] in "{[":
            try:
                document = json.loads(current)
            except (ValueError, RecursionError):
                document = None  # not JSON after all ("[object Promise]", "{{token}}")
            if isinstance(document, dict):
                found = _token_in_json(document)
                if found is None:
                    stop = "json"
                    break
                key, value = found
                if not isinstance(value, str):
                    stop = f"json-field:{key}:{json.dumps(value)[:20]}"
                    break
                current = value
                stripped.append(f'JSON object (the "{key}" field)')
                continue
        if "://" in current or current[0] in "?#" or ("=" in current and "&" in current):
            found_in_url = _token_in_url(current)
            if found_in_url is None:
                stop = "url" if "://" in current else None
                break
            key, current = found_in_url
            meet = " of a LiveKit Meet link" if "livekiturl=" in text.lower() else ""
            stripped.append(f"URL (the {key}= parameter{meet})")
            continue
        assignment = _ASSIGNMENT.fullmatch(current)
        if assignment and _JWT_SHAPE.fullmatch(assignment.group(1).strip().strip("\"'`")):
            stripped.append(f"'{current[: current.index(assignment.group(1))].rstrip(' =:')}' assignment")
            current = assignment.group(1)
            continue
        if any(c.isspace() for c in current) and _JWT_SHAPE.fullmatch("".join(current.split())):
            current = "".join(current.split())
            stripped.append("line breaks or spaces inside the token")
            continue
        break
    return current, stripped, stop


def _looks_like(candidate: str, stop: str | None) -> tuple[str, str, str]:
    """(what the input looks like, finding code, fix) for input that holds no JWT. Never echoes it."""
    lowered = candidate.lower()
    not_jwt = "token.not_jwt"
    if stop == "url":
        return "a URL without a token parameter", not_jwt, "Pass the token itself, or a URL with ?token= or ?access_token=."
    if stop and stop.startswith("json-field:"):
        _, key, value = stop.split(":", 2)
        if value.startswith("{"):
            return (f'JSON whose "{key}" is an object, not a string: an un-awaited toJwt() (a Promise) serialises as {{}}',
                    not_jwt, "`await at.toJwt()` before returning it (livekit-server-sdk v2 made toJwt() async).")
        return f'JSON whose "{key}" is {value}, not a token', not_jwt, "Return the string from toJwt()/to_jwt() in that field."
    if stop == "json":
        return "JSON without a token field", not_jwt, 'Paste the token itself, or JSON with a "token" or "accessToken" field.'
    if not candidate:
        return "empty input", not_jwt, "Pass the token as an argument, or pipe it: `echo $TOKEN | lkdebug token decode`."
    if lowered == "[object promise]":
        return ("[object Promise]: an un-awaited toJwt()", not_jwt,
                "`await at.toJwt()`: livekit-server-sdk v2 made toJwt() async, so the Promise itself was turned into text.")
    if lowered == "[object object]":
        return ("[object Object]: a JavaScript object turned into text", not_jwt,
                "Send the token string (the result of `await at.toJwt()`), not the object holding it.")
    if lowered in ("undefined", "null", "none", "nil", "nan", "false", "true", "{}"):
        return (f"`{candidate}`: the variable that should hold the token was never set", not_jwt,
                "Check the code or endpoint that fetches the token: it returned nothing.")
    if re.fullmatch(r"API[A-Za-z0-9]{6,}", candidate) or candidate == "devkey":
        return ("an API key (the token's issuer), not a token", "token.api_key_not_jwt",
                "Mint a token with this key and its secret (`lkdebug token create --join --room R --identity I`); "
                "clients need the token, never the key.")
    if candidate.count(".") == 4:
        return ("an encrypted JWT (JWE, five parts)", not_jwt, "LiveKit tokens are signed (JWS, three parts), not encrypted.")
    if "." in candidate and not any(c.isspace() for c in candidate):
        return (f"{candidate.count('.') + 1} dot-separated parts (a JWT has exactly 3)", not_jwt,
                "Copy the whole token: header.payload.signature.")
    if len(candidate) >= 32 and not any(c.isspace() for c in candidate):
        return ("a 32+ character string without dots: probably an API secret", not_jwt,
                "Never paste or send the secret: mint a token with it instead (`lkdebug token create`).")
    if candidate == "secret":
        return ("the dev-mode API secret", not_jwt, "Mint a token with devkey/secret instead (`lkdebug token create`).")
    return "text that is not a JWT", not_jwt, "A LiveKit token has three base64url parts separated by dots and starts with `eyJ`."


def _why_unparseable(raw: str) -> str:
    """Why the server's parser refuses a JWT-shaped string (it answers only `invalid authorization token`)."""
    names = ("header", "payload", "signature")
    parts = raw.split(".")
    for name, part in zip(names, parts):
        if "=" in part:
            return f"the {name} has base64 padding ('='); JWTs use unpadded base64url"
        if "+" in part or "/" in part:
            return f"the {name} uses standard base64 ('+' or '/'); JWTs use base64url ('-' and '_')"
        try:
            decoded = base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))
        except (ValueError, binascii.Error):
            return f"the {name} is not valid base64url"
        if name == "signature":
            break
        try:
            value = json.loads(decoded)
        except (ValueError, RecursionError):
            return f"the {name} is not JSON"
        if not isinstance(value, dict):
            return f"the {name} is JSON but not an object"
        if name == "header" and not isinstance(value.get("alg"), str):
            return "the header has no usable alg"
        if name == "header":
            alg = value.get("alg")
            if alg not in ("HS256", "HS384", "HS512", "RS256", "RS384", "RS512", "ES256", "ES384", "ES512",
                           "PS256", "PS384", "PS512", "EdDSA", "none"):
                return f"the header's alg {alg[:20]!r} is not a JWT algorithm"
        if name == "payload":
            for claim in ("iss", "sub", "jti"):
                if claim in value and not isinstance(value[claim], (str, type(None))):
                    return f"the {claim} claim is not a string"
            for claim in ("exp", "nbf", "iat"):
                item = value.get(claim)
                if item is not None and (isinstance(item, bool) or not isinstance(item, (int, float))):
                    return f"the {claim} claim is not a number of seconds (it is {json.dumps(item)[:40]})"
    return "its parts do not decode"


def _lenient_json(segment: str) -> dict:
    """Best-effort look inside a segment the server refuses, so the person still sees what it holds."""
    unpadded = segment.replace("+", "-").replace("/", "_").rstrip("=")
    try:
        value = json.loads(base64.urlsafe_b64decode(unpadded + "=" * (-len(unpadded) % 4)))
    except (ValueError, binascii.Error, RecursionError):
        return {}
    return value if isinstance(value, dict) else {}


# ------------------------------------------------------------------------------------------ decoding


@dataclass
class Decoded:
    raw: str | None  # the JWT found in the input, or None
    stripped: list[str] = field(default_factory=list)  # what was removed around it
    looks_like: str | None = None  # when not a JWT: what the input is instead
    header: dict = field(default_factory=dict)
    claims: dict = field(default_factory=dict)
    times: dict = field(default_factory=dict)  # {"nbf"|"exp"|"iat": {"unix", "iso", "relative"}}
    signature: dict = field(default_factory=lambda: {"status": "unchecked", "key": None, "origin": None})
    verdict: Verdict | None = None  # CURRENT_ERA
    eras: dict[str, Verdict] = field(default_factory=dict)  # every era, newest first
    findings: list[Finding] = field(default_factory=list)
    verdict_assumes: str | None = None  # set when the verdict could not be fully checked
    secrets: tuple[str, ...] = field(default=(), repr=False)  # known secrets, to scrub from any text

    @property
    def rejected(self) -> bool:
        return self.verdict is not None and not self.verdict.accepted

    def verdict_message(self, era: str = server_rules.CURRENT_ERA, reveal: bool = False) -> str | None:
        """The server's body; a v1.13 body echoes the whole JWT, so its signature is hidden unless reveal."""
        verdict = self.eras.get(era) or self.verdict
        return None if verdict is None else scrub(verdict.message, self.secrets, reveal)

    def to_dict(self, reveal: bool = False) -> dict:
        """The DESIGN `decode` JSON shape (plus stripped, looks_like, token, eras)."""

        def verdict_dict(era: str, verdict: Verdict) -> dict:
            return {**verdict.to_dict(), "message": self.verdict_message(era, reveal), "era": era,
                    "era_label": server_rules.ERAS.get(era, era), "reason": verdict.reason}

        return {
            "token": None if self.raw is None else mask_token(self.raw, reveal),
            "stripped": list(self.stripped),
            "looks_like": self.looks_like,
            "header": self.header,
            "claims": self.claims,
            "times": self.times,
            "signature": dict(self.signature),
            "verdict": None if self.verdict is None else {
                **verdict_dict(self.verdict.era, self.verdict), "assumes": self.verdict_assumes},
            "eras": {era: verdict_dict(era, verdict) for era, verdict in self.eras.items()},
            "findings": [f.to_dict() for f in self.findings],
        }


def _finding(code: str, severity: Severity, title: str, detail: str = "", fix: str | None = None) -> Finding:
    return Finding(code, severity, "token", title, detail, fix)


def _times(claims: dict, now: float) -> dict:
    times = {}
    for claim in ("nbf", "exp", "iat"):
        at = claims.get(claim)
        if isinstance(at, bool) or not isinstance(at, (int, float)):
            continue
        times[claim] = {"unix": at, "iso": iso_utc(at), "relative": describe_time(claim, _seconds_between(at, now))}
    return times


def _candidate_keys(known_keys: Sequence[KnownKey], server_keys: Mapping[str, str] | None) -> list[KnownKey]:
    """Every distinct key/secret pair, first origin kept; the server config's keys count too."""
    seen: set[tuple[str, str]] = set()
    out: list[KnownKey] = []
    extra = [KnownKey(k, s, "server config") for k, s in (server_keys or {}).items()]
    for key in [*known_keys, *extra]:
        if key.secret and (key.api_key, key.secret) not in seen:
            seen.add((key.api_key, key.secret))
            out.append(key)
    return out


def decode(
    text: str | bytes,
    *,
    known_keys: Sequence[KnownKey] = (),
    server_keys: Mapping[str, str] | None = None,
    now: float,
) -> Decoded:
    """Explain whatever was pasted as a token. Never raises; every input gets at least one finding."""
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    candidate, stripped, stop = _unwrap(text if isinstance(text, str) else str(text))
    keys = _candidate_keys(known_keys, server_keys)
    decoded = Decoded(raw=None, stripped=stripped, secrets=tuple(k.secret for k in keys))
    risky = [item for item in stripped if not item.startswith(("surrounding whitespace", "URL", "JSON"))]
    if risky:
        decoded.findings.append(_finding(
            "token.wrapped", Severity.INFO, f"Removed {', '.join(risky)} before decoding",
            "The server needs the bare JWT: as ?access_token=<jwt> or after `Authorization: Bearer ` "
            "(capital B, one space). Sent with these extras it answers 401 `invalid authorization token`.",
            "Make sure your client sends only the token itself."))

    if stop is not None or not _JWT_SHAPE.fullmatch(candidate):
        decoded.looks_like, code, fix = _looks_like(candidate, stop)
        _judge_as_sent(decoded, candidate, now)
        decoded.findings.append(_finding(
            code, Severity.ERROR, f"Not a JWT: this is {decoded.looks_like}",
            f"The server answers {decoded.verdict.status} `{decoded.verdict.message}` to it.", fix))
        return decoded

    decoded.raw = candidate
    parsed = server_rules.parse_unverified(candidate)
    if parsed is None:
        parts = candidate.split(".")
        decoded.header, decoded.claims = _lenient_json(parts[0]), _lenient_json(parts[1])
        decoded.times = _times(decoded.claims, now)
        decoded.looks_like = "a JWT the server cannot parse"
        _judge_as_sent(decoded, candidate, now)
        decoded.findings.append(_finding(
            "token.not_jwt", Severity.ERROR, f"Looks like a JWT, but the server cannot parse it: {_why_unparseable(candidate)}",
            f"The server answers {decoded.verdict.status} `{decoded.verdict.message}` (it never says why).",
            "Mint the token with a LiveKit server SDK, `lk token create` or `lkdebug token create` instead of by hand."))
        return decoded

    decoded.header, decoded.claims = parsed.header, parsed.claims
    decoded.times = _times(parsed.claims, now)
    secret = _check_signature(decoded, parsed, keys, server_keys)
    _predict(decoded, parsed, secret, server_keys, now)
    _lint_times(decoded, now)
    _lint_grants(decoded)
    _conclude(decoded)
    return decoded


def _judge_as_sent(decoded: Decoded, candidate: str, now: float) -> None:
    """What the server answers to input that is not a usable JWT (no key is ever consulted)."""
    decoded.eras = server_rules.judge_every_era(candidate, {}, now)
    decoded.verdict = decoded.eras[server_rules.CURRENT_ERA]


def _check_signature(
    decoded: Decoded, parsed: server_rules.ParsedJWT, keys: list[KnownKey], server_keys: Mapping[str, str] | None
) -> str | None:
    """Fill decoded.signature and its finding; return the secret the verdict should use, if any."""
    iss = parsed.claims.get("iss") or ""
    hmac_alg = parsed.header.get("alg") in ("HS256", "HS384", "HS512")
    matching = [k for k in keys if hmac_alg and server_rules.signature_matches(parsed, k.secret)]
    for_iss = [k for k in keys if k.api_key == iss]
    good = [k for k in matching if k.api_key == iss]
    others = [k for k in matching if k.api_key != iss]
    known_names = sorted({mask_key(k.api_key) for k in keys})

    def where(key: KnownKey) -> str:
        return f"{mask_key(key.api_key)} (from {key.origin})"

    if not iss:
        decoded.findings.append(_finding(
            "token.unknown_key", Severity.ERROR, "The token has no iss claim: the server cannot tell which secret signed it",
            "livekit-server looks the secret up by `iss`; without it every server answers 401 `invalid API key`.",
            "Mint the token with an SDK or `lkdebug token create`: they set iss to the API key."))
    elif server_keys is not None and iss not in server_keys:
        decoded.findings.append(_finding(
            "token.unknown_key", Severity.ERROR, f"The server config has no key {mask_key(iss)}",
            f"The livekit-server config lkdebug found holds {', '.join(sorted(mask_key(k) for k in server_keys)) or 'no keys'}; "
            f"that server answers 401 `invalid API key: {iss}`.",
            "Mint with a key the server holds, or add this key and its secret to the server's keys."))
    elif keys and not for_iss:
        decoded.findings.append(_finding(
            "token.unknown_key", Severity.WARNING, f"lkdebug knows no key {mask_key(iss)}",
            f"Known keys: {', '.join(known_names)}. A server without this key answers 401 `invalid API key: {iss}`.",
            "Check that the token comes from this project (and not another LiveKit project or LiveKit Cloud)."))

    if good:
        decoded.signature = {"status": "valid", "key": mask_key(iss), "origin": good[0].origin}
        decoded.findings.append(_finding(
            "token.signature_valid", Severity.OK, f"Signature matches the secret of {where(good[0])}",
            f"Secret {mask_secret(good[0].secret)}."))
        return good[0].secret
    drift = (f" Another known secret does match: the one of {', '.join(where(k) for k in others)}: "
             "the token was signed with that key's secret but names a different key (key/secret drift)."
             if others else "")
    if for_iss and hmac_alg:
        decoded.signature = {"status": "invalid", "key": mask_key(iss), "origin": for_iss[0].origin}
        tried = "; ".join(f"{k.origin}: {mask_secret(k.secret)}" for k in for_iss)
        decoded.findings.append(_finding(
            "token.signature_invalid", Severity.ERROR, f"Signature does not match the secret lkdebug knows for {mask_key(iss)}",
            f"Secrets tried for {mask_key(iss)}: {tried}.{drift}",
            "Mint with the secret the server holds for this key; look for a trailing newline, quotes, "
            "a truncated secret, or a secret from another project."))
        return for_iss[0].secret
    if others:
        decoded.signature = {"status": "invalid", "key": mask_key(iss), "origin": None,
                             "matched_key": mask_key(others[0].api_key), "matched_origin": others[0].origin}
        decoded.findings.append(_finding(
            "token.signature_invalid", Severity.ERROR,
            f"Signed with the secret of {where(others[0])}, but iss names {mask_key(iss)}",
            f"The server looks up the secret of {mask_key(iss)} and it will not match.{drift}",
            "Use the API key and secret of the same pair (LIVEKIT_API_KEY and LIVEKIT_API_SECRET from one source)."))
        return None
    if hmac_alg and iss:
        decoded.findings.append(_finding(
            "token.signature_unchecked", Severity.WARNING, "Signature NOT checked: lkdebug knows no secret for this key",
            f"Known keys: {', '.join(known_names) or 'none found'}. The verdict below assumes the signature is valid; "
            "a wrong secret would make the server answer `... token signature is invalid ...`.",
            "Set LIVEKIT_API_KEY and LIVEKIT_API_SECRET (environment or .env), or pass --api-secret-file, then decode again."))
    return None


def _surrogate(raw: str, parsed: server_rules.ParsedJWT) -> tuple[str, str]:
    """The same header and claims signed with a throwaway secret, to ask `judge` "if the signature were valid"."""
    secret = "lkdebug-assumed-valid-signature"
    alg = parsed.header.get("alg")
    digest = server_rules.hmac_signature(parsed.signing_input, secret, alg if isinstance(alg, str) else "HS256")
    signature = base64.urlsafe_b64encode(digest or server_rules.hmac_signature(parsed.signing_input, secret))
    return raw.rsplit(".", 1)[0] + "." + signature.rstrip(b"=").decode("ascii"), secret


def _predict(
    decoded: Decoded, parsed: server_rules.ParsedJWT, secret: str | None, server_keys: Mapping[str, str] | None, now: float
) -> None:
    raw = decoded.raw or ""
    iss = parsed.claims.get("iss") or ""
    if server_keys is not None:
        # The server config lkdebug found decides, exactly as that server would.
        decoded.eras = server_rules.judge_every_era(raw, server_keys, now)
    elif secret is not None:
        decoded.eras = server_rules.judge_every_era(raw, {iss: secret}, now)
        decoded.verdict_assumes = f"the server holds the same secret for {mask_key(iss)}"
    else:
        surrogate, assumed = _surrogate(raw, parsed)
        decoded.eras = {
            era: Verdict(v.accepted, v.status, v.message.replace(surrogate, raw), v.reason, v.era)
            for era, v in server_rules.judge_every_era(surrogate, lambda _key: assumed, now).items()
        }
        decoded.verdict_assumes = "the signature is valid and the server knows the key (no secret could be checked)"
    decoded.verdict = decoded.eras[server_rules.CURRENT_ERA]


def _server_words(decoded: Decoded, reason: str, verifier_text: str) -> str:
    """The current server's body when this is the reason it gives, else the verifier's own words."""
    if decoded.verdict is not None and decoded.verdict.reason == reason:
        body = decoded.verdict.message.replace(decoded.raw or "", "<the token>") if decoded.raw else decoded.verdict.message
        return f" A current server answers {decoded.verdict.status} `{scrub(body, decoded.secrets)}`."
    return f" The server's verifier says `{verifier_text}`."


def _lint_times(decoded: Decoded, now: float) -> None:
    claims, add = decoded.claims, decoded.findings.append
    current = dict(server_rules.time_errors(claims, now))
    exp, nbf, iat = claims.get("exp"), claims.get("nbf"), claims.get("iat")
    if exp is not None:
        until_exp = _seconds_between(exp, now)
        if "expired" in current:
            add(_finding(
                "token.expired", Severity.ERROR, f"Expired {span(until_exp)} ago",
                f"exp is {decoded.times['exp']['iso']}; the server allows 60 s of leeway past exp and no more."
                + _server_words(decoded, "expired", current["expired"]),
                "Mint a fresh token just before connecting; don't cache or pre-fetch tokens (disable route caching), "
                "and fetch a new one when a connection fails."))
        elif until_exp <= 0:
            add(_finding(
                "token.expired", Severity.WARNING, f"Past exp by {span(until_exp)}, inside the server's 60 s leeway",
                f"The server still accepts it for {span(until_exp + LEEWAY_S)} more.", "Mint a fresh token."))
    if nbf is not None:
        until_nbf = _seconds_between(nbf, now)
        if "not_yet_valid" in current:
            add(_finding(
                "token.not_yet_valid", Severity.ERROR, f"Not valid for another {span(until_nbf)}",
                f"nbf is {decoded.times['nbf']['iso']}, more than the server's 60 s of leeway ahead of this clock. "
                "Tokens are minted with nbf = now, so the minting host's clock is ahead (clock skew) or this "
                "machine's is behind." + _server_words(decoded, "not_yet_valid", current["not_yet_valid"]),
                "Sync the minting host's clock (NTP; `sudo hwclock -s` in WSL2, restart Docker Desktop) and compare "
                "clocks with `lkdebug check`. Never set nbf by hand."))
        elif until_nbf > 0:
            add(_finding(
                "token.not_yet_valid", Severity.WARNING, f"nbf is {span(until_nbf)} ahead, inside the server's 60 s leeway",
                "The server accepts it, but the minting host's clock is ahead of this one: a little more skew and it won't.",
                "Compare clocks with `lkdebug check`."))
    head = dict(server_rules.time_errors(claims, now, server_rules.HEAD))
    if "no_exp" in head:
        add(_finding(
            "token.no_exp", Severity.WARNING, "No exp: the token never expires on released servers",
            "Servers up to v1.13.5 accept it forever (a leaked token stays usable); unreleased livekit-server HEAD "
            f"rejects it: `{head['no_exp']}`.",
            "Mint with a TTL (every SDK and `lkdebug token create` set exp)."))
    start = nbf if nbf is not None else iat
    if exp is not None and start is not None:
        ttl = _seconds_between(exp, start)
        if ttl < TTL_SHORT_S:
            add(_finding(
                "token.ttl_short", Severity.WARNING,
                "TTL is zero: exp equals nbf" if ttl == 0 else (
                    f"exp is {span(ttl)} before nbf" if ttl < 0 else f"TTL is only {span(ttl)}"),
                "Only the server's 60 s leeway keeps it usable: any delay or clock skew and the join fails with "
                "`token is expired`.",
                "Give it minutes to hours (the SDKs default to 6h, `lk token create` to 5 min)."))
        elif ttl > TTL_LONG_S:
            add(_finding(
                "token.ttl_long", Severity.WARNING, f"TTL is {span(ttl)}: longer than a day",
                "Anyone who gets hold of it can join until it expires; LiveKit tokens cannot be revoked.",
                "Mint short-lived tokens per session (the SDK default is 6h) and fetch new ones when needed."))
    older = dict(server_rules.time_errors(claims, now, server_rules.V1_4))
    if "iat_future" in older:
        add(_finding(
            "token.iat_future", Severity.WARNING, f"iat is {span(_seconds_between(iat, now))} in the future",
            f"Current servers ignore iat, but v1.4.1 to v1.12.x reject it: `{older['iat_future']}`. "
            "The minting host's clock is ahead.",
            "Sync the minting host's clock (NTP)."))


# How to get past each join refusal, so every missing piece is reported at once, not one per attempt.
_JOIN_REPAIRS = {
    "no_video": lambda c: c.__setitem__("video", {}),
    "no_join": lambda c: c["video"].__setitem__("roomJoin", True),
    "no_identity": lambda c: c.__setitem__("sub", "x"),
    "identity_too_long": lambda c: c.__setitem__("sub", "x"),
    "no_room": lambda c: c["video"].__setitem__("room", "x"),
    "room_too_long": lambda c: c["video"].__setitem__("room", "x"),
}
_JOIN_FINDINGS = {
    "no_video": ("token.no_video", "No video grant: the token cannot join a room",
                 'Add a video grant with roomJoin and room (`{"video": {"roomJoin": true, "room": "my-room"}}`).'),
    "no_join": ("token.no_join", "video.roomJoin is not set: the token cannot join a room",
                "Add roomJoin: true (`--join`)."),
    "no_identity": ("token.no_identity", "No identity (sub is empty)",
                    "Set a unique identity per participant (`--identity`; `with_identity()` / `identity:` in the SDKs)."),
    "identity_too_long": ("token.identity_too_long", "The identity is longer than 256 characters",
                          "Use a shorter identity (the server's default limit is 256)."),
    "no_room": ("token.no_room", "No room (video.room is empty)",
                'Set video.room to the room to join (`--room`). The JS grant field is `room`, not `roomName`.'),
    "room_too_long": ("token.room_too_long", "The room name is longer than 256 characters",
                      "Use a shorter room name (the server's default limit is 256)."),
}
_API_GRANTS = ("roomCreate", "roomList", "roomRecord", "roomAdmin", "ingressAdmin")


def _lint_grants(decoded: Decoded) -> None:
    claims, add = decoded.claims, decoded.findings.append
    video = claims.get("video") if isinstance(claims.get("video"), dict) else None
    joins = bool(video and video.get("roomJoin"))
    api_grants = [name for name in _API_GRANTS if video and video.get(name) is True]
    other_grants = [g for g in GRANT_OBJECTS if g not in ("video", "roomConfig") and isinstance(claims.get(g), dict)
                    and any(v is True for v in claims[g].values())]
    participant = joins or not (api_grants or other_grants)

    # Every join refusal in the server's order, each fixed in a copy to find the next.
    trial = json.loads(json.dumps(claims))
    # A grant of the wrong JSON type fails before any join check (reported with the verdict).
    typed = server_rules.grant_type_error(claims) is None
    for _ in _JOIN_REPAIRS if typed else ():
        verdict = server_rules.join_verdict(trial)
        if verdict.accepted or verdict.reason not in _JOIN_REPAIRS:
            break
        code, title, fix = _JOIN_FINDINGS[verdict.reason]
        if participant:
            add(_finding(code, Severity.ERROR, title, f"A join answers {verdict.status} `{verdict.message}`.", fix))
        else:
            add(_finding(code, Severity.INFO, title,
                         f"This looks like a server API token ({', '.join(api_grants + other_grants)}), which is fine; "
                         f"a join with it answers {verdict.status} `{verdict.message}`.", None))
        _JOIN_REPAIRS[verdict.reason](trial)

    if video is not None:
        if "roomName" in video:
            add(_finding(
                "token.room_name_key", Severity.ERROR if participant and not video.get("room") else Severity.WARNING,
                "video.roomName is not a LiveKit grant: the field is `room`",
                "The server ignores roomName, so the token has no room: a join answers 400 `no room name` "
                "(older SDKs created a room named \"\").",
                'Rename roomName to room (`addGrant({ room: "my-room", roomJoin: true })`).'))
        _lint_unknown_names(add, "video", video, skip=("roomName",))
        if joins and api_grants:
            add(_finding(
                "token.admin_grant", Severity.WARNING,
                f"A participant (join) token that also carries {', '.join(api_grants)}",
                " ".join(f"{name}: {grant('video.' + name).meaning}" for name in api_grants)
                + " Whoever holds a participant token (the browser) gets these powers too.",
                "Give clients join-only tokens; mint admin tokens on your server for server API calls."))
        sources = video.get("canPublishSources")
        if video.get("canPublish") is False and isinstance(sources, list) and sources:
            add(_finding(
                "token.sources_without_publish", Severity.WARNING,
                "canPublishSources is set but canPublish is false: nothing can be published",
                f"The server checks canPublish first; the sources ({', '.join(map(str, sources))}) never apply.",
                "Set canPublish: true (or drop canPublishSources)."))
        if isinstance(sources, list):
            bad = [s for s in sources if s not in grant("video.canPublishSources").choices]
            if bad:
                add(_finding(
                    "token.unknown_grant", Severity.WARNING, f"Unknown track source in canPublishSources: {', '.join(map(str, bad))}",
                    f"Sources are lowercase: {', '.join(grant('video.canPublishSources').choices)}.", "Use those names."))
    for group in GRANT_OBJECTS:
        if group != "video" and isinstance(claims.get(group), dict):
            _lint_unknown_names(add, group, claims[group])
    kind = claims.get("kind")
    if kind is not None and kind not in PARTICIPANT_KINDS:
        add(_finding(
            "token.unknown_grant", Severity.WARNING, f"Unknown participant kind {str(kind)[:40]!r}: the server treats it as standard",
            f"Kinds: {', '.join(PARTICIPANT_KINDS)}.", "Use one of those (lowercase)."))
    custom = [name for name in claims if grant(name) is None and name not in (*GRANT_OBJECTS, "aud", "identity")]
    if "identity" in claims and not claims.get("sub"):
        add(_finding(
            "token.unknown_grant", Severity.WARNING, "A top-level `identity` claim is not read: the identity is `sub`",
            "The server takes the identity from sub (or jti), never from an identity claim.", "Put the identity in sub."))
    if custom:
        add(_finding(
            "token.custom_claims", Severity.INFO, f"Claims LiveKit does not use: {', '.join(c[:30] for c in custom[:8])}",
            "The server ignores them.", None))


def _lint_unknown_names(add, group: str, values: dict, skip: tuple[str, ...] = ()) -> None:
    known = [g.json_name for g in in_group(group)]
    unknown = [name for name in values if name not in known and name not in skip]
    if not unknown:
        return
    import difflib  # only when there is something to suggest

    hints = []
    for name in unknown:
        close = difflib.get_close_matches(name, known, n=1)
        hints.append(f"{name[:40]!r}" + (f" (did you mean {close[0]!r}?)" if close else ""))
    add(_finding(
        "token.unknown_grant", Severity.WARNING, f"Unknown {GROUPS[group].lower()} name(s): {', '.join(hints)}",
        f"The server ignores them. Known names: {', '.join(known)}.",
        "Use the exact camelCase names (the SDKs' grant types get them right)."))


# Verdict reasons and the finding codes that explain them; a rejection nobody explained gets token.rejected.
_REASON_CODES = {
    "unknown_key": "token.unknown_key", "alg": "token.alg", "signature": "token.signature_invalid",
    "expired": "token.expired", "not_yet_valid": "token.not_yet_valid", "malformed_claims": "token.grant_type",
    **{reason: code for reason, (code, _, _) in _JOIN_FINDINGS.items()},
}


def _conclude(decoded: Decoded) -> None:
    verdict, alg = decoded.verdict, decoded.header.get("alg")
    if alg != "HS256":
        decoded.findings.insert(0, _finding(
            "token.alg", Severity.ERROR, f"Signed with {str(alg)[:20]}: livekit-server v1.13 accepts only HS256",
            _server_words(decoded, "alg", f"signing method {str(alg)[:20]} is invalid").strip()
            + " (v1.4.1 to v1.12.x accepted HS384 and HS512 too.)",
            "Mint with HS256 (every LiveKit SDK does)."))
    if verdict is None:
        return
    assumed = f" (assuming {decoded.verdict_assumes})" if decoded.verdict_assumes else ""
    if verdict.accepted:
        decoded.findings.append(_finding(
            "token.valid", Severity.OK, f"livekit-server would accept this token{assumed}",
            f"/rtc/validate answers {verdict.status} `{verdict.message}` ({server_rules.ERAS[verdict.era]}).", None))
        return
    code = _REASON_CODES.get(verdict.reason, "token.rejected")
    if not any(f.code == code for f in decoded.findings):
        title = ("A grant has the wrong JSON type (e.g. \"roomJoin\": \"true\" instead of true)"
                 if verdict.reason == "malformed_claims" else f"livekit-server would reject this token: {verdict.status}")
        decoded.findings.append(_finding(
            code, Severity.ERROR, title + assumed,
            f"It answers `{decoded.verdict_message()}`.",
            "Mint the token with a LiveKit SDK or `lkdebug token create`."))
