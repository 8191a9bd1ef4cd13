"""A loopback stand-in for livekit-server: the HTTP, WebSocket and Twirp answers lkdebug probes.

It copies what reference/livekit-server-behaviour.md §2.1-2.7 says the real server answers:
the API-key middleware runs on every path, bodies are plain text without a trailing newline,
`/rtc/validate` answers `success` or the reason, `/rtc` upgrades only after the same checks, and
Twirp speaks JSON or protobuf. How a token is judged, and every word of every 401, comes from
`lkdebug.core.server_rules`, so the stand-in and the decoder's predictions cannot drift apart.

Fault modes reproduce what people meet in the field: a port nobody listens on
(`refused_port()`), a peer that accepts and never answers ("silent"), one that reads the request
and hangs up ("close"), a reverse proxy that answers 200 HTML instead of upgrading ("proxy"), a
node whose stats are stale ("not_ready"), a slow answer (`delay`), TLS with a self-signed
certificate (`tls`) and a skewed clock (`clock_offset`).

After an upgrade it sends a join response with livekit-server's ping interval and timeout and the
ICE servers it was given; on `/rtc` the subscriber offer and candidates follow (`demo/media.py`),
on `/rtc/v1` an aiortc peer answers the client's single peer connection (`demo/media_peer.py`).

Everything it shows says it is a stand-in: the `Server` header, `X-Lkdebug-Stand-In: 1`, the
join response, the offer's session name, and the banner of `python -m lkdebug.demo.server`.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import binascii
import contextlib
import email.utils
import gzip
import json
import logging
import re
import signal
import socket
import ssl
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from urllib.parse import parse_qs

from aiohttp import web

from lkdebug.core import ice, server_rules
from lkdebug.demo import DEMO_API_KEY, DEMO_API_SECRET, media_peer
from lkdebug.demo.media import MediaSockets

FAULTS = ("silent", "close", "proxy", "not_ready")

STAND_IN_HEADER = "X-Lkdebug-Stand-In"
SERVER_HEADER = "livekit-server stand-in (lkdebug)"
PROXY_SERVER_HEADER = "nginx (lkdebug stand-in for a proxy that does not forward Upgrade)"
# The version each era reports in its join response, so a probe can show "connected to vX": the era's last
# release, except v1.9, which answers as v1.9.9, the last release before /rtc/v1 (v1.9.10).
ERA_VERSIONS = {
    server_rules.HEAD: "1.13.5-head",
    server_rules.V1_13: "1.13.5",
    server_rules.V1_9: "1.9.9",
    server_rules.V1_6: "1.9.0",
    server_rules.V1_4: "1.6.1",
    server_rules.V1_0: "1.4.0",
}
# /rtc/v1 and /rtc/v1/validate exist since v1.9.10; these eras answer them from `/`: 404.
ERAS_WITHOUT_V1 = (server_rules.V1_9, server_rules.V1_6, server_rules.V1_4, server_rules.V1_0)

GO_MAX_HEADER_BYTES = 1 << 20
NOT_FOUND = "404 page not found\n"  # Go's http.NotFound writes with Fprintln: a trailing newline
JOIN_REQUEST_REQUIRED = "join_request is required"
BAD_ATTRIBUTES = "cannot decode attributes"
NOT_READY_STALE_S = 30  # how old the stand-in pretends its node stats are in "not_ready"
PROTOCOL = 16  # the signal protocol version current servers report

_TWIRP_ROOM_SERVICE = "/twirp/livekit.RoomService/"
_URL_BASE64 = re.compile(r"[A-Za-z0-9_-]*={0,2}")
_TWIRP_CONTENT_TYPES = ("application/json", "application/protobuf")

_PROXY_PAGE = """<!DOCTYPE html>
<html>
<head><title>Welcome</title></head>
<body>
<h1>Welcome</h1>
<p>lkdebug stand-in: a reverse proxy that answers this page for every path instead of
forwarding the WebSocket upgrade to livekit-server.</p>
</body>
</html>
"""

log = logging.getLogger("lkdebug.demo.server")


@dataclass
class StandInConfig:
    keys: dict[str, str] = field(default_factory=lambda: {DEMO_API_KEY: DEMO_API_SECRET})
    era: str = server_rules.CURRENT_ERA  # wording of the 401 bodies, and whether /rtc/v1 exists
    clock_offset: float = 0.0  # seconds added to its clock: the Date header AND the token checks
    delay: float = 0.0  # every answer waits this long first ("slow answer")
    fault: str | None = None  # None | "silent" | "close" | "proxy" | "not_ready"
    tls: bool = False  # serve TLS with a self-signed certificate (trustme, imported lazily)
    # The certificate's faults, for the TLS findings: the names it is for (default: the host and localhost),
    # and an expiry in the past.
    tls_names: tuple[str, ...] = ()
    tls_expired: bool = False
    clock: Callable[[], float] = time.time  # the unskewed clock, injectable for tests
    # The join response's ICE servers, as `--ice-server` takes them: `turn:USER:PASS@host:port?transport=udp`.
    ice_servers: tuple[str, ...] = ()
    # The addresses its candidates advertise (default: where it listens), e.g. a private one to
    # reproduce `rtc.use_external_ip: false` on a cloud VM; the ports are its real media sockets.
    advertise: tuple[str, ...] = ()
    tcp_candidates: bool = True  # False: as with `rtc.tcp_port: 0`, no ICE/TCP
    # livekit-server's defaults (PingIntervalSeconds, PingTimeoutSeconds); 0 reproduces the join response of
    # a server or proxy that leaves them out, on which LiveKit's Rust SDK panics (`period must be non-zero`).
    ping_interval: int = 5
    ping_timeout: int = 15

    def __post_init__(self) -> None:
        if self.era not in server_rules.ERAS:
            raise ValueError(f"unknown era {self.era!r}; one of {', '.join(server_rules.ERAS)}")
        if self.fault is not None and self.fault not in FAULTS:
            raise ValueError(f"unknown fault {self.fault!r}; one of {', '.join(FAULTS)}")
        for url in self.ice_servers:
            if ice.parse_url(url)[0] is None:
                raise ValueError(f"unreadable ICE server URL {url!r}; e.g. turn:user:pass@127.0.0.1:3478?transport=udp")

    def now(self) -> float:
        """The stand-in's own clock: what its Date header says and what its token checks use."""
        return self.clock() + self.clock_offset


def free_port(host: str = "127.0.0.1") -> int:
    """A port that was free a moment ago (for subprocess servers that need a port up front)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def refused_port(host: str = "127.0.0.1") -> int:
    """A port with nothing listening: connecting to it is refused at once."""
    # Bound then closed without listen(): the kernel handed it out and nobody holds it now.
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        sock.bind((host, 0))
        return sock.getsockname()[1]
    finally:
        sock.close()


def _text(status: int, body: str) -> web.Response:
    # What Go's net/http sniffs for HandleError's plain bytes.
    return web.Response(status=status, text=body, content_type="text/plain", charset="utf-8")


def _verdict_response(verdict: server_rules.Verdict) -> web.Response:
    return _text(verdict.status, verdict.message)


def _go_json(value: object) -> str:
    # encoding/json escapes <, > and & for HTML safety and writes no spaces.
    text = json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _twirp_error(status: int, code: str, msg: str, meta: dict[str, str] | None = None) -> web.Response:
    body: dict[str, object] = {"code": code, "msg": msg}
    if meta:
        body["meta"] = meta
    return _json_response(_go_json(body), status)


def _json_response(text: str, status: int = 200) -> web.Response:
    # Twirp sets exactly `application/json` (no charset); the Node SDK compares it verbatim.
    return web.Response(status=status, body=text.encode("utf-8"), headers={"Content-Type": "application/json"})


def _twirp_bad_route(msg: str, request: web.Request, path: str) -> web.Response:
    return _twirp_error(404, "bad_route", msg, {"twirp_invalid_route": f"{request.method} {path}"})


def _twirp_denied() -> web.Response:
    # twirpAuthError(ErrPermissionDenied): the token is valid but lacks the method's grant.
    return _twirp_error(401, "unauthenticated", server_rules.PERMISSIONS_DENIED)


def _is_websocket_upgrade(request: web.Request) -> bool:
    # gorilla's IsWebSocketUpgrade: token lists, case-insensitive.
    def has(name: str, token: str) -> bool:
        return any(part.strip().lower() == token for value in request.headers.getall(name, ()) for part in value.split(","))

    return has("Connection", "upgrade") and has("Upgrade", "websocket")


def _is_preflight(request: web.Request) -> bool:
    return (
        request.method == "OPTIONS"
        and "Origin" in request.headers
        and "Access-Control-Request-Method" in request.headers
    )


# rs/cors's default methods: livekit-server sets none, so a preflight for any other gets no allow headers.
CORS_METHODS = ("GET", "POST", "HEAD")


def _preflight(request: web.Request) -> web.Response:
    """rs/cors answers a preflight itself (204), before the auth middleware sees it.

    livekit-server allows every origin (echoed back) and every header (`AllowedHeaders: *`, so the
    requested ones are copied) and sets no max age.
    """
    headers = {"Vary": "Origin, Access-Control-Request-Method, Access-Control-Request-Headers"}
    method = request.headers["Access-Control-Request-Method"].upper()
    if method in (*CORS_METHODS, "OPTIONS"):
        headers["Access-Control-Allow-Origin"] = request.headers["Origin"]
        headers["Access-Control-Allow-Methods"] = method
        if request.headers.get("Access-Control-Request-Headers"):
            headers["Access-Control-Allow-Headers"] = request.headers["Access-Control-Request-Headers"]
    return web.Response(status=204, headers=headers)


def _go_time(unix: float) -> str:
    # fmt's %s of a time.Time from time.Unix(sec, 0) on a UTC host.
    return datetime.fromtimestamp(int(unix), timezone.utc).strftime("%Y-%m-%d %H:%M:%S +0000 UTC")


def _proto():
    # livekit.protocol costs an import (~200 ms): only the HTTP stand-in needs it, not the faults.
    from livekit.protocol import models, room, rtc

    return models, room, rtc


class StandInServer:
    """The stand-in on `host:port` (port 0 picks a free one). An async context manager."""

    def __init__(self, config: StandInConfig | None = None, host: str = "127.0.0.1", port: int = 0):
        self.config = config or StandInConfig()
        self.host = host
        self.port = port
        self.ca = None  # trustme.CA when tls: clients trust it through client_ssl_context()
        self._runner: web.AppRunner | None = None
        self._raw_server: asyncio.Server | None = None
        self._raw_connections: set[asyncio.StreamWriter] = set()
        self._websockets: set[web.WebSocketResponse] = set()
        self._rooms: dict[str, float] = {}  # name -> creation time, for the RoomService methods
        self.media = MediaSockets(host, self.config.advertise, self.config.tcp_candidates)

    # ---- lifecycle -------------------------------------------------------------------------

    @property
    def url(self) -> str:
        return f"{'https' if self.config.tls else 'http'}://{self.host}:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"{'wss' if self.config.tls else 'ws'}://{self.host}:{self.port}"

    async def __aenter__(self) -> StandInServer:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    async def start(self) -> None:
        ssl_context = self._server_ssl_context() if self.config.tls else None
        if self.config.fault in ("silent", "close"):
            self._raw_server = await asyncio.start_server(self._raw_connection, self.host, self.port, ssl=ssl_context)
            self.port = self._raw_server.sockets[0].getsockname()[1]
            return
        # Import the protobuf modules now, not at the first Twirp or join request: a lazy import in
        # the stand-in's thread racing the server-API probe's `import livekit.api` in another
        # thread leaves protobuf's descriptor pool half-built ("Couldn't build proto file").
        _proto()
        await self.media.start()
        app = web.Application(middlewares=[self._stand_in_middleware], client_max_size=10 * 1024 * 1024)
        app.on_response_prepare.append(self._stamp_headers)
        app.router.add_route("*", "/{tail:.*}", self._dispatch)
        # Go reads request heads up to http.DefaultMaxHeaderBytes (1 MB); aiohttp stops at 8190 bytes a line.
        self._runner = web.AppRunner(app, access_log=log, handle_signals=False,
                                     max_line_size=GO_MAX_HEADER_BYTES, max_field_size=GO_MAX_HEADER_BYTES)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port, ssl_context=ssl_context, reuse_address=True)
        await site.start()
        self.port = self._runner.addresses[0][1]

    async def stop(self) -> None:
        for ws in list(self._websockets):
            await ws.close()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        if self._raw_server is not None:
            self._raw_server.close()
            for writer in list(self._raw_connections):
                writer.close()
            await self._raw_server.wait_closed()
            self._raw_server = None
        await self.media.stop()

    def _server_ssl_context(self) -> ssl.SSLContext:
        import trustme  # test/demo extra: only TLS mode needs it

        self.ca = trustme.CA()
        expiry = {"not_after": datetime(2020, 1, 1, tzinfo=timezone.utc)} if self.config.tls_expired else {}
        cert = self.ca.issue_cert(*(self.config.tls_names or (self.host, "localhost")), **expiry)
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        cert.configure_cert(context)
        return context

    def client_ssl_context(self) -> ssl.SSLContext:
        """A client context that trusts this stand-in's throwaway CA (TLS mode only)."""
        if self.ca is None:
            raise RuntimeError("the stand-in is not serving TLS")
        context = ssl.create_default_context()
        self.ca.configure_trust(context)
        return context

    # ---- raw TCP faults ----------------------------------------------------------------------

    async def _raw_connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._raw_connections.add(writer)
        try:
            if self.config.fault == "close":
                # Read the request head, then hang up without a byte of answer.
                with contextlib.suppress(asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError):
                    await reader.readuntil(b"\r\n\r\n")
            else:
                # "silent": hold the connection, read and drop whatever comes, never answer.
                while await reader.read(65536):
                    pass
        except (ConnectionError, OSError, ssl.SSLError, asyncio.CancelledError):
            # Cancelled when the stand-in stops: this task is the connection's own, nothing awaits it.
            pass
        finally:
            self._raw_connections.discard(writer)
            writer.close()
            with contextlib.suppress(ConnectionError, OSError, ssl.SSLError, asyncio.CancelledError):
                await writer.wait_closed()

    # ---- HTTP: middleware, as negroni's chain in pkg/service/server.go ------------------------

    async def _stamp_headers(self, request: web.Request, response: web.StreamResponse) -> None:
        response.headers["Date"] = email.utils.formatdate(self.config.now(), usegmt=True)
        response.headers["Server"] = PROXY_SERVER_HEADER if self.config.fault == "proxy" else SERVER_HEADER
        response.headers[STAND_IN_HEADER] = "1"
        if self.config.fault == "proxy" or _is_preflight(request):
            return
        # rs/cors on every answer (a 401 and a WebSocket upgrade included): Vary always; with an
        # Origin, that origin echoed (the validate handlers then write `*` over it) and every header exposed.
        response.headers["Vary"] = "Origin"
        if "Origin" in request.headers and request.method in CORS_METHODS:
            response.headers.setdefault("Access-Control-Allow-Origin", request.headers["Origin"])
            response.headers["Access-Control-Expose-Headers"] = "*"

    @web.middleware
    async def _stand_in_middleware(self, request: web.Request, handler) -> web.StreamResponse:
        if self.config.delay > 0:
            await asyncio.sleep(self.config.delay)
        if self.config.fault == "proxy":
            return web.Response(text=_PROXY_PAGE, content_type="text/html", charset="utf-8")
        if _is_preflight(request):
            return _preflight(request)
        return await handler(request)

    async def _token(self, request: web.Request) -> tuple[str, str | None]:
        """(token, Authorization header or None) as APIKeyAuthMiddleware reads them."""
        authorization = request.headers.get("Authorization", "")
        if authorization:
            return authorization.removeprefix("Bearer "), authorization
        # r.FormValue: a urlencoded POST body first, then the query string.
        if request.method in ("POST", "PUT", "PATCH") and request.content_type == "application/x-www-form-urlencoded":
            form = parse_qs((await request.read()).decode("utf-8", "replace"))
            if form.get("access_token"):
                return form["access_token"][0], None
        return request.query.get("access_token", ""), None

    async def _dispatch(self, request: web.Request) -> web.StreamResponse:
        path = "/" + "/".join(part for part in request.path.split("/") if part)  # RemoveDoubleSlashes
        if request.path.endswith("/") and path != "/":
            path += "/"
        validate_paths = ("/rtc/validate", "/rtc/v1/validate")
        raw, authorization = await self._token(request)
        rejected, claims = server_rules.authenticate(raw, self.config.keys, self.config.now(), self.config.era, authorization)
        if rejected is not None:
            response = _verdict_response(rejected)
        elif path == "/":
            response = self._health()
        elif path == "/rtc":
            response = await self._rtc(request, claims, v1=False)
        elif path == "/rtc/validate":
            response = self._validate(request, claims, v1=False)
        elif path in ("/rtc/v1", "/rtc/v1/validate") and self.config.era not in ERAS_WITHOUT_V1:
            if path == "/rtc/v1":
                response = await self._rtc(request, claims, v1=True)
            else:
                response = self._validate(request, claims, v1=True)
        elif path.startswith(_TWIRP_ROOM_SERVICE):
            response = await self._twirp_room_service(request, path, claims)
        else:
            response = _text(404, NOT_FOUND)
            response.headers["X-Content-Type-Options"] = "nosniff"  # http.Error sets it
        if path in validate_paths:
            response.headers["Access-Control-Allow-Origin"] = "*"
        return response

    # ---- handlers ----------------------------------------------------------------------------

    def _health(self) -> web.Response:
        if self.config.fault == "not_ready":
            updated_at = _go_time(self.config.now() - NOT_READY_STALE_S)
            return _text(406, f"Not Ready\nNode Updated At {updated_at}")
        return _text(200, "OK")

    def _connect_verdict(self, request: web.Request, claims: dict | None, *, v1: bool, strict: bool) -> server_rules.Verdict:
        """validateInternal: the join request first, then the token's grants."""
        era = self.config.era
        query = request.query
        update_metadata = False
        if v1:
            encoded = query.get("join_request", "")
            if not encoded:
                return server_rules.Verdict(False, 400, JOIN_REQUEST_REQUIRED, "no_join_request", era)
            join, problem = _decode_join_request(encoded)
            if problem:
                return server_rules.Verdict(False, 400, problem, "bad_join_request", era)
            update_metadata = bool(join.metadata or join.participant_attributes)
        elif query.get("attributes"):
            attributes = _decode_attributes(query["attributes"])
            if attributes is None and strict:
                return server_rules.Verdict(False, 400, BAD_ATTRIBUTES, "bad_attributes", era)
            update_metadata = bool(attributes)
        if claims is None:
            return server_rules.Verdict(False, 401, server_rules.NO_PERMISSIONS, "no_video", era)
        return server_rules.join_verdict(
            claims, era, publish=bool(query.get("publish")), update_metadata=update_metadata, query_room=query.get("room", "")
        )

    def _validate(self, request: web.Request, claims: dict | None, *, v1: bool) -> web.Response:
        return _verdict_response(self._connect_verdict(request, claims, v1=v1, strict=True))

    async def _rtc(self, request: web.Request, claims: dict | None, *, v1: bool) -> web.StreamResponse:
        if not _is_websocket_upgrade(request):
            return web.Response(status=404)
        verdict = self._connect_verdict(request, claims, v1=v1, strict=False)
        if not verdict.accepted:
            return _verdict_response(verdict)
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        self._websockets.add(ws)
        try:
            if v1:
                # One peer connection, offered by the client inside its join request: answered by the media endpoint.
                join, _ = _decode_join_request(request.query["join_request"])
                await ws.send_bytes(self._join_response(claims, request, subscriber_primary=False))
                await media_peer.serve(ws, join, self.host)
            else:
                await ws.send_bytes(self._join_response(claims, request, subscriber_primary=True))
                # As livekit-server with a primary subscriber: the subscriber offer, then its candidates.
                for frame in self.media.offer_frames():
                    await ws.send_bytes(frame)
                async for _ in ws:  # no subscriber peer behind that offer: it listens until the client leaves
                    pass
        finally:
            self._websockets.discard(ws)
        return ws

    def _join_response(self, claims: dict, request: web.Request, subscriber_primary: bool) -> bytes:
        """A protobuf SignalResponse{join}, labelled as the stand-in's in every field it can."""
        models, _, rtc = _proto()
        version = ERA_VERSIONS[self.config.era]
        servers = []
        for text in self.config.ice_servers:
            url, username, credential = ice.parse_url(text)
            servers.append(rtc.ICEServer(urls=[url.text], username=username, credential=credential))
        join = rtc.JoinResponse(
            room=models.Room(name=server_rules.join_room(claims, self.config.era, request.query.get("room", "")), sid="RM_standin"),
            participant=models.ParticipantInfo(identity=claims.get("sub") or claims.get("jti", ""), sid="PA_standin"),
            server_version=version,
            server_region="lkdebug-stand-in",
            server_info=models.ServerInfo(edition=models.ServerInfo.Standard, version=version, protocol=PROTOCOL,
                                          region="lkdebug-stand-in", node_id="ND_lkdebug-stand-in"),
            ice_servers=servers,
            subscriber_primary=subscriber_primary,
            ping_interval=self.config.ping_interval,
            ping_timeout=self.config.ping_timeout,
        )
        return rtc.SignalResponse(join=join).SerializeToString()

    # ---- Twirp RoomService --------------------------------------------------------------------

    async def _twirp_room_service(self, request: web.Request, path: str, claims: dict | None) -> web.Response:
        if request.method != "POST":
            return _twirp_bad_route(f"unsupported method {json.dumps(request.method)} (only POST is allowed)", request, path)
        method = path.removeprefix(_TWIRP_ROOM_SERVICE)
        methods = {
            "ListRooms": ("ListRoomsRequest", self._list_rooms),
            "CreateRoom": ("CreateRoomRequest", self._create_room),
            "DeleteRoom": ("DeleteRoomRequest", self._delete_room),
            "ListParticipants": ("ListParticipantsRequest", self._list_participants),
        }
        if method not in methods:
            return _twirp_bad_route(f"no handler for path {json.dumps(path)}", request, path)
        content_type = request.headers.get("Content-Type", "")
        kind = content_type.split(";", 1)[0].strip().lower()
        if kind not in _TWIRP_CONTENT_TYPES:
            return _twirp_bad_route(f"unexpected Content-Type: {json.dumps(content_type)}", request, path)
        from google.protobuf import json_format
        from google.protobuf.message import DecodeError

        _, room, _ = _proto()
        request_name, handler = methods[method]
        message = getattr(room, request_name)()
        body = await request.read()
        try:
            if kind == "application/json":
                json_format.Parse(body, message, ignore_unknown_fields=True)
            else:
                message.ParseFromString(body)
        except (json_format.ParseError, DecodeError, UnicodeDecodeError):
            what = "json" if kind == "application/json" else "protobuf"
            return _twirp_error(400, "malformed", f"the {what} request could not be decoded")
        video = (claims or {}).get("video")
        result = handler(message, video if isinstance(video, dict) else {})
        if isinstance(result, web.Response):
            return result
        if kind == "application/json":
            # Twirp's server: proto field names, defaults emitted.
            text = json_format.MessageToJson(result, preserving_proto_field_name=True, always_print_fields_with_no_presence=True, indent=None)
            return _json_response(text)
        return web.Response(body=result.SerializeToString(), content_type="application/protobuf")

    def _room_message(self, name: str):
        models, _, _ = _proto()
        return models.Room(name=name, sid=f"RM_standin_{name}"[:64], creation_time=int(self._rooms[name]))

    def _list_rooms(self, request, video: dict):
        if not video.get("roomList"):
            return _twirp_denied()
        _, room, _ = _proto()
        names = [n for n in self._rooms if not request.names or n in request.names]
        return room.ListRoomsResponse(rooms=[self._room_message(n) for n in names])

    def _create_room(self, request, video: dict):
        if not video.get("roomCreate"):
            return _twirp_denied()
        self._rooms.setdefault(request.name, self.config.now())
        return self._room_message(request.name)

    def _delete_room(self, request, video: dict):
        if not video.get("roomCreate"):
            return _twirp_denied()
        _, room, _ = _proto()
        self._rooms.pop(request.room, None)
        return room.DeleteRoomResponse()

    def _list_participants(self, request, video: dict):
        # roomAdmin for this very room: an admin token for another room is denied too.
        if not video.get("roomAdmin") or video.get("room") != request.room:
            return _twirp_denied()
        if request.room not in self._rooms:
            return _twirp_error(404, "not_found", "requested room does not exist")
        _, room, _ = _proto()
        return room.ListParticipantsResponse()


def _decode_join_request(encoded: str):
    """(JoinRequest, None) or (None, the 400 body) as v1's ParseJoinRequest answers."""
    _, _, rtc = _proto()
    from google.protobuf.message import DecodeError

    try:
        # Go's base64.URLEncoding: URL alphabet only, padded, strict.
        if not _URL_BASE64.fullmatch(encoded):
            raise ValueError("not the URL alphabet")
        data = base64.b64decode(encoded.encode("ascii"), altchars=b"-_", validate=True)
    except (binascii.Error, ValueError):
        return None, "cannot base64 decode wrapped join request"
    wrapped = rtc.WrappedJoinRequest()
    try:
        wrapped.ParseFromString(data)
    except DecodeError:
        return None, "cannot unmarshal wrapped join request"
    inner = wrapped.join_request
    if wrapped.compression == rtc.WrappedJoinRequest.GZIP:
        try:
            inner = gzip.decompress(inner)
        except (OSError, EOFError):
            return None, "cannot read decompressed join request"
    join = rtc.JoinRequest()
    try:
        join.ParseFromString(inner)
    except DecodeError:
        return None, "cannot unmarshal join request"
    return join, None


def _decode_attributes(encoded: str) -> dict | None:
    """v0's `attributes` parameter: base64url of a JSON string map; None when undecodable."""
    try:
        padded = encoded.rstrip("=") + "=" * (-len(encoded.rstrip("=")) % 4)
        value = json.loads(base64.b64decode(padded.encode("ascii"), altchars=b"-_", validate=True))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        return None
    return value if isinstance(value, dict) else None


class ThreadedStandIn:
    """A StandInServer on its own event loop thread, for sync code (the TUI's demo, ntplib tests)."""

    def __init__(self, config: StandInConfig | None = None, host: str = "127.0.0.1", port: int = 0):
        self.server = StandInServer(config, host, port)
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="lkdebug-stand-in", daemon=True)

    def start(self) -> ThreadedStandIn:
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self.server.start(), self._loop).result()
        return self

    def stop(self) -> None:
        if not self._thread.is_alive():
            return
        asyncio.run_coroutine_threadsafe(self.server.stop(), self._loop).result()
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join()
        self._loop.close()

    def __enter__(self) -> ThreadedStandIn:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        return self.server.url

    @property
    def ws_url(self) -> str:
        return self.server.ws_url

    @property
    def port(self) -> int:
        return self.server.port


def run_in_thread(config: StandInConfig | None = None, host: str = "127.0.0.1", port: int = 0) -> ThreadedStandIn:
    """Start the stand-in on a background thread; call `.stop()` (or use `with`) when done."""
    return ThreadedStandIn(config, host, port).start()


def _parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m lkdebug.demo.server",
        description="A loopback stand-in for livekit-server (not a LiveKit server: no rooms, nothing forwarded; "
                    "/rtc/v1 answers a client's peer connection with aiortc when it is installed).",
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--era", choices=list(server_rules.ERAS), default=server_rules.CURRENT_ERA,
                        help="which server version to answer as: "
                             + "; ".join(f"{era} = {label}" for era, label in server_rules.ERAS.items()))
    parser.add_argument("--offset", type=float, default=0.0, help="seconds added to the stand-in's clock")
    parser.add_argument("--delay", type=float, default=0.0, help="seconds every answer waits first")
    parser.add_argument("--fault", choices=FAULTS, default=None)
    parser.add_argument("--tls", action="store_true", help="TLS with a throwaway self-signed certificate")
    parser.add_argument("--keys", type=_keys, default=None, metavar="KEY:SECRET[,KEY:SECRET]",
                        help="the API keys it accepts (default: the demo key)")
    parser.add_argument("--ice-server", action="append", default=[], metavar="URL",
                        help="an ICE server for its join response, e.g. turn:user:pass@127.0.0.1:3478?transport=udp (repeatable)")
    parser.add_argument("--advertise", action="append", default=[], metavar="ADDRESS",
                        help="an address its candidates advertise instead of --host (repeatable)")
    parser.add_argument("--no-tcp", action="store_true", help="no ICE/TCP candidate (as rtc.tcp_port: 0)")
    return parser.parse_args(argv)


def _keys(text: str) -> dict[str, str]:
    pairs = {}
    for item in text.split(","):
        key, sep, secret = item.partition(":")
        if not sep or not key.strip() or not secret:
            raise argparse.ArgumentTypeError(f"{item!r} is not KEY:SECRET")
        pairs[key.strip()] = secret
    return pairs


async def _serve_forever(config: StandInConfig, host: str, port: int) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    async with StandInServer(config, host, port) as server:
        print(server.url, flush=True)
        print(
            f"lkdebug stand-in for livekit-server ({server_rules.ERAS[config.era]} wording"
            f", clock offset {config.clock_offset:+g} s, delay {config.delay:g} s, fault {config.fault or 'none'})"
            f"; keys: {', '.join(config.keys)}; ICE servers: {len(config.ice_servers)}"
            f"; candidates at {', '.join(server.media.advertise)}. Not a real LiveKit server. Ctrl-C stops it.",
            file=sys.stderr, flush=True,
        )
        await stop.wait()


def main(argv: list[str] | None = None) -> int:
    args = _parse_args(argv)
    logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="lkdebug stand-in: %(message)s")
    try:
        config = StandInConfig(era=args.era, clock_offset=args.offset, delay=args.delay, fault=args.fault, tls=args.tls,
                               ice_servers=tuple(args.ice_server), advertise=tuple(args.advertise), tcp_candidates=not args.no_tcp,
                               **({"keys": args.keys} if args.keys else {}))
    except ValueError as error:
        print(f"lkdebug stand-in: {error}", file=sys.stderr)
        return 2
    try:
        asyncio.run(_serve_forever(config, args.host, args.port))
    except OSError as error:
        print(f"lkdebug stand-in: cannot listen on {args.host}:{args.port}: {error.strerror or error}", file=sys.stderr)
        return 2
    except ModuleNotFoundError as error:
        print(f"lkdebug stand-in: --tls needs {error.name} (pip install 'lkdebug[test]')", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
