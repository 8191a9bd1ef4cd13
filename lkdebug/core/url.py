"""One LiveKit URL, parsed once and judged once: what the env lint says and what the probes connect to.

`parse` reads a `LiveKitUrl`; `findings` judges it, one finding per problem, every fix naming the same
`suggested` URL (every correction applied at once), so no two fixes contradict each other. The env lint
(`envlint.lint_url`, a setting under its variable's name) and the url check (`target.parse_url`, a URL
given elsewhere, such as the TUI's URL field) both call it; `check` shows a setting's URL problems once,
as the env lint's findings.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from lkdebug.core import redact
from lkdebug.core.host import is_local_host, is_loopback_host
from lkdebug.core.model import Finding, Severity
from lkdebug.core.records import dataclass

SCHEMES = {"ws": False, "wss": True, "http": False, "https": True}  # scheme -> TLS
LIVEKIT_PORT = 7880  # livekit-server's HTTP/WebSocket/Twirp port (DefaultConfig.Port)
RTC_TCP_PORT = 7881  # WebRTC over TCP, not signalling
TURN_PORTS = (3478, 5349)
# Ports web-app dev servers listen on: a LiveKit URL on one is usually the app's own URL.
APP_PORTS = {3000: "Next.js/React", 3001: "a web app", 4200: "Angular", 5000: "Flask", 5173: "Vite",
             8000: "a web app", 8080: "a web app"}
# Paths the SDKs append themselves (longest first), never part of the URL people configure.
SDK_SUFFIXES = ("/rtc/v1/validate", "/rtc/validate", "/rtc/v1", "/rtc", "/twirp")
# Paths that are an app's token endpoint, never a proxy prefix.
APP_PATH_HINTS = ("/api/", "/token", "/get-token", "/gettoken", "/connection-details")


@dataclass(frozen=True)
class LiveKitUrl:
    """A URL as a person wrote it, understood. `error` says why it cannot be used at all."""

    text: str  # as given, without surrounding whitespace (a password in it: see `shown`)
    scheme: str = ""  # lower case; the assumed one when `assumed_scheme`
    host: str = ""
    port: int | None = None  # as written; None when the scheme's default applies
    netloc: str = ""
    path: str = ""  # without a trailing slash
    prefix: str = ""  # the path without the SDK suffix: a reverse proxy's prefix, or ""
    sdk_suffix: str = ""  # "/rtc", "/rtc/validate"... when the path ends in one
    query: bool = False  # a query string or fragment was given
    userinfo: bool = False  # a user name (and maybe a password) before the host
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

    @property
    def shown(self) -> str:
        """The text as a finding may quote it: a password in it masked."""
        return redact.scrub(self.text)


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
                      bool(parts.query or parts.fragment), "@" in parts.netloc, assumed)


def configured_port(parsed: LiveKitUrl, server_port: int | None) -> int | None:
    """The port this machine's server config (livekit.yaml `port:`) listens on, when it applies to this URL:
    only a loopback URL reaches the server that config belongs to."""
    return server_port if server_port and is_loopback_host(parsed.host) else None


def suggested(parsed: LiveKitUrl, usage: str = "any", server_port: int | None = None) -> str:
    """The URL with every correction applied: the scheme the usage needs (TLS to a remote host), the
    signalling port (the server config's, for a loopback URL, when `server_port` is given), no credentials,
    no SDK suffix, no query. `usage`: client | server_api | any."""
    scheme = parsed.scheme
    if usage == "client" and scheme in ("http", "https"):
        scheme = "ws" + scheme[4:]
    elif usage == "server_api" and scheme in ("ws", "wss"):
        scheme = "http" + scheme[2:]
    tls, port, local = SCHEMES[scheme], parsed.port, is_local_host(parsed.host)
    configured = configured_port(parsed, server_port)
    signal = configured or LIVEKIT_PORT
    if configured and port is not None:
        port = configured
    elif port == RTC_TCP_PORT or port in TURN_PORTS or port in APP_PORTS:
        port = LIVEKIT_PORT
    if not tls and (port == 443 or not local):
        tls = True
    if tls and port == signal:  # plain on 7880 locally; remotely, TLS through the proxy's 443
        tls, port = (False, port) if local else (True, None)
    if port == (443 if tls else 80):
        port = None
    base = scheme[:-1] if SCHEMES[scheme] else scheme
    host = f"[{parsed.host}]" if ":" in parsed.host else parsed.host
    return f"{base}{'s' if tls else ''}://{host}{'' if port is None else f':{port}'}{parsed.prefix}"


# Each problem has one code where the env lint says it (a setting, under its variable's name) and one
# where the url check does (a URL given elsewhere); both are said by `findings` below.
_CODES = {
    "invalid": ("env.url_invalid", "net.url_invalid"),
    "unknown_scheme": ("env.url_scheme", "net.url_invalid"),  # not a scheme LiveKit speaks: unusable
    "no_scheme": ("env.url_scheme", "net.url_no_scheme"),
    "scheme": ("env.url_scheme", "net.url_scheme"),
    "userinfo": ("env.url_userinfo", "net.url_userinfo"),
    "app": ("env.url_app", "net.url_app"),
    "path": ("env.url_path", "net.url_path"),
    "query": ("env.url_path", "net.url_query"),
    "port": ("env.url_port", "net.url_port"),
    "localhost": ("env.url_localhost", "env.url_localhost"),
}
TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing
if TYPE_CHECKING:
    from collections.abc import Callable

    Say = Callable[[str, Severity, str, str, str | None], Finding]  # (problem, severity, title, detail, fix)
_FORMS = {"client": f"wss://<host> (ws://localhost:{LIVEKIT_PORT} for a local dev server)",
          "server_api": f"https://<host> (http://localhost:{LIVEKIT_PORT} for a local dev server)",
          "any": f"wss://<host> (ws://localhost:{LIVEKIT_PORT} for a local dev server; https:// for server APIs)"}


def findings(parsed: LiveKitUrl, *, subject: str = "The LiveKit URL", at: str = "", usage: str = "any",
             area: str = "network", container: bool = False, server_port: int | None = None) -> list[Finding]:
    """What is wrong with one URL, one finding per problem, every fix naming the same `suggested` URL.

    `subject` names it in titles (a variable's name, or "The LiveKit URL"), `at` says where it is set
    (".env line 3"), `usage` is what reads it (client | server_api | any), `area` picks the codes (env:
    the env lint's, network: the url check's). `container`: lkdebug runs in one, where a loopback host
    is the container itself (a hint only; `check` measures it). `server_port`: the `port:` of the server
    config lkdebug found on this machine; a loopback URL is judged against it instead of livekit-server's
    default ports.
    """
    env = area == "env"

    def said(problem: str, severity: Severity, title: str, detail: str, fix: str | None) -> Finding:
        return Finding(_CODES[problem][0 if env else 1], severity, "env" if env else "network", title,
                       f"{at}: {detail}" if at else detail[:1].upper() + detail[1:], fix)

    text, form = parsed.shown, _FORMS[usage]
    if text.startswith("="):
        rest = text.lstrip("=")
        return [said("unknown_scheme", Severity.ERROR, f"{subject} starts with '='",
                     f"the value is {text!r}" + (f"; the line probably reads `{subject}==...`." if env else "."),
                     f"Write `{subject}={rest}`." if env else f"Use {rest}")]
    if parsed.error_kind == "scheme":
        return [said("unknown_scheme", Severity.ERROR, f"{subject} uses the scheme {parsed.scheme}://",
                     "LiveKit speaks WebSocket (ws/wss) for signalling and HTTP (http/https) for the server API.",
                     f"Write it as {form}.")]
    if parsed.error:
        what = "has no host" if parsed.error_kind == "host" else "is not a valid URL"
        return [said("invalid", Severity.ERROR, f"{subject} {what}", f"{text!r}: {parsed.error}.",
                     f"Write it as {form}.")]
    good = suggested(parsed, usage, server_port)
    out: list[Finding] = []
    if parsed.assumed_scheme:
        out.append(said(
            "no_scheme", Severity.ERROR, f"{subject} has no scheme",
            f"{text!r} has no scheme; SDKs answer `Invalid LiveKit URL` or `unsupported protocol scheme \"\"`"
            + ("." if env else f" (lkdebug assumed {parsed.scheme}:// to probe it)."),
            f"Write it in full: {good}"))
    if parsed.userinfo:
        out.append(said(
            "userinfo", Severity.WARNING, f"{subject} carries a user name or password",
            f"{text!r}: livekit-server authenticates with the access token, never with credentials in the URL, "
            "and a password here is a secret in plain sight (logs, screenshots, a browser bundle).",
            f"Use {good}"))
    if any(hint in parsed.prefix.lower() + "/" for hint in APP_PATH_HINTS):
        # The whole URL is the app's, not the server's: its scheme, port or query are beside the point.
        return out + [said(
            "app", Severity.WARNING, f"{subject} looks like your app's token endpoint",
            f"{text!r}: the path {parsed.prefix} is where an app hands out tokens, not where livekit-server listens.",
            f"Set {subject if env else 'LIVEKIT_URL'} to the LiveKit server itself (wss://<your project>.livekit.cloud, "
            f"or your server's host, port {LIVEKIT_PORT} or the proxy in front of it); keep the token endpoint "
            "in its own setting.")]
    out += _scheme(parsed, usage, subject, good, said)
    if parsed.sdk_suffix:
        out.append(said("path", Severity.WARNING, f"{subject} ends in {parsed.sdk_suffix}, which the SDKs add themselves",
                        f"SDKs add /rtc (and /twirp) themselves, so a client asks for {parsed.path}/rtc….", f"Use {good}"))
    elif parsed.prefix:
        out.append(said("path", Severity.INFO, f"{subject} has a path ({parsed.prefix})",
                        "SDKs keep it as a prefix; that is only right when a reverse proxy serves LiveKit under this path.",
                        f"Use {good.removesuffix(parsed.prefix)} unless your proxy needs the prefix."))
    if parsed.query:
        out.append(said("query", Severity.WARNING, f"{subject} has a query or fragment",
                        "the SDKs append their own query (access_token=…) to the URL; lkdebug ignores this one.",
                        f"Use {good}"))
    out += _port(parsed, subject, good, said, configured_port(parsed, server_port))
    if container and is_loopback_host(parsed.host):
        out.append(said(
            "localhost", Severity.INFO, f"{subject} points at {parsed.host} inside a container",
            f"lkdebug runs in a container, where {parsed.host} is the container itself: right if livekit-server "
            "runs in this container, wrong if it runs on the host or in another one (`lkdebug check` tells).",
            "Only if livekit-server runs elsewhere: use the compose service name (e.g. "
            f"ws://livekit:{configured_port(parsed, server_port) or LIVEKIT_PORT}) "
            "or host.docker.internal."))
    return out


def _scheme(parsed: LiveKitUrl, usage: str, subject: str, good: str, said: Say) -> list[Finding]:
    """One finding for the scheme, however many reasons it is wrong (a client URL in http://, unencrypted)."""
    if parsed.assumed_scheme:  # the missing scheme is the problem, said on its own
        return []
    scheme, severity, title = parsed.scheme, Severity.INFO, ""
    reasons: list[str] = []
    if usage == "client" and scheme in ("http", "https"):
        title = f"uses {scheme}:// for a client URL"
        reasons.append("current livekit-client converts it to ws(s)://, but older browsers and SDKs reject it "
                       "(`Wrong url scheme for WebSocket`).")
    if usage == "server_api" and scheme in ("ws", "wss"):
        title, severity = f"uses {scheme}:// for a server API URL", Severity.WARNING
        reasons.append(f"the Twirp server API is HTTP; some server SDKs fail with `unsupported protocol scheme \"{scheme}\"`.")
    if not parsed.secure and not is_local_host(parsed.host) and parsed.port != 443:  # plain to 443: the port's
        title, severity = f"is unencrypted ({scheme}://) to a remote host", Severity.WARNING
        reasons.append(f"{parsed.host} is not a local address. Browsers block {scheme}:// from https pages "
                       "(mixed content) and LiveKit Cloud only accepts TLS.")
    if not reasons:
        return []
    return [said("scheme", severity, f"{subject} {title}", " ".join(reasons), f"Use {good}")]


def _port(parsed: LiveKitUrl, subject: str, good: str, said: Say, configured: int | None = None) -> list[Finding]:
    """One finding for the port. `configured`: the local server config's port, which a loopback URL must use."""
    port, tls = parsed.port, parsed.secure
    what = ("WebRTC-over-TCP port" if port == RTC_TCP_PORT else "TURN port" if port in TURN_PORTS else None)
    if configured and port is not None and port != configured:
        return [said("port", Severity.ERROR if what else Severity.WARNING,
                     f"{subject} uses port {port}, the server config says {configured}",
                     f"the local server config (`port:`) listens on port {configured}"
                     + (f"; by default {port} is livekit-server's {what}." if what else "."), f"Use {good}")]
    if what and not configured:
        return [said("port", Severity.ERROR, f"{subject} uses port {port}, livekit-server's {what}",
                     f"signalling and the server API are on port {LIVEKIT_PORT} (or 443 behind TLS).", f"Use {good}")]
    signal = configured or LIVEKIT_PORT
    if tls and port == signal:
        return [said("port", Severity.WARNING, f"{subject} speaks TLS to port {signal}",
                     f"livekit-server serves plain HTTP/WebSocket on {signal}; TLS is usually terminated by a "
                     "proxy on 443. A TLS handshake with a plain port fails.", f"Use {good}")]
    if configured:  # the port the server config names, whatever other services usually use it for
        return []
    if not tls and port == 443:
        return [said("port", Severity.WARNING, f"{subject} speaks plain {parsed.scheme}:// to port 443",
                     "port 443 normally expects TLS.", f"Use {good}")]
    if port in APP_PORTS:
        return [said("port", Severity.WARNING, f"{subject} uses port {port}, usually a web app's",
                     f"{port} is where {APP_PORTS[port]} dev servers listen; livekit-server listens on {LIVEKIT_PORT}. "
                     "The app's own URL is sometimes pasted where the LiveKit URL belongs.",
                     f"Point it at livekit-server: {good} if it runs there.")]
    return []
