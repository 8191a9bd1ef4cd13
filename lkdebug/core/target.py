"""What the probes aim at: one LiveKit URL understood as a target, and the token they send to it.

`parse_url` reads and judges the URL once (`url.parse`, `url.findings`: the model the env lint shares) into a `Target`, whose signal
(`ws(s)`) and API (`http(s)`) forms share host, port and prefix; `TokenToTest` is the token the token
probes send, with the answer lkdebug expects from the server.
"""

from __future__ import annotations

import time

from lkdebug.core import url as livekit_url
from lkdebug.core.host import is_loopback_host
from lkdebug.core.model import CheckResult, CheckStatus, Finding, Severity
from lkdebug.core.records import dataclass

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing
if TYPE_CHECKING:
    from lkdebug.core import server_rules


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


def monotonic_ms(started: float) -> float:
    return (time.monotonic() - started) * 1000


def url_check(text: str | None, *, judged: bool = False, server_port: int | None = None) -> tuple[CheckResult, Target | None]:
    """The URL understood as a target. `judged`: the env lint said this URL's problems already (it is the
    settings' URL), so the check's row shows the verdict and the findings stay the env lint's.
    `server_port`: the local server config's port (`Settings.server_port`), as the env lint judged it."""
    started = time.monotonic()
    if not text:
        finding = url_finding(
            "net.no_url", Severity.WARNING, "No LiveKit URL found, so nothing was probed",
            "Neither --url, LIVEKIT_URL (process or .env files) nor an lk project gave a URL.",
            "Set LIVEKIT_URL (e.g. in .env.local) or pass --url wss://your-server.",
        )
        return CheckResult("url", CheckStatus.FAIL, monotonic_ms(started), "no URL", [finding]), None
    target, findings = parse_url(text, server_port)
    shown = [] if judged else findings
    if target is None:
        return CheckResult("url", CheckStatus.FAIL, monotonic_ms(started), findings[-1].detail, shown), None
    detail = f"signal {target.signal_url}, API {target.api_url}"
    if target.prefix:
        detail += f" (path prefix {target.prefix} kept)"
    problems = [f for f in findings if f.severity.rank <= Severity.WARNING.rank]
    if judged and problems:
        detail += f"; {len(problems)} problem(s), in the settings' findings"
    status = CheckStatus.WARN if problems else CheckStatus.PASS
    return CheckResult("url", status, monotonic_ms(started), detail, shown, target), target
