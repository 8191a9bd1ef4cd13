"""A JWT's bytes: base64url, SHA-2 and HMAC from the interpreter's builtin modules.

`import hashlib` loads OpenSSL's libcrypto (about a third of what `python -c pass` costs, on every
command, since `redact` fingerprints secrets), and `base64` brings `struct` for codecs lkdebug never
uses. CPython also builds its own SHA-2 (`_sha2` from 3.12, `_sha256`/`_sha512` before), which hashlib
itself falls back to; a build configured without it gets hashlib's. HMAC is RFC 2104 over those, as the
`hmac` module computes it for a digest OpenSSL does not have.
"""

from __future__ import annotations

import binascii
from _operator import _compare_digest as compare_digest  # what hmac.compare_digest is without OpenSSL

try:
    from _sha2 import sha256, sha384, sha512
except ImportError:
    try:
        from _sha256 import sha256
        from _sha512 import sha384, sha512
    except ImportError:
        from hashlib import sha256, sha384, sha512

__all__ = ["b64url_decode", "b64url_encode", "compare_digest", "hmac_digest", "sha256", "sha384", "sha512"]

_TO_STANDARD = str.maketrans("-_", "+/")
_INNER = bytes(b ^ 0x36 for b in range(256))
_OUTER = bytes(b ^ 0x5C for b in range(256))


def b64url_decode(text: str) -> bytes:
    """As `base64.urlsafe_b64decode` (padding needed, characters outside the alphabet skipped); raises
    binascii.Error (a ValueError) for what it cannot decode."""
    return binascii.a2b_base64(text.translate(_TO_STANDARD))


def b64url_encode(data: bytes) -> bytes:
    """As `base64.urlsafe_b64encode`: padded."""
    return binascii.b2a_base64(data, newline=False).replace(b"+", b"-").replace(b"/", b"_")


def hmac_digest(key: bytes, message: bytes, digest=sha256) -> bytes:
    """`hmac.new(key, message, digest).digest()`."""
    block = digest().block_size
    if len(key) > block:
        key = digest(key).digest()
    key = key.ljust(block, b"\0")
    inner = digest(key.translate(_INNER))
    inner.update(message)
    outer = digest(key.translate(_OUTER))
    outer.update(inner.digest())
    return outer.digest()
