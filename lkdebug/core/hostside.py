"""The LiveKit host's side of media: what livekit.yaml's `rtc` and `turn` sections tell clients, and whether it can work.

Read on the host itself (over SSH, in CI): the UDP port range or mux port, the ICE/TCP port, how the
server learns the address it advertises (`use_external_ip`, `node_ip`, else its interfaces), the TURN
ports, domain and certificate. The certificate is tried in a TLS handshake in memory (the server side
with `cert_file`/`key_file`, the client side with the system's trust and `turn.domain`), so expiry, a
name mismatch, a missing chain or a key that does not match come in OpenSSL's own words. What listens
comes from /proc/net (not a guess), and is judged only when livekit-server's own port listens here:
otherwise this is not the host, or the server is not running, and lkdebug says that instead.
"""

from __future__ import annotations

import ipaddress
import ssl
import time
from pathlib import Path

from lkdebug.core import url as livekit_url
from lkdebug.core.host import is_loopback_host
from lkdebug.core.model import CheckResult, CheckStatus, Finding, Settings, Severity
from lkdebug.core.target import monotonic_ms
from lkdebug.core.records import dataclass
from lkdebug.core.settings_files import SETTINGS_LIMIT, Skipped, read_settings_file, size_text

# livekit-server's defaults (pkg/config DefaultConfig): signal port 7880, ICE/TCP 7881, no UDP range
# (pion then picks ephemeral ports), TURN off.
DEFAULT_PORT = 7880
DEFAULT_TCP_PORT = 7881
_LISTEN = "0A"  # TCP_LISTEN in /proc/net/tcp; a bound UDP socket shows as 07 (TCP_CLOSE)


@dataclass(frozen=True)
class MediaConfig:
    """The parts of livekit.yaml that decide what clients are told about media."""

    path: str
    port: int = DEFAULT_PORT
    port_range: tuple[int, int] | None = None
    udp_port: int | None = None
    tcp_port: int = DEFAULT_TCP_PORT
    use_external_ip: bool = False
    node_ip: str = ""
    turn_enabled: bool = False
    turn_domain: str = ""
    turn_tls_port: int = 0
    turn_udp_port: int = 0
    turn_cert_file: str = ""
    turn_key_file: str = ""
    turn_external_tls: bool = False

    def to_dict(self) -> dict:
        """For `check --json` (the host probe's record)."""
        return {"path": self.path, "port": self.port, "port_range": self.port_range, "udp_port": self.udp_port,
                "tcp_port": self.tcp_port, "use_external_ip": self.use_external_ip, "node_ip": self.node_ip,
                "turn_enabled": self.turn_enabled, "turn_domain": self.turn_domain, "turn_tls_port": self.turn_tls_port,
                "turn_udp_port": self.turn_udp_port, "turn_cert_file": self.turn_cert_file,
                "turn_key_file": self.turn_key_file, "turn_external_tls": self.turn_external_tls}


def _int(value, default: int | None) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else default


def read_config(path: Path) -> tuple[MediaConfig | None, str]:
    """(the config, "") or (None, why it cannot be read)."""
    import yaml

    try:
        data = yaml.safe_load(read_settings_file(path).data.decode("utf-8", "replace"))
    except Skipped as reason:
        return None, f"{path} {reason}"
    except OSError as error:
        return None, f"{path}: {error.strerror or error}"
    except yaml.YAMLError as error:
        return None, f"{path}: not YAML ({str(error).splitlines()[0]})"
    if not isinstance(data, dict):
        data = {}
    rtc = data.get("rtc") if isinstance(data.get("rtc"), dict) else {}
    turn = data.get("turn") if isinstance(data.get("turn"), dict) else {}
    start, end = _int(rtc.get("port_range_start"), 0), _int(rtc.get("port_range_end"), 0)
    base = path.parent

    def file(value) -> str:
        return str(base / value) if isinstance(value, str) and value else ""

    return MediaConfig(
        path=str(path), port=_int(data.get("port"), DEFAULT_PORT), port_range=(start, end) if start and end else None,
        udp_port=_int(rtc.get("udp_port"), None) or None, tcp_port=_int(rtc.get("tcp_port"), DEFAULT_TCP_PORT),
        use_external_ip=rtc.get("use_external_ip") is True, node_ip=str(rtc.get("node_ip") or ""),
        turn_enabled=turn.get("enabled") is True, turn_domain=str(turn.get("domain") or ""),
        turn_tls_port=_int(turn.get("tls_port"), 0), turn_udp_port=_int(turn.get("udp_port"), 0),
        turn_cert_file=file(turn.get("cert_file")), turn_key_file=file(turn.get("key_file")),
        turn_external_tls=turn.get("external_tls") is True,
    ), ""


def listening(proc_net: Path = Path("/proc/net")) -> dict[str, set[int]]:
    """Local ports with a listening TCP socket or a bound UDP socket, IPv4 and IPv6."""
    found: dict[str, set[int]] = {"tcp": set(), "udp": set()}
    for kind in ("tcp", "udp"):
        for name in (kind, kind + "6"):
            try:
                lines = (proc_net / name).read_text().splitlines()[1:]
            except OSError:
                continue
            for line in lines:
                fields = line.split()
                if len(fields) > 3 and (kind == "udp" or fields[3] == _LISTEN):
                    found[kind].add(int(fields[1].rsplit(":", 1)[1], 16))
    return found


def interface_addresses() -> list[str]:
    """This machine's addresses, loopback left out (ifaddr comes with aioice)."""
    import ifaddr

    addresses = []
    for adapter in ifaddr.get_adapters():
        for ip in adapter.ips:
            address = ip.ip if isinstance(ip.ip, str) else ip.ip[0]
            if not ipaddress.ip_address(address).is_loopback:
                addresses.append(address)
    return addresses


def _is_private(address: str) -> bool:
    from lkdebug.core.ice import Candidate

    return Candidate("", 1, "udp", 0, address, 0, "host").is_private


def check_certificate(cert_file: str, key_file: str, domain: str, trust: ssl.SSLContext | None = None) -> str:
    """"" when a client checking `domain` with the system's trust accepts this pair, else OpenSSL's words."""
    import os

    for path in (cert_file, key_file):
        if not Path(path).is_file():
            return f"{path}: no such file"
        if not os.access(path, os.R_OK):
            return f"{path}: not readable by this user"
        if os.path.getsize(path) > SETTINGS_LIMIT:  # OpenSSL would read all of it
            return (f"{path}: is {size_text(os.path.getsize(path))}; a certificate or key is a few KB, "
                    f"lkdebug reads at most {size_text(SETTINGS_LIMIT)}")
    server = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    try:
        server.load_cert_chain(cert_file, key_file)
    except ssl.SSLError as error:
        return f"cert_file and key_file do not load as a pair ({error.reason or error})"
    client = trust or ssl.create_default_context()
    server_in, server_out, client_in, client_out = ssl.MemoryBIO(), ssl.MemoryBIO(), ssl.MemoryBIO(), ssl.MemoryBIO()
    server_side = server.wrap_bio(server_in, server_out, server_side=True)
    client_side = client.wrap_bio(client_in, client_out, server_hostname=domain)
    done = {client_side: False, server_side: False}
    try:
        for _ in range(8):  # a handshake is three or four flights
            for side, sent, received in ((client_side, client_out, server_in), (server_side, server_out, client_in)):
                if not done[side]:
                    try:
                        side.do_handshake()
                        done[side] = True
                    except (ssl.SSLWantReadError, ssl.SSLWantWriteError):
                        pass
                received.write(sent.read())
            if all(done.values()):
                return ""
    except ssl.SSLCertVerificationError as error:
        return error.verify_message or str(error)
    except ssl.SSLError as error:
        return error.reason or str(error)
    return "the TLS handshake did not complete"


def _media(code: str, severity: Severity, title: str, detail: str, fix: str | None) -> Finding:
    return Finding(code, severity, "media", title, detail, fix)


# Said of the firewall and address findings when the URL being checked names this machine.
_CLIENTS_HERE = (" Clients on this machine (the URL checked is a loopback one) reach the server anyway; "
                 "this matters once clients on other machines connect.")


def judge(config: MediaConfig, ports: dict[str, set[int]], addresses: list[str],
          trust: ssl.SSLContext | None = None, clients_here: bool = False) -> tuple[list[str], list[Finding]]:
    """(what clients will be told, findings about whether it can work). `clients_here`: the URL checked is a
    loopback one, so what only clients on other machines need (a firewall range, a public address) is info."""
    told, findings = [], []
    remote_only = Severity.INFO if clients_here else Severity.WARNING
    here = _CLIENTS_HERE if clients_here else ""
    if config.udp_port:
        told.append(f"UDP {config.udp_port} (one muxed port)")
    elif config.port_range:
        told.append(f"UDP {config.port_range[0]}-{config.port_range[1]}")
    else:
        told.append("UDP on random ephemeral ports")
        findings.append(_media("media.host_udp_ports", remote_only, "livekit.yaml sets no UDP port range",
                               f"{config.path}: neither `rtc.port_range_start`/`port_range_end` nor `rtc.udp_port`: the "
                               f"server takes random ephemeral UDP ports, which no firewall rule can open ahead of time.{here}",
                               "Set `rtc.port_range_start: 50000` and `rtc.port_range_end: 60000` (or `rtc.udp_port: 7882`) "
                               "and open exactly those UDP ports."))
    told.append(f"TCP {config.tcp_port}" if config.tcp_port else "no ICE/TCP")
    if config.node_ip:
        told.append(f"address {config.node_ip} (rtc.node_ip)")
    elif config.use_external_ip:
        told.append("its public address, found over STUN (rtc.use_external_ip)")
    else:
        told.append(f"this host's interface addresses ({', '.join(addresses) or 'none'})")
    if config.turn_enabled:
        urls = []
        if config.turn_tls_port:
            urls.append(f"turns:{config.turn_domain or '?'}:{config.turn_tls_port}")
        if config.turn_udp_port:
            urls.append(f"turn:{config.turn_domain or '?'}:{config.turn_udp_port}")
        told.append("TURN " + (", ".join(urls) or "enabled without a port"))
    else:
        told.append("no TURN")
    on_host = config.port in ports["tcp"]
    if on_host and not config.node_ip and not config.use_external_ip and addresses and all(_is_private(a) for a in addresses):
        findings.append(_media("media.host_external_ip", remote_only, "The server will advertise only private addresses",
                               f"{config.path}: `rtc.use_external_ip` is off and `rtc.node_ip` unset, and this host's addresses "
                               f"are {', '.join(addresses)}: clients outside this network cannot reach them (a cloud VM behind NAT).{here}",
                               "Set `rtc.use_external_ip: true` (or `rtc.node_ip: <the public IP>`), unless every client "
                               "is on this network."))
    findings += _turn_findings(config, trust)
    if on_host:
        wanted = [("tcp", config.tcp_port, "rtc.tcp_port"), ("udp", config.udp_port, "rtc.udp_port")]
        if config.turn_enabled:
            wanted += [("tcp", config.turn_tls_port, "turn.tls_port"), ("udp", config.turn_udp_port, "turn.udp_port")]
        for kind, port, key in wanted:
            if port and port not in ports[kind]:
                findings.append(_media("media.host_not_listening", Severity.WARNING, f"Nothing listens on {port}/{kind} ({key}) here",
                                       f"{config.path} sets `{key}: {port}`, and livekit-server listens on {config.port} here, "
                                       f"but no {kind.upper()} socket is bound to {port} (/proc/net/{kind}).",
                                       f"Restart livekit-server with this config, or check nothing else took {port} first."))
    return told, findings


def _turn_findings(config: MediaConfig, trust: ssl.SSLContext | None) -> list[Finding]:
    if not config.turn_enabled:
        return []
    if config.turn_tls_port and not config.turn_domain:
        return [_media("media.host_turn_domain", Severity.ERROR, "TURN/TLS is enabled without turn.domain",
                       f"{config.path}: `turn.tls_port: {config.turn_tls_port}` but no `turn.domain`: clients have no name "
                       "to check the certificate against.", "Set `turn.domain` to the DNS name of this server's TURN certificate.")]
    if not config.turn_tls_port or config.turn_external_tls:
        return []
    if not config.turn_cert_file or not config.turn_key_file:
        return [_media("media.host_turn_cert", Severity.ERROR, "TURN/TLS has no certificate",
                       f"{config.path}: `turn.tls_port` without `turn.cert_file` and `turn.key_file`, and `turn.external_tls` is off.",
                       "Point `turn.cert_file`/`turn.key_file` at a certificate for turn.domain, or terminate TLS in a "
                       "load balancer and set `turn.external_tls: true`.")]
    problem = check_certificate(config.turn_cert_file, config.turn_key_file, config.turn_domain, trust)
    if not problem:
        return []
    return [_media("media.host_turn_cert", Severity.ERROR, f"Clients will refuse the TURN certificate for {config.turn_domain}",
                   f"{config.turn_cert_file}: {problem}.",
                   "Renew it, issue it for turn.domain, and give the full chain in `turn.cert_file`; restart livekit-server.")]


def server_config_path(settings: Settings) -> Path | None:
    """The livekit.yaml the settings were read from, when it is a file."""
    for source in settings.sources:
        if source.kind == "server-config" and source.loaded and Path(source.path).is_file():
            return Path(source.path)
    return None


def _names_this_machine(url: str | None) -> bool:
    """Whether the URL checked is a loopback one (so its clients are on this machine), read as the url check reads it."""
    parsed = livekit_url.parse(url) if url else None
    return parsed is not None and parsed.error is None and bool(parsed.host) and is_loopback_host(parsed.host)


def probe_host(settings: Settings, trust: ssl.SSLContext | None = None, proc_net: Path = Path("/proc/net"),
               url: str | None = None) -> CheckResult:
    """Blocking (files, /proc, an in-memory handshake): diagnose runs it in a thread. `url`: the one checked."""
    started = time.monotonic()
    path = server_config_path(settings)
    if path is None:
        return CheckResult("host", CheckStatus.SKIP, None, "no livekit.yaml found (--config FILE reads one)")
    config, why = read_config(path)
    if config is None:
        return CheckResult("host", CheckStatus.SKIP, monotonic_ms(started), why)
    ports = listening(proc_net)
    told, findings = judge(config, ports, interface_addresses(), trust, clients_here=_names_this_machine(url))
    where = (f"livekit-server listens on {config.port} here" if config.port in ports["tcp"] else
             f"nothing listens on {config.port} here (not the host, or livekit-server is down): listeners not checked")
    worst = min((f.severity for f in findings), key=lambda s: s.rank, default=Severity.OK)
    status = {Severity.ERROR: CheckStatus.FAIL, Severity.WARNING: CheckStatus.WARN}.get(worst, CheckStatus.PASS)
    return CheckResult("host", status, monotonic_ms(started), f"{path}: clients are told {'; '.join(told)} | {where}", findings,
                       config)
