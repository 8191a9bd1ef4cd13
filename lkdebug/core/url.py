"""One LiveKit URL, parsed once: what the env lint judges and what the probes connect to.

The env lint (`envlint.lint_url`) and the probes (`target.parse_url`) both read a `LiveKitUrl`, so they
agree on the scheme, the port, the path the SDKs add themselves and the URL to use instead: every
fix they print names the same `clean` URL.
"""

from __future__ import annotations

from lkdebug.core.records import dataclass
from urllib.parse import urlsplit

from lkdebug.core.host import is_local_host

SCHEMES = {"ws": False, "wss": True, "http": False, "https": True}  # scheme -> TLS
LIVEKIT_PORT = 7880  # livekit-server's HTTP/WebSocket/Twirp port (DefaultConfig.Port)
# Ports web-app dev servers listen on: a LiveKit URL on one is usually the app's own URL.
APP_PORTS = {3000: "Next.js/React", 3001: "a web app", 4200: "Angular", 5000: "Flask", 5173: "Vite",
             8000: "a web app", 8080: "a web app"}
# Paths the SDKs append themselves (longest first), never part of the URL people configure.
SDK_SUFFIXES = ("/rtc/v1/validate", "/rtc/validate", "/rtc/v1", "/rtc", "/twirp")


@dataclass(frozen=True)
class LiveKitUrl:
    """A URL as a person wrote it, understood. `error` says why it cannot be used at all."""

    text: str  # as given, without surrounding whitespace
    scheme: str = ""  # lower case; the assumed one when `assumed_scheme`
    host: str = ""
    port: int | None = None  # as written; None when the scheme's default applies
    netloc: str = ""
    path: str = ""  # without a trailing slash
    prefix: str = ""  # the path without the SDK suffix: a reverse proxy's prefix, or ""
    sdk_suffix: str = ""  # "/rtc", "/rtc/validate"... when the path ends in one
    query: bool = False  # a query string or fragment was given
    assumed_scheme: str | None = None  # set when the text had no scheme
    error: str | None = None
    error_kind: str | None = None  # empty | unreadable | scheme | host | port

    @property
    def secure(self) -> bool:
        return SCHEMES.get(self.scheme, False)

    @property
    def effective_port(self) -> int:
        return self.port or (443 if self.secure else 80)

    @property
    def clean(self) -> str:
        """The URL to configure instead: no SDK suffix, no query."""
        return f"{self.scheme}://{self.netloc}{self.prefix}"


def parse(text: str) -> LiveKitUrl:
    raw = text.strip()

    def failed(kind: str, why: str, **known) -> LiveKitUrl:
        return LiveKitUrl(raw, error=why, error_kind=kind, **known)

    if not raw:
        return failed("empty", "it is empty")
    assumed = None
    if "://" not in raw:
        try:
            bare = urlsplit("//" + raw)
            bare_port = bare.port
        except ValueError:
            return failed("unreadable", "it has no scheme and cannot be read as host[:port]")
        assumed = "ws" if (is_local_host(bare.hostname or "") or bare_port == LIVEKIT_PORT) else "wss"
    try:
        parts = urlsplit(f"{assumed}://{raw}" if assumed else raw)
    except ValueError as error:  # unbalanced [ ] of an IPv6 address
        return failed("unreadable", str(error), assumed_scheme=assumed)
    scheme = parts.scheme.lower()
    if scheme not in SCHEMES:
        return failed("scheme", f"the scheme {parts.scheme!r} is not one LiveKit speaks", scheme=scheme)
    try:
        port = parts.port
    except ValueError:
        return failed("port", "the port is not a number from 1 to 65535", scheme=scheme, assumed_scheme=assumed)
    if not parts.hostname:
        return failed("host", "there is no host name", scheme=scheme, assumed_scheme=assumed)
    path = parts.path.rstrip("/")
    suffix = next((s for s in SDK_SUFFIXES if path.lower().endswith(s)), "")
    return LiveKitUrl(raw, scheme, parts.hostname, port, parts.netloc, path, path[: len(path) - len(suffix)], suffix,
                      bool(parts.query or parts.fragment), assumed)
