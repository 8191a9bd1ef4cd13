from hypothesis import given
from hypothesis import strategies as st

from lkdebug.core import redact

JWT = "eyJhbGciOiJIUzI1NiJ9.eyJpc3MiOiJBUEkxMjMifQ.c2lnbmF0dXJlLWJ5dGVz"


def test_secret_shows_only_length_and_fingerprint():
    masked = redact.mask_secret("s3cret-value-of-some-length-1234")
    assert "s3cret" not in masked
    assert masked == f"<32 chars, sha256 {redact.fingerprint('s3cret-value-of-some-length-1234')}>"
    assert redact.mask_secret("abc", reveal=True) == "abc"


def test_key_shows_first_six():
    assert redact.mask_key("APIabcdefgh") == "APIabc…"
    assert redact.mask_key("APIabcdefgh", reveal=True) == "APIabcdefgh"


def test_token_keeps_header_and_claims_but_not_signature():
    masked = redact.mask_token(JWT)
    assert masked.startswith("eyJhbGciOiJIUzI1NiJ9.eyJpc3MiOiJBUEkxMjMifQ.")
    assert "c2lnbmF0dXJlLWJ5dGVz" not in masked


def test_scrub_removes_echoed_tokens_and_known_secrets():
    body = f"invalid token: {JWT}, error: token signature is invalid: signature is invalid"
    scrubbed = redact.scrub(body + " topsecretvalue", ["topsecretvalue"])
    assert "c2lnbmF0dXJlLWJ5dGVz" not in scrubbed and "topsecretvalue" not in scrubbed
    assert scrubbed.endswith("signature is invalid " + redact.mask_secret("topsecretvalue"))


def test_mask_value_by_variable_name():
    assert redact.mask_value("LIVEKIT_API_SECRET", "x" * 40).startswith("<40 chars")
    assert redact.mask_value("LIVEKIT_API_KEY", "APIabcdefgh") == "APIabc…"
    assert redact.mask_value("LIVEKIT_URL", "wss://x.livekit.cloud") == "wss://x.livekit.cloud"
    assert "c2lnbmF0" not in redact.mask_value("LIVEKIT_TOKEN", JWT)
    assert redact.mask_value("LIVEKIT_KEYS", "APIx: secret").startswith("<")


def test_display_value_masks_by_name_and_scrubs_known_secrets_anywhere():
    secret = "a-known-secret-value-0123456789"
    shown = redact.display_value("NEXT_PUBLIC_LIVEKIT_URL", f"wss://host/?k={secret}", [secret])
    assert secret not in shown and shown.startswith("wss://host/?k=<")
    assert redact.display_value("LIVEKIT_URL", secret, [secret], reveal=True) == secret


@given(st.text(min_size=4), st.text())
def test_scrub_never_leaves_a_secret(secret, text):
    scrubbed = redact.scrub(text + secret + text, [secret])
    assert redact.mask_secret(secret) in scrubbed


def test_settings_know_every_secret_once():
    from lkdebug.core.model import KnownKey, Setting, Settings

    settings = Settings(
        api_secret=Setting("LIVEKIT_API_SECRET", "lonely-secret-without-a-key", ".env"),
        known_keys=[KnownKey("APIa", "pair-secret", ".env"), KnownKey("APIb", "pair-secret", "livekit.yaml")],
        server_keys={"APIc": "server-secret"},
    )
    assert settings.secrets() == ["pair-secret", "lonely-secret-without-a-key", "server-secret"]


def test_visible_shows_control_characters_instead_of_obeying_them():
    hostile = "a\x1b]0;title\x07b\x1b[2Jc\x9bd\u202ee\ud800"
    shown = redact.visible(hostile)
    assert shown == "a\\x1b]0;title\\x07b\\x1b[2Jc\\x9bd\\u202ee\\ud800"
    assert not any(ord(ch) < 0x20 or 0x7F <= ord(ch) <= 0x9F for ch in shown)
    shown.encode("utf-8")  # no lone surrogate survives


def test_visible_keeps_newlines_only_when_asked():
    assert redact.visible("a\nb\tc") == "a\\x0ab\\x09c"
    assert redact.visible("a\nb\tc", keep_newlines=True) == "a\nb\tc"
    assert redact.visible("plain text é ✓") == "plain text é ✓"
    assert redact.has_controls("x\ty") and not redact.has_controls("xy")


@given(st.text())
def test_visible_never_leaves_a_control_character(text):
    shown = redact.visible(text)
    assert not any(ord(ch) < 0x20 or 0x7F <= ord(ch) <= 0x9F or 0xD800 <= ord(ch) <= 0xDFFF for ch in shown)
