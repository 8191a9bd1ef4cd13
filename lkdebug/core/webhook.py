"""Check a LiveKit webhook request: its Authorization JWT, the body's SHA-256, and what the SDKs would raise.

livekit-server signs each webhook with a JWT in `Authorization` (the bare token, no `Bearer `), issued by the
key named in `webhook.api_key`, valid for 5 minutes, whose `sha256` claim is the base64 SHA-256 of the exact
body bytes (`Content-Type: application/webhook+json`). A receiver must hash the raw body: a framework that
parses and re-dumps the JSON, or drops a content type it does not know, breaks the hash.

What the SDKs raise: livekit-api's `WebhookReceiver.receive` is run for real (its own words); the Node SDK's
are recorded from livekit-server-sdk 2.19.2 `WebhookReceiver.receive` over jose 5.10 `jwtVerify` (10 s clock
tolerance, `exp` required, `iss` must be the receiver's key).
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Mapping, Sequence

from lkdebug.core import redact, server_rules
from lkdebug.core.decode import Decoded, Signature, decode
from lkdebug.core.model import Finding, KnownKey, Severity
from lkdebug.core.records import dataclass, field

NODE_TOLERANCE_S = 10
# The token findings that apply to a webhook's Authorization as they do to an access token.
_TOKEN_CODES = ("token.not_jwt", "token.api_key_not_jwt", "token.expired", "token.not_yet_valid", "token.no_exp",
                "token.signature_invalid", "token.signature_unchecked", "token.signature_valid", "token.unknown_key",
                "token.alg", "token.wrapped")


@dataclass
class WebhookCheck:
    valid: bool
    body_sha256: str  # base64, as the sha256 claim spells it
    claim_sha256: str | None
    body_matches: bool
    decoded: Decoded | None
    sdk: dict[str, list[dict]] = field(default_factory=dict)  # {"livekit-api"|"node": [{"key", "origin", "raises"}]}
    causes: list[str] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)

    def to_dict(self, reveal: bool = False) -> dict:
        token = self.decoded
        return {
            "valid": self.valid,
            "signature": (token.signature if token else Signature()).to_dict(),
            "body": {"sha256": self.body_sha256, "claim_sha256": self.claim_sha256, "matches": self.body_matches},
            "claims": token.claims if token else {},
            "times": token.times_dict() if token else {},
            "sdk": self.sdk,
            "causes": list(self.causes),
            "findings": [f.to_dict() for f in self.findings],
        }


def _finding(code: str, severity: Severity, title: str, detail: str = "", fix: str | None = None) -> Finding:
    return Finding(code, severity, "webhook", title, detail, fix)


def body_hash(body: bytes) -> str:
    return base64.b64encode(hashlib.sha256(body).digest()).decode()


def _python_sdk(body: bytes, authorization: str, key: KnownKey) -> str | None:
    """livekit-api's WebhookReceiver.receive on this request: None when it accepts, else its exception."""
    from livekit import api

    receiver = api.WebhookReceiver(api.TokenVerifier(key.api_key, key.secret))
    try:
        receiver.receive(body.decode("utf-8", "replace"), authorization)
    except Exception as error:  # the SDK raises bare Exception, pyjwt's and protobuf's errors: all are its answer
        return f"{type(error).__name__}: {error}"
    return None


def _node_sdk(body: bytes, authorization: str, decoded: Decoded | None, key: KnownKey, signature_ok: bool,
              now: float) -> str | None:
    """livekit-server-sdk 2.19.2's WebhookReceiver.receive, as recorded in the module docstring."""
    if not authorization:
        return "Error: authorization header is empty"
    if decoded is None or decoded.raw is None or decoded.raw != authorization.strip() or decoded.stripped:
        return "JWSInvalid: Invalid Compact JWS"
    if not signature_ok:
        return "JWSSignatureVerificationFailed: signature verification failed"
    claims = decoded.claims
    if "exp" not in claims:
        return 'JWTClaimValidationFailed: missing required "exp" claim'
    if claims.get("iss") != key.api_key:
        return 'JWTClaimValidationFailed: unexpected "iss" claim value'
    if isinstance(claims.get("nbf"), (int, float)) and claims["nbf"] > now + NODE_TOLERANCE_S:
        return 'JWTClaimValidationFailed: "nbf" claim timestamp check failed'
    if isinstance(claims.get("exp"), (int, float)) and claims["exp"] <= now - NODE_TOLERANCE_S:
        return 'JWTExpired: "exp" claim timestamp check failed'
    if claims.get("sha256") != body_hash(body):
        return "Error: sha256 checksum of body does not match"
    try:
        json.loads(body)
    except ValueError as error:
        return f"SyntaxError: the body is not JSON ({error})"
    return None


def _why_hash_differs(body: bytes, claim: str) -> list[str]:
    """The common ways a receiver changes the body before hashing it, tried against the claim."""
    text = body.strip()
    if text in (b"", b"{}"):
        return ["The body is empty: the framework did not hand over the raw body. LiveKit sends "
                "`Content-Type: application/webhook+json`, which body parsers for application/json skip; read the "
                "raw body for that type (express: express.raw({type: 'application/webhook+json'}))."]
    variants = {
        "trailing whitespace was added or removed": (body.rstrip(), body + b"\n", body.rstrip() + b"\n"),
        "line endings were changed": (body.replace(b"\r\n", b"\n"), body.replace(b"\n", b"\r\n")),
        "leading or trailing whitespace was added": (text,),
    }
    for cause, candidates in variants.items():
        if any(body_hash(c) == claim for c in candidates):
            return [f"The body differs from what LiveKit signed only in whitespace: {cause}. Hash the raw bytes as "
                    "received."]
    try:
        parsed = json.loads(body)
    except ValueError:
        return ["The body is not the bytes LiveKit sent (and not JSON): it was changed in transit or by the "
                "receiver; hash the raw request body."]
    for ascii_only in (False, True):
        compact = json.dumps(parsed, separators=(",", ":"), ensure_ascii=ascii_only).encode()
        if body_hash(compact) == claim:
            return ["The JSON was re-serialised: LiveKit signed the compact form, and this body is the same JSON "
                    "dumped again (spaces, indentation or escapes changed). Hash the raw body before any JSON "
                    "parser touches it (Flask: request.get_data(), FastAPI: await request.body(), express: "
                    "express.raw())."]
    return ["The body changed after LiveKit signed it (the signature is good, the SHA-256 is not): if a framework "
            "parsed and re-dumped the JSON or changed its whitespace, hash the raw body instead; otherwise it was "
            "altered in transit."]


def verify(body: bytes, authorization: str | None, *, known_keys: Sequence[KnownKey] = (),
           server_keys: Mapping[str, str] | None = None, now: float, run_python_sdk: bool = True) -> WebhookCheck:
    """Never raises for any body or header; every request gets findings."""
    authorization = authorization or ""
    digest = body_hash(body)
    check = WebhookCheck(valid=False, body_sha256=digest, claim_sha256=None, body_matches=False, decoded=None)
    if not authorization.strip():
        check.findings.append(_finding(
            "webhook.no_authorization", Severity.ERROR, "The request has no Authorization header",
            "LiveKit signs every webhook in `Authorization`; without it no SDK can verify the request.",
            "Forward the header as received: a proxy, load balancer or framework may strip it (nginx passes it; some "
            "serverless gateways drop or rename it)."))
        check.causes.append("Authorization was stripped before the receiver saw it (a proxy or gateway).")
        check.sdk = {"node": [{"key": None, "origin": None, "raises": "Error: authorization header is empty"}]}
        return check
    decoded = check.decoded = decode(authorization, known_keys=known_keys, server_keys=server_keys, now=now)
    check.findings += [f for f in decoded.findings if f.code in _TOKEN_CODES]
    if decoded.stripped and decoded.raw:
        check.causes.append(f"The header holds more than the token ({', '.join(decoded.stripped)}): LiveKit sends "
                            "the bare JWT and the SDKs verify the header as given, so they fail on it.")
    signature_ok = decoded.signature.status == "valid"
    if decoded.raw is not None:
        claim = decoded.claims.get("sha256")
        check.claim_sha256 = claim if isinstance(claim, str) else None
        if check.claim_sha256 is None:
            check.findings.append(_finding(
                "webhook.no_sha256", Severity.ERROR, "The token has no sha256 claim: it is not a webhook signature",
                "A webhook's token carries the body's SHA-256; this one looks like an access token.",
                "Pass the Authorization header of the webhook request itself."))
        elif claim == digest:
            check.body_matches = True
            check.findings.append(_finding("webhook.body_ok", Severity.OK, "The body's SHA-256 matches the token",
                                           f"sha256 {digest}"))
        else:
            check.causes += _why_hash_differs(body, claim)
            check.findings.append(_finding(
                "webhook.body_mismatch", Severity.ERROR, "The body's SHA-256 does not match the token's sha256 claim",
                f"body {digest}, token {redact.visible(claim)}. {check.causes[-1]}",
                "Verify the raw request body, byte for byte as received."))
    if decoded.signature.status == "invalid" and decoded.signature.matched_key is None:
        check.causes.append("The receiver's secret is not the one the server signs webhooks with (livekit.yaml's "
                            "webhook.api_key names the key; its secret must be the receiver's).")
    # The receiver is built with one key and secret: each pair lkdebug knows for the token's key (else the app's).
    pairs = [k for k in known_keys if decoded.claims.get("iss") == k.api_key] or list(known_keys[:1])
    keys = list({(k.api_key, k.secret): k for k in reversed(pairs)}.values())[::-1]  # the first origin of each
    parsed = server_rules.parse_unverified(decoded.raw) if decoded.raw else None
    node = [{"key": redact.mask_key(k.api_key), "origin": k.origin,
             "raises": _node_sdk(body, authorization, decoded, k,
                                 parsed is not None and server_rules.signature_matches(parsed, k.secret), now)}
            for k in keys]
    check.sdk = {"node": node}
    if run_python_sdk and keys:
        check.sdk["livekit-api"] = [{"key": redact.mask_key(k.api_key), "origin": k.origin,
                                     "raises": _python_sdk(body, authorization, k)} for k in keys]
    times_ok = not any(f.code in ("token.expired", "token.not_yet_valid", "token.no_exp") and f.severity is Severity.ERROR
                       for f in check.findings)
    sdk_ok = all(r["raises"] is None for results in check.sdk.values() for r in results) and bool(keys)
    check.valid = signature_ok and check.body_matches and times_ok and sdk_ok
    if check.valid:
        check.findings.append(_finding(
            "webhook.valid", Severity.OK, f"Valid webhook, signed by {decoded.signature.key} "
                                          f"(from {decoded.signature.origin})", "Both SDKs would accept it."))
    elif not keys:
        check.findings.append(_finding(
            "webhook.no_secret", Severity.ERROR, "No API secret to check the webhook with",
            "lkdebug found no key and secret, so it cannot tell whether the server signed this request.",
            "Set LIVEKIT_API_KEY and LIVEKIT_API_SECRET (the pair livekit.yaml's webhook.api_key names)."))
    return check
