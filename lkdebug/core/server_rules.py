"""How livekit-server decides about a token, per server version, and the exact words it answers.

Single source of truth for DESIGN §5 and reference/livekit-server-behaviour.md §2.2-2.6: the
decoder predicts verdicts with it and the stand-in server answers with it, so the two can never
drift apart. Oracles that do not share this code: the wording tables in tests/, and
livekit-api's TokenVerifier for signatures and leeway.
"""

from __future__ import annotations

import binascii
import json
import math
import re
from collections.abc import Callable, Mapping

from lkdebug.core import codec, lazyre
from lkdebug.core.records import dataclass, field

# Server eras, newest first: within one era every token gets the same answer. A key names the minor
# release the era starts in (v1.4 starts at v1.4.1, the first on go-jose v3); values are what a person reads.
# v1.9, v1.6 and v1.4 share go-jose v3 and differ only in the join checks (reference, "Steps, in order", 5):
# the length limits come in v1.6.2 (9a5db132e), `no room name` in v1.9.1 (b9a44c3fb).
HEAD = "head"
V1_13 = "v1.13"
V1_9 = "v1.9"
V1_6 = "v1.6"
V1_4 = "v1.4"
V1_0 = "v1.0"
ERAS: dict[str, str] = {
    HEAD: "unreleased (after v1.13.5)",
    V1_13: "v1.13.0 to v1.13.5",
    V1_9: "v1.9.1 to v1.12.x",
    V1_6: "v1.6.2 to v1.9.0",
    V1_4: "v1.4.1 to v1.6.1",
    V1_0: "v1.4.0 and older",
}
CURRENT_ERA = V1_13
# Each era's first and last release, for naming a run of neighbouring eras (None: open-ended).
_SPANS = {
    HEAD: (None, None), V1_13: ("v1.13.0", "v1.13.5"), V1_9: ("v1.9.1", "v1.12.x"),
    V1_6: ("v1.6.2", "v1.9.0"), V1_4: ("v1.4.1", "v1.6.1"), V1_0: (None, "v1.4.0"),
}
_GOLANG_JWT = (HEAD, V1_13)
_GO_JOSE_V3 = (V1_9, V1_6, V1_4)
_WITHOUT_LIMITS = (V1_4, V1_0)  # before v1.6.2: no identity or room length limit
_ROOM_FROM_QUERY = (V1_6, V1_4, V1_0)  # before v1.9.1: a token without a room joins ?room=, which may be empty
# What a 401 body can tell (`recognise_era`): go-jose v3's wording is the same in its three eras, and
# every released server words an unknown key alike.
GO_JOSE_V3 = "v1.4-v1.12"
RELEASED = "released"
ERA_LABELS: dict[str, str] = {**ERAS, GO_JOSE_V3: "v1.4.1 to v1.12.x", RELEASED: "v1.13.5 or older"}

LEEWAY_S = 60
MAX_IDENTITY_LENGTH = 256
MAX_ROOM_NAME_LENGTH = 256

# Algorithms golang-jwt knows (ParseUnverified fails with "unavailable" for any other).
_GOLANG_JWT_ALGS = {
    "HS256", "HS384", "HS512", "RS256", "RS384", "RS512", "ES256", "ES384", "ES512",
    "PS256", "PS384", "PS512", "EdDSA", "none",
}
_HMAC = {"HS256": codec.sha256, "HS384": codec.sha384, "HS512": codec.sha512}

BAD_HEADER = "invalid authorization header. Must start with Bearer "
MALFORMED = "invalid authorization token"
NO_PERMISSIONS = "no permissions to access the room"
PERMISSIONS_DENIED = "permissions denied"
IDENTITY_EMPTY = "identity cannot be empty"
IDENTITY_TOO_LONG = "participant identity length exceeds limits: max length 256"
NO_ROOM = "no room name"
ROOM_TOO_LONG = "room name length exceeds limits: max length 256"
SUCCESS = "success"


@dataclass(frozen=True)
class Verdict:
    """What one server era answers to `GET /rtc/validate?access_token=<token>`.

    `reason` is a stable cause (ok, bad_header, malformed, unknown_key, alg, signature, expired,
    not_yet_valid, iat_future, no_exp, no_video, no_join, no_identity, identity_too_long,
    no_room, room_too_long); `message` is the server's body text, verbatim (it may echo the
    token: redact before showing).
    """

    accepted: bool
    status: int
    message: str
    reason: str
    era: str

    def to_dict(self) -> dict[str, object]:
        return {"accepted": self.accepted, "status": self.status, "message": self.message}


_URL_SEGMENT = lazyre.compile(r"[A-Za-z0-9_-]*")
# Go's unicode.IsSpace: Latin-1's six spaces, U+0085 and U+00A0, then the White_Space property (Python's
# str.isspace also counts the separators U+001C to U+001F, which Go keeps). See _strip_go_spaces.
_GO_SPACES = lazyre.compile("[\t\n\v\f\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+")
_REGISTERED = ("iss", "sub", "aud", "exp", "nbf", "iat", "jti")
_TIMES = ("exp", "nbf", "iat")
_MAX_FLOAT = 1.7976931348623157e308
_LONE_SURROGATE = lazyre.compile("[\ud800-\udfff]")  # Go's json decodes a lone `\\ud800` escape to U+FFFD


class _Refused(ValueError):
    """Why the server's parser refuses a token: the text a person reads."""


@dataclass(frozen=True)
class ParsedJWT:
    """A token as the server's parser of one era reads it.

    `claims` are the claims under their canonical names (golang-jwt folds `ISS` into `iss` and merges
    duplicates; go-jose takes them as written). `times` are exp/nbf/iat as that era compares them
    (floored or truncated to whole seconds). `grant_error` is go-jose's verify-time grant failure
    (a duplicate key inside a grant), which it reports only after the signature.
    """

    header: dict
    claims: dict
    signing_input: bytes
    signature: bytes
    times: dict = field(default_factory=dict)
    grant_error: str | None = None


@dataclass(frozen=True)
class Unparseable:
    """The parser refuses the token: the server answers only `invalid authorization token`, this says why."""

    why: str


def _parser(era: str) -> str:
    """Which parser an era's server reads tokens with: every era of one parser parses a token alike."""
    return "golang-jwt" if era in _GOLANG_JWT else "go-jose v3" if era in _GO_JOSE_V3 else "square/go-jose v2"


def _segment(text: str, name: str, era: str) -> bytes:
    """One base64url segment: golang-jwt (RawURLEncoding) skips CR/LF and refuses '='; go-jose v3 trims '='."""
    if era in _GOLANG_JWT:
        text = text.replace("\r", "").replace("\n", "")
    elif era in _GO_JOSE_V3:
        text = text.rstrip("=")
    if "=" in text:
        raise _Refused(f"the {name} has base64 padding ('='); JWTs use unpadded base64url")
    if "+" in text or "/" in text:
        raise _Refused(f"the {name} uses standard base64 ('+' or '/'); JWTs use base64url ('-' and '_')")
    # Python's decoder silently drops characters outside the alphabet; Go's refuses them.
    if not _URL_SEGMENT.fullmatch(text) or len(text) % 4 == 1:
        raise _Refused(f"the {name} is not valid base64url")
    return codec.b64url_decode(text + "=" * (-len(text) % 4))


class _Object(list):
    """A JSON object as its (key, value) pairs in order, duplicates kept, until an era folds it."""


def _refuse_constant(name: str) -> float:
    raise _Refused(f"it holds {name}, which is not JSON")


def _json(data: bytes, name: str) -> object:
    """Go's encoding/json: invalid UTF-8 becomes U+FFFD, a BOM or NaN is refused; objects keep their pairs
    (1e400 reads as infinity here; the time claims refuse it as Go's float64 does)."""
    text = data.decode("utf-8", "replace")
    if text.startswith("\ufeff"):
        raise _Refused(f"the {name} starts with a byte-order mark")
    try:
        return json.loads(text, object_pairs_hook=_Object, parse_constant=_refuse_constant)
    except _Refused:
        raise
    except (ValueError, RecursionError):
        raise _Refused(f"the {name} is not JSON") from None


_AS_IS = frozenset({int, float, bool, type(None)})
_folded_names: dict[int, tuple[dict, dict[str, str]]] = {}


def _folded(fields: dict) -> dict[str, str]:
    """The names of `fields` by their case folding, the first of names that fold alike (as golang-jwt's json
    takes the first field that matches): a token of 60,000 claims looked each up in every field name."""
    entry = _folded_names.get(id(fields))
    if entry is None or entry[0] is not fields:
        folded: dict[str, str] = {}
        for name in fields:
            folded.setdefault(name.casefold(), name)
        entry = _folded_names[id(fields)] = (fields, folded)
    return entry[1]


def _plain(item: object, golang: bool, fields: dict | None = None, duplicate: list | None = None) -> object:
    """Pairs to dicts as the era's json does: golang-jwt folds names onto `fields` case-insensitively,
    last wins and objects merge; go-jose is case-sensitive and records a duplicate key."""
    if isinstance(item, _Object):
        out: dict = {}
        folded = _folded(fields) if golang and fields is not None else None
        for key, value in item:
            key = key if key.isascii() else _LONE_SURROGATE.sub("\ufffd", key)
            if folded is not None and key not in fields:
                key = folded.get(key.casefold(), key)
            if type(value) in _AS_IS or (type(value) is str and value.isascii()):
                plain = value  # what _plain returns for it, without the call: a token may hold 60,000 claims
            else:
                inner = fields.get(key) if fields else None
                plain = _plain(value, golang, inner if isinstance(inner, dict) else None, duplicate)
            if key in out:
                if not golang and duplicate is not None:
                    duplicate.append(key)
                if golang and isinstance(out[key], dict) and isinstance(plain, dict):
                    plain = {**out[key], **plain}
            out[key] = plain
        return out
    if isinstance(item, list):
        return [_plain(v, golang, None, duplicate) for v in item]
    if isinstance(item, str):
        return item if item.isascii() else _LONE_SURROGATE.sub("\ufffd", item)
    return item




def _time(name: str, value: object, golang: bool) -> int | None:
    """exp/nbf/iat as the era compares them; _Refused when its parser fails on the value."""
    if value is None:
        return None
    if golang and isinstance(value, str):
        # golang-jwt reads a NumericDate through json.Number: a quoted number is accepted.
        if not re.fullmatch(r"-?(0|[1-9]\d*)(\.\d+)?([eE][-+]?\d+)?", value):
            raise _Refused(f"the {name} claim is not a number of seconds (it is {json.dumps(value)[:40]})")
        value = float(value)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise _Refused(f"the {name} claim is not a number of seconds (it is {json.dumps(value)[:40]})")
    if abs(value) > _MAX_FLOAT or value != value:
        raise _Refused(f"the {name} claim is too large a number for the server")
    return math.floor(value) if golang else int(value)  # golang-jwt floors; go-jose truncates to int64


def parse(raw: str, era: str = CURRENT_ERA) -> ParsedJWT | Unparseable:
    """ParseAPIToken of one era: the token as that server reads it, or why it refuses it.

    golang-jwt (v1.13+) strips nothing and wants exactly three segments; go-jose (older) strips every
    Unicode space first and also reads the JWS JSON serialization.
    """
    try:
        return _parse(raw, era)
    except _Refused as refused:
        return Unparseable(str(refused))
    except (ValueError, TypeError, OverflowError, RecursionError, binascii.Error) as error:
        return Unparseable(f"its parts do not decode ({type(error).__name__})")


def _parse(raw: str, era: str) -> ParsedJWT:
    golang = era in _GOLANG_JWT
    if not golang:
        raw = _strip_go_spaces(raw)
        if raw.startswith("{"):
            raw = _from_json_serialization(raw)
    parts = raw.split(".")
    if len(parts) != 3:
        raise _Refused(f"it has {len(parts)} dot-separated parts; a JWT has exactly 3")
    header_data, payload_data = _segment(parts[0], "header", era), _segment(parts[1], "payload", era)
    signature = _segment(parts[2], "signature", era)
    duplicates: list[str] = []
    header = _plain(_json(header_data, "header"), golang, None, duplicates)
    if header is None:
        header = {}
    if not isinstance(header, dict):
        raise _Refused("the header is JSON but not an object")
    if duplicates:
        raise _Refused(f"the header repeats the key {duplicates[0]!r}")
    alg = header.get("alg")
    if not isinstance(alg, str) or not alg:
        raise _Refused("the header has no usable alg")
    if golang and alg not in _GOLANG_JWT_ALGS:
        raise _Refused(f"the header's alg {alg[:20]!r} is not a JWT algorithm")
    if not golang and "kid" in header and not isinstance(header["kid"], str):
        raise _Refused("the header's kid is not a string")
    loaded = _json(payload_data, "payload")
    if isinstance(loaded, _Object) and not golang:
        seen: set[str] = set()
        repeated = next((key for key, _ in loaded if key in seen or seen.add(key)), None)
        if repeated is not None:  # go-jose refuses a repeated claim while parsing; a repeat inside a grant later
            raise _Refused(f"the payload repeats the claim {repeated!r}")
    nested: list[str] = []
    claims = _plain(loaded, golang, _FIELDS, nested)
    if claims is None:
        claims = {}
    if not isinstance(claims, dict):
        raise _Refused("the payload is JSON but not an object")
    for name in ("iss", "sub", "jti"):
        if claims.get(name) is not None and not isinstance(claims[name], str):
            raise _Refused(f"the {name} claim is not a string")
    aud = claims.get("aud", ...)
    if aud is not ... and not (isinstance(aud, str) or (isinstance(aud, list) and all(isinstance(a, str) for a in aud))
                               or (aud is None and golang)):
        raise _Refused("the aud claim is neither a string nor a list of strings")
    times = {name: _time(name, claims.get(name), golang) for name in _TIMES if claims.get(name) is not None}
    if golang:
        signing_input = f"{parts[0]}.{parts[1]}".encode("ascii", "replace")
    else:
        # go-jose verifies the MAC over the canonical re-encoding of what it decoded.
        signing_input = codec.b64url_encode(header_data).rstrip(b"=") + b"." + codec.b64url_encode(payload_data).rstrip(b"=")
    grant_error = f"json: duplicate key '{nested[0]}' in object" if nested else None
    return ParsedJWT(header, claims, signing_input, signature, times, grant_error)


def _strip_go_spaces(raw: str) -> str:
    """`raw` without Go's unicode spaces, as go-jose's stripWhitespace leaves it.

    str.split() splits on str.isspace, Go's spaces plus U+001C to U+001F, some 50 times faster than the
    regex: it serves whenever none of those four separators is in the text.
    """
    if any(separator in raw for separator in "\x1c\x1d\x1e\x1f"):
        return _GO_SPACES.sub("", raw)
    return "".join(raw.split())


def _from_json_serialization(raw: str) -> str:
    """go-jose reads a JWS in its JSON form too: {"protected", "payload", "signature"} (flattened or one of signatures)."""
    try:
        document = json.loads(raw)
    except (ValueError, RecursionError):
        raise _Refused("it starts with '{' but is not a JWS in JSON form") from None
    if isinstance(document, dict) and isinstance(document.get("signatures"), list) and len(document["signatures"]) == 1:
        document = {**document["signatures"][0], "payload": document.get("payload")}
    if not isinstance(document, dict) or not all(isinstance(document.get(k), str) for k in ("protected", "payload", "signature")):
        raise _Refused("it is JSON, but not a JWS in JSON form")
    return f"{document['protected']}.{document['payload']}.{document['signature']}"


def parse_unverified(raw: str, era: str = CURRENT_ERA) -> ParsedJWT | None:
    """`parse`, for callers that need only "can the server read it": None where it answers `invalid authorization token`."""
    parsed = parse(raw, era)
    return parsed if isinstance(parsed, ParsedJWT) else None


def hmac_signature(signing_input: bytes, secret: str, alg: str = "HS256") -> bytes | None:
    """The HMAC a JWT of `alg` carries (None for a non-HMAC algorithm): signs and verifies alike."""
    digest = _HMAC.get(alg)
    if digest is None:
        return None
    return codec.hmac_digest(_key_bytes(secret), signing_input, digest)


def _key_bytes(secret: str) -> bytes:
    """The secret's bytes as the server holds them. A value that was not UTF-8 in the environment or a file
    reaches Python with its bytes as lone surrogates (surrogateescape) and goes back to those bytes; any other
    lone surrogate is written as WTF-8, since it has no UTF-8 spelling."""
    try:
        return secret.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        return secret.encode("utf-8", "surrogatepass")


def signature_matches(parsed: ParsedJWT, secret: str) -> bool:
    expected = hmac_signature(parsed.signing_input, secret, parsed.header.get("alg", ""))
    return expected is not None and codec.compare_digest(expected, parsed.signature)


def grant_type_error(claims: dict, era: str = CURRENT_ERA) -> str | None:
    """The first claim of the wrong JSON type, in the server's words, or None.

    Go's encoding/json decodes the claims into `tokenClaims{RegisteredClaims; ClaimGrants}` and
    reports the first mismatch in document order; Go >= 1.24 names the struct and the whole path
    (`VideoGrant.ClaimGrants.video.roomJoin`). go-jose's fork of Go 1.6's json (v1.4.1 to v1.12.x
    and older) names only the type. Unknown names are ignored, as Go does.
    """
    old = era not in _GOLANG_JWT

    def error(value: object, struct: str, path: str, want: str) -> str:
        if old:
            return f"json: cannot unmarshal {_go_type(value)} into Go value of type {want}"
        return f"json: cannot unmarshal {_go_type(value)} into Go struct field {struct}.ClaimGrants.{path} of type {want}"

    for name, value in claims.items():
        if value is None:
            continue
        if name in _CLAIM_STRINGS and not isinstance(value, str):
            return error(value, "tokenClaims", name, "string")
        if name == "attributes":
            if not isinstance(value, dict):
                return error(value, "tokenClaims", name, "map[string]string")
            bad = next((v for v in value.values() if v is not None and not isinstance(v, str)), None)
            if bad is not None:
                return error(bad, "tokenClaims", name, "string")
        if name in _GRANT_STRUCTS:
            struct, fields = _GRANT_STRUCTS[name]
            if not isinstance(value, dict):
                return error(value, "tokenClaims", name, f"auth.{struct}")
            for field_name, item in value.items():
                want = fields.get(field_name)
                if want is None or item is None:
                    continue
                if want == "[]string":
                    if not isinstance(item, list):
                        return error(item, struct, f"{name}.{field_name}", want)
                    bad = next((v for v in item if v is not None and not isinstance(v, str)), None)
                    if bad is not None:
                        return error(bad, struct, f"{name}.{field_name}", "string")
                elif not isinstance(item, _PY_TYPE[want]):
                    return error(item, struct, f"{name}.{field_name}", want)
    return None


_PY_TYPE = {"bool": bool, "string": str}
_CLAIM_STRINGS = ("name", "kind", "roomPreset", "sha256", "metadata")  # ClaimGrants' string fields
_VIDEO_FIELD_TYPES = {
    **{name: "bool" for name in (
        "roomCreate", "roomList", "roomRecord", "roomAdmin", "roomJoin", "ingressAdmin", "hidden",
        "recorder", "agent", "canPublish", "canSubscribe", "canPublishData", "canUpdateOwnMetadata",
        "canSubscribeMetrics", "canManageAgentSession",
    )},
    "room": "string",
    "destinationRoom": "string",
    "canPublishSources": "[]string",
}
_GRANT_STRUCTS = {
    "video": ("VideoGrant", _VIDEO_FIELD_TYPES),
    "sip": ("SIPGrant", {"admin": "bool", "call": "bool"}),
    "agent": ("AgentGrant", {"admin": "bool"}),
}
# The Go field names golang-jwt's json folds claim names onto (a grant object: its own fields).
_FIELDS: dict = {
    **{name: None for name in (*_REGISTERED, "name", "kind", "roomConfig", "roomPreset", "sha256", "metadata", "attributes")},
    **{name: grant for name, (_, grant) in _GRANT_STRUCTS.items()},
}


def _go_type(value: object) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def _claim_errors_golang_jwt(claims: dict, now: float, era: str) -> list[tuple[str, str]]:
    """golang-jwt v5 validator order: exp, (iat not checked), nbf. Every failure is joined."""
    errors: list[tuple[str, str]] = []
    exp = claims.get("exp")
    if exp is None:
        if era == HEAD:
            errors.append(("no_exp", "token is missing required claim: exp claim is required"))
    elif not now < exp + LEEWAY_S:
        errors.append(("expired", "token is expired"))
    nbf = claims.get("nbf")
    if nbf is not None and now < nbf - LEEWAY_S:
        errors.append(("not_yet_valid", "token is not valid yet"))
    return errors


def _go_jose_prefix(era: str) -> str:
    """How go-jose names itself in its errors: go-jose/go-jose from v1.4.1 (v3), square/go-jose before (v2)."""
    return "go-jose/go-jose" if era in _GO_JOSE_V3 else "square/go-jose"


def _claim_error_go_jose(claims: dict, now: float, prefix: str) -> tuple[str, str] | None:
    """go-jose jwt.Claims.Validate order: iss, nbf, exp, iat; the first failure only."""
    nbf, exp, iat = claims.get("nbf"), claims.get("exp"), claims.get("iat")
    if nbf is not None and now + LEEWAY_S < nbf:
        return "not_yet_valid", f"{prefix}/jwt: validation failed, token not valid yet (nbf)"
    if exp is not None and now - LEEWAY_S > exp:
        return "expired", f"{prefix}/jwt: validation failed, token is expired (exp)"
    if iat is not None and now + LEEWAY_S < iat:
        # "field" is a typo in go-jose's own source.
        return "iat_future", f"{prefix}/jwt: validation field, token issued in the future (iat)"
    return None


def _verify_error(parsed: ParsedJWT, secret: str | None, now: float, era: str) -> tuple[str, str] | None:
    """The error Verify(secret) returns, as (reason, verifier text), or None when it passes.

    `secret` None means "assume the signature is valid" (the decoder, when it knows no secret).
    """
    alg = parsed.header.get("alg")
    if era in _GOLANG_JWT:
        grant_error = grant_type_error(parsed.claims, era)
        if grant_error:
            return "malformed_claims", f"token is malformed: could not JSON decode claim: {grant_error}"
        if alg != "HS256":
            return "alg", f"token signature is invalid: signing method {alg} is invalid"
        if secret is not None and not signature_matches(parsed, secret):
            return "signature", "token signature is invalid: signature is invalid"
        errors = _claim_errors_golang_jwt(parsed.times, now, era)
        if errors:
            return errors[0][0], "token has invalid claims: " + ", ".join(text for _, text in errors)
        return None
    prefix = _go_jose_prefix(era)
    # go-jose accepts any HMAC algorithm with a []byte key, and refuses any critical header but b64.
    crit = parsed.header.get("crit")
    if alg not in _HMAC or (crit is not None and crit != ["b64"]) or (secret is not None and not signature_matches(parsed, secret)):
        return ("alg" if alg not in _HMAC else "signature"), f"{prefix}: error in cryptographic primitive"
    grant_error = parsed.grant_error or grant_type_error(parsed.claims, era)
    if grant_error:
        return "malformed_claims", grant_error
    return _claim_error_go_jose(parsed.times, now, prefix)


def judge(
    raw: str,
    secret_for: Mapping[str, str] | Callable[[str], str | None],
    now: float,
    era: str = CURRENT_ERA,
    authorization: str | None = None,
    *,
    assume_signature: bool = False,
    parsed: ParsedJWT | Unparseable | None = None,
) -> Verdict:
    """The answer of `/rtc/validate` for `raw` on a server of `era` whose keys are `secret_for`.

    `authorization`, when given, is the raw Authorization header (checked before anything else,
    as the middleware does); otherwise the token came as `?access_token=`. With `assume_signature`
    the MAC is taken as right (the decoder knows no secret) and any key counts as known. `parsed`, when
    given, is `parse(raw, era)` already done.
    """

    rejected, claims = authenticate(raw, secret_for, now, era, authorization, assume_signature=assume_signature,
                                    parsed=parsed)
    if rejected is not None:
        return rejected
    if claims is None:
        return Verdict(False, 401, NO_PERMISSIONS, "no_video", era)
    return join_verdict(claims, era)


def authenticate(
    raw: str,
    secret_for: Mapping[str, str] | Callable[[str], str | None],
    now: float,
    era: str = CURRENT_ERA,
    authorization: str | None = None,
    *,
    assume_signature: bool = False,
    parsed: ParsedJWT | Unparseable | None = None,
) -> tuple[Verdict | None, dict | None]:
    """APIKeyAuthMiddleware alone, which runs on every path (`/`, `/rtc*`, `/twirp/*`).

    Returns (the middleware's 401 verdict, None) when it rejects the request, else (None, the
    verified claims), or (None, None) when no token came at all: the request then passes through
    with no grants and each handler decides.
    """

    def rejected(message: str, reason: str) -> tuple[Verdict, None]:
        return Verdict(False, 401, message, reason, era), None

    if authorization is not None and not authorization.startswith("Bearer "):
        return rejected(BAD_HEADER, "bad_header")
    if not raw:
        return None, None
    if parsed is None:
        parsed = parse(raw, era)
    if isinstance(parsed, Unparseable):
        return rejected(MALFORMED, "malformed")
    iss = parsed.claims.get("iss") or ""
    lookup = secret_for.get if isinstance(secret_for, Mapping) else secret_for
    secret = lookup(iss) if iss else None
    if not secret and not (assume_signature and iss):
        return rejected("invalid API key" if era == HEAD else f"invalid API key: {iss}", "unknown_key")
    failure = _verify_error(parsed, None if assume_signature else secret, now, era)
    if failure:
        reason, text = failure
        if era == HEAD:
            return rejected(f"invalid authorization token: {text}", reason)
        return rejected(f"invalid token: {raw}, error: {text}", reason)
    return None, parsed.claims


def join_verdict(
    claims: dict, era: str = CURRENT_ERA, *, publish: bool = False, update_metadata: bool = False, query_room: str = ""
) -> Verdict:
    """The join checks of `era` (ValidateConnectRequest from v1.9.1, validate before), in their order:
    video, roomJoin, identity, identity length (v1.6.2+), room (v1.9.1+), room length (v1.6.2+).

    `publish` is a `publish=` connect parameter (needs canPublish, default true); `update_metadata`
    means the join carries metadata or attributes (needs canUpdateOwnMetadata, default false);
    `query_room` is the `?room=` parameter, which servers before v1.9.1 join when the token names no room.
    """

    def verdict(status: int, message: str, reason: str) -> Verdict:
        return Verdict(status == 200, status, message, reason, era)

    video = claims.get("video")
    if not isinstance(video, dict):
        return verdict(401, NO_PERMISSIONS, "no_video")
    if not video.get("roomJoin"):
        return verdict(401, PERMISSIONS_DENIED, "no_join")
    identity = _text(claims.get("sub")) or _text(claims.get("jti"))
    if not identity:
        return verdict(400, IDENTITY_EMPTY, "no_identity")
    limits = era not in _WITHOUT_LIMITS  # config MaxParticipantIdentityLength and MaxRoomNameLength
    if limits and _utf8_length(identity) > MAX_IDENTITY_LENGTH:
        return verdict(400, IDENTITY_TOO_LONG, "identity_too_long")
    room = join_room(claims, era, query_room)
    if not room and era not in _ROOM_FROM_QUERY:
        return verdict(400, NO_ROOM, "no_room")
    if limits and _utf8_length(room) > MAX_ROOM_NAME_LENGTH:
        return verdict(400, ROOM_TOO_LONG, "room_too_long")
    if publish and video.get("canPublish") is False:
        return verdict(401, NO_PERMISSIONS, "no_publish")
    if update_metadata and not video.get("canUpdateOwnMetadata"):
        return verdict(401, NO_PERMISSIONS, "no_update_metadata")
    return verdict(200, SUCCESS, "ok")


def join_room(claims: dict, era: str = CURRENT_ERA, query_room: str = "") -> str:
    """The room a join enters: the token's video.room; before v1.9.1 `?room=` when the token names none."""
    video = claims.get("video")
    room = _text(video.get("room")) if isinstance(video, dict) else ""
    return room if room or era not in _ROOM_FROM_QUERY else query_room


def _text(value: object) -> str:
    """A claim Go holds in a string field: a string, else empty (a wrongly typed one never gets this far)."""
    return value if isinstance(value, str) else ""


def _utf8_length(text: str) -> int:
    """Go's len(): bytes of UTF-8 (lone surrogates were replaced by U+FFFD when parsing)."""
    return len(text.encode("utf-8"))


def judge_every_era(
    raw: str, secret_for: Mapping[str, str] | Callable[[str], str | None], now: float, *, assume_signature: bool = False,
    parsed: ParsedJWT | Unparseable | None = None,
) -> dict[str, Verdict]:
    """The same question put to each server era, newest first.

    The token is parsed once per parser (golang-jwt, go-jose v3, square/go-jose v2), not once per era:
    `parse` reads it alike in every era of one parser, and a 1 MB token costs its parse three times, not six.
    `parsed`, when given, is `parse(raw)` (the current era's) already done.
    """
    by_parser: dict[str, ParsedJWT | Unparseable] = {} if parsed is None else {_parser(CURRENT_ERA): parsed}
    verdicts = {}
    for era in ERAS:
        parser = _parser(era)
        if raw and parser not in by_parser:
            by_parser[parser] = parse(raw, era)
        verdicts[era] = judge(raw, secret_for, now, era, assume_signature=assume_signature, parsed=by_parser.get(parser))
    return verdicts


def same_answers(verdicts: Mapping[str, Verdict]) -> list[tuple[str, Verdict]]:
    """Neighbouring eras that answer alike (status and words), merged: (the releases they span, the verdict).

    For display: v1.9, v1.6 and v1.4 word a token refusal alike, so a reader sees one line
    `v1.4.1 to v1.12.x`, and separate lines where the join checks set them apart.
    """
    order = list(ERAS)
    runs: list[tuple[list[str], Verdict]] = []
    for era, verdict in verdicts.items():
        last = runs[-1] if runs else None
        if (last and (last[1].status, last[1].message) == (verdict.status, verdict.message)
                and order.index(era) == order.index(last[0][-1]) + 1):
            runs[-1][0].append(era)
        else:
            runs.append(([era], verdict))
    return [(span_label(eras), verdict) for eras, verdict in runs]


def span_label(eras: list[str]) -> str:
    """The releases a run of neighbouring eras (newest first) spans, e.g. `v1.4.1 to v1.12.x`, `v1.9.0 and older`."""
    if len(eras) == 1:
        return ERAS[eras[0]]
    first, last = _SPANS[eras[-1]][0], _SPANS[eras[0]][1]
    if eras[0] == HEAD:
        return f"{first} and newer, unreleased included" if first else "every version"
    return f"{first} to {last}" if first else f"{last} and older"


def first_release(era: str) -> str | None:
    """The first release of `era` (None for the open-ended ones: v1.4.0 and older, unreleased)."""
    return _SPANS[era][0]


def recognise_era(body: str) -> str | None:
    """Which server era wrote this 401 body, from its wording alone (reference §9.2), as a key of ERA_LABELS.

    go-jose v3's wording is the same from v1.4.1 to v1.12.x, so such a body names that group (GO_JOSE_V3),
    never one of the eras v1.9, v1.6 and v1.4 inside it; only a join answer could tell them apart.
    """
    if "square/go-jose" in body:
        return V1_0
    if "go-jose/go-jose" in body:
        return GO_JOSE_V3
    if body.startswith("invalid token: ") and ("token has invalid claims" in body or "token signature is invalid" in body or "token is malformed" in body):
        return V1_13
    if body.startswith("invalid authorization token: "):
        return HEAD
    if body.startswith("invalid API key: "):
        return RELEASED  # any released server: v1.13.5 or older
    if body == "invalid API key":
        return HEAD
    return None


# Fragments of the verifier texts above, most specific first, for reading a body back into a
# reason (`reason_of`). golang-jwt joins several claim errors; the first listed wins, as in judge.
_BODY_REASONS = (
    ("token is missing required claim: exp", "no_exp"),
    ("token is malformed", "malformed_claims"),
    ("json: cannot unmarshal", "malformed_claims"),
    ("signing method", "alg"),
    ("signature is invalid", "signature"),
    ("error in cryptographic primitive", "signature"),
    ("token is expired", "expired"),
    ("not valid yet", "not_yet_valid"),
    ("issued in the future", "iat_future"),
)
_EXACT_BODIES = {
    BAD_HEADER: "bad_header", MALFORMED: "malformed", NO_PERMISSIONS: "no_video",
    PERMISSIONS_DENIED: "no_join", IDENTITY_EMPTY: "no_identity", IDENTITY_TOO_LONG: "identity_too_long",
    NO_ROOM: "no_room", ROOM_TOO_LONG: "room_too_long", SUCCESS: "ok",
}


def reason_of(body: str) -> str | None:
    """The Verdict.reason a server body stands for (any era), or None when it is not the server's wording.

    The inverse of `judge`'s messages: lets a probe turn what a real server answered into the same
    causes the offline prediction uses, so the two can be compared.
    """
    body = body.strip()
    if body in _EXACT_BODIES:
        return _EXACT_BODIES[body]
    if body.startswith("invalid API key"):
        return "unknown_key"
    if body.startswith(("invalid token: ", "invalid authorization token: ")):
        for fragment, reason in _BODY_REASONS:
            if fragment in body:
                return reason
    return None


def reason_in(text: str) -> str | None:
    """The reason of the server body quoted somewhere in `text` (a finding's evidence), or None."""
    for fragment, reason in _BODY_REASONS:
        if fragment in text:
            return reason
    if "invalid API key" in text:
        return "unknown_key"
    for body in sorted(_EXACT_BODIES, key=len, reverse=True):
        if body in text:
            return _EXACT_BODIES[body]
    return None


def time_errors(claims: dict, now: float, era: str = CURRENT_ERA) -> list[tuple[str, str]]:
    """The time-claim failures alone, as (reason, verifier text), in the order `judge` finds them.

    For the decoder: it explains exp/nbf/iat whether or not the signature could be checked.
    """
    golang = era in _GOLANG_JWT
    times = {}
    for name in _TIMES:
        try:
            times[name] = _time(name, claims.get(name), golang)
        except _Refused:  # the parser refuses such a token before any time check
            return []
    times = {name: at for name, at in times.items() if at is not None}
    if golang:
        return _claim_errors_golang_jwt(times, now, era)
    failure = _claim_error_go_jose(times, now, _go_jose_prefix(era))
    return [failure] if failure else []
