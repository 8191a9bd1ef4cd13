"""Find the JWT in whatever people paste around it (quotes, `Bearer`, JSON, URLs, assignments, percent-encoding),
or say what the input is instead. Never echoes the input.
"""

from __future__ import annotations

import json
import re
from urllib.parse import unquote

from lkdebug.core import lazyre
from lkdebug.core.redact import visible

# Field names apps use for the token in JSON bodies and URLs (LiveKit Meet: `liveKitUrl=...&token=`).
_TOKEN_FIELDS = ("token", "accesstoken", "access_token", "participanttoken", "participant_token", "jwt")
JWT_SHAPE = lazyre.compile(r"[A-Za-z0-9_\-+/=]+\.[A-Za-z0-9_\-+/=]*\.[A-Za-z0-9_\-+/=]*")
_BEARER = lazyre.compile(r"(?i)(authorization\s*:\s*)?bearer(\s+|$)")
_ASSIGNMENT = lazyre.compile(r"(?:export\s+)?[A-Za-z_][A-Za-z0-9_]*\s*[=:]\s*(\S.*)", re.S)
_INVISIBLE = "\ufeff\u200b\u200c\u200d\u2060"
_PERCENT = lazyre.compile(r"%[0-9A-Fa-f]{2}")
CORRECT_AS_SENT = " (as the server expects it)"


# The most `decode` examines. Generous (a token with 1 MB of metadata is ~1.4 MB), and far below what made a
# URL-shaped paste cost hundreds of MiB.
MAX_INPUT = 2 << 20


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


def unwrap(text: str) -> tuple[str, list[str], str | None]:
    """Peel what people paste around a token. Returns (candidate, what was stripped, why it stopped)."""
    stripped: list[str] = []
    current = text
    stop: str | None = None
    for _ in range(8):  # wrappers nest ("Bearer" inside quotes inside JSON) but not deeply
        trimmed = current.strip().strip(_INVISIBLE).strip()
        if trimmed != current:
            # Substring searches, not a Python loop over every character: a token may be megabytes.
            invisible = any(c in current for c in _INVISIBLE) and not any(c in trimmed for c in _INVISIBLE)
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
        # Each pattern only where it can match (its first character, an `=` or `:`, a `%`): a pasted token
        # is usually bare, and compiling the three costs more than unwrapping it.
        bearer = _BEARER.match(current) if current[0] in "aAbB" else None
        if bearer:
            # `Bearer ` (capital B, one space) is what the server's middleware wants: nothing to warn about.
            exact = current[len(bearer.group(1) or ""): bearer.end()] == "Bearer " and bearer.end() < len(current)
            current = current[bearer.end():]
            stripped.append(("'Authorization: Bearer' header" if bearer.group(1) else "'Bearer ' prefix")
                            + (CORRECT_AS_SENT if exact else ""))
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
        assignment = _ASSIGNMENT.fullmatch(current) if "=" in current or ":" in current else None
        # A header padded with '==' is not NAME=value: no assigned value starts with '='.
        if assignment and not assignment.group(1).startswith("=") and JWT_SHAPE.fullmatch(assignment.group(1).strip().strip("\"'`")):
            stripped.append(f"'{current[: current.index(assignment.group(1))].rstrip(' =:')}' assignment")
            current = assignment.group(1)
            continue
        if "%" in current and _PERCENT.search(current) and JWT_SHAPE.fullmatch(unquote(current)):
            current = unquote(current)
            stripped.append("URL percent-encoding (%3D is '=')")
            continue
        squeezed = "".join(current.split())
        if squeezed != current and JWT_SHAPE.fullmatch(squeezed):
            current = squeezed
            stripped.append("line breaks or spaces inside the token")
            continue
        break
    return current, stripped, stop


def looks_like(candidate: str, stop: str | None) -> tuple[str, str, str]:
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
    if candidate.count(".") == 2 and not any(c.isspace() for c in candidate):
        stray = re.search(r"[^A-Za-z0-9_=.-]", candidate)
        why = (f"it holds {visible(repr(stray.group()))}, which base64url never uses" if stray
               else "its parts do not decode as a JWT's header and payload")
        return (f"three dot-separated parts, but not a JWT: {why}", not_jwt,
                "Copy the token again, whole and unchanged: header.payload.signature.")
    if "." in candidate and not any(c.isspace() for c in candidate):
        return (f"{candidate.count('.') + 1} dot-separated parts (a JWT has exactly 3)", not_jwt,
                "Copy the whole token: header.payload.signature.")
    if len(candidate) >= 32 and not any(c.isspace() for c in candidate):
        return ("a 32+ character string without dots: probably an API secret", not_jwt,
                "Never paste or send the secret: mint a token with it instead (`lkdebug token create`).")
    if candidate == "secret":
        return ("the dev-mode API secret", not_jwt, "Mint a token with devkey/secret instead (`lkdebug token create`).")
    return "text that is not a JWT", not_jwt, "A LiveKit token has three base64url parts separated by dots and starts with `eyJ`."
