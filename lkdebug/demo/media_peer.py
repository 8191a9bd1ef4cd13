"""The stand-in's media endpoint for a single-peer-connection client (`/rtc/v1`), built on aiortc.

LiveKit's current SDKs join over `/rtc/v1` with one peer connection that the client offers: the offer
rides in the join request (`JoinRequest.publisher_offer`), the server answers it, both sides trickle
candidates, and a track is announced with `AddTrackRequest` before the client renegotiates. This
endpoint answers those with a real aiortc RTCPeerConnection, so ICE, DTLS and the published track are
real on loopback; it acknowledges tracks with `TrackPublishedResponse` and answers pings. It is no SFU:
nothing is forwarded. aiortc comes with the test extras; without it the stand-in sends no answer and
a client fails at ICE, which is what a server with no reachable media port looks like.
"""

from __future__ import annotations

import contextlib
import json
import time


def aiortc_available() -> bool:
    import importlib.util

    return importlib.util.find_spec("aiortc") is not None


def _only_on(address: str) -> None:
    """aioice gathers host candidates on every interface but loopback and has no option to choose:
    the stand-in's peer listens on its own host address only, as everything it serves."""
    import aioice.ice

    aioice.ice.get_host_addresses = lambda use_ipv4, use_ipv6: [address]


class MediaPeer:
    """One client's peer connection on the stand-in, driven by the signal messages."""

    def __init__(self, host: str):
        self.host = host
        self.pc = None
        self._track_number = 0

    async def answer(self, offer) -> object | None:
        """A `SignalResponse{answer}` for the client's offer (a SessionDescription), or None without aiortc."""
        if not aiortc_available():
            return None
        from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription
        from livekit.protocol import rtc

        if self.pc is None:
            _only_on(self.host)
            # As an SFU: host candidates only; STUN and TURN are for the clients.
            self.pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        await self.pc.setRemoteDescription(RTCSessionDescription(sdp=offer.sdp, type="offer"))
        await self.pc.setLocalDescription(await self.pc.createAnswer())
        return rtc.SignalResponse(answer=rtc.SessionDescription(type="answer", sdp=self.pc.localDescription.sdp, id=offer.id))

    async def trickle(self, trickle) -> None:
        if self.pc is None or not trickle.candidateInit:
            return
        from aiortc.sdp import candidate_from_sdp

        try:
            init = json.loads(trickle.candidateInit)
            candidate = candidate_from_sdp(init["candidate"].removeprefix("candidate:"))
        except (ValueError, KeyError, IndexError, AttributeError):
            return  # an unreadable candidate is the client's problem; a real server logs and drops it too
        if candidate.ip != self.host:
            return  # only the stand-in's own address is a target; the client's checks still arrive from the others
        candidate.sdpMid = init.get("sdpMid")
        candidate.sdpMLineIndex = init.get("sdpMLineIndex")
        await self.pc.addIceCandidate(candidate)

    def published(self, add_track) -> object:
        """TrackPublishedResponse for an AddTrackRequest, with a track sid as the server assigns one."""
        from livekit.protocol import models, rtc

        self._track_number += 1
        info = models.TrackInfo(sid=f"TR_standin{self._track_number}", type=add_track.type, name=add_track.name,
                                source=add_track.source, muted=add_track.muted, stereo=add_track.stereo)
        return rtc.SignalResponse(track_published=rtc.TrackPublishedResponse(cid=add_track.cid, track=info))

    async def close(self) -> None:
        if self.pc is not None:
            with contextlib.suppress(Exception):
                await self.pc.close()
            self.pc = None


async def serve(ws, join_request, host: str) -> None:
    """Answer the client's signal messages until it leaves (`ws` is aiohttp's WebSocketResponse)."""
    from aiohttp import WSMsgType
    from google.protobuf.message import DecodeError
    from livekit.protocol import rtc

    peer = MediaPeer(host)
    try:
        if join_request is not None and join_request.HasField("publisher_offer"):
            answer = await peer.answer(join_request.publisher_offer)
            if answer is not None:
                await ws.send_bytes(answer.SerializeToString())
        async for message in ws:
            if message.type != WSMsgType.BINARY:
                continue
            try:
                request = rtc.SignalRequest.FromString(message.data)
            except DecodeError:
                continue
            kind = request.WhichOneof("message")
            reply = None
            if kind == "offer":
                reply = await peer.answer(request.offer)
            elif kind == "trickle":
                await peer.trickle(request.trickle)
            elif kind == "add_track":
                reply = peer.published(request.add_track)
            elif kind == "ping_req":
                reply = rtc.SignalResponse(pong_resp=rtc.Pong(last_ping_timestamp=request.ping_req.timestamp,
                                                              timestamp=int(time.time() * 1000)))
            elif kind == "ping":
                reply = rtc.SignalResponse(pong=int(time.time() * 1000))
            elif kind == "leave":
                break
            if reply is not None:
                await ws.send_bytes(reply.SerializeToString())
    except ConnectionError:
        pass  # the client left (or its SDK died) while the stand-in was answering
    finally:
        await peer.close()
