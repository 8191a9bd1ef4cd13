"""Decode and explain whatever a person pastes as a LiveKit access token.

`decode` never raises: it finds the JWT (`paste`) or says what the input is instead, checks the signature
against every secret lkdebug knows, predicts the server's answer with `server_rules` (never re-implemented
here) and lints the claims (`token_lint`). It imports neither textual, livekit-api nor PyJWT, so
`lkdebug token decode` starts fast; verification follows the server's own parsers (`server_rules`), which
PyJWT cannot model.
"""

from __future__ import annotations

import binascii
import json
from collections.abc import Mapping, Sequence

from lkdebug.core import codec, server_rules
from lkdebug.core.model import Finding, KnownKey, Severity
from lkdebug.core.paste import CORRECT_AS_SENT, JWT_SHAPE, MAX_INPUT, looks_like, unwrap
from lkdebug.core.records import dataclass, field
from lkdebug.core.redact import mask_key, mask_secret, mask_token, scrub
from lkdebug.core.server_rules import Verdict
from lkdebug.core.times import describe_time, iso_utc, seconds_between
from lkdebug.core.token_lint import JOIN_FINDINGS, finding, lint_grants, lint_times, server_words


def _lenient_json(segment: str) -> dict:
    """Best-effort look inside a segment the server refuses, so the person still sees what it holds."""
    unpadded = segment.replace("+", "-").replace("/", "_").rstrip("=")
    try:
        value = json.loads(codec.b64url_decode(unpadded + "=" * (-len(unpadded) % 4)))
    except (ValueError, binascii.Error, RecursionError):
        return {}
    return value if isinstance(value, dict) else {}


@dataclass(frozen=True)
class TimeClaim:
    """A time claim (nbf, exp, iat) as a date and in words, seen from the moment the token was judged at."""

    unix: int | float
    iso: str | None  # None for a number no date can hold
    relative: str  # "expired 3 min ago", "valid for 5h 59m more"

    def to_dict(self) -> dict:
        return {"unix": self.unix, "iso": self.iso, "relative": self.relative}


@dataclass(frozen=True)
class Signature:
    """What the signature check found (DESIGN §3 `decode.signature`); keys are masked, origins are sources."""

    status: str = "unchecked"  # valid | invalid | unchecked
    key: str | None = None  # the key the token names (iss), masked
    origin: str | None = None  # where the secret that matched, or the one tried for iss, came from
    truncated: bool = False  # too short for its algorithm: no secret can match it
    matched_key: str | None = None  # another known key whose secret does match (key/secret drift), masked
    matched_origin: str | None = None

    def to_dict(self) -> dict:
        """status, key and origin always; the rest only when they say something (as scripts have seen them)."""
        out: dict = {"status": self.status, "key": self.key, "origin": self.origin}
        if self.truncated:
            out["truncated"] = True
        if self.matched_key is not None:
            out.update(matched_key=self.matched_key, matched_origin=self.matched_origin)
        return out


@dataclass
class Decoded:
    raw: str | None  # the JWT found in the input, or None
    stripped: list[str] = field(default_factory=list)  # what was removed around it
    looks_like: str | None = None  # when not a JWT: what the input is instead
    header: dict = field(default_factory=dict)
    claims: dict = field(default_factory=dict)
    times: dict[str, TimeClaim] = field(default_factory=dict)  # by claim: nbf, exp, iat (those that are numbers)
    signature: Signature = field(default_factory=Signature)
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

    def times_dict(self) -> dict:
        return {claim: at.to_dict() for claim, at in self.times.items()}

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
            "times": self.times_dict(),
            "signature": self.signature.to_dict(),
            "verdict": None if self.verdict is None else {
                **verdict_dict(self.verdict.era, self.verdict), "assumes": self.verdict_assumes},
            "eras": {era: verdict_dict(era, verdict) for era, verdict in self.eras.items()},
            "findings": [f.to_dict() for f in self.findings],
        }


def _times(claims: dict, now: float) -> dict[str, TimeClaim]:
    times = {}
    for claim in ("nbf", "exp", "iat"):
        at = claims.get(claim)
        if isinstance(at, bool) or not isinstance(at, (int, float)):
            continue
        times[claim] = TimeClaim(at, iso_utc(at), describe_time(claim, seconds_between(at, now)))
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
    if isinstance(text, (str, bytes)) and len(text) > MAX_INPUT:
        return _too_long()
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    candidate, stripped, stop = unwrap(text if isinstance(text, str) else str(text))
    keys = _candidate_keys(known_keys, server_keys)
    decoded = Decoded(raw=None, stripped=stripped, secrets=tuple(k.secret for k in keys))
    risky = [item for item in stripped if not item.startswith(("surrounding whitespace", "URL", "JSON"))
             and not item.endswith(CORRECT_AS_SENT)]
    if risky:
        spaces = " v1.12.x and older strip spaces and line breaks themselves; v1.13 and later strip nothing." if any(
            item.startswith("line breaks") for item in risky) else ""
        decoded.findings.append(finding(
            "token.wrapped", Severity.INFO, f"Removed {', '.join(risky)} before decoding",
            "The server needs the bare JWT: as ?access_token=<jwt> or after `Authorization: Bearer ` "
            "(capital B, one space). Sent with these extras a current server answers 401 `invalid authorization "
            f"token`.{spaces} The verdict below is for the cleaned token, what your client most likely sends.",
            "Make sure your client sends only the token itself."))

    if stop is not None or not JWT_SHAPE.fullmatch(candidate):
        decoded.looks_like, code, fix = looks_like(candidate, stop)
        _judge_as_sent(decoded, candidate, now)
        decoded.findings.append(finding(
            code, Severity.ERROR, f"Not a JWT: this is {decoded.looks_like}",
            f"The server answers {decoded.verdict.status} `{decoded.verdict.message}` to it.", fix))
        return decoded

    decoded.raw = candidate
    parsed = server_rules.parse(candidate)
    if isinstance(parsed, server_rules.Unparseable):
        parts = candidate.split(".")
        decoded.header, decoded.claims = _lenient_json(parts[0]), _lenient_json(parts[1])
        decoded.times = _times(decoded.claims, now)
        decoded.looks_like = "a JWT the server cannot parse"
        # Older servers parse some of what v1.13 refuses (padding, spaces): judge it with the keys lkdebug knows.
        _judge_as_sent(decoded, candidate, now, {k.api_key: k.secret for k in keys} if server_keys is None else server_keys)
        cut = _truncated_signature(candidate, decoded.header.get("alg"))
        if cut and not parsed.why.startswith(("the header", "the payload")):
            decoded.findings.append(_truncated(f"{cut} The server answers {decoded.verdict.status} `{decoded.verdict.message}`."))
            return decoded
        decoded.findings.append(finding(
            "token.not_jwt", Severity.ERROR, f"Looks like a JWT, but the server cannot parse it: {parsed.why}",
            f"The server answers {decoded.verdict.status} `{decoded.verdict.message}` (it never says why).",
            f"Drop the trailing '=' (JWTs are unpadded base64url): {_who_trims(decoded.eras)}. "
            "Whatever added it (a base64 call with padding, a URL encoder) should not touch the token."
            if "padding" in parsed.why else
            "Mint the token with a LiveKit server SDK, `lk token create` or `lkdebug token create` instead of by hand."))
        return decoded

    decoded.header, decoded.claims = parsed.header, parsed.claims
    decoded.times = _times(parsed.claims, now)
    secret = _check_signature(decoded, parsed, keys, server_keys)
    _predict(decoded, parsed, secret, server_keys, now, keys)
    lint_times(decoded, now)
    lint_grants(decoded)
    _conclude(decoded)
    return decoded


def _who_trims(eras: Mapping[str, Verdict]) -> str:
    """"v1.4.1 to v1.12.x trim it; it is refused by ...", from each era's verdict on the padded token (an era
    that cannot parse it answers `invalid authorization token`), so the releases named cannot drift."""
    trimmed = [era for era, verdict in eras.items() if verdict.reason != "malformed"]
    refused = [era for era in eras if era not in trimmed]
    return "; ".join(([f"{' and '.join(_neighbours(trimmed))} trim it"] if trimmed else [])
                     + ([f"it is refused by {', and by '.join(_neighbours(refused))}"] if refused else []))


def _neighbours(eras: Sequence[str]) -> list[str]:
    """Runs of neighbouring eras, each as the releases it spans."""
    order, runs = list(server_rules.ERAS), []
    for era in eras:
        if runs and order.index(era) == order.index(runs[-1][-1]) + 1:
            runs[-1].append(era)
        else:
            runs.append([era])
    return [server_rules.span_label(run) for run in runs]


def _too_long() -> Decoded:
    """Input far beyond any token is not examined: unwrapping a 20 MB URL-shaped paste took 800 MiB."""
    decoded = Decoded(raw=None, looks_like=f"over {MAX_INPUT >> 20} MiB of text")
    decoded.findings.append(finding(
        "token.not_jwt", Severity.ERROR, f"Not a LiveKit token: over {MAX_INPUT >> 20} MiB of text",
        f"LiveKit tokens are a few KB, a metadata-heavy one about a megabyte; lkdebug examines at most {MAX_INPUT >> 20} MiB "
        "of input, so it did not look inside this.",
        "Paste only the token (or the URL or JSON that carries it), not a whole log or file."))
    return decoded


def _judge_as_sent(decoded: Decoded, candidate: str, now: float, keys: Mapping[str, str] | None = None) -> None:
    """What the server answers to input that is not a usable JWT for a current server."""
    decoded.eras = server_rules.judge_every_era(candidate, keys or {}, now)
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
        decoded.findings.append(finding(
            "token.unknown_key", Severity.ERROR, "The token has no iss claim: the server cannot tell which secret signed it",
            "livekit-server looks the secret up by `iss`; without it every server answers 401 `invalid API key`.",
            "Mint the token with an SDK or `lkdebug token create`: they set iss to the API key."))
    elif server_keys is not None and iss not in server_keys:
        decoded.findings.append(finding(
            "token.unknown_key", Severity.ERROR, f"The server config has no key {mask_key(iss)}",
            f"The livekit-server config lkdebug found holds {', '.join(sorted(mask_key(k) for k in server_keys)) or 'no keys'}; "
            f"that server answers 401 `invalid API key: {iss}`.",
            "Mint with a key the server holds, or add this key and its secret to the server's keys."))
    elif keys and not for_iss:
        project = ", ".join(sorted({f"{mask_key(k.api_key)} (from {k.origin})" for k in keys}))
        decoded.findings.append(finding(
            "token.unknown_key", Severity.ERROR, f"Signed with key {mask_key(iss)}, which this project does not have",
            f"This project's keys: {project}. Its server answers 401 `invalid API key: {iss}`; only a server "
            f"that holds {mask_key(iss)} (another project, or LiveKit Cloud) would accept the token, and lkdebug "
            "cannot check its signature.",
            "Mint the token with this project's key and secret, or point the client at the server that holds this key."))

    if good:
        decoded.signature = Signature("valid", mask_key(iss), good[0].origin)
        decoded.findings.append(finding(
            "token.signature_valid", Severity.OK, f"Signature matches the secret of {where(good[0])}",
            f"Secret {mask_secret(good[0].secret)}."))
        return good[0].secret
    drift = (f" Another known secret does match: the one of {', '.join(where(k) for k in others)}: "
             "the token was signed with that key's secret but names a different key (key/secret drift)."
             if others else "")
    cut = _truncated_signature(decoded.raw or "", parsed.header.get("alg"))
    if cut:
        decoded.signature = Signature("invalid", mask_key(iss), truncated=True)
        decoded.findings.append(_truncated(cut))
        return for_iss[0].secret if for_iss else None
    if for_iss and hmac_alg:
        decoded.signature = Signature("invalid", mask_key(iss), for_iss[0].origin)
        tried = "; ".join(f"{k.origin}: {mask_secret(k.secret)}" for k in for_iss)
        decoded.findings.append(finding(
            "token.signature_invalid", Severity.ERROR, f"Signature does not match the secret lkdebug knows for {mask_key(iss)}",
            f"Secrets tried for {mask_key(iss)}: {tried}.{drift}",
            "Mint with the secret the server holds for this key; look for a trailing newline, quotes, "
            "a truncated secret, or a secret from another project."))
        return for_iss[0].secret
    if others:
        decoded.signature = Signature("invalid", mask_key(iss), matched_key=mask_key(others[0].api_key),
                                      matched_origin=others[0].origin)
        decoded.findings.append(finding(
            "token.signature_invalid", Severity.ERROR,
            f"Signed with the secret of {where(others[0])}, but iss names {mask_key(iss)}",
            f"The server looks up the secret of {mask_key(iss)} and it will not match.{drift}",
            "Use the API key and secret of the same pair (LIVEKIT_API_KEY and LIVEKIT_API_SECRET from one source)."))
        return None
    if hmac_alg and iss:
        decoded.findings.append(finding(
            "token.signature_unchecked", Severity.WARNING, "Signature NOT checked: lkdebug knows no secret for this key",
            f"Known keys: {', '.join(known_names) or 'none found'}. The verdict below assumes the signature is valid; "
            "a wrong secret would make the server answer `... token signature is invalid ...`.",
            "Set LIVEKIT_API_KEY and LIVEKIT_API_SECRET (environment or .env), or pass --api-secret-file, then decode again."))
    return None


_SIGNATURE_CHARS = {"HS256": 43, "HS384": 64, "HS512": 86}  # unpadded base64url of a 32/48/64-byte HMAC


def _truncated(detail: str) -> Finding:
    return finding("token.truncated", Severity.ERROR, "The token looks cut short: its signature is incomplete", detail,
                    "Copy the whole token again (a terminal, a log line or a chat message often cuts it at its width).")


def _truncated_signature(raw: str, alg: object) -> str | None:
    """Why the signature segment is too short for its algorithm, or None."""
    want = _SIGNATURE_CHARS.get(alg) if isinstance(alg, str) else None
    have = len(raw.rsplit(".", 1)[-1]) if raw.count(".") == 2 else None
    if want is None or have is None or have >= want:
        return None
    return (f"The signature is {have} characters; an {alg} signature has exactly {want}. No secret can match it, "
            "so the server answers `token signature is invalid` whatever secret it holds.")


def _predict(
    decoded: Decoded, parsed: server_rules.ParsedJWT, secret: str | None, server_keys: Mapping[str, str] | None, now: float,
    keys: Sequence[KnownKey] = (),
) -> None:
    raw = decoded.raw or ""
    iss = parsed.claims.get("iss") or ""
    if server_keys is not None:
        # The server config lkdebug found decides, exactly as that server would.
        decoded.eras = server_rules.judge_every_era(raw, server_keys, now, parsed=parsed)
    elif secret is not None:
        decoded.eras = server_rules.judge_every_era(raw, {iss: secret}, now, parsed=parsed)
        decoded.verdict_assumes = f"the server holds the same secret for {mask_key(iss)}"
    elif decoded.findings and any(f.code == "token.truncated" for f in decoded.findings):
        # Any secret the server holds fails on a cut-short signature: judge with one that cannot match.
        decoded.eras = server_rules.judge_every_era(raw, lambda _key: "lkdebug: no secret matches a cut-short signature", now,
                                                    parsed=parsed)
        decoded.verdict_assumes = f"the server knows the key {mask_key(iss)}"
    elif keys and iss and all(k.api_key != iss for k in keys):
        # A key this project does not have: its server is the one the person is debugging.
        decoded.eras = server_rules.judge_every_era(raw, {k.api_key: k.secret for k in keys}, now, parsed=parsed)
        decoded.verdict_assumes = "the server holds this project's keys (" + ", ".join(
            sorted({mask_key(k.api_key) for k in keys})) + ")"
    else:
        decoded.eras = server_rules.judge_every_era(raw, {}, now, assume_signature=True, parsed=parsed)
        decoded.verdict_assumes = "the signature is valid and the server knows the key (no secret could be checked)"
    decoded.verdict = decoded.eras[server_rules.CURRENT_ERA]


# Verdict reasons and the finding codes that explain them; a rejection nobody explained gets token.rejected.
_REASON_CODES = {
    "unknown_key": "token.unknown_key", "alg": "token.alg", "signature": "token.signature_invalid",
    "expired": "token.expired", "not_yet_valid": "token.not_yet_valid", "malformed_claims": "token.grant_type",
    **{reason: code for reason, (code, _, _) in JOIN_FINDINGS.items()},
}


def _conclude(decoded: Decoded) -> None:
    verdict, alg = decoded.verdict, decoded.header.get("alg")
    if alg != "HS256":
        # The eras that do not refuse the algorithm by name (go-jose's), from their verdicts on this token.
        older = [era for era, answer in decoded.eras.items() if answer.reason != "alg"]
        decoded.findings.insert(0, finding(
            "token.alg", Severity.ERROR, f"Signed with {str(alg)[:20]}: livekit-server v1.13 accepts only HS256",
            server_words(decoded, "alg", f"signing method {str(alg)[:20]} is invalid").strip()
            + (f" ({server_rules.span_label(older)} accepted HS384 and HS512 too.)" if older else ""),
            "Mint with HS256 (every LiveKit SDK does)."))
    if verdict is None:
        return
    assumed = f" (assuming {decoded.verdict_assumes})" if decoded.verdict_assumes else ""
    if verdict.accepted:
        title = (f"A server that holds key {mask_key(decoded.claims.get('iss') or '')} would accept this token "
                 "if its signature is right (not checked: lkdebug knows no secret for it)"
                 if decoded.signature.status == "unchecked" else f"livekit-server would accept this token{assumed}")
        decoded.findings.append(finding(
            "token.valid", Severity.OK, title,
            f"/rtc/validate answers {verdict.status} `{verdict.message}` ({server_rules.ERAS[verdict.era]}).", None))
        return
    code = _REASON_CODES.get(verdict.reason, "token.rejected")
    explained = {code, "token.truncated"} if verdict.reason in ("signature", "malformed") else {code}
    if not any(f.code in explained for f in decoded.findings):
        title = ("A claim has the wrong JSON type (e.g. \"roomJoin\": \"true\" instead of true, or metadata as an object)"
                 if verdict.reason == "malformed_claims" else f"livekit-server would reject this token: {verdict.status}")
        decoded.findings.append(finding(
            code, Severity.ERROR, title + assumed,
            f"It answers `{decoded.verdict_message()}`.",
            "Mint the token with a LiveKit SDK or `lkdebug token create`."))
