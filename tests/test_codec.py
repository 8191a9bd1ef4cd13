"""core/codec.py answers as the standard library's base64, hashlib and hmac do, without importing them."""

from __future__ import annotations

import base64
import hashlib
import hmac

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lkdebug.core import codec

DIGESTS = [(codec.sha256, hashlib.sha256), (codec.sha384, hashlib.sha384), (codec.sha512, hashlib.sha512)]


# RFC 4231 §4.2, §4.3 and §4.7: a short key, a key shorter than the message, a key longer than the block.
@pytest.mark.parametrize(("key", "message", "sha256", "sha512_prefix"), [
    (b"\x0b" * 20, b"Hi There",
     "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7", "87aa7cdea5ef619d4ff0b4241a1d6cb0"),
    (b"Jefe", b"what do ya want for nothing?",
     "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843", "164b7a7bfcf819e2e395fbe73b56e0a3"),
    (b"\xaa" * 131, b"This is a test using a larger than block-size key and a larger than block-size data. "
     b"The key needs to be hashed before being used by the HMAC algorithm.",
     "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2", "e37b6a775dc87dbaa4dfa9f96e5e3ffd"),
])
def test_hmac_matches_rfc_4231(key, message, sha256, sha512_prefix):
    assert codec.hmac_digest(key, message).hex() == sha256
    assert codec.hmac_digest(key, message, codec.sha512).hex().startswith(sha512_prefix)


@given(st.binary(max_size=300), st.binary(max_size=300), st.sampled_from(DIGESTS))
def test_hmac_and_digests_match_the_standard_library(key, message, digests):
    ours, theirs = digests
    assert codec.hmac_digest(key, message, ours) == hmac.new(key, message, theirs).digest()
    assert ours(message).hexdigest() == theirs(message).hexdigest()


@given(st.binary(max_size=200))
def test_base64url_round_trips_as_the_base64_module(data):
    encoded = codec.b64url_encode(data)
    assert encoded == base64.urlsafe_b64encode(data)
    assert codec.b64url_decode(encoded.decode()) == data


@given(st.text(alphabet="ABCxyz019-_+/=.~\r\né", max_size=40))
def test_base64url_decodes_and_refuses_as_the_base64_module(text):
    try:
        expected = base64.urlsafe_b64decode(text)
    except ValueError as error:  # binascii.Error, or a non-ASCII str
        with pytest.raises(type(error)):
            codec.b64url_decode(text)
    else:
        assert codec.b64url_decode(text) == expected


def test_compare_digest_compares():
    assert codec.compare_digest(b"abc", b"abc") and not codec.compare_digest(b"abc", b"abd")
