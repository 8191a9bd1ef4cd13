"""Redaction is proven, not promised (issue: paired debugging; DESIGN §6).

A known secret and a token signed with it are planted in every source lkdebug reads; no output
of any command, in any format, may contain the secret or any token signature without --reveal.
"""

from __future__ import annotations

import re
import time

import jwt
import pytest

from lkdebug import cli
from lkdebug.core import redact
from lkdebug.demo.server import StandInConfig, run_in_thread
from lkdebug.demo.ntp import NtpResponder

KEY = "APIplantedKey42"
SECRET = "PLANTED-secret-0123456789-abcdefghij-XYZ"
# Any JWT with a signature segment: header.claims.signature (the signature is what must never show).
JWT_WITH_SIGNATURE = re.compile(r"eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]{8,}")


@pytest.fixture
def planted(tmp_path, monkeypatch, _isolated_home):
    now = time.time()
    token = jwt.encode({"iss": KEY, "sub": "alice", "nbf": int(now), "exp": int(now) + 3600,
                        "video": {"roomJoin": True, "room": "standup"}}, SECRET, algorithm="HS256")
    project = tmp_path / "project"
    project.mkdir()
    for name in (".env", ".env.local", ".env.development", ".env.production"):
        (project / name).write_text(
            f"LIVEKIT_URL=ws://127.0.0.1:7880\nLIVEKIT_API_KEY={KEY}\nLIVEKIT_API_SECRET={SECRET}\n"
            f"NEXT_PUBLIC_LIVEKIT_API_SECRET={SECRET}\nLIVEKIT_TOKEN={token}\n"
        )
    extra = tmp_path / "extra.env"
    extra.write_text(f"LIVEKIT_API_SECRET='{SECRET} '\n")
    key_file = tmp_path / "keys.yaml"
    key_file.write_text(f"{KEY}: {SECRET}\n")
    key_file.chmod(0o600)
    config = tmp_path / "livekit.yaml"
    config.write_text(f"port: 7880\nkeys:\n  {KEY}: {SECRET}\n  APIother: {SECRET}x\nkey_file: {key_file}\n")
    lk = _isolated_home / ".livekit"
    lk.mkdir()
    (lk / "cli-config.yaml").write_text(
        f"default_project: p\nprojects:\n  - name: p\n    url: ws://127.0.0.1:7880\n    api_key: {KEY}\n    api_secret: {SECRET}\n"
    )
    secret_file = tmp_path / "secret.txt"
    secret_file.write_text(SECRET + "\n")
    monkeypatch.setenv("LIVEKIT_API_SECRET", SECRET)
    monkeypatch.setenv("LIVEKIT_KEYS", f"{KEY}: {SECRET}")
    common = ["--dir", str(project), "--env-file", str(extra), "--config", str(config)]
    return {"token": token, "common": common, "secret_file": str(secret_file), "tmp": tmp_path}


def _assert_clean(text: str, token: str, what: str) -> None:
    assert SECRET not in text, f"{what}: the secret leaked"
    assert token.split(".")[2] not in text, f"{what}: the token's signature leaked"
    leaked = JWT_WITH_SIGNATURE.findall(text)
    assert not leaked, f"{what}: a signed token leaked: {leaked[0][:40]}..."
    assert redact.mask_token(text) == text, f"{what}: a signed token (whatever its header's spelling) leaked"


def _run(capsys, argv: list[str]) -> str:
    code = cli.main(argv)
    out, err = capsys.readouterr()
    assert code in (0, 1), (argv, code, err)
    return out + err


OFFLINE_COMMANDS = [
    ["env"], ["env", "--json"],
    ["token", "decode", "{token}"], ["token", "decode", "--json", "{token}"],
    ["token", "decode", "Bearer {token}"],
    ["check", "--no-network"], ["check", "--no-network", "--json"],
    ["check", "--no-network", "--token", "{token}"], ["check", "--no-network", "--json", "--token", "{token}"],
    ["report"], ["report", "--format", "json"], ["report", "--token", "{token}"],
    ["report", "--format", "json", "--token", "{token}"],
]


@pytest.mark.parametrize("argv", OFFLINE_COMMANDS, ids=" ".join)
def test_no_secret_or_signature_in_offline_output(planted, capsys, argv):
    argv = [a.replace("{token}", planted["token"]) for a in argv]
    _assert_clean(_run(capsys, argv + planted["common"]), planted["token"], " ".join(argv[:3]))


def test_secret_file_option_is_masked_too(planted, capsys):
    out = _run(capsys, ["env", "--json", "--api-secret-file", planted["secret_file"], *planted["common"]])
    _assert_clean(out, planted["token"], "env --api-secret-file")


def test_report_file_is_redacted(planted, capsys):
    for fmt in ("markdown", "json"):
        output = planted["tmp"] / f"report.{fmt}"
        _run(capsys, ["report", "--format", fmt, "--output", str(output), "--token", planted["token"], *planted["common"]])
        _assert_clean(output.read_text(), planted["token"], f"report file ({fmt})")


def test_server_bodies_that_echo_the_token_are_scrubbed(planted, capsys):
    """A v1.13 server answers a wrong secret with `invalid token: <the whole JWT>, error: ...`."""
    with run_in_thread(StandInConfig(keys={KEY: "the-server-holds-another-secret-0123456789"})) as server, \
            NtpResponder() as ntp:
        ntp_arg = f"127.0.0.1:{ntp.address[1]}"
        for argv in (
            ["check", "--url", server.url, "--token", planted["token"], "--ntp-server", ntp_arg, "--timeout", "5"],
            ["check", "--url", server.url, "--token", planted["token"], "--ntp-server", ntp_arg, "--json"],
            ["check", "--url", server.url, "--ntp-server", ntp_arg, "--json"],  # a token minted from the settings
        ):
            out = _run(capsys, argv + planted["common"])
            assert "signature is invalid" in out  # the server's own words are shown...
            _assert_clean(out, planted["token"], " ".join(argv[:2]))  # ...without the token they echo


def test_reveal_shows_what_was_asked_for(planted, capsys):
    out = _run(capsys, ["env", "--json", "--reveal", *planted["common"]])
    assert SECRET in out
