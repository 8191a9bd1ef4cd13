"""A real media join with LiveKit's Python real-time SDK, in a child process (`check --media`).

The SDK (`livekit`, the optional extra `lkdebug[media]`) bundles LiveKit's Rust core and libwebrtc:
the same signal, ICE, DTLS and publish steps a LiveKit client takes. Its Rust core can panic and
abort the whole process (`period must be non-zero` on a join response with a zero ping interval),
so it never runs inside lkdebug: `python -m lkdebug.core.media_join` joins, publishes a short silent
audio track, reads the selected ICE candidate pair from the session's stats, and prints one JSON
line per step on stdout. The parent reads those lines within the timeout, kills the child's whole
process group when the time is up or the run is cancelled, and turns a crash into
`media.client_crashed` with the SDK's last words from stderr. The token goes over stdin, never argv.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import secrets
import signal
import sys
import time
from collections.abc import Sequence

from lkdebug.core.ice import IceServer
from lkdebug.core.model import CheckResult, CheckStatus, Finding, Severity
from lkdebug.core.target import monotonic_ms
from lkdebug.core.records import dataclass, field
from lkdebug.core.replies import one_line
from lkdebug.core.redact import error_words

# Where a join can fail, in order; the SDK's connect() covers the first three at once (it returns when the
# primary peer connection is up), so success is reported as "connected" and "published".
STEPS = ("signal", "ice", "dtls", "publish")
LAST_WORDS_LINES = 6
STDERR_LIMIT = 64 * 1024
# LiveKit's Rust SDK gives each connect attempt 15 s for the peer connection, then logs
# `failed to connect: Connection("wait_pc_connection timed out"), retrying... (1/3)` and tries twice more.
SDK_ATTEMPT_S = 15
LEAVE_S = 2.0  # room.disconnect(): the server sees the participant leave instead of timing it out
SILENCE_FRAMES = 10  # 10 ms each at 48 kHz mono: a tenth of a second of silence goes out over the track


# ---- the parent: run the child, read its steps --------------------------------------------------


@dataclass
class MediaJoin:
    """What the child reported: each step's time since start, the chosen pair, the failure."""

    steps: dict[str, float] = field(default_factory=dict)  # "connected" | "published" -> ms since the child started
    pair: dict | None = None
    failed_step: str | None = None
    error: str = ""
    crashed: str = ""  # how the child ended when it ended without saying why
    last_words: str = ""
    done: bool = False  # the child said all it had to say before leaving the room


@dataclass(frozen=True)
class MediaSteps:
    """The media join probe's record: each step's time (ms since the child started) and, once connected, the pair."""

    steps: dict[str, float]
    pair: dict | None = None  # the SDK's selected candidate pair, as the child reported it

    def to_dict(self) -> dict:
        """For `check --json`."""
        return {"steps_ms": self.steps, "pair": self.pair}


def connect_bound(timeout: float) -> float:
    """How long the child lets the SDK connect: at least one whole attempt, so a failure comes in its own words."""
    return max(timeout, SDK_ATTEMPT_S + 1)


def child_bound(timeout: float) -> float:
    """The whole child's time: the connect, then `timeout` for publishing and the stats, then leaving."""
    return connect_bound(timeout) + timeout + LEAVE_S


def media_claims(api_key: str, now: float) -> dict:
    """A token for the media join: a random room, a microphone track to publish, nothing to subscribe to."""
    from lkdebug.core.mint import build_claims

    suffix = secrets.token_hex(4)
    return build_claims(api_key=api_key, identity=f"lkdebug-media-{suffix}", valid_for=600, now=now, video={
        "roomJoin": True, "room": f"lkdebug-media-{suffix}", "canPublish": True, "canPublishSources": ["microphone"],
        "canSubscribe": False, "canPublishData": False})


def sdk_available() -> bool:
    import importlib.util

    return importlib.util.find_spec("livekit.rtc") is not None


def _step_of(error: str) -> str:
    """The step a ConnectError's text names: the SDK says `signal`, `pc connection`/ICE or DTLS in its own words."""
    lowered = error.lower().replace("_", " ")
    if "dtls" in lowered:
        return "dtls"
    if "ice" in lowered or "pc connection" in lowered or "peer connection" in lowered or "pc not connected" in lowered:
        return "ice"
    return "signal"


async def _read_child(process: asyncio.subprocess.Process, report: MediaJoin) -> None:
    assert process.stdout is not None
    async for line in process.stdout:
        try:
            event = json.loads(line)
        except ValueError:
            continue
        if not isinstance(event, dict):
            continue
        kind = event.get("event")
        if kind in ("connected", "published"):
            report.steps[kind] = float(event.get("ms", 0.0))
        elif kind == "pair" and isinstance(event.get("pair"), dict):
            report.pair = event["pair"]
        elif kind == "done":
            report.done = True
        elif kind == "error":
            report.failed_step = event.get("step") if event.get("step") in STEPS else _step_of(str(event.get("error", "")))
            report.error = str(event.get("error", ""))


async def run_child(url: str, token: str, timeout: float, relay_only: bool, ice_servers: Sequence[IceServer]) -> MediaJoin:
    """The child's report; it is killed (its whole process group) past `child_bound(timeout)` or on cancellation."""
    request = {"url": url, "token": token, "timeout": timeout, "relay_only": relay_only,
               "ice_servers": [{"urls": [u.text for u in s.urls], "username": s.username, "password": s.credential}
                               for s in ice_servers]}
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "lkdebug.core.media_join", stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE, start_new_session=True, env={**os.environ, "RUST_BACKTRACE": "0"})
    report = MediaJoin()
    stderr = bytearray()

    async def drain_stderr() -> None:
        assert process.stderr is not None
        while chunk := await process.stderr.read(4096):
            stderr.extend(chunk)
            del stderr[:-STDERR_LIMIT]

    try:
        assert process.stdin is not None
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):  # a child that died at once says why on stderr
            process.stdin.write(json.dumps(request).encode() + b"\n")
            await process.stdin.drain()
            process.stdin.close()
        # The child bounds its own steps; this bound, one second more for its start (Python, the SDK's
        # import), catches a child that hangs anyway.
        limit = child_bound(timeout) + 1
        try:
            await asyncio.wait_for(asyncio.gather(_read_child(process, report), drain_stderr()), limit)
            code = await process.wait()
        except (asyncio.TimeoutError, TimeoutError):
            report.failed_step = report.failed_step or _next_step(report)
            report.error = report.error or f"the SDK gave no answer within {limit:g} s"
            return report
        if code != 0 and report.failed_step is None and not report.done:
            report.crashed = f"killed by signal {signal.Signals(-code).name}" if code < 0 else f"exit status {code}"
            report.failed_step = _next_step(report)
        report.last_words = "\n".join(stderr.decode("utf-8", "replace").strip().splitlines()[-LAST_WORDS_LINES:])
        return report
    finally:
        if process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            await process.wait()


def _next_step(report: MediaJoin) -> str:
    return "publish" if "connected" in report.steps else "signal"


def _pair_text(pair: dict) -> str:
    def side(which: str) -> str:
        c = pair.get(which) or {}
        relay = f" via TURN/{c['relay_protocol']}" if c.get("type") == "relay" and c.get("relay_protocol") else ""
        return f"{c.get('type', '?')} {c.get('protocol', '?').upper()} {c.get('address', '?')}:{c.get('port', '?')}{relay}"

    return f"{side('local')} -> {side('remote')}"


async def probe_media_join(signal_url: str, token: str, timeout: float, relay_only: bool = False,
                           ice_servers: Sequence[IceServer] = (), secrets: Sequence[str] = ()) -> CheckResult:
    """Join, wait for the peer connection, publish silence: time to connect, the pair, or the failing step."""
    started = time.monotonic()
    if not sdk_available():
        return CheckResult("media_join", CheckStatus.SKIP, None,
                           "needs LiveKit's Python SDK: pip install 'lkdebug[media]'")
    report = await run_child(signal_url, token, timeout, relay_only, ice_servers)
    hidden = [token, *secrets, *(s.credential for s in ice_servers if s.credential)]
    mode = " (relay only)" if relay_only else ""
    if report.crashed:
        words = error_words(report.last_words, hidden, keep_newlines=True) or "(nothing on stderr)"
        finding = Finding("media.client_crashed", Severity.ERROR, "media", "LiveKit's SDK crashed during the media join",
                          f"The SDK's process ended ({report.crashed}) at the {report.failed_step} step; its last words:\n{words}",
                          "lkdebug ran it in a child process, so only the join died. A panic of LiveKit's Rust core on "
                          "what the server sent is an SDK bug worth reporting with these lines (python-sdks), and "
                          "usually points at a server or proxy that answers unlike livekit-server.")
        return CheckResult("media_join", CheckStatus.FAIL, monotonic_ms(started),
                           f"SDK crashed ({report.crashed}): {one_line(words)}", [finding])
    if report.failed_step is None and "connected" not in report.steps:
        report.failed_step, report.error = "signal", report.error or "the SDK's process ended without a word"
    if report.failed_step is not None:
        # The SDK's words quote the server's body and may quote the signal URL (its query holds the token).
        words = error_words(report.error, hidden)
        finding = _failure(report.failed_step, words, relay_only)
        return CheckResult("media_join", CheckStatus.FAIL, monotonic_ms(started),
                           f"failed at {report.failed_step}{mode}: {one_line(words)}", [finding], MediaSteps(report.steps))
    parts = [f"connected{mode} in {report.steps['connected']:.0f} ms"]
    if "published" in report.steps:
        parts.append(f"published silent audio at {report.steps['published']:.0f} ms")
    if report.pair:
        parts.append(f"pair {_pair_text(report.pair)}")
    finding = Finding("media.join_ok", Severity.OK, "media", f"A real LiveKit client connects media{mode}", "; ".join(parts) + ".")
    return CheckResult("media_join", CheckStatus.PASS, monotonic_ms(started), "; ".join(parts), [finding],
                       MediaSteps(report.steps, report.pair))


def _failure(step: str, words: str, relay_only: bool) -> Finding:
    said = f"LiveKit's SDK said: {words}" if words else "The SDK gave no reason."
    if step == "signal":
        return Finding("media.signal_failed", Severity.ERROR, "media", "The SDK could not open the signal connection",
                       said, "See the websocket and validate checks above: the same URL and token fail there.")
    if step == "ice":
        how = "through the TURN relays only (--relay-only)" if relay_only else "to any candidate the server advertised"
        fix = ("Check the TURN probe above: the relay must be allocatable with the join response's credentials, and the "
               "TURN server must be allowed to reach the server's media ports." if relay_only else
               "Open the server's UDP media ports (`rtc.port_range_start`-`rtc.port_range_end`, or `rtc.udp_port`) and "
               "`rtc.tcp_port` in the firewall or security group, and make it advertise a reachable address "
               "(`rtc.use_external_ip` / `rtc.node_ip`); offer TURN for networks that block UDP.")
        return Finding("media.ice_failed", Severity.ERROR, "media", f"ICE failed: no media path {how}", said, fix)
    if step == "dtls":
        return Finding("media.dtls_failed", Severity.ERROR, "media", "ICE connected but the DTLS handshake failed", said,
                       "Something between client and server alters or blocks the media packets after ICE (a UDP proxy or DPI).")
    return Finding("media.publish_failed", Severity.ERROR, "media", "Connected, but publishing a track failed", said,
                   "The token needs video.canPublish (and canPublishSources allowing microphone); see the server's log.")


# ---- the child: the SDK itself ----------------------------------------------------------------


def _emit(**event) -> None:
    sys.stdout.write(json.dumps(event) + "\n")
    sys.stdout.flush()


def _selected_pair(stats) -> dict | None:
    """The transport's selected candidate pair, its two candidates named by type, protocol and address."""
    by_id, pair_id = {}, None
    for entry in stats:
        kind = entry.WhichOneof("stats")
        if kind in ("candidate_pair", "local_candidate", "remote_candidate"):
            by_id[getattr(entry, kind).rtc.id] = (kind, getattr(entry, kind))
        elif kind == "transport" and entry.transport.transport.selected_candidate_pair_id:
            pair_id = entry.transport.transport.selected_candidate_pair_id
    if pair_id is None:
        nominated = [v for v in by_id.values() if v[0] == "candidate_pair" and v[1].candidate_pair.nominated]
        if not nominated:
            return None
        pair_id = nominated[0][1].rtc.id
    _, pair = by_id.get(pair_id, (None, None))
    if pair is None:
        return None
    from livekit.rtc._proto import stats_pb2

    def candidate(candidate_id: str) -> dict:
        _, found = by_id.get(candidate_id, (None, None))
        if found is None:
            return {}
        c = found.candidate
        return {"type": stats_pb2.IceCandidateType.Name(c.candidate_type).lower(), "protocol": c.protocol, "address": c.address,
                "port": c.port, "relay_protocol": stats_pb2.IceServerTransportProtocol.Name(c.relay_protocol).removeprefix("TRANSPORT_")
                if c.HasField("relay_protocol") else None}

    return {"local": candidate(pair.candidate_pair.local_candidate_id), "remote": candidate(pair.candidate_pair.remote_candidate_id)}


class _FirstFailure(logging.Handler):
    """The SDK's first `failed to connect: …` log line (it retries after it), in its own words."""

    def __init__(self, loop: asyncio.AbstractEventLoop):
        super().__init__(logging.WARNING)
        self.loop = loop
        self.said: asyncio.Future[str] = loop.create_future()

    def emit(self, record: logging.LogRecord) -> None:
        text = record.getMessage()
        if "failed to connect" in text:
            words = text.split(" - ", 1)[-1]  # after the Rust module path the SDK puts first
            self.loop.call_soon_threadsafe(lambda: self.said.done() or self.said.set_result(words))


async def _child(request: dict) -> None:
    from livekit import rtc
    from livekit.rtc._proto import room_pb2

    timeout = float(request["timeout"])
    started = time.monotonic()
    ms = lambda: (time.monotonic() - started) * 1000  # noqa: E731
    # What is left of the parent's bound, less a moment to leave the room and say so.
    left = lambda: max(0.1, started + child_bound(timeout) - LEAVE_S - time.monotonic())  # noqa: E731
    config = rtc.RtcConfiguration(
        ice_transport_type=rtc.IceTransportType.TRANSPORT_RELAY if request["relay_only"] else rtc.IceTransportType.TRANSPORT_ALL,
        ice_servers=[room_pb2.IceServer(urls=s["urls"], username=s["username"], password=s["password"]) for s in request["ice_servers"]],
    )
    room = rtc.Room()
    first_failure = _FirstFailure(asyncio.get_running_loop())
    logging.getLogger("livekit").addHandler(first_failure)
    connecting = asyncio.ensure_future(room.connect(request["url"], request["token"], rtc.RoomOptions(
        auto_subscribe=False, rtc_config=config, connect_timeout=timeout)))
    # The SDK retries a failed attempt silently: its first failure, logged, is the answer.
    done, _ = await asyncio.wait({connecting, first_failure.said}, timeout=connect_bound(timeout),
                                 return_when=asyncio.FIRST_COMPLETED)
    if connecting not in done:
        connecting.cancel()
        with contextlib.suppress(BaseException):
            await connecting
        if first_failure.said in done:
            _emit(event="error", error=first_failure.said.result())
        else:
            _emit(event="error", step="ice", error=f"room.connect did not finish within {connect_bound(timeout):g} s")
        return
    try:
        connecting.result()
    except rtc.ConnectError as error:
        _emit(event="error", error=error.message)
        return
    # connect() returns once the signal is up and the primary peer connection is connected (ICE and DTLS).
    _emit(event="connected", ms=ms())
    try:
        source = rtc.AudioSource(48000, 1)
        track = rtc.LocalAudioTrack.create_audio_track("lkdebug-silence", source)
        options = rtc.TrackPublishOptions(source=rtc.TrackSource.SOURCE_MICROPHONE)
        await asyncio.wait_for(room.local_participant.publish_track(track, options), left())
        for _ in range(SILENCE_FRAMES):
            await source.capture_frame(rtc.AudioFrame.create(48000, 1, 480))
        _emit(event="published", ms=ms())
    except (asyncio.TimeoutError, TimeoutError):
        _emit(event="error", step="publish", error=f"publish_track did not finish within {child_bound(timeout) - LEAVE_S:g} s of the start")
    except Exception as error:  # the SDK raises its own types for a refused publication
        _emit(event="error", step="publish", error=f"{type(error).__name__}: {error}")
    try:
        stats = await asyncio.wait_for(room.get_rtc_stats(), left())
        pair = _selected_pair(list(stats.publisher_stats) + list(stats.subscriber_stats))
        if pair:
            _emit(event="pair", pair=pair)
    except (asyncio.TimeoutError, TimeoutError, RuntimeError):
        pass  # the pair is a detail; the steps above already tell the story
    _emit(event="done")
    with contextlib.suppress(Exception):
        await asyncio.wait_for(room.disconnect(), LEAVE_S)


def main() -> None:
    request = json.loads(sys.stdin.readline())
    asyncio.run(_child(request))
    sys.stdout.flush()
    # Straight out: tearing down the interpreter under the SDK's Rust threads can abort the process
    # ("panic in a function that cannot unwind") after everything worth saying was said.
    os._exit(0)


if __name__ == "__main__":
    main()
