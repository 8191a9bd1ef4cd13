"""A certificate fault is one TLS finding, whichever probe meets it, and every probe makes one trust decision.

The stand-in on 127.0.0.1 serves TLS with a throwaway CA (trustme): untrusted (its CA not given), expired,
or for another name (its CA given, so only that fault shows).
"""

from __future__ import annotations

import json
import ssl
import os
import subprocess
import sys
import time

import pytest

from lkdebug.core import probes
from lkdebug.core.diagnose import MEDIA_CHECKS, diagnose
from lkdebug.core.mint import mint, probe_claims
from lkdebug.core.model import CheckStatus, KnownKey, Setting, Settings
from lkdebug.core.records import replace
from lkdebug.core.target import TokenToTest, parse_url
from lkdebug.demo import DEMO_API_KEY, DEMO_API_SECRET
from lkdebug.demo.ntp import NtpResponder
from lkdebug.demo.server import StandInConfig, StandInServer, run_in_thread

pytestmark = [pytest.mark.timeout(90), pytest.mark.usefixtures("needs_trustme")]

FAULTS = [
    pytest.param({}, False, "net.tls_untrusted", id="untrusted"),
    pytest.param({"tls_expired": True}, True, "net.tls_expired", id="expired"),
    pytest.param({"tls_names": ("wrong.example",)}, True, "net.tls_hostname", id="wrong-name"),
]


@pytest.fixture
def needs_trustme():
    pytest.importorskip("trustme")


def _settings(url: str) -> Settings:
    return Settings(url=Setting("LIVEKIT_URL", url, "test"), api_key=Setting("LIVEKIT_API_KEY", DEMO_API_KEY, "test"),
                    api_secret=Setting("LIVEKIT_API_SECRET", DEMO_API_SECRET, ".env.test"),
                    known_keys=[KnownKey(DEMO_API_KEY, DEMO_API_SECRET, ".env.test")])


@pytest.mark.parametrize(("config", "trusted", "code"), FAULTS)
async def test_the_http_probes_and_the_upgrade_name_the_certificate_fault(config, trusted, code):
    """aiohttp's certificate error is a ClientOSError: it was told as `net.closed`, "hung up without answering"."""
    async with StandInServer(StandInConfig(tls=True, **config)) as server:
        context = server.client_ssl_context() if trusted else None
        target, _ = parse_url(server.url)
        token = TokenToTest(mint(probe_claims(DEMO_API_KEY, time.time()), DEMO_API_SECRET), True, DEMO_API_KEY)
        results = [
            await probes.probe_http(target, 3, time.time, context),
            await probes.probe_validate(target, token, 3, time.time, context),
            await probes.probe_websocket(target, token, 3, context),
            await probes.probe_server_api(target, token.raw, 3, time.time, context),
        ]
        tls = await probes.probe_tls(target, ["127.0.0.1"], 3, time.time, context)
    for result in results:
        assert result.status is CheckStatus.FAIL, (result.name, result.detail)
        assert [f.code for f in result.findings] == [code], (result.name, result.findings)
        # The same finding the TLS probe gives, bar the certificate's description only the TLS probe reads.
        assert result.findings[0].title == tls.findings[0].title and result.findings[0].fix == tls.findings[0].fix


@pytest.mark.parametrize(("config", "trusted", "code"), FAULTS)
def test_check_names_the_certificate_fault_first_and_once(tmp_path, config, trusted, code):
    """`check --json` as a user runs it, the CA (when trusted) given the way Python users give one: SSL_CERT_FILE."""
    env = {k: v for k, v in os.environ.items() if k not in ("SSL_CERT_FILE", "SSL_CERT_DIR")}
    with run_in_thread(StandInConfig(tls=True, **config)) as stand_in, NtpResponder() as ntp:
        if trusted:
            stand_in.server.ca.cert_pem.write_to_path(str(tmp_path / "ca.pem"))
            env["SSL_CERT_FILE"] = str(tmp_path / "ca.pem")
        (tmp_path / ".env").write_text(f"LIVEKIT_URL={stand_in.url}\nLIVEKIT_API_KEY={DEMO_API_KEY}\n"
                                       f"LIVEKIT_API_SECRET={DEMO_API_SECRET}\n")
        done = subprocess.run([sys.executable, "-m", "lkdebug", "check", "--json", "--no-media", "--dir", str(tmp_path),
                               "--timeout", "3", "--ntp-server", f"{ntp.address[0]}:{ntp.address[1]}"],
                              env=env, capture_output=True, text=True, timeout=60)
    found = [f["code"] for f in json.loads(done.stdout)["findings"]]
    assert found[0] == code, found
    assert found.count(code) == 1 and "net.closed" not in found, found


async def test_every_probe_makes_the_same_trust_decision(monkeypatch, tmp_path):
    """SSL_CERT_FILE naming the stand-in's CA, set after aiohttp was imported (aiohttp's own default context is made
    at its import): the TLS probe trusted the certificate and GET /, validate and the API said "hung up"."""
    import aiohttp  # noqa: F401 (imported before the trust changes, as in any process that ran a probe before)

    async with StandInServer(StandInConfig(tls=True)) as server:
        server.ca.cert_pem.write_to_path(str(tmp_path / "ca.pem"))
        monkeypatch.setenv("SSL_CERT_FILE", str(tmp_path / "ca.pem"))
        with NtpResponder() as ntp:
            report = await diagnose(_settings(server.url), timeout=3, ntp_servers=[ntp.address], in_container=False)
    checks = {c.name: c for c in report.checks}
    assert all(c.status is CheckStatus.PASS for n, c in checks.items() if n not in (*MEDIA_CHECKS, "ntp")), {
        n: c.detail for n, c in checks.items()}
    assert "net.closed" not in [f.code for f in report.findings]


async def test_the_host_check_judges_the_turn_certificate_with_the_runs_trust(tmp_path):
    """livekit.yaml's TURN certificate, from a CA only the run's trust holds: the host check used the system's."""
    import trustme

    from lkdebug.core.model import Source

    ca = trustme.CA()
    cert = ca.issue_cert("turn.lkdebug.test")
    cert.cert_chain_pems[0].write_to_path(str(tmp_path / "turn.crt"))
    cert.private_key_pem.write_to_path(str(tmp_path / "turn.key"))
    (tmp_path / "livekit.yaml").write_text(
        f"turn:\n  enabled: true\n  domain: turn.lkdebug.test\n  tls_port: 5349\n"
        f"  cert_file: {tmp_path / 'turn.crt'}\n  key_file: {tmp_path / 'turn.key'}\n")
    trust = ssl.create_default_context()
    ca.configure_trust(trust)
    async with StandInServer() as server:
        settings = replace(_settings(server.url), sources=[Source("server-config", str(tmp_path / "livekit.yaml"), True)])
        with NtpResponder() as ntp:
            report = await diagnose(settings, timeout=3, ntp_servers=[ntp.address], in_container=False, ssl_context=trust)
    host = next(c for c in report.checks if c.name == "host")
    assert host.status is not CheckStatus.SKIP, host.detail
    assert "media.host_turn_cert" not in [f.code for f in host.findings], host.findings
