"""The host side: livekit.yaml's rtc and turn sections, /proc/net listeners, the TURN certificate in a real handshake."""

from __future__ import annotations

import datetime as dt
import socket
import ssl

import pytest
import trustme

from lkdebug.core import hostside
from lkdebug.core.model import CheckStatus, Settings, Source, Severity

DOMAIN = "turn.lkdebug.test"


@pytest.fixture
def listener():
    """A TCP listener and a bound UDP socket on 127.0.0.1: what livekit-server's ports look like in /proc/net."""
    tcp = socket.socket()
    tcp.bind(("127.0.0.1", 0))
    tcp.listen()
    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    udp.bind(("127.0.0.1", 0))
    yield tcp.getsockname()[1], udp.getsockname()[1]
    tcp.close()
    udp.close()


@pytest.fixture
def certificate(tmp_path):
    ca = trustme.CA()

    def write(name: str = DOMAIN, expired: bool = False) -> tuple[str, str]:
        kwargs = {"not_after": dt.datetime(2020, 1, 1, tzinfo=dt.timezone.utc)} if expired else {}
        cert = ca.issue_cert(name, **kwargs)
        cert_file, key_file = tmp_path / f"{name}-{expired}.crt", tmp_path / f"{name}-{expired}.key"
        cert.cert_chain_pems[0].write_to_path(str(cert_file))
        cert.private_key_pem.write_to_path(str(key_file))
        return str(cert_file), str(key_file)

    trust = ssl.create_default_context()
    ca.configure_trust(trust)
    write.trust = trust
    return write


def test_listening_reads_proc_net(listener):
    tcp_port, udp_port = listener
    ports = hostside.listening()
    assert tcp_port in ports["tcp"] and udp_port in ports["udp"]
    assert udp_port not in ports["tcp"]


def test_read_config_with_livekits_defaults(tmp_path):
    path = tmp_path / "livekit.yaml"
    path.write_text("rtc:\n  port_range_start: 50000\n  port_range_end: 60000\nturn:\n  enabled: true\n  domain: turn.x\n"
                    "  tls_port: 5349\n  cert_file: certs/t.crt\n  key_file: certs/t.key\n")
    config, why = hostside.read_config(path)
    assert why == ""
    assert (config.port, config.tcp_port, config.port_range, config.udp_port) == (7880, 7881, (50000, 60000), None)
    assert config.turn_cert_file == str(tmp_path / "certs/t.crt")
    path.write_text(": [")
    assert hostside.read_config(path)[0] is None and "not YAML" in hostside.read_config(path)[1]


def test_what_clients_are_told_and_the_random_udp_ports():
    config = hostside.MediaConfig(path="livekit.yaml")
    told, findings = hostside.judge(config, {"tcp": set(), "udp": set()}, ["203.0.113.7"])
    assert told[:2] == ["UDP on random ephemeral ports", "TCP 7881"] and "no TURN" in told
    assert [f.code for f in findings] == ["media.host_udp_ports"]


def test_private_interfaces_without_external_ip_on_the_host(listener):
    config = hostside.MediaConfig(path="livekit.yaml", port=listener[0], udp_port=listener[1], tcp_port=0)
    _, findings = hostside.judge(config, hostside.listening(), ["10.0.0.5"])
    assert [f.code for f in findings] == ["media.host_external_ip"]
    config = hostside.MediaConfig(path="livekit.yaml", port=listener[0], udp_port=listener[1], tcp_port=0, use_external_ip=True)
    assert hostside.judge(config, hostside.listening(), ["10.0.0.5"])[1] == []


def test_configured_ports_that_nothing_listens_on(listener):
    config = hostside.MediaConfig(path="livekit.yaml", port=listener[0], udp_port=listener[1], tcp_port=1)
    _, findings = hostside.judge(config, hostside.listening(), ["203.0.113.7"])
    [finding] = findings
    assert finding.code == "media.host_not_listening" and "1/tcp (rtc.tcp_port)" in finding.title


def test_ports_are_not_judged_away_from_the_host():
    config = hostside.MediaConfig(path="livekit.yaml", port=1, udp_port=2, tcp_port=3)
    assert hostside.judge(config, {"tcp": set(), "udp": set()}, ["10.0.0.5"])[1] == []


def turn_config(cert_file: str = "", key_file: str = "", **kwargs) -> hostside.MediaConfig:
    base = {"path": "livekit.yaml", "udp_port": 7882, "turn_enabled": True, "turn_domain": DOMAIN, "turn_tls_port": 5349,
            "turn_cert_file": cert_file, "turn_key_file": key_file}
    return hostside.MediaConfig(**{**base, **kwargs})


def test_turn_certificate_for_the_domain_is_accepted(certificate):
    _, findings = hostside.judge(turn_config(*certificate()), {"tcp": set(), "udp": set()}, [], certificate.trust)
    assert findings == []


@pytest.mark.parametrize(("kind", "words"), [
    ("other name", "Hostname mismatch"),
    ("expired", "certificate has expired"),
    ("untrusted", "unable to get local issuer certificate"),
    ("missing", "no such file"),
    ("swapped key", "do not load as a pair"),
])
def test_turn_certificate_problems_in_openssls_words(certificate, tmp_path, kind, words):
    files = {"other name": lambda: certificate("other.lkdebug.test"), "expired": lambda: certificate(expired=True),
             "untrusted": certificate, "missing": lambda: (str(tmp_path / "none.crt"), str(tmp_path / "none.key")),
             "swapped key": lambda: (certificate()[0], certificate("other.lkdebug.test")[1])}[kind]()
    trust = None if kind == "untrusted" else certificate.trust
    _, findings = hostside.judge(turn_config(*files), {"tcp": set(), "udp": set()}, [], trust)
    [finding] = findings
    assert (finding.code, finding.severity) == ("media.host_turn_cert", Severity.ERROR)
    assert words in finding.detail


def test_turn_tls_without_a_domain_or_a_certificate():
    _, findings = hostside.judge(turn_config(turn_domain=""), {"tcp": set(), "udp": set()}, [])
    assert [f.code for f in findings] == ["media.host_turn_domain"]
    _, findings = hostside.judge(turn_config(), {"tcp": set(), "udp": set()}, [])
    assert [f.code for f in findings] == ["media.host_turn_cert"]
    assert hostside.judge(turn_config(turn_external_tls=True), {"tcp": set(), "udp": set()}, [])[1] == []


def test_probe_host_from_the_settings_config(tmp_path, listener):
    path = tmp_path / "livekit.yaml"
    path.write_text(f"port: {listener[0]}\nrtc:\n  udp_port: {listener[1]}\n  tcp_port: 1\n  use_external_ip: true\n")
    result = hostside.probe_host(Settings(sources=[Source("server-config", str(path), True)]))
    assert result.status is CheckStatus.WARN
    assert f"UDP {listener[1]} (one muxed port)" in result.detail and f"livekit-server listens on {listener[0]} here" in result.detail
    assert [f.code for f in result.findings] == ["media.host_not_listening"]
    assert hostside.probe_host(Settings()).status is CheckStatus.SKIP


def test_what_only_remote_clients_need_is_info_when_the_url_checked_is_loopback(tmp_path, listener):
    """A dev server on this machine, checked at 127.0.0.1: no firewall range and private addresses are fine
    for its clients (all here); the same server checked at a public name keeps both warnings."""
    path = tmp_path / "livekit.yaml"
    path.write_text(f"port: {listener[0]}\nrtc:\n  tcp_port: 0\n")
    settings = Settings(sources=[Source("server-config", str(path), True)])
    private = ["10.0.0.5"]

    def findings(url):
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(hostside, "interface_addresses", lambda: private)
            result = hostside.probe_host(settings, url=url)
        return {f.code: f for f in result.findings}, result.status

    for url in (f"ws://127.0.0.1:{listener[0]}", "ws://localhost:7880", "http://[::1]:7880"):
        found, status = findings(url)
        assert {code: f.severity for code, f in found.items()} == {
            "media.host_udp_ports": Severity.INFO, "media.host_external_ip": Severity.INFO}, url
        assert all("Clients on this machine" in f.detail for f in found.values()) and status is CheckStatus.PASS
    for url in ("wss://lk.acme.io", None, "ws://[::1", "not a url"):
        found, status = findings(url)
        assert {code: f.severity for code, f in found.items()} == {
            "media.host_udp_ports": Severity.WARNING, "media.host_external_ip": Severity.WARNING}, url
        assert status is CheckStatus.WARN


def test_files_past_the_cap_are_not_read(certificate, tmp_path):
    """A livekit.yaml or a TURN certificate over 1 MiB is named, never handed whole to YAML or OpenSSL."""
    path = tmp_path / "livekit.yaml"
    with path.open("wb") as handle:
        handle.truncate(5 << 30)  # 5 GiB, sparse: reading it would take minutes
    config, why = hostside.read_config(path)
    assert config is None and "is 5120 MiB; lkdebug reads at most 1 MiB" in why
    cert, key = certificate()
    big = tmp_path / "big.crt"
    with big.open("wb") as handle:
        handle.truncate(3 << 20)
    _, findings = hostside.judge(turn_config(str(big), key), {"tcp": set(), "udp": set()}, [], certificate.trust)
    [finding] = findings
    assert finding.code == "media.host_turn_cert" and "is 3 MiB; a certificate or key is a few KB" in finding.detail
