"""What the probes aim at: one LiveKit URL understood as a target, and the token they send to it.

`parse_url` reads and judges the URL once (`url.parse`, `url.findings`: the model the env lint shares) into a `Target`, whose signal
(`ws(s)`) and API (`http(s)`) forms share host, port and prefix; `TokenToTest` is the token the token
probes send, with the answer lkdebug expects from the server.
"""

from __future__ import annotations

from dataclasses import dataclass

from lkdebug.core import server_rules
from lkdebug.core import url as livekit_url
from lkdebug.core.host import is_loopback_host
from lkdebug.core.model import Finding, Severity



@dataclass(frozen=True)
class Target:
    """One LiveKit URL, understood: the signal (`ws(s)`) and API (`http(s)`) forms share host, port, prefix."""

    text: str
    scheme: str
    host: str
    port: int
    prefix: str  # a reverse-proxy path prefix, kept in both forms ("" or "/livekit")
    secure: bool
    findings: tuple[Finding, ...] = ()

    @property
    def netloc(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        default = 443 if self.secure else 80
        return host if self.port == default else f"{host}:{self.port}"

    @property
    def signal_url(self) -> str:
        return f"{'wss' if self.secure else 'ws'}://{self.netloc}{self.prefix}"

    @property
    def api_url(self) -> str:
        return f"{'https' if self.secure else 'http'}://{self.netloc}{self.prefix}"

    @property
    def is_loopback(self) -> bool:
        return is_loopback_host(self.host)

    @property
    def app_port(self) -> str | None:
        return livekit_url.APP_PORTS.get(self.port)



def url_finding(code: str, severity: Severity, title: str, detail: str, fix: str | None) -> Finding:
    return Finding(code, severity, "network", title, detail, fix)


def parse_url(text: str, server_port: int | None = None) -> tuple[Target | None, list[Finding]]:
    """Understand a LiveKit URL as a person typed it (`url.parse`), judged by `url.findings` (against the
    local server config's port, when there is one); None when it cannot be used at all."""
    parsed = livekit_url.parse(text)
    findings = livekit_url.findings(parsed, server_port=server_port)
    if parsed.error:
        return None, findings
    return Target(parsed.text, parsed.scheme, parsed.host, parsed.effective_port, parsed.prefix, parsed.secure,
                  tuple(findings)), findings



@dataclass(frozen=True)
class TokenToTest:
    """The token the probes send, with what lkdebug expects the server to answer."""

    raw: str
    minted: bool  # minted by lkdebug from the settings (a throwaway hidden identity)
    api_key: str | None
    secret_origin: str | None = None  # where the secret that signed it came from, when lkdebug knows
    predicted: server_rules.Verdict | None = None  # the answer lkdebug expects, when it can judge
    predicted_from: str | None = None  # whose keys that prediction used ("livekit.yaml", ".env.local")
