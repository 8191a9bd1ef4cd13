"""Issue 11 unit by unit: the causal links, the folded rendering, the clock blame, the env blind spots."""

from __future__ import annotations

from pathlib import Path

from lkdebug.core import clock, diagnose, envlint, render
from lkdebug.core.model import Finding, Severity, Variable
from lkdebug.core.sources import load_settings

KEY, SECRET = "APIdiagFAKE0001", "diag-secret-FAKE-0123456789abcdefghijk"


def finding(code, severity=Severity.ERROR, title="t", detail="", fix=None):
    return Finding(code, severity, "env", title, detail, fix)


def test_a_refusal_folds_under_the_env_cause_and_takes_its_fix():
    cause = finding("env.whitespace", title="LIVEKIT_API_SECRET contains leading or trailing whitespace",
                    fix="Remove the extra characters from LIVEKIT_API_SECRET.")
    refusal = finding("server.signature_mismatch", title="The server holds a different secret", fix="Copy the secret.")
    api = finding("server.api_denied", detail="said: 'invalid token: x, error: token signature is invalid: signature is invalid'",
                  fix="The key or secret ...")
    ordered = diagnose.order_findings([refusal, api, cause])
    assert [f.code for f in ordered] == ["env.whitespace", "server.signature_mismatch", "server.api_denied"]
    assert [f.because for f in ordered] == [None, "env.whitespace", "env.whitespace"]
    assert {f.fix for f in ordered} == {cause.fix}
    assert ordered[0].to_dict()["because"] is None and ordered[1].to_dict()["because"] == "env.whitespace"


def test_a_warning_that_explains_an_error_is_an_error():
    conflict = finding("env.conflict", Severity.WARNING, title="LIVEKIT_API_SECRET differs between 2 sources")
    ordered = diagnose.order_findings([finding("server.signature_mismatch"), conflict])
    assert ordered[0].code == "env.conflict" and ordered[0].severity is Severity.ERROR


def test_the_clock_explains_an_expiry_refusal_and_the_api_denial():
    skew = finding("clock.skew_server", title="Your clock is 120 s ahead of the LiveKit server", fix="sync it")
    rejected = finding("server.token_rejected", detail="answered 401 'invalid token: <the token>, error: token is not valid yet'")
    api = finding("server.api_denied", detail="says: 'invalid token: x, error: token has invalid claims: token is not valid yet'")
    ordered = diagnose.order_findings([rejected, api, skew])
    assert [(f.code, f.because) for f in ordered] == [
        ("clock.skew_server", None), ("server.token_rejected", "clock.skew_server"), ("server.api_denied", "clock.skew_server")]


def test_text_folds_effects_under_their_cause_without_their_fix():
    cause = finding("env.quoted", title="LIVEKIT_API_SECRET still has quotes", fix="Remove one level of quotes.")
    effect = finding("server.signature_mismatch", title="The server holds a different secret", detail="401 ...", fix="other fix")
    text = render.findings_text(diagnose.order_findings([effect, cause]))
    lines = text.splitlines()
    assert lines[0].endswith("[env.quoted]")
    assert any(line.strip().startswith("↳ ") and line.endswith("The server holds a different secret  [server.signature_mismatch]")
               for line in lines)
    assert "other fix" not in text and text.count("fix:") == 1


def test_without_ntp_the_clock_blame_names_both_clocks():
    """Issue 11: with NTP unreachable a server clock behind was blamed on this machine."""
    found = clock.judge_clocks(None, 120.0, 0.6, hints=["On Linux: `timedatectl set-ntp true` (or chrony)."])
    skew = next(f for f in found if f.code == "clock.skew_server")
    assert "cannot tell which of the two clocks is off" in skew.detail
    assert "Sync this machine's clock" not in skew.fix and "--ntp-server" in skew.fix
    # With NTP agreeing with this machine, the server is named.
    named = next(f for f in clock.judge_clocks(0.2, 120.0, 0.6) if f.code == "clock.skew_server")
    assert "The server's clock is the one that is off" in named.fix


def test_localhost_in_a_container_is_a_hint_and_never_for_a_browser_url():
    server_side = envlint.lint_url("LIVEKIT_URL", "ws://127.0.0.1:7880", ".env", container=True)
    assert [f.severity for f in server_side if f.code == "env.url_localhost"] == [Severity.INFO]
    browser = envlint.lint_url("NEXT_PUBLIC_LIVEKIT_URL", "ws://127.0.0.1:7880", ".env", container=True)
    assert "env.url_localhost" not in [f.code for f in browser]


def test_empty_key_and_secret_are_not_the_same_value(tmp_path: Path):
    (tmp_path / ".env").write_text("LIVEKIT_API_KEY=\nLIVEKIT_API_SECRET=\n")
    settings = load_settings(tmp_path, environ={}, home=tmp_path, container=False, system_configs=())
    assert not [f for f in settings.findings if f.code == "env.key_secret_swapped"]


def test_one_key_in_livekit_yaml_is_used_and_said(tmp_path: Path):
    (tmp_path / "livekit.yaml").write_text(f"keys:\n  {KEY}: {SECRET}\n")
    settings = load_settings(tmp_path, environ={}, home=tmp_path, container=False, system_configs=())
    assert settings.api_key.value == KEY and settings.api_secret.value == SECRET
    assert "env.key_from_server_config" in [f.code for f in settings.findings]
    assert not [f for f in settings.findings if f.code == "env.missing" and "API" in f.title]


def test_several_keys_in_livekit_yaml_need_api_key(tmp_path: Path):
    (tmp_path / "livekit.yaml").write_text(f"keys:\n  {KEY}: {SECRET}\n  APIsecondFAKE02: {SECRET[::-1]}\n")
    none = load_settings(tmp_path, environ={}, home=tmp_path, container=False, system_configs=())
    assert none.api_secret is None and "env.server_keys_choose" in [f.code for f in none.findings]
    picked = load_settings(tmp_path, environ={}, home=tmp_path, container=False, system_configs=(), api_key="APIsecondFAKE02")
    assert picked.api_secret.value == SECRET[::-1]


def test_lint_variable_is_unchanged_for_a_plain_url():
    assert envlint.lint_variable(Variable("LIVEKIT_URL", "wss://lk.acme.io", ".env")) == []


def test_one_url_model_one_finding_per_problem_and_one_fix(tmp_path: Path):
    """`wss://lk.acme.io/rtc?x=1` got four warnings for two problems, one fix saying keep /rtc, one drop it."""
    import asyncio

    from lkdebug.core.target import parse_url

    lint = envlint.lint_url("LIVEKIT_URL", "wss://lk.acme.io/rtc?x=1", ".env")
    assert [f.code for f in lint] == ["env.url_path", "env.url_path"]
    assert {f.fix for f in lint} == {"Use wss://lk.acme.io"}
    target, found = parse_url("wss://lk.acme.io/rtc?x=1")
    assert {f.fix for f in found} == {"Use wss://lk.acme.io"} and target.prefix == ""
    (tmp_path / ".env").write_text(f"LIVEKIT_URL=wss://lk.acme.io/rtc?x=1\nLIVEKIT_API_KEY={KEY}\nLIVEKIT_API_SECRET={SECRET}\n")
    settings = load_settings(tmp_path, environ={}, home=tmp_path, container=False, system_configs=())
    report = asyncio.run(diagnose.diagnose(settings, network=False))
    url_findings = [f for f in report.findings if "url" in f.code]
    assert [f.code for f in url_findings] == ["env.url_path", "env.url_path"], report.findings


def test_the_url_model_agrees_on_ports_and_prefixes():
    from lkdebug.core import url

    parsed = url.parse("lk.acme.io:7880/livekit/rtc/validate")
    assert (parsed.assumed_scheme, parsed.prefix, parsed.sdk_suffix, parsed.clean) == (
        "ws", "/livekit", "/rtc/validate", "ws://lk.acme.io:7880/livekit")
    assert url.parse("wss://[::1").error_kind == "unreadable" and url.parse("ftp://x").error_kind == "scheme"
    assert url.parse("wss://x:99999").error_kind == "port" and url.parse("https://").error_kind == "host"


def test_an_api_key_stored_as_the_token_is_flagged(tmp_path: Path):
    """Seed 002: NEXT_PUBLIC_DEMO_LIVEKIT_TOKEN held the API key; `env` never looked inside."""
    (tmp_path / ".env.local").write_text(f"LIVEKIT_API_KEY={KEY}\nLIVEKIT_API_SECRET={SECRET}\n"
                                         f"NEXT_PUBLIC_DEMO_LIVEKIT_TOKEN={KEY}\n")
    settings = load_settings(tmp_path, environ={}, home=tmp_path, container=False, system_configs=())
    flagged = [f for f in settings.findings if f.code == "env.token_not_jwt"]
    assert len(flagged) == 1 and "an API key" in flagged[0].title and flagged[0].severity is Severity.ERROR


def test_a_stored_expired_token_is_flagged_with_the_injected_clock(tmp_path: Path, now):
    from lkdebug.core.mint import build_claims, mint

    token = mint(build_claims(api_key=KEY, identity="a", video={"roomJoin": True, "room": "r"}, valid_for=600, now=now), SECRET)
    (tmp_path / ".env").write_text(f"LIVEKIT_API_KEY={KEY}\nLIVEKIT_API_SECRET={SECRET}\nLIVEKIT_TOKEN={token}\n")
    fresh = load_settings(tmp_path, environ={}, home=tmp_path, container=False, system_configs=(), now=now)
    assert "env.token_rejected" not in [f.code for f in fresh.findings]
    later = load_settings(tmp_path, environ={}, home=tmp_path, container=False, system_configs=(), now=now + 7200)
    rejected = next(f for f in later.findings if f.code == "env.token_rejected")
    assert "token is expired" in rejected.detail and token not in rejected.detail


def test_which_process_reads_which_file(tmp_path: Path):
    """A Python agent's load_dotenv() reads .env; check was green with values the agent never loads."""
    (tmp_path / "pyproject.toml").write_text("[project]\nname='agent'\n")
    (tmp_path / ".env").write_text(f"LIVEKIT_API_KEY={KEY}\n")
    (tmp_path / ".env.local").write_text(f"LIVEKIT_API_SECRET={SECRET}\n")
    settings = load_settings(tmp_path, environ={}, home=tmp_path, container=False, system_configs=())
    hint = next(f for f in settings.findings if f.code == "env.python_dotenv")
    assert hint.severity is Severity.WARNING
    assert "LIVEKIT_API_SECRET: the web app (Next.js, Vite) reads .env.local" in hint.detail
    assert "a Python agent reads .env: not set" in hint.detail and SECRET not in hint.detail
    (tmp_path / ".env").write_text(f"LIVEKIT_API_KEY={KEY}\nLIVEKIT_API_SECRET={SECRET}\n")
    same = load_settings(tmp_path, environ={}, home=tmp_path, container=False, system_configs=())
    assert "env.python_dotenv" not in [f.code for f in same.findings]


# ---- paste gaps -------------------------------------------------------------------------------


def _token(now, secret=SECRET, **video):
    from lkdebug.core.mint import build_claims, mint

    return mint(build_claims(api_key=KEY, identity="alice", video={"roomJoin": True, "room": "demo", **video}, now=now), secret)


def _decode(text, now, **options):
    from lkdebug.core.model import KnownKey
    from lkdebug.core.decode import decode

    return decode(text, known_keys=[KnownKey(KEY, SECRET, ".env")], now=now, **options)


def test_a_cut_short_signature_is_called_truncated_not_a_wrong_secret(now):
    token = _token(now)
    for cut in (12, 11):  # 31 characters (decodes), 32 characters left would be 43-11: both short
        decoded = _decode(token[:-cut], now)
        codes = [f.code for f in decoded.findings]
        assert "token.truncated" in codes and "token.signature_invalid" not in codes, codes
        assert decoded.rejected
    assert "31 characters; an HS256 signature has exactly 43" in next(
        f.detail for f in _decode(token[:-12], now).findings if f.code == "token.truncated")
    unknown = [f.code for f in _decode(token[:-12], now, server_keys=None).findings]
    assert "token.valid" not in unknown


def test_a_percent_encoded_token_is_decoded(now):
    token = _token(now)
    decoded = _decode(token.replace(".", "%2E", 1) + "%3D", now)
    assert decoded.raw == token + "="
    assert "3 dot-separated parts" not in " ".join(f.title for f in decoded.findings)
    assert any("percent-encoding" in item for item in decoded.stripped)
    refused = next(f for f in decoded.findings if f.code == "token.not_jwt")
    assert "padding" in refused.title and refused.fix.startswith("Drop the trailing '='")


def test_a_correct_authorization_header_is_not_a_warning(now):
    token = _token(now)
    right = _decode(f"Authorization: Bearer {token}", now)
    assert right.raw == token and "token.wrapped" not in [f.code for f in right.findings]
    for wrong in (f"authorization: bearer {token}", f"Authorization: Bearer  {token}"):
        assert "token.wrapped" in [f.code for f in _decode(wrong, now).findings], wrong


# ---- grant lint and the server's type rules -----------------------------------------------------


def _signed(claims: dict, secret: str = SECRET) -> str:
    import base64
    import hashlib
    import hmac
    import json

    def seg(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

    signing_input = seg(b'{"alg":"HS256","typ":"JWT"}') + "." + seg(json.dumps(claims).encode())
    return signing_input + "." + seg(hmac.new(secret.encode(), signing_input.encode(), hashlib.sha256).digest())


def test_room_admin_without_room_is_flagged(now):
    decoded = _decode(_signed({"iss": KEY, "sub": "ops", "exp": now + 600, "video": {"roomAdmin": True}}), now)
    assert "token.admin_no_room" in [f.code for f in decoded.findings]
    with_room = _decode(_signed({"iss": KEY, "sub": "ops", "exp": now + 600, "video": {"roomAdmin": True, "room": "r"}}), now)
    assert "token.admin_no_room" not in [f.code for f in with_room.findings]


def test_a_sip_only_token_gets_one_coherent_sentence(now):
    decoded = _decode(_signed({"iss": KEY, "exp": now + 600, "sip": {"admin": True}}), now)
    join_infos = [f for f in decoded.findings if f.code in ("token.no_video", "token.no_join", "token.no_identity", "token.no_room")]
    assert len(join_infos) == 1 and join_infos[0].severity is Severity.INFO
    assert "server API token (sip)" in join_infos[0].title


def test_wrongly_typed_claims_are_refused_in_the_servers_words(now):
    cases = {
        "metadata": ({"metadata": {"a": 1}}, "cannot unmarshal object into Go struct field tokenClaims.ClaimGrants.metadata of type string"),
        "name": ({"name": 5}, "cannot unmarshal number into Go struct field tokenClaims.ClaimGrants.name of type string"),
        "sources": ({"video": {"roomJoin": True, "room": "r", "canPublishSources": [1]}},
                    "cannot unmarshal number into Go struct field VideoGrant.ClaimGrants.video.canPublishSources of type string"),
        "roomJoin": ({"video": {"roomJoin": "true", "room": "r"}},
                     "cannot unmarshal string into Go struct field VideoGrant.ClaimGrants.video.roomJoin of type bool"),
    }
    for label, (extra, words) in cases.items():
        claims = {"iss": KEY, "sub": "a", "exp": now + 600, "video": {"roomJoin": True, "room": "r"}, **extra}
        decoded = _decode(_signed(claims), now)
        assert decoded.rejected and decoded.verdict.reason == "malformed_claims", label
        assert decoded.verdict.message.endswith("token is malformed: could not JSON decode claim: json: " + words), label
        assert decoded.eras["v1.4"].message.endswith("error: json: " + words.split(" into ")[0] + " into Go value of type "
                                                    + words.rsplit(" of type ", 1)[1]), label
        assert "token.grant_type" in [f.code for f in decoded.findings], label


def test_a_numeric_room_and_a_lone_surrogate_do_not_crash(now):
    """Both crashed `token decode` with exit 3 (TypeError, UnicodeEncodeError)."""
    import json

    from lkdebug.commands.token import decoded_text

    numeric = _decode(_signed({"iss": KEY, "sub": "a", "exp": now + 600, "video": {"roomJoin": True, "room": 5}}), now)
    assert {v.reason for v in numeric.eras.values()} == {"malformed_claims"}
    raw = _signed({"iss": KEY, "sub": "\ud800", "exp": now + 600, "video": {"roomJoin": True, "room": "r"}})
    surrogate = _decode(raw, now)
    assert surrogate.claims["sub"] == "\ufffd" and surrogate.verdict.accepted  # Go's json replaces it
    for decoded in (numeric, surrogate):
        decoded_text(decoded).encode("utf-8")
        json.dumps(decoded.to_dict()).encode("utf-8")


def test_length_limits_are_bytes_and_absent_before_v1_4_1(now):
    from lkdebug.core import server_rules

    claims = {"sub": "é" * 129, "video": {"roomJoin": True, "room": "r"}}  # 129 characters, 258 bytes
    assert server_rules.join_verdict(claims).reason == "identity_too_long"
    assert server_rules.join_verdict(claims, server_rules.V1_0).accepted
    assert server_rules.join_verdict({"sub": "a", "video": {"roomJoin": True}}, server_rules.V1_0).accepted


# ---- --now ------------------------------------------------------------------------------------


def test_now_flag_on_decode_create_and_offline_check(tmp_path: Path, now, capsys):
    import json

    from lkdebug import cli

    (tmp_path / ".env").write_text(f"LIVEKIT_URL=ws://127.0.0.1:7880\nLIVEKIT_API_KEY={KEY}\nLIVEKIT_API_SECRET={SECRET}\n")
    base = ["--dir", str(tmp_path)]
    assert cli.main(["token", "create", *base, "--join", "--room", "r", "--identity", "a", "--valid-for", "1h",
                     "--now", "2026-01-15T12:00:00Z", "--json"]) == 0
    created = json.loads(capsys.readouterr().out)
    assert created["claims"]["nbf"] == int(now) and created["claims"]["exp"] == int(now) + 3600
    token = created["token"]
    assert cli.main(["token", "decode", token, *base, "--now", str(int(now) + 1800), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["verdict"]["accepted"] is True
    assert cli.main(["token", "decode", token, *base, "--now", "2026-01-15T14:00:00+00:00", "--json"]) == 1
    assert json.loads(capsys.readouterr().out)["verdict"]["reason"] == "expired"
    assert cli.main(["check", *base, "--no-network", "--token", token, "--now", "2026-01-15T14:00", "--json"]) == 1
    assert "token.expired" in [f["code"] for f in json.loads(capsys.readouterr().out)["findings"]]
    assert cli.main(["check", *base, "--token", token, "--now", "2026-01-15T14:00"]) == 2
    assert cli.main(["token", "decode", token, *base, "--now", "tomorrow"]) == 2
    assert "--now: 'tomorrow' is not a time" in capsys.readouterr().err


def test_mint_is_pyjwt_and_quiet_about_short_dev_secrets(now):
    import warnings

    import jwt
    import pytest

    from lkdebug.core.mint import build_claims, mint

    claims = build_claims(api_key="devkey", identity="a", video={"roomJoin": True, "room": "r"}, now=now)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # lkdebug's own env.secret_short speaks about short secrets
        token = mint(claims, "secret")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the oracle's own short-key warning
        assert jwt.decode(token, "secret", algorithms=["HS256"], options={"verify_exp": False, "verify_nbf": False}) == claims
    with pytest.raises(ValueError, match="empty"):
        mint(claims, "")


def test_join_findings_say_which_releases_lack_the_check(now):
    decoded = _decode(_signed({"iss": KEY, "sub": "a", "exp": now + 600, "video": {"roomJoin": True}}), now)
    no_room = next(f for f in decoded.findings if f.code == "token.no_room")
    assert no_room.detail == ("A join answers 400 `no room name`. The check exists since v1.9.1: v1.9.0 and older answer "
                              "200 `success` (the room came from ?room=, and an empty one was let through).")
    long_identity = _decode(_signed({"iss": KEY, "sub": "é" * 129, "exp": now + 600, "video": {"roomJoin": True, "room": "r"}}), now)
    too_long = next(f for f in long_identity.findings if f.code == "token.identity_too_long")
    assert too_long.detail.endswith("The check exists since v1.6.2: v1.6.1 and older answer 200 `success`.")
    # The sentences follow the per-era verdicts the decoder reports, never prose of their own.
    assert [long_identity.eras[era].accepted for era in ("v1.6", "v1.4")] == [False, True]
    assert [decoded.eras[era].accepted for era in ("v1.9", "v1.6")] == [False, True]


def test_the_report_folds_a_finding_under_its_cause():
    from lkdebug.core.model import Settings
    from lkdebug.core.report import build_report, to_markdown

    settings = Settings(findings=[finding("env.quoted", title="LIVEKIT_API_SECRET still has quotes", fix="Remove the quotes.")])
    from lkdebug.core.model import Report

    diagnosis = Report(findings=[finding("server.signature_mismatch", title="The server holds a different secret", fix="x")])
    doc = build_report(settings, diagnosis=diagnosis, now=0)
    assert [(f["code"], f["because"]) for f in doc["findings"]] == [("env.quoted", None),
                                                                   ("server.signature_mismatch", "env.quoted")]
    row = next(line for line in to_markdown(doc).splitlines() if "server.signature_mismatch" in line)
    assert row.startswith("| ↳ |") and "(follows from `env.quoted` above)" in row and "Remove the quotes." not in row


def test_json_and_text_show_the_same_order():
    from lkdebug.core.model import Report

    skew = finding("clock.skew_server", title="Your clock is 120 s ahead of the LiveKit server", fix="sync")
    window = finding("clock.token_window", Severity.WARNING, title="The server's clock judges the token differently")
    rejected = finding("server.token_rejected", detail="answered 401 'invalid token: x, error: token is not valid yet'")
    ordered = diagnose.order_findings([window, rejected, finding("env.secret_exposed"), skew])
    json_codes = [f["code"] for f in Report(findings=ordered).to_dict()["findings"]]
    text = render.findings_text(ordered)
    text_codes = [line.rsplit("[", 1)[1].rstrip("]") for line in text.splitlines() if line.rstrip().endswith("]")]
    assert json_codes == text_codes == ["clock.skew_server", "server.token_rejected", "clock.token_window", "env.secret_exposed"]
