"""What the probes aim at: one LiveKit URL understood as a target, and the token they send to it.

`parse_url` reads the URL once (`url.parse`, the model the env lint shares) into a `Target`, whose signal
(`ws(s)`) and API (`http(s)`) forms share host, port and prefix; `TokenToTest` is the token the token
probes send, with the answer lkdebug expects from the server.
"""

from __future__ import annotations

import time
from lkdebug.core.records import dataclass

from lkdebug.core import server_rules
from lkdebug.core import url as livekit_url
from lkdebug.core.host import is_loopback_host
from lkdebug.core.model import CheckResult, CheckStatus, Finding, Severity

APP_PORTS = livekit_url.APP_PORTS  # a LiveKit URL on a web app's dev port is usually the app's own URL (A3)
# Paths that are an app's token endpoint or an SDK-added suffix, never a proxy prefix.
APP_PATH_HINTS = ("/api/", "/token", "/get-token", "/gettoken", "/connection-details")


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
        return APP_PORTS.get(self.port)



def url_finding(code: str, severity: Severity, title: str, detail: str, fix: str | None) -> Finding:
    return Finding(code, severity, "network", title, detail, fix)



def parse_url(text: str) -> tuple[Target | None, list[Finding]]:
    """Understand a LiveKit URL as a person typed it (`url.parse`); None when it cannot be used at all."""
    parsed = livekit_url.parse(text)
    raw = parsed.text
    findings: list[Finding] = []
    example = "Use the form wss://livekit.example.com (or ws://localhost:7880 for a local dev server)."
    if parsed.error:
        fix = ("Use wss:// (clients) or https:// (server APIs); lkdebug derives one from the other."
               if parsed.error_kind == "scheme" else example)
        findings.append(url_finding("net.url_invalid", Severity.ERROR, "The LiveKit URL cannot be used", f"{raw!r}: {parsed.error}", fix))
        return None, findings
    scheme = parsed.scheme
    if parsed.assumed_scheme:
        findings.append(url_finding(
            "net.url_no_scheme", Severity.WARNING, "The LiveKit URL has no scheme",
            f"{raw!r} has no ws://, wss://, http:// or https://; lkdebug assumed {scheme}://. "
            "SDKs reject such a URL or guess differently.",
            f"Write it in full: {scheme}://{raw}",
        ))
    if parsed.sdk_suffix:
        findings.append(url_finding(
            "net.url_path", Severity.WARNING, f"The LiveKit URL ends in {parsed.sdk_suffix}, which the SDKs add themselves",
            f"{raw!r}: a client would connect to {parsed.path}/rtc… twice over.",
            f"Use {parsed.clean}",
        ))
    lowered = parsed.prefix.lower() + "/"
    if any(hint in lowered for hint in APP_PATH_HINTS):
        findings.append(url_finding(
            "net.url_app", Severity.WARNING, "The LiveKit URL looks like your app's token endpoint",
            f"{raw!r}: the path {parsed.prefix} is where an app hands out tokens, not where livekit-server listens.",
            "Set LIVEKIT_URL to the LiveKit server itself (wss://<your project>.livekit.cloud, or your "
            "server's host, port 7880 or the proxy in front of it); keep the token endpoint in its own setting.",
        ))
    if parsed.query:
        findings.append(url_finding(
            "net.url_query", Severity.WARNING, "The LiveKit URL carries a query string",
            f"{scheme}://{parsed.netloc}{parsed.path}?… : the SDKs add their own parameters (access_token, …); "
            "lkdebug ignored the query.",
            f"Use {parsed.clean}",
        ))
    return Target(raw, scheme, parsed.host, parsed.effective_port, parsed.prefix, parsed.secure, tuple(findings)), findings



@dataclass(frozen=True)
class TokenToTest:
    """The token the probes send, with what lkdebug expects the server to answer."""

    raw: str
    minted: bool  # minted by lkdebug from the settings (a throwaway hidden identity)
    api_key: str | None
    secret_origin: str | None = None  # where the secret that signed it came from, when lkdebug knows
    predicted: server_rules.Verdict | None = None  # the answer lkdebug expects, when it can judge
    predicted_from: str | None = None  # whose keys that prediction used ("livekit.yaml", ".env.local")


def monotonic_ms(started: float) -> float:
    return (time.monotonic() - started) * 1000


def url_check(text: str | None) -> tuple[CheckResult, Target | None]:
    started = time.monotonic()
    if not text:
        finding = url_finding(
            "net.no_url", Severity.WARNING, "No LiveKit URL found, so nothing was probed",
            "Neither --url, LIVEKIT_URL (process or .env files) nor an lk project gave a URL.",
            "Set LIVEKIT_URL (e.g. in .env.local) or pass --url wss://your-server.",
        )
        return CheckResult("url", CheckStatus.FAIL, monotonic_ms(started), "no URL", [finding]), None
    target, findings = parse_url(text)
    if target is None:
        return CheckResult("url", CheckStatus.FAIL, monotonic_ms(started), findings[-1].detail, findings), None
    detail = f"signal {target.signal_url}, API {target.api_url}"
    if target.prefix:
        detail += f" (path prefix {target.prefix} kept)"
    status = CheckStatus.WARN if findings else CheckStatus.PASS
    data = {"signal_url": target.signal_url, "api_url": target.api_url, "host": target.host, "port": target.port,
            "prefix": target.prefix, "secure": target.secure}
    return CheckResult("url", status, monotonic_ms(started), detail, findings, data), target
