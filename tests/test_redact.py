from hypothesis import example, given
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


# `secret`, livekit-server --dev's documented secret, is shown as is (test_the_dev_secret_is_public_so_prose_keeps_
# the_word): Hypothesis draws string literals from the code it tests, and drawing this one failed the run.
@given(st.text(min_size=4).filter(lambda secret: secret != "secret"), st.text())
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


# ---- tokens by structure (issue 8): the header's spelling must not decide whether a signature shows ----

import base64  # noqa: E402
import hashlib  # noqa: E402
import hmac  # noqa: E402
import json  # noqa: E402
import tracemalloc  # noqa: E402

import pytest  # noqa: E402


def _segment(data: bytes, pad: bool = False) -> str:
    text = base64.urlsafe_b64encode(data).decode()
    return text if pad else text.rstrip("=")


def signed(header: bytes, payload: bytes = b'{"iss":"APIx","sub":"alice","exp":9999999999}', pad: bool = False) -> str:
    """A token signed like the server checks it (HMAC-SHA256 over header.payload), whatever its header's spelling."""
    signing_input = f"{_segment(header, pad)}.{_segment(payload, pad)}"
    return f"{signing_input}.{_segment(hmac.new(b'k' * 32, signing_input.encode(), hashlib.sha256).digest())}"


HEADERS = [
    b'{"alg":"HS256","typ":"JWT"}',  # eyJ...
    b'{ "alg": "HS256", "typ": "JWT" }',  # eyAi...: what the attack used
    b' {"alg":"HS256"}',  # IHsi...: leading whitespace
    b'\n\t\r {"alg":"HS256"}',  # Cgk...
    b'        {"alg":"HS256"}',  # more whitespace than the first six bytes
    b'{"typ":"JWT","alg":"HS256"}',
]
CONTEXTS = ["{}", " \n{}\n", "https://app.example/room?access_token={}&x=1", "wss://h/rtc?access_token={}",
            '{"token":"{}"}', "Authorization: Bearer {}", "Bearer {}", "x.{}", "a.b.{}.c", "{}.{}", "={}=",
            "invalid token: {}, error: token signature is invalid", "`{}`", "<{}>", "token={}"]


@pytest.mark.parametrize("header", HEADERS, ids=lambda h: h.decode().strip()[:14])
@pytest.mark.parametrize("context", CONTEXTS)
def test_a_signature_is_hidden_whatever_the_header_spelling_and_surroundings(header, context):
    token = signed(header)
    header_part, payload_part, signature = token.split(".")
    text = context.replace("{}", token)
    for masked in (redact.scrub(text), redact.mask_token(text)):
        assert signature not in masked
        assert f"{header_part}.{payload_part}.{redact.SIGNATURE_HIDDEN}" in masked  # header and claims stay readable


def test_padded_segments_are_tokens_too():
    token = signed(b'{"alg":"HS256"}', b'{"sub":"a"}', pad=True)
    assert "=" in token.split(".")[0] + token.split(".")[1]
    assert token.split(".")[2] not in redact.scrub(f"x {token} y")


def test_only_json_objects_make_a_signature():
    # host names, versions, dotted identifiers: nothing to hide
    text = "www.example.com v1.2.3 e.g. a.b.c lkdebug.core.redact W10.W10.W10 bm90.LWpz.b24"
    assert redact.scrub(text) == text
    # a JSON array header is not a JWT; JSON objects are, however they are spelt
    assert redact.scrub("e30.e30.c2lnbmF0dXJl") == "e30.e30.<signature hidden>"


def test_a_huge_segment_is_judged_without_parsing_it_whole():
    big = signed(b'{"alg":"HS256"}', b'{"metadata":"' + b"x" * 2_000_000 + b'"}')
    assert redact.scrub(big).endswith("." + redact.SIGNATURE_HIDDEN)


@pytest.mark.parametrize("paste", [
    "A" * 4_000_000, "a." * 2_000_000, "e30." * 1_000_000, "ws://a:" + "b@" * 2_000_000,
    "a=a&password=x" * 300_000, "http://" * 600_000, "e30.e30.e30 " * 300_000,
], ids=["one run", "dots", "json segments", "userinfo", "query", "schemes", "runs past the budget"])
def test_a_crafted_paste_costs_memory_in_proportion(paste):
    """The 20 MB paste of the attack used 802 MiB; scrub must stay within a few copies of its input."""
    tracemalloc.start()
    try:
        redact.scrub(paste)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 12 * len(paste) + 1_000_000


def test_url_passwords_and_secret_named_query_values_are_hidden():
    assert redact.scrub("ws://admin:PASS@host:7880/x") == "ws://admin:***@host:7880/x"
    assert redact.scrub("postgres://u:p@w@db/x") == "postgres://u:***@db/x"  # urlsplit's reading: the last @
    assert redact.scrub("redis://:pw@cache:6379") == "redis://:***@cache:6379"
    assert redact.scrub("wss://host:443/path?a=1") == "wss://host:443/path?a=1"  # a port is no password
    assert redact.scrub("see https://x/?db_password=hunter2&room=r&api_secret=s3&pass=p#f") == \
        "see https://x/?db_password=***&room=r&api_secret=***&pass=***#f"
    assert redact.scrub("https://x/?passive=1&compass=n") == "https://x/?passive=1&compass=n"
    assert redact.scrub("ws://admin:PASS@host", reveal=True) == "ws://admin:PASS@host"


@pytest.mark.parametrize("name", [
    "LIVEKIT_REDIS_PASSWORD", "LIVEKIT_TURN_PASSWORD", "LIVEKIT_DB_PASS", "REDIS_PWD", "LIVEKIT_TURN_CREDENTIAL",
    "GOOGLE_APPLICATION_CREDENTIALS_JSON", "LIVEKIT_PRIVATE_KEY", "LIVEKIT_WEBHOOK_PASSPHRASE", "LIVEKIT_KEYS",
    "LIVEKIT_API_SECRET", "livekit_redis_passwd",
])
def test_names_users_really_use_for_secrets_are_masked(name):
    assert redact.kind_of_variable(name) == "secret"
    assert "hunter2" not in redact.display_value(name, "hunter2-value", [])


@pytest.mark.parametrize("name", ["LIVEKIT_COMPASS_MODE", "LIVEKIT_BYPASS_PROXY", "LIVEKIT_URL", "LIVEKIT_ROOM"])
def test_words_that_merely_contain_pass_are_not_secrets(name):
    assert redact.kind_of_variable(name) == "plain"


def test_a_dsn_shows_its_user_and_host_but_not_its_password():
    assert redact.display_value("LIVEKIT_DB_URL", "postgres://u:pw-123@db:5432/lk", []) == "postgres://u:***@db:5432/lk"


def test_json_text_escapes_what_json_dumps_leaves_raw():
    from lkdebug.core.render import json_text

    value = {"name\x9b": "a\x1b]0;t\x07\x9b2J\u202e\ud800\x7f é ✓"}
    text = json_text(value)
    assert json.loads(text) == value  # the same document...
    assert not redact.has_controls(text.replace("\n", "")) and "é ✓" in text  # ...with nothing raw, Unicode kept
    text.encode("utf-8")  # no lone surrogate


@pytest.mark.parametrize("glue", ["x", "ab", "tokenis", "x.", "a.b", "xx.y"])
def test_text_glued_to_the_header_does_not_save_the_signature(glue):
    token = signed(HEADERS[0])
    masked = redact.scrub(f"{glue}{token}")
    assert token.split(".")[2] not in masked and token.split(".")[1] in masked  # the claims still show


def test_the_dev_secret_is_public_so_prose_keeps_the_word():
    assert redact.scrub("Using the dev credentials (devkey/secret): the API secret", ["secret"]) == \
        "Using the dev credentials (devkey/secret): the API secret"


# Past DECODE_BUDGET runs, decoding stops: the rest is masked by shape alone (the crafted worst case).


def test_decoding_stops_after_the_budget(monkeypatch):
    examined = []
    judge = redact._hide_signatures
    monkeypatch.setattr(redact, "_hide_signatures", lambda match: examined.append(match) or judge(match))
    masked = redact.scrub("e30.e30.e30 " * (3 * redact.DECODE_BUDGET))
    assert len(examined) == redact.DECODE_BUDGET
    # Three JSON objects are no token (decoded); past the budget every run loses its third segment.
    assert masked == "e30.e30.e30 " * redact.DECODE_BUDGET + "e30.e30.<signature hidden> " * (2 * redact.DECODE_BUDGET)


@pytest.mark.parametrize("header", HEADERS, ids=lambda h: h.decode().strip()[:14])
@pytest.mark.parametrize("context", CONTEXTS)
def test_past_the_budget_no_signature_shows(header, context, monkeypatch):
    monkeypatch.setattr(redact, "DECODE_BUDGET", 0)
    monkeypatch.setattr(redact, "_SHAPE_CHUNK", 8)  # chunks cut inside every run
    token = signed(header)
    header_part, _, signature = token.split(".")
    masked = redact.scrub(context.replace("{}", token))
    assert signature not in masked
    if ".{}" not in context:  # a run glued before it starts earlier: its third segment is the header
        assert header_part in masked


@given(st.text(alphabet="ab3e0=.-_ \n", max_size=300), st.integers(0, 5), st.integers(1, 40))
def test_shape_masking_is_the_same_whatever_the_chunks(text, budget, chunk):
    """Chunked, budgeted masking equals masking every run past the budget from its third segment at once."""
    runs = list(redact._DOTTED_RUN.finditer(text))
    cut = runs[budget].start() if len(runs) > budget else len(text)
    previous = runs[budget - 1].end() if 0 < budget <= len(runs) else 0
    expected = (redact._DOTTED_RUN.sub(redact._hide_signatures, text[:previous]) + text[previous:cut]
                + redact._SHAPED_RUN.sub(r"\1." + redact.SIGNATURE_HIDDEN, text[cut:]))
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(redact, "DECODE_BUDGET", budget)
        patch.setattr(redact, "_SHAPE_CHUNK", chunk)
        assert redact._hide_tokens(text) == (expected if text.count(".") >= 2 else text)


_AROUND_CONTROLS = st.characters(max_codepoint=0x9f) | st.sampled_from("\u061b\u061c\u061d\u200d\u200e\u200f\u2029\u202a"
                                                                       "\u202e\u202f\u2065\u2066\u2069\u206a\ud7ff\ud800"
                                                                       "\udfff\ue000\u00a0…é😀") | st.characters()


@given(st.text(alphabet=_AROUND_CONTROLS, max_size=30), st.booleans())
def test_visible_skips_the_pattern_only_for_text_it_would_not_change(text, keep_newlines):
    """The printable-text shortcut in visible(), visible_json() and control_characters() answers as the
    control-character pattern does."""
    from lkdebug.core.redact import _controls, _escape

    assert redact.visible(text, keep_newlines) == _controls(keep_newlines).sub(_escape, text)
    assert redact.visible_json(text) == _controls(True).sub(lambda m: f"\\u{ord(m.group()):04x}", text)
    assert redact.control_characters(text) == _controls(False).findall(text)


def test_every_character_visible_escapes_is_one_isprintable_refuses():
    """What the shortcut rests on, for every code point the pattern can hold (it lists BMP characters only)."""
    from lkdebug.core.redact import _controls

    pattern = _controls(False)
    assert all(not chr(c).isprintable() for c in range(0x10000) if pattern.match(chr(c)))


_NAME_CHARS = st.sampled_from("aAcCdDeEiIkKlLnNoOpPrRsStTvVwW019_-.=&?;#@:/ \u017f\u0131\u0130\u212a")


@given(st.text(alphabet=_NAME_CHARS, max_size=24))
@example("pa\u017fs")
@example("PR\u0131VATE_KEY")
@example("CREDENT\u0130AL")
@example("?db_pa\u017f\u017fword=hunter2")
def test_secret_words_are_found_as_ignorecase_finds_them(text):
    """The ASCII path (lowered text, a pattern without IGNORECASE) and the query check it guards answer as the
    IGNORECASE patterns do, ſ, ı, İ and the Kelvin sign included."""
    import re

    from lkdebug.core.redact import _QUERY_SECRET, _SECRET_WORDS, _USERINFO, _hide_tokens

    assert redact.is_secret_name(text) == (re.search(_SECRET_WORDS, text, re.IGNORECASE) is not None)
    expected = _hide_tokens(text)
    expected = _USERINFO.sub(r"://\1:***@", expected) if "://" in expected else expected
    assert redact.scrub(text) == (_QUERY_SECRET.sub(r"\1***", expected) if "=" in expected else expected)
