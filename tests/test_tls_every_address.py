"""The TLS probe checks every address the name resolves to: one node behind DNS round robin (or the IPv6
address beside the IPv4 one) with a bad certificate fails one connection in N, which a check of the first
address alone never saw.

Real TLS servers on 127.0.0.1 to 127.0.0.3 and ::1 with trustme certificates for one name; the probe is
given the addresses; `diagnose` resolves the name through tests/resolver.py, and `check` through a hosts
file of the test's own (a mount namespace where /etc/hosts is the test's file: glibc's real answer, not a
patched resolver) where this machine can make one.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import os
import shutil
import ssl
import subprocess
import sys
import time

import pytest

from lkdebug.core import probes
from lkdebug.core.model import CheckStatus
from lkdebug.core.target import parse_url

pytestmark = pytest.mark.timeout(90)

NAME = "lk.lkdebug.test"
EXPIRED = {"not_after": dt.datetime(2020, 1, 1, tzinfo=dt.timezone.utc)}


@pytest.fixture
def trustme():
    return pytest.importorskip("trustme")


class Nodes:
    """TLS servers on one port at several loopback addresses, each with its own certificate, and a client
    context trusting every CA they use."""

    def __init__(self):
        self.port = 0
        self.servers: list[asyncio.Server] = []
        self.client = ssl.create_default_context()

    async def add(self, address: str, ca, names=(NAME,), gate: Gate | None = None, cert=None, **cert_options):
        """A server at `address` with `cert`, else a certificate of its own for `names`."""
        server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        (cert or ca.issue_cert(*names, **cert_options)).configure_cert(server_context)
        ca.configure_trust(self.client)
        self.servers.append(await _serve(address, self.port, server_context, gate))
        self.port = self.port or self.servers[0].sockets[0].getsockname()[1]

    async def __aenter__(self):
        return self

    async def __aexit__(self, *exc):
        for server in self.servers:
            server.close()
            await server.wait_closed()

    def target(self):
        return parse_url(f"https://{NAME}:{self.port}")[0]


class Gate:
    """Opens when `expected` connections have arrived, across servers."""

    def __init__(self, expected: int):
        self.expected, self.arrived, self.opened = expected, 0, asyncio.Event()

    async def enter(self) -> None:
        self.arrived += 1
        if self.arrived == self.expected:
            self.opened.set()
        await self.opened.wait()


async def _serve(address: str, port: int, context: ssl.SSLContext, gate: Gate | None) -> asyncio.Server:
    """A TLS server whose handshake starts only once `gate` opens (when given). Reading pauses at the accept,
    so the client's ClientHello waits in the socket for the handshake instead of being read before it."""
    loop = asyncio.get_running_loop()

    class Handshake(asyncio.Protocol):
        def connection_made(self, transport):
            transport.pause_reading()
            loop.create_task(self.handshake(transport))

        async def handshake(self, transport):
            if gate is not None:
                await gate.enter()
            try:
                tls = await loop.start_tls(transport, self, context, server_side=True)
            except (OSError, ssl.SSLError):
                transport.close()
            else:
                tls.close()

    return await loop.create_server(Handshake, address, port)


@pytest.fixture
def ipv6_loopback():
    """::1, where this machine's loopback has IPv6 (Docker may run without it)."""
    import socket

    try:
        with socket.socket(socket.AF_INET6) as sock:
            sock.bind(("::1", 0))
    except OSError as error:
        pytest.skip(f"no IPv6 loopback here: {error}")


@pytest.mark.usefixtures("ipv6_loopback")
async def test_one_bad_node_of_two_is_named_and_the_good_one_still_reports(trustme):
    """An IPv4 and an IPv6 address, the IPv6 one with an expired certificate."""
    ca = trustme.CA()
    async with Nodes() as nodes:
        await nodes.add("127.0.0.1", ca)
        await nodes.add("::1", ca, **EXPIRED)
        result = await probes.probe_tls(nodes.target(), ["127.0.0.1", "::1"], 3, time.time, nodes.client)
    assert result.status is CheckStatus.WARN, result.detail
    assert [f.code for f in result.findings] == ["net.tls_expired"]
    finding = result.findings[0]
    assert "(on ::1: 1 of 2 addresses)" in finding.title
    assert "127.0.0.1 does not" in finding.detail and "could not establish signal connection" in finding.detail
    assert "fix it on ::1" in finding.fix
    assert result.data.version.startswith("TLSv1.")  # the good node's handshake is the row's record
    assert [(n.address, n.status, n.codes) for n in result.data.addresses] == [
        ("127.0.0.1", CheckStatus.PASS, ()), ("::1", CheckStatus.FAIL, ("net.tls_expired",))]
    assert result.detail.startswith("127.0.0.1: TLSv1.") and "; ::1: " in result.detail


async def test_the_same_expired_certificate_on_every_node_is_one_finding(trustme):
    ca = trustme.CA()
    cert = ca.issue_cert(NAME, **EXPIRED)
    async with Nodes() as nodes:
        for address in ("127.0.0.1", "127.0.0.2", "127.0.0.3"):
            await nodes.add(address, ca, cert=cert)
        result = await probes.probe_tls(nodes.target(), ["127.0.0.1", "127.0.0.2", "127.0.0.3"], 3, time.time, nodes.client)
    assert result.status is CheckStatus.FAIL
    assert [f.code for f in result.findings] == ["net.tls_expired"]
    assert " of 3 addresses" not in result.findings[0].title
    assert f"Every address of {NAME} has it: 127.0.0.1, 127.0.0.2, 127.0.0.3." in result.findings[0].detail
    assert result.detail.endswith("(all 3 addresses: 127.0.0.1, 127.0.0.2, 127.0.0.3)")


async def test_each_address_gets_its_own_cause(trustme):
    ca = trustme.CA()
    async with Nodes() as nodes:
        await nodes.add("127.0.0.1", ca)
        await nodes.add("127.0.0.2", ca, names=("other.lkdebug.test",))
        await nodes.add("127.0.0.3", ca, **EXPIRED)
        result = await probes.probe_tls(nodes.target(), ["127.0.0.1", "127.0.0.2", "127.0.0.3"], 3, time.time, nodes.client)
    assert result.status is CheckStatus.WARN
    titles = {f.code: f.title for f in result.findings}
    assert titles.keys() == {"net.tls_hostname", "net.tls_expired"}
    assert titles["net.tls_hostname"].endswith("(on 127.0.0.2: 1 of 3 addresses)")
    assert titles["net.tls_expired"].endswith("(on 127.0.0.3: 1 of 3 addresses)")


async def test_a_name_with_one_address_reads_as_before(trustme):
    ca = trustme.CA()
    async with Nodes() as nodes:
        await nodes.add("127.0.0.1", ca, **EXPIRED)
        result = await probes.probe_tls(nodes.target(), ["127.0.0.1"], 3, time.time, nodes.client)
    assert result.findings[0].title == f"The certificate of {NAME}:{nodes.port} has expired"
    assert result.data.addresses == ()


async def test_the_handshakes_run_at_once(trustme):
    """Each server starts its handshake only when both connections have arrived: one after the other, the
    first would wait out the timeout (net.timeout) before the second was tried."""
    ca = trustme.CA()
    gate = Gate(2)
    async with Nodes() as nodes:
        await nodes.add("127.0.0.1", ca, gate=gate)
        await nodes.add("127.0.0.2", ca, gate=gate)
        result = await probes.probe_tls(nodes.target(), ["127.0.0.1", "127.0.0.2"], 3, time.time, nodes.client)
    assert result.status is CheckStatus.PASS, result.detail
    assert [n.status for n in result.data.addresses] == [CheckStatus.PASS, CheckStatus.PASS]


async def test_addresses_past_the_cap_are_left_out_and_said_so(trustme, monkeypatch):
    monkeypatch.setattr(probes, "TLS_ADDRESS_CAP", 2)
    ca = trustme.CA()
    async with Nodes() as nodes:
        await nodes.add("127.0.0.1", ca)
        await nodes.add("127.0.0.2", ca)
        await nodes.add("127.0.0.3", ca, **EXPIRED)
        result = await probes.probe_tls(nodes.target(), ["127.0.0.1", "127.0.0.2", "127.0.0.3"], 3, time.time, nodes.client)
    assert [n.address for n in result.data.addresses] == ["127.0.0.1", "127.0.0.2"]
    assert result.detail.endswith("(the first 2 of 3 addresses)")


async def test_diagnose_checks_every_address_the_name_resolves_to(trustme, monkeypatch):
    """The run hands the TLS probe every address TCP reached, not the first."""
    from lkdebug.core.diagnose import diagnose
    from lkdebug.core.model import Setting, Settings
    from lkdebug.demo.ntp import NtpResponder
    from tests.resolver import resolve_to

    resolve_to(monkeypatch, NAME, ["127.0.0.1", "127.0.0.2"])
    ca = trustme.CA()
    async with Nodes() as nodes:
        await nodes.add("127.0.0.1", ca)
        await nodes.add("127.0.0.2", ca, names=("other.lkdebug.test",))
        with NtpResponder() as ntp:
            report = await diagnose(Settings(url=Setting("LIVEKIT_URL", f"wss://{NAME}:{nodes.port}", "test")), timeout=3,
                                    ntp_servers=[ntp.address], in_container=False, media=False, ssl_context=nodes.client)
    tls = next(c for c in report.checks if c.name == "tls")
    assert [n.address for n in tls.data.addresses] == ["127.0.0.1", "127.0.0.2"], tls.detail
    hostname = next(f for f in report.findings if f.code == "net.tls_hostname")
    assert hostname.title.endswith("(on 127.0.0.2: 1 of 2 addresses)")


# ---- `check` through a real resolver answer --------------------------------------------------------------


def _own_hosts_file() -> list[str] | None:
    """The unshare argv that gives a child a mount namespace of its own (as root, or in a user namespace)."""
    if shutil.which("unshare") is None:
        return None
    for argv in (["unshare", "--mount"], ["unshare", "--user", "--map-root-user", "--mount"]):
        probe = subprocess.run([*argv, "true"], capture_output=True, timeout=30)
        if probe.returncode == 0:
            return argv
    return None


def test_check_names_the_node_with_the_expired_certificate(tmp_path, trustme):
    """`check --json` on a name with two nodes, as glibc resolves it from a hosts file: the stand-in on
    127.0.0.1 has a good certificate, the one on 127.0.0.2 an expired one."""
    from lkdebug.demo import DEMO_API_KEY, DEMO_API_SECRET
    from lkdebug.demo.ntp import NtpResponder
    from lkdebug.demo.server import StandInConfig, run_in_thread

    unshare = _own_hosts_file()
    if unshare is None:
        pytest.skip("needs util-linux's unshare and a mount namespace (root, or user namespaces)")
    (tmp_path / "hosts").write_text(f"127.0.0.1 localhost\n127.0.0.1 {NAME}\n127.0.0.2 {NAME}\n")
    good = run_in_thread(StandInConfig(tls=True, tls_names=(NAME,)))
    try:
        with run_in_thread(StandInConfig(tls=True, tls_names=(NAME,), tls_expired=True), "127.0.0.2", good.server.port) as bad, \
                NtpResponder() as ntp:
            (tmp_path / "ca.pem").write_bytes(good.server.ca.cert_pem.bytes() + bad.server.ca.cert_pem.bytes())
            (tmp_path / ".env").write_text(f"LIVEKIT_URL=wss://{NAME}:{good.server.port}\nLIVEKIT_API_KEY={DEMO_API_KEY}\n"
                                           f"LIVEKIT_API_SECRET={DEMO_API_SECRET}\n")
            env = {**{k: v for k, v in os.environ.items() if k != "SSL_CERT_DIR"}, "SSL_CERT_FILE": str(tmp_path / "ca.pem")}
            done = subprocess.run(
                [*unshare, "sh", "-c", 'mount --bind "$0" /etc/hosts && exec "$@"', str(tmp_path / "hosts"),
                 sys.executable, "-m", "lkdebug", "check", "--json", "--no-media", "--dir", str(tmp_path), "--timeout", "3",
                 "--ntp-server", f"{ntp.address[0]}:{ntp.address[1]}"],
                env=env, capture_output=True, text=True, timeout=60)
    finally:
        good.stop()
    document = json.loads(done.stdout)
    checks = {c["name"]: c for c in document["checks"]}
    assert "127.0.0.1" in checks["dns"]["detail"] and "127.0.0.2" in checks["dns"]["detail"], checks["dns"]
    assert checks["tls"]["status"] == "warn", checks["tls"]
    assert [(a["address"], a["status"], a["findings"]) for a in checks["tls"]["addresses"]] == [
        ("127.0.0.1", "pass", []), ("127.0.0.2", "fail", ["net.tls_expired"])]
    codes = [f["code"] for f in document["findings"]]
    assert codes.count("net.tls_expired") == 1, codes
    expired = next(f for f in document["findings"] if f["code"] == "net.tls_expired")
    assert "(on 127.0.0.2: 1 of 2 addresses)" in expired["title"]
    assert done.returncode == 1  # one connection in two fails: an error, whatever the other node says
