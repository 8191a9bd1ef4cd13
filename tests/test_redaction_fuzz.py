"""Issue 8's fuzz: whatever a token's header spelling, whatever surrounds it, whatever its claims hold,
no output shows its signature, a known secret or a raw control character.

Tokens are signed like the server checks them (HMAC-SHA256 over the header and payload as written), with
headers spelt every way JSON allows (key order, whitespace, escapes, padding). The outputs are those of
the redaction function and of every CLI renderer: findings, `token decode` (text and JSON), `env`
(text and JSON) and the report (Markdown and JSON).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import string
from pathlib import Path

from hypothesis import HealthCheck, given, settings, strategies as st

from lkdebug.commands.env import env_json, env_text
from lkdebug.commands.token import decoded_json, decoded_text
from lkdebug.core import redact, render
from lkdebug.core.model import Finding, KnownKey, Severity
from lkdebug.core.report import build_report, to_json, to_markdown
from lkdebug.core.sources import load_settings
from lkdebug.core.decode import decode

NOW = 1768478400.0
KEY = "APIfuzzKey0001"
FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

secrets = st.text(alphabet=string.ascii_letters + string.digits + "-_", min_size=16, max_size=48)
# Text from outside: anything, controls, bidi overrides and lone surrogates included.
hostile = st.text(alphabet=st.characters(codec=None, blacklist_categories=()), max_size=30) | st.sampled_from(
    ["\x1b]0;title\x07", "\x1b]52;c;SGk=\x07", "\x1b[2J", "\x9b31m", "\u202e", "\ud800", "[/x]", "\r\n"])
space = st.sampled_from(["", " ", "  ", "\n", "\t", "\r\n", " \n\t "])
wrappers = st.sampled_from(["{}", " {} ", "Bearer {}", "Authorization: Bearer {}", "https://app.example/r?token={}",
                            "wss://h/rtc?access_token={}&x=1", '{{"token": "{}"}}', "token={}", "'{}'", "x{}", "a.{}"])


@st.composite
def spelled(draw, items: dict) -> bytes:
    """A JSON object spelt as a person or a library might: any key order, whitespace, escaping."""
    pairs = draw(st.permutations(list(items.items())))
    ascii_only = draw(st.booleans())
    members = [f"{draw(space)}{json.dumps(k, ensure_ascii=ascii_only)}{draw(space)}:{draw(space)}"
               f"{json.dumps(v, ensure_ascii=ascii_only)}{draw(space)}" for k, v in pairs]
    text = f"{draw(space)}{{{','.join(members)}}}{draw(space)}"
    return text.encode("utf-8", "surrogatepass")


@st.composite
def tokens(draw, secret: str) -> str:
    header = draw(spelled({"alg": "HS256", "typ": "JWT", **draw(st.dictionaries(st.sampled_from(["kid", "cty"]), hostile))}))
    claims = {"iss": KEY, "sub": draw(hostile), "nbf": int(NOW) - 60, "exp": int(NOW) + 3600,
              "name": draw(hostile), "metadata": draw(hostile) + secret + draw(hostile),
              "video": {"roomJoin": True, "room": draw(hostile)}, draw(hostile): draw(hostile)}
    payload = draw(spelled(claims))
    pad = draw(st.booleans())

    def segment(data: bytes) -> str:
        text = base64.urlsafe_b64encode(data).decode()
        return text if pad else text.rstrip("=")

    signing_input = f"{segment(header)}.{segment(payload)}"
    return f"{signing_input}.{segment(hmac.new(secret.encode(), signing_input.encode(), hashlib.sha256).digest())}"


@st.composite
def cases(draw) -> tuple[str, str, str]:
    """(known secret, token, the token as pasted: wrapped and surrounded by hostile text)."""
    secret = draw(secrets)
    token = draw(tokens(secret))
    pasted = draw(hostile) + draw(wrappers).replace("{}", token) + draw(hostile)
    return secret, token, pasted


def assert_safe(text: str, secret: str, token: str, what: str) -> None:
    signature = token.rsplit(".", 1)[1]
    assert signature not in text, f"{what}: the signature of a valid token shows"
    assert secret not in text, f"{what}: the known secret shows"
    assert redact.visible(text, keep_newlines=True) == text, f"{what}: a control character reaches the output raw"


@FUZZ
@given(cases())
def test_the_redaction_function(case):
    secret, token, pasted = case
    for what, text in (("scrub", redact.scrub(pasted, [secret])), ("shown", redact.shown(pasted, [secret]))):
        assert token.rsplit(".", 1)[1] not in text and secret not in text, what
    assert redact.visible(redact.shown(pasted, [secret])) == redact.shown(pasted, [secret])


@FUZZ
@given(cases(), hostile)
def test_findings_text(case, words):
    secret, token, pasted = case
    finding = Finding("server.token_rejected", Severity.ERROR, "server", f"{words} {pasted}",
                      f"{pasted}\n{words}{secret}", f"see {pasted}")
    assert_safe(render.findings_text([finding], secrets=[secret]), secret, token, "findings_text")


@FUZZ
@given(cases())
def test_token_decode_text_and_json(case):
    secret, token, pasted = case
    decoded = decode(pasted, known_keys=[KnownKey(KEY, secret, "fuzz")], now=NOW)
    assert_safe(decoded_text(decoded), secret, token, "token decode")
    assert_safe(render.json_text(decoded_json(decoded)), secret, token, "token decode --json")


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                                                 HealthCheck.function_scoped_fixture])
@given(cases(), hostile)
def test_env_and_the_report(tmp_path, case, words):
    secret, token, pasted = case
    environ = {"LIVEKIT_URL": f"ws://admin:{secret}@127.0.0.1:7880", "LIVEKIT_API_KEY": KEY, "LIVEKIT_API_SECRET": secret,
               "LIVEKIT_ROOM": words, "LIVEKIT_TOKEN": pasted, "LIVEKIT_REDIS_PASSWORD": secret[::-1],
               "LIVEKIT_WEBHOOK_URL": f"https://hooks.example/x?k={secret}"}
    loaded = load_settings(Path(tmp_path), environ=environ, home=Path(tmp_path), container=False, system_configs=())
    decoded = decode(pasted, known_keys=loaded.known_keys, now=NOW)
    doc = build_report(loaded, decoded=decoded, now=NOW)
    for what, text in (("env", env_text(loaded, Path(tmp_path))), ("env --json", render.json_text(env_json(loaded))),
                       ("report", to_markdown(doc)), ("report --format json", to_json(doc))):
        assert_safe(text, secret, token, what)
        assert secret[::-1] not in text, f"{what}: the Redis password shows"
