"""Masking rules (DESIGN §6): one place decides what a person or a file may see."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence

KEY_VISIBLE = 6

# What a terminal would obey rather than show: C0 and C1 controls, DEL, the bidi overrides that
# reorder a line, and lone surrogates (which cannot even be encoded). Tab and newline are kept
# only where the caller asks (multi-line text such as a finding's detail).
_CONTROLS = "\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\ud800-\udfff"
_control_patterns: dict[bool, re.Pattern[str]] = {}

# A JWT as it appears inside arbitrary text (server bodies echo the whole token).
JWT_IN_TEXT = re.compile(r"(eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*)\.([A-Za-z0-9_-]+)")


def visible(text: str, keep_newlines: bool = False) -> str:
    """`text` with every control character made visible (ESC as `\\x1b`), so it is shown, never obeyed.

    Every renderer, CLI and TUI, passes text from outside (files, claims, server bodies and
    headers, paths) through this before it reaches a terminal.
    """
    pattern = _control_patterns.get(keep_newlines)
    if pattern is None:
        extra = "" if keep_newlines else "\t\n"
        pattern = _control_patterns[keep_newlines] = re.compile(f"[{extra}{_CONTROLS}]")
    if not pattern.search(text):
        return text
    return pattern.sub(_escape, text)


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def has_controls(text: str) -> bool:
    """Whether `text` holds a character `visible` would change (tab and newline included)."""
    return visible(text) != text


def fingerprint(secret: str) -> str:
    """First 8 hex digits of SHA-256: enough to compare two secrets, useless to an attacker."""
    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()[:8]


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
    return JWT_IN_TEXT.sub(r"\1.<signature hidden>", token)


def scrub(text: str, secrets: list[str] | tuple[str, ...] = (), reveal: bool = False) -> str:
    """Remove every known secret and every JWT signature from free text (e.g. a server body)."""
    if reveal or not text:
        return text
    text = JWT_IN_TEXT.sub(r"\1.<signature hidden>", text)
    for secret in sorted({s for s in secrets if len(s) >= 4}, key=len, reverse=True):
        text = text.replace(secret, mask_secret(secret))
    return text


def kind_of_variable(name: str) -> str:
    """How a variable's value is masked: 'secret', 'key', 'token' or 'plain'."""
    upper = name.upper()
    if "SECRET" in upper or upper.endswith("_KEYS") or upper == "LIVEKIT_CONFIG":
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
