"""Reading what a server answered, and what it means when the answer is not livekit-server's.

One HTTP GET with this machine's clock around it (`HttpAnswer`, whose `Date` the clock check reads), the
server's words kept verbatim after `redact.scrub` (v1.13 echoes the whole JWT back), the livekit-server
era that wording comes from, the server's verdict on a token compared with lkdebug's prediction, and the
failures told apart: no HTTP answer at all, an answer no client can read, a proxy whose upstream failed
(502/503/504), something that is not LiveKit.
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Callable, Sequence

from lkdebug.core import server_rules
from lkdebug.core.model import CheckResult, CheckStatus, Finding, Severity
from lkdebug.core.records import dataclass
from lkdebug.core.redact import MASKED_JWT, scrub
from lkdebug.core.target import Target, TokenToTest

BODY_LIMIT = 64 * 1024


def one_line(text: str, limit: int = 200) -> str:
    """Server bodies and error texts squeezed into the one-line `detail` of a check."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


# ---- HTTP -----------------------------------------------------------------------------------


@dataclass
class HttpAnswer:
    status: int
    body: str
    headers: dict[str, str]
    sent: float  # this machine's clock (now()) when the request left
    received: float  # ... and when the answer came back

    @property
    def date(self) -> str | None:
        return self.headers.get("Date")



def trust_context(ssl_context: ssl.SSLContext | None = None) -> ssl.SSLContext:
    """The one trust decision behind every TLS connection of a run (the TLS probe, the HTTP probes, the upgrade,
    TURN/TLS): the context given (a test's throwaway CA), else the system's, with SSL_CERT_FILE read now.

    aiohttp's own default (`ssl=True`) is a context made once when aiohttp is imported, so with it the HTTP
    probes could refuse a certificate the TLS probe accepted. Making one costs ~40 ms: `diagnose` makes one
    per run and hands it to every probe.
    """
    return ssl_context if ssl_context is not None else ssl.create_default_context()


def http_session(timeout: float, ssl_context: ssl.SSLContext | None, secure: bool):
    """One aiohttp session per probe: its own timeout, the run's trust (`trust_context`), no environment proxies."""
    import aiohttp

    connector = aiohttp.TCPConnector(ssl=trust_context(ssl_context) if secure else True, force_close=True)
    return aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(total=timeout))



async def http_get(url: str, timeout: float, now: Callable[[], float], ssl_context: ssl.SSLContext | None) -> HttpAnswer:
    async with http_session(timeout, ssl_context, url.startswith("https:")) as session:
        sent = now()
        async with session.get(url, allow_redirects=False) as response:
            received = now()
            body = (await response.content.read(BODY_LIMIT)).decode("utf-8", "replace")
            return HttpAnswer(response.status, body, dict(response.headers), sent, received)



def error_text(error: BaseException, target: Target) -> str:
    """A failed request told from the error's type, where it went and the OS's words, never from the error's text.

    aiohttp and websockets put the request URL in their messages (and so the token in `?access_token=`), or
    a redirect's Location, or the raw header bytes the server sent: none of that is shown.
    """
    import aiohttp
    from websockets.exceptions import InvalidMessage, InvalidURI

    where = f"{target.host}:{target.port}"
    kind = type(error).__name__
    if isinstance(error, aiohttp.TooManyRedirects):
        return f"{where} redirects without end ({kind})"
    # Our own URLs are valid: these are a redirect's Location (aiohttp names them RedirectClientError from 3.10).
    if isinstance(error, (aiohttp.InvalidURL, getattr(aiohttp, "RedirectClientError", aiohttp.InvalidURL), InvalidURI)):
        return f"{where} redirects to a URL an HTTP client cannot follow ({kind})"
    if isinstance(error, InvalidMessage):
        return f"{where} answered with something that is not an HTTP response ({kind})"
    strerror = error.strerror if isinstance(error, OSError) else None
    return f"{kind} from {where}: {one_line(strerror, 120)}" if strerror else f"{kind} from {where}"


# OpenSSL's verify codes (X509_V_ERR_*) for the certificate faults users meet most.
X509_EXPIRED = 10
X509_NAME_MISMATCH = (62, 64)  # host name, IP address


def tls_error(error: BaseException) -> ssl.SSLError | None:
    """The TLS failure behind a failed request or upgrade, or None: aiohttp wraps it (its certificate error
    is a ClientOSError, which would otherwise read as a hang-up); websockets raises it as it is."""
    for candidate in (getattr(error, "certificate_error", None), getattr(error, "os_error", None), error.__cause__, error):
        if isinstance(candidate, ssl.SSLError):
            return candidate
    return None


def tls_finding(target: Target, error: ssl.SSLError, described: str = "") -> Finding:
    """What a refused handshake means, the same whichever probe met it (so the cause is said once):
    expired, another name, not trusted, or the handshake itself failing. `described` says what the
    certificate is, when the TLS probe could read it."""
    where = f"{target.host}:{target.port}"
    if not isinstance(error, ssl.SSLCertVerificationError):
        return Finding("net.tls_failed", Severity.ERROR, "network", f"The TLS handshake with {where} failed",
                       f"{where}: {one_line(str(error))}", "Check that this port serves TLS and that a proxy terminates it correctly.")
    message = error.verify_message or str(error)
    if error.verify_code == X509_EXPIRED:
        return Finding("net.tls_expired", Severity.ERROR, "network", f"The certificate of {where} has expired",
                       f"{message}.{described}", "Renew the certificate (certbot renew, or let Caddy manage it) and reload the proxy.")
    if error.verify_code in X509_NAME_MISMATCH:
        return Finding("net.tls_hostname", Severity.ERROR, "network", f"The certificate of {where} is for another name",
                       f"{message}.{described}",
                       "Use the host name the certificate was issued for, or issue one for this name "
                       "(an IP address needs a certificate with that IP in its subjectAltName).")
    return Finding("net.tls_untrusted", Severity.ERROR, "network", f"The certificate of {where} is not trusted",
                   f"{message} (self-signed, or signed by a CA this machine does not trust).{described}",
                   "Use a certificate from a public CA (Let's Encrypt via Caddy or certbot), or install the CA "
                   "(ca-certificates in slim Docker images; SSL_CERT_FILE for Python).")


def http_failure(name: str, error: BaseException, target: Target, timeout: float, what: str) -> CheckResult:
    """A request that got no HTTP answer at all (TCP passed; TLS, when the TLS probe's handshake did)."""
    import aiohttp

    where = f"{target.host}:{target.port}"
    refused = tls_error(error)
    if refused is not None:  # the TLS probe's finding, word for word: one cause, said once
        finding = tls_finding(target, refused)
        return CheckResult(name, CheckStatus.FAIL, None, one_line(f"{what}: {finding.detail}"), [finding])
    if isinstance(error, (asyncio.TimeoutError, TimeoutError)):
        finding = Finding("net.timeout", Severity.ERROR, "network", f"{where} accepts connections but does not answer {what}",
                          f"No HTTP answer within {timeout:g} s.",
                          "Something holds the connection without answering: a stuck proxy, or a TLS port spoken to "
                          "in plain HTTP. Check what listens on the port.")
        return CheckResult(name, CheckStatus.FAIL, None, f"no answer within {timeout:g} s", [finding])
    if isinstance(error, aiohttp.ClientResponseError) and isinstance(error.__cause__, aiohttp.http_exceptions.HttpProcessingError):
        # aiohttp could not parse the answer. Its message may quote the URL, and so the token: not shown.
        return bad_response(name, target, what, _unparsable(error.message))
    if isinstance(error, (aiohttp.ServerDisconnectedError, aiohttp.ClientPayloadError, aiohttp.ClientOSError)):
        hint = " If that port serves TLS, use wss:// / https://." if not target.secure else ""
        finding = Finding("net.closed", Severity.ERROR, "network", f"{where} hung up without answering {what}",
                          f"The connection was accepted, then closed: {error_text(error, target)}.{hint}",
                          "A proxy or firewall drops the request, or the port speaks another protocol." + hint)
        return CheckResult(name, CheckStatus.FAIL, None, f"closed without an answer ({type(error).__name__})", [finding])
    text = error_text(error, target)
    finding = Finding("net.http_failed", Severity.ERROR, "network", f"{where}: {what} failed", text, None)
    return CheckResult(name, CheckStatus.FAIL, None, text, [finding])


TOO_MANY_HEADERS = "more than 128 response headers (a LiveKit node sends about ten)"
LINE_TOO_LONG = "a response line longer than 8 KB"


def _unparsable(parser_says: str) -> str:
    """What aiohttp's parser refused, in words; its own message may quote the request line or the bytes."""
    if "many headers" in parser_says:
        return TOO_MANY_HEADERS
    if parser_says.startswith("Got more than") or "too long" in parser_says.lower():
        return LINE_TOO_LONG
    return f"an answer that is not valid HTTP ({one_line(parser_says.split(':')[0], 80)})"



def bad_response(name: str, target: Target, what: str, why: str) -> CheckResult:
    """An answer that is not HTTP a client can read: too many headers, a line too long, not HTTP at all."""
    where = f"{target.host}:{target.port}"
    finding = Finding("net.bad_response", Severity.ERROR, "network", f"{where} answers {what} with a response no HTTP client can read",
                      f"It sent {why}, so HTTP clients (browsers, the SDKs, lkdebug) give up on it before its status.",
                      "Something other than livekit-server answers on that port, or a proxy adds headers without end: "
                      "look at its answer with `curl -sI` and at the proxy's configuration.")
    return CheckResult(name, CheckStatus.FAIL, None, f"unreadable answer: {why}", [finding])



def answer_text(answer: HttpAnswer, secrets: Sequence[str]) -> str:
    body = server_words(answer.body, secrets, 160)
    return f"{answer.status} {body!r}" if body else f"{answer.status} (empty body)"



# What a proxy or load balancer answers when the server behind it does not (nginx, Caddy, cloud balancers).
GATEWAY_STATUS = {502: "Bad Gateway", 503: "Service Unavailable", 504: "Gateway Timeout"}


def upstream_failed(target: Target, request: str, status: int, server: str | None) -> Finding:
    """A 502/503/504 page: the proxy is there, livekit-server behind it is not. Not the key, secret or token."""
    by = f" (Server: {one_line(server, 60)})" if server else ""
    return Finding(
        "net.upstream_failed", Severity.ERROR, "network",
        f"The proxy in front of LiveKit cannot reach livekit-server ({status} {GATEWAY_STATUS[status]})",
        f"{request} at {target.host}:{target.port} answered {status} {GATEWAY_STATUS[status]}{by}: the proxy answered "
        "because the server behind it did not. This says nothing about the key, the secret or the token.",
        "Check that livekit-server is running and that the proxy's upstream (nginx `proxy_pass`, Caddy `reverse_proxy`) "
        "names the host and port it listens on (7880 by default); the proxy's error log says why it failed.",
    )



def not_livekit(target: Target, request: str, answer: HttpAnswer, shown: str, secrets: Sequence[str]) -> Finding:
    if answer.status in GATEWAY_STATUS:
        return upstream_failed(target, request, answer.status, answer.headers.get("Server"))
    evidence = f"{request} answered {shown}"
    if answer.headers.get("Content-Type", "").startswith("text/html"):
        evidence += " (an HTML page)"
    # A peer's headers are its words too: a redirect may carry the probe token (`?access_token=`).
    if 300 <= answer.status < 400 and answer.headers.get("Location"):
        evidence += f", redirecting to {server_words(answer.headers['Location'], secrets)}"
    if answer.headers.get("Server"):
        evidence += f"; Server: {server_words(answer.headers['Server'], secrets)}"
    evidence += ". A LiveKit node answers `200 OK`."
    fix = ("Point the URL at livekit-server (port 7880 by default) or at the proxy route that forwards to it.")
    if target.app_port:
        fix += f" Port {target.port} is where {target.app_port} dev servers listen: this is probably your app's URL."
    if target.prefix:
        fix += f" Check that the proxy forwards {target.prefix}/ to LiveKit."
    return Finding("net.not_livekit", Severity.ERROR, "network", f"{target.api_url} is not a LiveKit server", evidence, fix)


# ---- The server's verdict on a token --------------------------------------------------------

# What each server reason means, for the finding (title, fix). The reasons are server_rules'.
_REASON_TEXT: dict[str, tuple[str, str]] = {
    "expired": ("The server says the token is expired",
                "Mint tokens just before connecting; check the TTL and the clocks (see the clock checks)."),
    "not_yet_valid": ("The server says the token is not valid yet",
                      "Its nbf is more than 60 s in the server's future: the minting host's clock is ahead of the server's, "
                      "or the server's is behind (the clock checks say which when NTP answers)."),
    "no_exp": ("The server requires an exp claim", "Mint the token with an expiry (every SDK does by default)."),
    "alg": ("The server accepts only HS256 tokens", "Sign with HS256 (the SDKs do)."),
    "malformed": ("The server cannot parse the token", "Pass the JWT itself (not a Promise, a URL or JSON): `lkdebug token decode` shows what it is."),
    "malformed_claims": ("The server cannot read the token's claims", "A grant has the wrong type: `lkdebug token decode` shows which."),
    "bad_header": ("The Authorization header is malformed", "Send `Authorization: Bearer <token>` (capital B, one space)."),
    "no_video": ("The server says the token grants no access to a room", "Add a video grant with roomJoin and room."),
    "no_join": ("The server says the token lacks roomJoin", "Grant video.roomJoin = true."),
    "no_identity": ("The server says the token has no identity", "Set the participant identity (the sub claim)."),
    "no_room": ("The server says the token names no room", "Set video.room (the JS field is `room`, not `roomName`)."),
}


def server_words(body: str, secrets: Sequence[str], limit: int = 300) -> str:
    """The server's body as one line: scrubbed, and the token it echoes (v1.13) shortened so its reason shows."""
    return one_line(MASKED_JWT.sub("<the token>", scrub(body, list(secrets))), limit)



def era_text(body: str) -> str:
    era = server_rules.recognise_era(body.strip())
    return f"livekit-server {server_rules.ERA_LABELS[era]} wording" if era else ""



def verdict_findings(status: int, body: str, token: TokenToTest, secrets: Sequence[str], where: str) -> list[Finding]:
    """The server's answer to a token, in findings: its words verbatim (scrubbed), compared with the prediction."""
    words = server_words(body, secrets)
    reason = server_rules.reason_of(body)
    key = token.api_key or "?"
    shown_key = key if len(key) <= 6 else key[:6] + "…"
    predicted = token.predicted
    differs = predicted is not None and predicted.reason != reason
    expected = ""
    if differs:
        expected = (f" lkdebug expected {predicted.status} {server_words(predicted.message, secrets, 160)!r} from the keys in "
                    f"{token.predicted_from or 'the settings'}: the server answering here does not run with those keys or that clock.")
    if status == 200 and reason == "ok":
        findings = [Finding("server.token_accepted", Severity.OK, "server", "The server accepts the token",
                            f"{where} answered 200 {words!r}.")]
        if differs:
            findings.append(Finding("server.disagrees", Severity.WARNING, "server", "The server accepts a token lkdebug expected it to reject",
                                    expected.strip(), "Compare the server's livekit.yaml and clock with what lkdebug found."))
        return findings
    era = era_text(body)
    evidence = f"{where} answered {status} {words!r}{f' ({era})' if era else ''}."
    if reason == "unknown_key":
        return [Finding("server.key_unknown", Severity.ERROR, "server", f"The server does not know API key {shown_key}",
                        evidence + expected,
                        "Use the key and secret of the project or server this URL points to. Self-hosted: add the "
                        "pair under `keys:` in livekit.yaml (or LIVEKIT_KEYS) and restart; Cloud: copy both from the same project.")]
    if reason == "signature":
        signed = f" (from {token.secret_origin})" if token.secret_origin else ""
        return [Finding("server.signature_mismatch", Severity.ERROR, "server", f"The server holds a different secret for API key {shown_key}",
                        f"{evidence} The secret the token was signed with{signed} is not the one the server holds for this key.{expected}",
                        "Copy the secret that belongs to this key from the server's config (livekit.yaml `keys:`) or the "
                        "Cloud project, and check it has no trailing newline, space or quotes.")]
    if reason is None:
        return [Finding("server.token_rejected", Severity.ERROR, "server", f"The server rejects the token ({status})", evidence,
                        "This is not livekit-server's wording: a proxy or another service may be answering.")]
    title, fix = _REASON_TEXT.get(reason, (f"The server rejects the token ({status})", "See the server's words above."))
    return [Finding("server.token_rejected", Severity.ERROR, "server", title, evidence + expected, fix)]
