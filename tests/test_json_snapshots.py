"""`check --json`, `report --json` and `token decode --json`, byte for byte against stored documents (DESIGN §3).

Scripts parse these documents, so a refactoring of the records behind them must leave them as they were.
Each scenario runs against the stand-in on 127.0.0.1 (with coturn for the TURN allocations and a
livekit.yaml for the host check); what differs from run to run (ports, durations, clock readings,
random probe names, the platform) is replaced by a placeholder before the comparison. Everything else,
every key, every word, every status, must match `tests/snapshots/<name>.json`.

A change meant to alter a document: `LKDEBUG_UPDATE_SNAPSHOTS=1 pytest tests/test_json_snapshots.py`, then
read the diff of tests/snapshots/ before committing it.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest

from lkdebug.core import host, hostside
from lkdebug.core.mint import build_claims, mint
from lkdebug.demo import DEMO_API_KEY, DEMO_API_SECRET
from lkdebug.demo.ntp import NtpResponder
from lkdebug.demo.server import StandInConfig, run_in_thread
from tests.conftest import FROZEN_NOW
from tests.in_process import run_json
from tests.coturn import PASSWORD, USER, Coturn

pytestmark = pytest.mark.timeout(90)

SNAPSHOTS = Path(__file__).parent / "snapshots"
OTHER_SECRET = "other-snapshot-secret-FAKE-0123456789ab"
WRONG_SECRET = "Zq7PwL0xK3vN8bT1rY5uE2oI9aS4dF6gH0jM"

# Numbers that are measurements or clock readings, wherever they appear.
_VOLATILE_KEYS = {"duration_ms", "ms", "unix", "offset", "uncertainty", "ntp_offset", "days_left", "not_after"}
_VOLATILE_TEXT = [
    (re.compile(r"lkdebug-probe-[0-9a-f]{8}"), "lkdebug-probe-<id>"),
    (re.compile(r"\b\d+(\.\d+)? ms\b"), "<n> ms"),
    (re.compile(r"[+-]?\d+\.\d+ s\b"), "<n> s"),
    (re.compile(r"[A-Z][a-z]{2}, \d\d [A-Z][a-z]{2} \d{4} \d\d:\d\d:\d\d GMT"), "<http date>"),
    (re.compile(r"interface addresses \([^)]*\)"), "interface addresses (<this machine's>)"),
    (re.compile(r"127\.0\.0\.1:\d{4,5}\b"), "127.0.0.1:<port>"),  # the stand-in's media sockets
]


def _normalise(value, ports: dict[str, str], paths: dict[str, str]):
    if isinstance(value, dict):
        return {k: ("<n>" if k in _VOLATILE_KEYS and isinstance(v, (int, float)) and not isinstance(v, bool)
                    else _normalise(v, ports, paths)) for k, v in value.items()}
    if isinstance(value, list):
        return [_normalise(v, ports, paths) for v in value]
    if isinstance(value, str):
        for path, name in paths.items():
            value = value.replace(path, name)
        for port, name in ports.items():
            value = re.sub(rf"(?<![0-9]){port}(?![0-9])", name, value)
        for pattern, replacement in _VOLATILE_TEXT:
            value = pattern.sub(replacement, value)
        return value
    if isinstance(value, int) and not isinstance(value, bool) and str(value) in ports:
        return ports[str(value)]
    return value


def _compare(name: str, document: dict, ports: dict[str, str], paths: dict[str, str] | None = None) -> None:
    text = json.dumps(_normalise(document, ports, paths or {}), indent=2, ensure_ascii=False) + "\n"
    path = SNAPSHOTS / f"{name}.json"
    if os.environ.get("LKDEBUG_UPDATE_SNAPSHOTS"):
        SNAPSHOTS.mkdir(exist_ok=True)
        path.write_text(text, encoding="utf-8")
    assert path.exists(), f"no stored document {path}: run once with LKDEBUG_UPDATE_SNAPSHOTS=1"
    assert text == path.read_text(encoding="utf-8")


def _run(capsys, *argv: str) -> tuple[int, dict]:
    return run_json(capsys, *argv)


@pytest.fixture(autouse=True)
def _in_a_container(monkeypatch):
    """The same documents on every machine: lkdebug believes it runs in a container (as CI's does)."""
    monkeypatch.setattr(host, "in_container", lambda: True)
    monkeypatch.setattr(host, "in_wsl", lambda: False)


@pytest.fixture
def ntp():
    with NtpResponder() as responder:
        yield responder.address[1]


@pytest.fixture
def project(tmp_path):
    """A project folder: the demo key and secret in .env."""
    (tmp_path / ".env").write_text(f"LIVEKIT_API_KEY={DEMO_API_KEY}\nLIVEKIT_API_SECRET={DEMO_API_SECRET}\n")
    return tmp_path


@pytest.fixture
def two_secrets(project):
    """The demo key with two secrets: the right one in .env, another in .env.local (which wins)."""
    (project / ".env.local").write_text(f"LIVEKIT_API_SECRET={OTHER_SECRET}\n")
    return project


def _livekit_yaml(folder: Path, port: int, coturn: Coturn) -> Path:
    path = folder / "livekit.yaml"
    path.write_text(f"port: {port}\nkeys:\n  {DEMO_API_KEY}: {DEMO_API_SECRET}\nrtc:\n  udp_port: 7882\n  tcp_port: 7881\n"
                    f"turn:\n  enabled: true\n  udp_port: {coturn.port}\n")
    return path


def _ports(*pairs: tuple[int, str]) -> dict[str, str]:
    return {str(port): name for port, name in pairs}


def test_check_json_with_join_turn_and_host(capsys, tmp_path, project, coturn, ntp, monkeypatch):
    # The host check judges this machine's interface addresses (private ones add media.host_external_ip):
    # one public documentation address keeps the document the same on every machine.
    monkeypatch.setattr(hostside, "interface_addresses", lambda: ["203.0.113.7"])
    turn_url = f"turn:{USER}:{PASSWORD}@127.0.0.1:{coturn.port}?transport=udp"
    server = run_in_thread(StandInConfig(ice_servers=(turn_url,)))
    try:
        config = _livekit_yaml(tmp_path, server.port, coturn)
        code, doc = _run(capsys, "check", "--json", "--dir", str(project), "--config", str(config), "--url", server.url,
                         "--ntp-server", f"127.0.0.1:{ntp}", "--timeout", "5")
    finally:
        server.stop()
    statuses = {c["name"]: c["status"] for c in doc["checks"]}
    assert statuses["join"] == "pass" and statuses["turn"] == "pass" and statuses["host"] != "skip", doc["checks"]
    assert [a["outcome"] for a in next(c for c in doc["checks"] if c["name"] == "turn")["allocations"]] == ["relay"]
    ports = _ports((server.port, "<stand-in>"), (coturn.port, "<turn>"), (ntp, "<ntp>"))
    media = next(c for c in doc["checks"] if c["name"] == "join")["join"]
    ports.update(_ports(*((c["port"], "<media>") for c in media["candidates"])))
    _compare("check-join-turn-host", {"exit": code, **doc}, ports, {str(tmp_path): "<dir>"})


def test_check_json_wrong_secret(capsys, tmp_path, ntp):
    (tmp_path / ".env").write_text(f"LIVEKIT_API_KEY={DEMO_API_KEY}\nLIVEKIT_API_SECRET={WRONG_SECRET}\n")
    server = run_in_thread(StandInConfig())
    try:
        code, doc = _run(capsys, "check", "--json", "--dir", str(tmp_path), "--url", server.url, "--no-media",
                         "--ntp-server", f"127.0.0.1:{ntp}", "--timeout", "5")
    finally:
        server.stop()
    _compare("check-wrong-secret", {"exit": code, **doc}, _ports((server.port, "<stand-in>"), (ntp, "<ntp>")))


def test_report_json_with_token_and_probes(capsys, project, ntp):
    import time

    token = mint(build_claims(api_key=DEMO_API_KEY, identity="alice", video={"roomJoin": True, "room": "r"},
                              now=time.time()), DEMO_API_SECRET)
    server = run_in_thread(StandInConfig())
    try:
        code, doc = _run(capsys, "report", "--format", "json", "--dir", str(project), "--url", server.url, "--token", token,
                         "--network", "--ntp-server", f"127.0.0.1:{ntp}", "--timeout", "5")
    finally:
        server.stop()
    doc["platform"], doc["lkdebug"], doc["generated_at"] = "<platform>", "<version>", "<iso>"
    # The token was minted a moment ago: its times are this run's.
    doc["token"]["token"], doc["token"]["claims"]["nbf"], doc["token"]["claims"]["exp"] = "<token>", "<n>", "<n>"
    doc["token"]["times"] = {name: "<time>" for name in doc["token"]["times"]}
    _compare("report-token-probes", {"exit": code, **doc}, _ports((server.port, "<stand-in>"), (ntp, "<ntp>")),
             {str(project): "<dir>", str(Path.home()): "<home>"})


def _token(key: str, secret: str, at: float = FROZEN_NOW, **claims) -> str:
    return mint(build_claims(api_key=key, identity="alice", video={"roomJoin": True, "room": "r"}, now=at, **claims), secret)


DECODE_CASES = {
    "valid": lambda: _token(DEMO_API_KEY, DEMO_API_SECRET),
    "other-secret": lambda: _token(DEMO_API_KEY, OTHER_SECRET),
    "wrong-secret": lambda: _token(DEMO_API_KEY, WRONG_SECRET),
    # A key lkdebug does not know, signed with a secret it does: matched_key and matched_origin.
    "unknown-key": lambda: _token("APIunknownSnapKey", DEMO_API_SECRET),
    "truncated": lambda: _token(DEMO_API_KEY, DEMO_API_SECRET)[:-12],
    "expired": lambda: _token(DEMO_API_KEY, DEMO_API_SECRET, at=FROZEN_NOW - 7200, valid_for=60),
    "not-a-jwt": lambda: DEMO_API_KEY,
}


@pytest.mark.parametrize("case", DECODE_CASES)
def test_token_decode_json(capsys, two_secrets, case):
    code, doc = _run(capsys, "token", "decode", DECODE_CASES[case](), "--json", "--dir", str(two_secrets), "--now", str(FROZEN_NOW))
    _compare(f"decode-{case}", {"exit": code, **doc}, {})


def test_token_decode_json_unchecked(capsys, tmp_path):
    """No secret known for the key: the signature stays `unchecked`."""
    code, doc = _run(capsys, "token", "decode", _token(DEMO_API_KEY, DEMO_API_SECRET), "--json", "--dir", str(tmp_path),
                     "--now", str(FROZEN_NOW))
    _compare("decode-unchecked", {"exit": code, **doc}, {})
