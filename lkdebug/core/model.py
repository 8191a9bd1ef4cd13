"""The shapes every check produces and every renderer reads."""

from __future__ import annotations

import enum

from lkdebug.core.records import dataclass, field

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing, which every command would pay for
if TYPE_CHECKING:
    from typing import Any, TypeVar

    P = TypeVar("P")


class Severity(str, enum.Enum):
    """How bad a finding is. The string values are the JSON contract (DESIGN §3)."""

    ERROR = "error"
    WARNING = "warning"
    INFO = "info"
    OK = "ok"

    @property
    def rank(self) -> int:
        """Sort key: errors first."""
        return _RANK[self]


_RANK = {Severity.ERROR: 0, Severity.WARNING: 1, Severity.INFO: 2, Severity.OK: 3}

AREAS = ("env", "token", "clock", "network", "server", "media")


@dataclass(frozen=True)
class Finding:
    """One thing lkdebug noticed, written for the person at the terminal.

    `code` is stable (scripts match on it), `title` says what is wrong in one line,
    `detail` gives the evidence, `fix` says what to change (None when nothing needs changing).
    `because` is the code of the finding this one follows from (its cause, which holds the fix);
    renderers fold it under that cause.
    """

    code: str
    severity: Severity
    area: str
    title: str
    detail: str = ""
    fix: str | None = None
    because: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "severity": self.severity.value,
            "area": self.area,
            "title": self.title,
            "detail": self.detail,
            "fix": self.fix,
            "because": self.because,
        }


def sort_findings(findings: list[Finding]) -> list[Finding]:
    """Most severe first; the original order (root cause first) is kept within a severity."""
    return sorted(findings, key=lambda f: f.severity.rank)


def worst(findings: list[Finding]) -> Severity | None:
    return min((f.severity for f in findings), key=lambda s: s.rank, default=None)


def has_error(findings: list[Finding]) -> bool:
    return any(f.severity is Severity.ERROR for f in findings)


class CheckStatus(str, enum.Enum):
    """The state of one probe (DESIGN §3 `check.checks[].status`; RUNNING only while in flight)."""

    PASS = "pass"
    WARN = "warn"
    FAIL = "fail"
    SKIP = "skip"
    RUNNING = "running"


@dataclass
class CheckResult:
    """One probe's outcome: the row in `lkdebug check` and in the Connectivity tab."""

    name: str
    status: CheckStatus
    duration_ms: float | None = None
    detail: str = ""
    findings: list[Finding] = field(default_factory=list)
    # The probe's own record, declared beside the probe (probes.DnsAnswer, join.JoinInfo, turn.Relays, ...),
    # for the probes that wait on it and the renderers; read it with payload(). One field rather than one
    # per probe: a record is typed by its class, and this module needs to know none of them.
    data: object = None

    def payload(self, kind: type[P]) -> P | None:
        """The record when it is a `kind`; None when the probe left none (it failed early, or never ran)."""
        return self.data if isinstance(self.data, kind) else None

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "status": self.status.value,
            "duration_ms": None if self.duration_ms is None else round(self.duration_ms, 1),
            "detail": self.detail,
        }


@dataclass(frozen=True)
class KnownKey:
    """An API key and secret pair lkdebug found somewhere, and where (for signature checks)."""

    api_key: str
    secret: str
    origin: str


@dataclass(frozen=True)
class Setting:
    """A resolved setting: its value and the source that won (e.g. `.env.local`)."""

    name: str
    value: str
    source: str


@dataclass(frozen=True)
class Source:
    """A place settings may come from: `kind` is process|dotenv|env-file|server-config|lk-config."""

    kind: str
    path: str
    loaded: bool
    error: str | None = None

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"kind": self.kind, "path": self.path, "loaded": self.loaded}
        if self.error:
            d["error"] = self.error
        return d


@dataclass(frozen=True)
class Variable:
    """One occurrence of a LiveKit variable in one source (a variable set in two files appears twice)."""

    name: str
    value: str
    source: str
    wins: bool = True
    issues: tuple[str, ...] = ()
    line: int | None = None  # line in a dotenv file, when known
    note: str = ""  # why this occurrence wins, or what overrides it


@dataclass
class Settings:
    """Everything lkdebug discovered about the user's LiveKit setup, with provenance.

    `known_keys` holds every key/secret pair from any source (the process, dotenv files,
    the server config, lk projects), so a token's signature can be checked against all of them.
    `server_keys` is the livekit-server key map when a server config was found, else None.
    """

    url: Setting | None = None
    api_key: Setting | None = None
    api_secret: Setting | None = None
    sources: list[Source] = field(default_factory=list)
    variables: list[Variable] = field(default_factory=list)
    known_keys: list[KnownKey] = field(default_factory=list)
    server_keys: dict[str, str] | None = None
    server_port: int | None = None  # the server config's `port:`, which a loopback URL must use
    findings: list[Finding] = field(default_factory=list)
    mode: str = "development"  # the Next.js-style MODE that picked the .env.$MODE files
    mode_reason: str = ""  # why that mode was assumed
    lk: Any = None  # core.lk_config.LkChoice: the project `lk` would use from this folder

    def secrets(self) -> list[str]:
        """Every secret value lkdebug knows, for scrubbing text that could echo one: the pairs, the
        resolved secret (even without a key beside it) and the server config's secrets."""
        found = [k.secret for k in self.known_keys]
        if self.api_secret:
            found.append(self.api_secret.value)
        found += (self.server_keys or {}).values()
        return list(dict.fromkeys(found))


@dataclass
class Report:
    """The result of a whole diagnosis: what `check` prints and the TUI shows."""

    target_url: str | None = None
    findings: list[Finding] = field(default_factory=list)
    checks: list[CheckResult] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "target": {"url": self.target_url},
            "checks": [c.to_dict() for c in self.checks],
            # diagnose.order_findings' order: each cause, then what follows from it (as the text shows them).
            "findings": [f.to_dict() for f in self.findings],
        }
