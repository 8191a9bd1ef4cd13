"""Realistic projects and hosts, diagnosed end to end: the right cause first, said once, never contradicted.

Each scenario is a project folder (dotenv files, livekit.yaml), a shell environment, a stand-in
server on 127.0.0.1 (its keys, clock, faults) and an NTP responder (or none that answers). The
diagnosis must name the expected cause first, and every other error must fold under it
(`because`): one cause, one error. The README's figure is the number of these that pass (all of them;
9 of the 32 passed with the code before issue 11).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from lkdebug.core import diagnose as diagnosis
from lkdebug.core.model import Report, Severity
from lkdebug.core.sources import load_settings
from lkdebug.core.mint import build_claims, mint
from lkdebug.demo.ntp import NtpResponder
from lkdebug.demo.server import StandInConfig, refused_port, run_in_thread

pytestmark = pytest.mark.timeout(120)

KEY = "APIscenario0001"
SECRET = "scenario-secret-0123456789abcdefghijkl"
STALE = "stale-secret-from-last-month-0123456789xx"
OTHER_KEY = "APIotherproject9"
OTHER_SECRET = "other-project-secret-0123456789abcdefgh"


@dataclass
class Scenario:
    """One project and host. `token` builds the --token from the stand-in's clock (None: lkdebug mints)."""

    name: str
    expect_first: str
    files: dict[str, str] = field(default_factory=dict)
    environ: dict[str, str] = field(default_factory=dict)
    server: dict | None = field(default_factory=dict)  # StandInConfig kwargs; None: nothing listens
    ntp: bool = True  # False: no NTP server answers
    token: Callable[[float], str] | None = None
    in_container: bool = False
    url_host: str = "127.0.0.1"
    scheme: str = "ws"
    url_path: str = ""
    check: Callable[[Report], None] | None = None  # more assertions for this scenario


def _env(key: str = KEY, secret: str = SECRET) -> str:
    return f"LIVEKIT_API_KEY={key}\nLIVEKIT_API_SECRET={secret}\n"


def _join_token(key: str, secret: str, *, at: float, valid_for: float = 3600, **extra) -> str:
    claims = build_claims(api_key=key, identity="alice", video={"roomJoin": True, "room": "demo"}, valid_for=valid_for, now=at)
    claims.update(extra)
    return mint(claims, secret)


def run_scenario(scenario: Scenario, tmp_path: Path) -> Report:
    project = tmp_path / "project"
    project.mkdir(parents=True)
    for name, text in scenario.files.items():
        (project / name).write_text(text)
    server = None
    if scenario.server is not None:
        server = run_in_thread(StandInConfig(**{"keys": {KEY: SECRET}, **scenario.server}))
    try:
        port = server.url.rsplit(":", 1)[1] if server else str(refused_port())
        url = f"{scenario.scheme}://{scenario.url_host}:{port}{scenario.url_path}"
        settings = load_settings(project, environ={"LIVEKIT_URL": url, **scenario.environ}, home=tmp_path,
                                 container=scenario.in_container, system_configs=())
        with NtpResponder() as responder:
            ntp_port = responder.address[1] if scenario.ntp else refused_port()
            token = scenario.token(time.time()) if scenario.token else None
            return asyncio.run(diagnosis.diagnose(
                settings, token=token, timeout=3, ntp_servers=[("127.0.0.1", ntp_port)],
                in_container=scenario.in_container))
    finally:
        if server:
            server.stop()


def judged(report: Report) -> tuple[bool, str]:
    """(right, why): the first finding is the cause, and no other error stands on its own."""
    findings = report.findings
    if not findings:
        return False, "no findings"
    first = findings[0]
    loose = [f for f in findings[1:] if f.severity is Severity.ERROR and getattr(f, "because", None) is None]
    if loose:
        return False, f"{first.code} first, but also {[f.code for f in loose]}"
    return True, first.code


SCENARIOS = [
    Scenario("all settings right", "server.token_accepted", files={".env": _env()}),
    Scenario("quoted trailing space in the secret (Next.js .env.local)", "env.whitespace",
             files={".env.local": f'LIVEKIT_API_KEY={KEY}\nLIVEKIT_API_SECRET="{SECRET} "\n'}),
    Scenario("a stale export in the shell beats .env.local", "env.conflict",
             files={".env.local": _env()}, environ={"LIVEKIT_API_SECRET": STALE}),
    Scenario("key in .env, right secret in .env.local, stale one exported", "env.conflict",
             files={".env": f"LIVEKIT_API_KEY={KEY}\n", ".env.local": f"LIVEKIT_API_SECRET={SECRET}\n"},
             environ={"LIVEKIT_API_SECRET": STALE}, check=lambda report: _names_the_accepted_secret(report, ".env.local")),
    Scenario("the project's secret differs from livekit.yaml", "env.server_key_mismatch",
             files={".env": _env(secret=STALE), "livekit.yaml": f"keys:\n  {KEY}: {SECRET}\n"}),
    Scenario("the project's key is not in livekit.yaml", "env.server_key_mismatch",
             files={".env": _env(key=OTHER_KEY, secret=OTHER_SECRET), "livekit.yaml": f"keys:\n  {KEY}: {SECRET}\n"}),
    Scenario("a wrong secret, nothing else to go on", "server.signature_mismatch", files={".env": _env(secret=STALE)}),
    Scenario("a key the server does not hold", "server.key_unknown", files={".env": _env(key=OTHER_KEY)}),
    Scenario("the server's clock is 120 s behind", "clock.skew_server", files={".env": _env()},
             server={"clock_offset": -120}),
    Scenario("the server's clock is 120 s ahead", "clock.skew_server", files={".env": _env()},
             server={"clock_offset": 120}),
    Scenario("the server's clock is 120 s behind and NTP is unreachable", "clock.skew_server", files={".env": _env()},
             server={"clock_offset": -120}, ntp=False),
    Scenario("an expired token", "token.expired", files={".env": _env()},
             token=lambda now: _join_token(KEY, SECRET, at=now - 7200)),
    Scenario("a token not valid yet", "token.not_yet_valid", files={".env": _env()},
             token=lambda now: _join_token(KEY, SECRET, at=now + 600)),
    Scenario("an API key pasted where the token belongs", "token.api_key_not_jwt", files={".env": _env()},
             token=lambda now: KEY),
    Scenario("a token signed with another project's key", "token.unknown_key", files={".env": _env()},
             token=lambda now: _join_token(OTHER_KEY, OTHER_SECRET, at=now)),
    Scenario("a token without a room", "token.no_room", files={".env": _env()},
             token=lambda now: mint(build_claims(api_key=KEY, identity="a", video={"roomJoin": True}, now=now), SECRET)),
    Scenario("a proxy that drops Upgrade", "net.not_livekit", files={".env": _env()}, server={"fault": "proxy"}),
    Scenario("nothing listens on the port", "net.refused", files={".env": _env()}, server=None),
    Scenario("nothing listens, and lkdebug runs in a container", "net.refused", files={".env": _env()},
             server=None, in_container=True),
    Scenario("a server that accepts and never answers", "net.timeout", files={".env": _env()}, server={"fault": "silent"}),
    Scenario("only livekit.yaml, with one key (on the LiveKit host)", "env.key_from_server_config",
             files={"livekit.yaml": f"keys:\n  {KEY}: {SECRET}\nrtc:\n  udp_port: 7882\n  tcp_port: 7881\n"}),
    Scenario("dev keys against the stand-in holding other keys", "server.key_unknown",
             files={".env": _env(key="devkey", secret="secret")}),
    Scenario("the URL ends in /rtc", "env.url_path", files={".env": _env()}, url_path="/rtc"),
    Scenario("TLS with a certificate nobody trusts", "net.tls_untrusted", files={".env": _env()},
             server={"tls": True}, scheme="wss"),
    Scenario("wss:// spoken to a plain port", "net.tls_plain_port", files={".env": _env()}, scheme="wss"),
    Scenario("the user's token on a server 120 s behind", "clock.skew_server", files={".env": _env()},
             server={"clock_offset": -120}, token=lambda now: _join_token(KEY, SECRET, at=now)),
    Scenario("the secret quoted twice", "env.quoted", files={".env": f"LIVEKIT_API_KEY={KEY}\nLIVEKIT_API_SECRET=\"'{SECRET}'\"\n"}),
    Scenario("a Python agent whose values live in .env.local", "env.python_dotenv",
             files={".env.local": _env(), "pyproject.toml": "[project]\nname = 'agent'\n"}),
    Scenario("the API key stored as the demo token", "env.token_not_jwt",
             files={".env.local": _env() + f"NEXT_PUBLIC_DEMO_LIVEKIT_TOKEN={KEY}\n"}),
    Scenario("a token with roomName instead of room", "token.room_name_key", files={".env": _env()},
             token=lambda now: mint(build_claims(api_key=KEY, identity="a", video={"roomJoin": True, "roomName": "r"}, now=now),
                                    SECRET)),
    Scenario("the key and secret swapped", "env.key_secret_swapped", files={".env": _env(key=SECRET, secret=KEY)}),
    Scenario("a placeholder secret", "env.placeholder", files={".env": _env(secret="your_api_secret_here")}),
]


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s.name for s in SCENARIOS])
def test_scenario_names_the_cause_first(scenario, tmp_path):
    report = run_scenario(scenario, tmp_path)
    right, why = judged(report)
    codes = [(f.code, getattr(f, "because", None)) for f in report.findings]
    assert report.findings and report.findings[0].code == scenario.expect_first, codes
    assert right, (why, codes)
    if scenario.check:
        scenario.check(report)


@pytest.mark.parametrize("in_container", [False, True])
def test_all_right_prints_no_warning(tmp_path, in_container):
    """Also inside a container whose own livekit-server answers on 127.0.0.1 (no localhost false alarm)."""
    scenario = Scenario("all settings right", "server.token_accepted", files={".env": _env()}, in_container=in_container)
    report = run_scenario(scenario, tmp_path)
    assert not [f for f in report.findings if f.severity in (Severity.ERROR, Severity.WARNING)], report.findings
    assert "env.url_localhost" not in [f.code for f in report.findings]


def _names_the_accepted_secret(report: Report, origin: str) -> None:
    mismatch = next(f for f in report.findings if f.code == "server.signature_mismatch")
    assert mismatch.because == "env.conflict"
    assert f"the server accepts the one from {origin}" in mismatch.detail, mismatch.detail
    assert SECRET not in mismatch.detail and STALE not in mismatch.detail


def test_split_secrets_are_paired_and_the_matching_one_named(tmp_path, now):
    """Key in .env, the right secret in .env.local, a stale one exported: the decoder tries them all."""
    from lkdebug.core.decode import decode

    (tmp_path / ".env").write_text(f"LIVEKIT_API_KEY={KEY}\n")
    (tmp_path / ".env.local").write_text(f"LIVEKIT_API_SECRET={SECRET}\n")
    settings = load_settings(tmp_path, environ={"LIVEKIT_API_SECRET": STALE}, home=tmp_path, container=False,
                             system_configs=())
    expired = _join_token(KEY, SECRET, at=now - 7200)
    decoded = decode(expired, known_keys=settings.known_keys, server_keys=settings.server_keys, now=now)
    assert decoded.signature.status == "valid" and decoded.signature.origin == ".env.local"
    assert decoded.verdict.reason == "expired"
    stale_signed = decode(_join_token(KEY, "never-seen-secret-0123456789abcdefgh", at=now), known_keys=settings.known_keys,
                          now=now)
    tried = next(f for f in stale_signed.findings if f.code == "token.signature_invalid").detail
    assert "process environment" in tried and ".env.local" in tried
