"""The stand-in livekit-server answers as reference/livekit-server-behaviour.md §2.1-2.7 says.

Real clients only (aiohttp, websockets, livekit-api's Twirp client), loopback, port 0. Expected
texts are written out from the reference, not taken from server_rules, so a wording slip in
either shows up here. The stand-in's clock is frozen so token times are exact.
"""

from __future__ import annotations

import asyncio
import base64
import email.utils
import json
import os
import re
import signal
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.request

import aiohttp
import jwt
import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from lkdebug.core import server_rules
from lkdebug.demo import DEMO_API_KEY, DEMO_API_SECRET
from lkdebug.demo.server import (
    STAND_IN_HEADER,
    StandInConfig,
    StandInServer,
    free_port,
    refused_port,
    run_in_thread,
)
from tests.conftest import FROZEN_NOW

pytestmark = pytest.mark.timeout(30)

LIST_ROOMS = "/twirp/livekit.RoomService/ListRooms"


def token(now: float = FROZEN_NOW, *, secret: str = DEMO_API_SECRET, iss: str = DEMO_API_KEY,
          video: dict | None = None, alg: str = "HS256", **claims) -> str:
    payload = {"iss": iss, "sub": "alice", "nbf": int(now), "exp": int(now) + 600,
               "video": {"roomJoin": True, "room": "demo-room"} if video is None else video}
    payload.update(claims)
    return jwt.encode({k: v for k, v in payload.items() if v is not None}, secret, algorithm=alg)


def frozen(**overrides) -> StandInConfig:
    return StandInConfig(clock=lambda: FROZEN_NOW, **overrides)


async def fetch(url: str, method: str = "GET", **kwargs) -> tuple[int, str, dict]:
    async with aiohttp.ClientSession() as session:
        async with session.request(method, url, **kwargs) as response:
            return response.status, await response.text(), dict(response.headers)


@pytest.fixture
async def server():
    async with StandInServer(frozen()) as running:
        yield running


# ---- GET / and the headers every answer carries --------------------------------------------


async def test_root_answers_ok_as_plain_text_labelled_stand_in(server):
    status, body, headers = await fetch(server.url + "/")
    assert (status, body) == (200, "OK")
    assert headers["Content-Type"] == "text/plain; charset=utf-8"
    assert headers[STAND_IN_HEADER] == "1"
    assert "stand-in" in headers["Server"]


async def test_date_header_and_token_checks_use_the_shifted_clock():
    async with StandInServer(frozen(clock_offset=-3600)) as skewed:
        _, _, headers = await fetch(skewed.url + "/")
        assert email.utils.parsedate_to_datetime(headers["Date"]).timestamp() == FROZEN_NOW - 3600
        # Valid at the real time, but an hour early for the stand-in (more than 60 s of leeway).
        status, body, _ = await fetch(skewed.url + "/rtc/validate", params={"access_token": token()})
        assert status == 401 and body.endswith("error: token has invalid claims: token is not valid yet")


async def test_nbf_leeway_is_sixty_seconds_on_the_stand_in_clock(server):
    early_ok = token(nbf=int(FROZEN_NOW) + 60)
    too_early = token(nbf=int(FROZEN_NOW) + 61)
    assert (await fetch(server.url + "/rtc/validate", params={"access_token": early_ok}))[:2] == (200, "success")
    assert (await fetch(server.url + "/rtc/validate", params={"access_token": too_early}))[0] == 401


async def test_the_auth_middleware_runs_on_every_path(server):
    for path in ("/", "/rtc", "/rtc/validate", "/no/such/path", LIST_ROOMS):
        status, body, headers = await fetch(server.url + path, headers={"Authorization": "bearer x"})
        assert (status, body) == (401, "invalid authorization header. Must start with Bearer "), path
        assert headers["Content-Type"] == "text/plain; charset=utf-8"
        status, body, _ = await fetch(server.url + path, params={"access_token": "not-a-jwt"})
        assert (status, body) == (401, "invalid authorization token"), path


async def test_the_authorization_header_wins_over_the_query(server):
    good = token()
    status, _, _ = await fetch(server.url + "/rtc/validate", params={"access_token": "garbage"},
                               headers={"Authorization": f"Bearer {good}"})
    assert status == 200
    status, body, _ = await fetch(server.url + "/rtc/validate", params={"access_token": good},
                                  headers={"Authorization": "Bearer garbage"})
    assert (status, body) == (401, "invalid authorization token")


async def test_token_in_a_urlencoded_post_body_counts(server):
    status, body, _ = await fetch(server.url + "/rtc/validate", "POST", data={"access_token": token()})
    assert (status, body) == (200, "success")


async def test_unknown_paths_get_gos_not_found(server):
    status, body, headers = await fetch(server.url + "/rtc/")
    assert (status, body) == (404, "404 page not found\n")
    assert headers["X-Content-Type-Options"] == "nosniff"


async def test_double_slashes_are_removed_before_routing(server):
    status, body, _ = await fetch(server.url + "//rtc//validate", params={"access_token": token()})
    assert (status, body) == (200, "success")


async def test_cors_preflight_is_answered_before_auth(server):
    status, body, headers = await fetch(
        server.url + "/rtc/validate", "OPTIONS",
        headers={"Origin": "https://app.example", "Access-Control-Request-Method": "GET",
                 "Authorization": "Basic nope"},
    )
    assert (status, body) == (204, "")
    # rs/cors with AllowOriginFunc: the origin is echoed; livekit-server sets no max age.
    assert headers["Access-Control-Allow-Origin"] == "https://app.example"
    assert "Access-Control-Max-Age" not in headers


# ---- /rtc/validate ---------------------------------------------------------------------------


EXPECTED_BODIES = {
    # era: (wrong secret, expired) verifier texts, from the reference's §2.3 tables.
    server_rules.HEAD: ("invalid authorization token: token signature is invalid: signature is invalid",
                        "invalid authorization token: token has invalid claims: token is expired"),
    server_rules.V1_13: ("invalid token: {jwt}, error: token signature is invalid: signature is invalid",
                         "invalid token: {jwt}, error: token has invalid claims: token is expired"),
    server_rules.V1_9: ("invalid token: {jwt}, error: go-jose/go-jose: error in cryptographic primitive",
                        "invalid token: {jwt}, error: go-jose/go-jose/jwt: validation failed, token is expired (exp)"),
    server_rules.V1_6: ("invalid token: {jwt}, error: go-jose/go-jose: error in cryptographic primitive",
                        "invalid token: {jwt}, error: go-jose/go-jose/jwt: validation failed, token is expired (exp)"),
    server_rules.V1_4: ("invalid token: {jwt}, error: go-jose/go-jose: error in cryptographic primitive",
                        "invalid token: {jwt}, error: go-jose/go-jose/jwt: validation failed, token is expired (exp)"),
    server_rules.V1_0: ("invalid token: {jwt}, error: square/go-jose: error in cryptographic primitive",
                        "invalid token: {jwt}, error: square/go-jose/jwt: validation failed, token is expired (exp)"),
}


@pytest.mark.parametrize("era", list(server_rules.ERAS))
async def test_validate_wording_per_era(era):
    wrong_secret = token(secret="not-the-secret-0123456789-0123456789")
    expired = token(nbf=int(FROZEN_NOW) - 7200, exp=int(FROZEN_NOW) - 61)
    unknown = token(iss="APIunknown")
    async with StandInServer(frozen(era=era)) as server:
        async def validate(raw):
            status, body, headers = await fetch(server.url + "/rtc/validate", params={"access_token": raw})
            assert headers["Access-Control-Allow-Origin"] == "*"
            return status, body

        assert await validate(token()) == (200, "success")
        assert await validate(wrong_secret) == (401, EXPECTED_BODIES[era][0].format(jwt=wrong_secret))
        assert await validate(expired) == (401, EXPECTED_BODIES[era][1].format(jwt=expired))
        expected_key = "invalid API key" if era == server_rules.HEAD else "invalid API key: APIunknown"
        assert await validate(unknown) == (401, expected_key)


@pytest.mark.parametrize(
    ("video", "sub", "expected"),
    [
        (None, "alice", (200, "success")),
        ({}, "alice", (401, "permissions denied")),
        ({"roomList": True}, "alice", (401, "permissions denied")),
        ({"roomJoin": True}, "alice", (400, "no room name")),
        ({"roomJoin": True, "room": "r"}, None, (400, "identity cannot be empty")),
    ],
)
async def test_validate_join_checks(server, video, sub, expected):
    raw = token(video=video, sub=sub)
    assert (await fetch(server.url + "/rtc/validate", params={"access_token": raw}))[:2] == expected


async def test_validate_without_a_token_or_video_grant_is_no_permissions(server):
    assert (await fetch(server.url + "/rtc/validate"))[:2] == (401, "no permissions to access the room")
    no_video = jwt.encode({"iss": DEMO_API_KEY, "sub": "a", "exp": int(FROZEN_NOW) + 60}, DEMO_API_SECRET)
    assert (await fetch(server.url + "/rtc/validate", params={"access_token": no_video}))[:2] == (
        401, "no permissions to access the room")


async def test_validate_answers_any_method(server):
    status, body, _ = await fetch(server.url + "/rtc/validate", "POST", headers={"Authorization": f"Bearer {token()}"})
    assert (status, body) == (200, "success")


async def test_v0_validate_rejects_undecodable_attributes(server):
    status, body, _ = await fetch(server.url + "/rtc/validate", params={"access_token": token(), "attributes": "%%%"})
    assert (status, body) == (400, "cannot decode attributes")


# ---- /rtc/v1 --------------------------------------------------------------------------------


def join_request(metadata: str = "") -> str:
    from livekit.protocol import models, rtc

    join = rtc.JoinRequest(client_info=models.ClientInfo(sdk=models.ClientInfo.PYTHON), metadata=metadata)
    wrapped = rtc.WrappedJoinRequest(join_request=join.SerializeToString())
    return base64.urlsafe_b64encode(wrapped.SerializeToString()).decode()


async def test_v1_validate_needs_a_join_request(server):
    url = server.url + "/rtc/v1/validate"
    assert (await fetch(url, params={"access_token": token()}))[:2] == (400, "join_request is required")
    assert (await fetch(url, params={"access_token": token(), "join_request": join_request()}))[:2] == (200, "success")
    bad = (await fetch(url, params={"access_token": token(), "join_request": "!!"}))[:2]
    assert bad == (400, "cannot base64 decode wrapped join request")


async def test_v1_join_metadata_needs_can_update_own_metadata(server):
    params = {"join_request": join_request(metadata="hello")}
    denied = await fetch(server.url + "/rtc/v1/validate", params={**params, "access_token": token()})
    assert denied[:2] == (401, "no permissions to access the room")
    allowed = token(video={"roomJoin": True, "room": "r", "canUpdateOwnMetadata": True})
    assert (await fetch(server.url + "/rtc/v1/validate", params={**params, "access_token": allowed}))[0] == 200


@pytest.mark.parametrize("era", [server_rules.V1_9, server_rules.V1_6, server_rules.V1_4, server_rules.V1_0])
async def test_older_eras_have_no_v1_paths(era):
    async with StandInServer(frozen(era=era)) as server:
        for path in ("/rtc/v1", "/rtc/v1/validate"):
            assert (await fetch(server.url + path, params={"access_token": token()}))[:2] == (404, "404 page not found\n")


# ---- /rtc WebSocket ------------------------------------------------------------------------


async def test_rtc_without_upgrade_is_an_empty_404_after_auth(server):
    assert (await fetch(server.url + "/rtc", params={"access_token": token()}))[:2] == (404, "")
    assert (await fetch(server.url + "/rtc"))[:2] == (404, "")
    status, body, _ = await fetch(server.url + "/rtc", params={"access_token": token(iss="APIx")})
    assert (status, body) == (401, "invalid API key: APIx")


async def test_rtc_upgrade_sends_a_binary_join_response_labelled_stand_in(server):
    from livekit.protocol import rtc

    async with connect(f"{server.ws_url}/rtc?access_token={token()}") as ws:
        frame = await ws.recv()
    assert isinstance(frame, bytes)
    join = rtc.SignalResponse.FromString(frame).join
    assert (join.room.name, join.participant.identity) == ("demo-room", "alice")
    assert "stand-in" in join.server_info.node_id


async def test_any_origin_may_upgrade_and_gets_the_cors_header(server):
    async with connect(f"{server.ws_url}/rtc?access_token={token()}", origin="https://app.example") as ws:
        assert ws.response.headers["Access-Control-Allow-Origin"] == "https://app.example"
        assert ws.response.headers["Vary"] == "Origin"
        assert ws.response.headers[STAND_IN_HEADER] == "1"
        assert isinstance(await ws.recv(), bytes)


async def test_rtc_v1_upgrade_with_a_join_request(server):
    async with connect(f"{server.ws_url}/rtc/v1?access_token={token()}&join_request={join_request()}") as ws:
        assert isinstance(await ws.recv(), bytes)


@pytest.mark.parametrize(
    ("path", "status", "body"),
    [
        ("/rtc?access_token={expired}", 401, "invalid token: {expired}, error: token has invalid claims: token is expired"),
        ("/rtc", 401, "no permissions to access the room"),
        ("/rtc/v1?access_token={good}", 400, "join_request is required"),
    ],
)
async def test_rtc_refused_handshake_carries_status_and_body(server, path, status, body):
    expired = token(exp=int(FROZEN_NOW) - 3600, nbf=int(FROZEN_NOW) - 7200)
    values = {"expired": expired, "good": token()}
    with pytest.raises(InvalidStatus) as refused:
        async with connect(server.ws_url + path.format(**values)):
            pass
    assert refused.value.response.status_code == status
    assert refused.value.response.body.decode() == body.format(**values)


async def test_stop_closes_open_websockets():
    server = StandInServer(frozen())
    await server.start()
    async with connect(f"{server.ws_url}/rtc?access_token={token()}") as ws:
        await ws.recv()
        await server.stop()
        await ws.wait_closed()


# ---- Twirp -----------------------------------------------------------------------------------


def admin_token(**video) -> str:
    return token(video=video)


async def test_twirp_only_post(server):
    status, body, headers = await fetch(server.url + LIST_ROOMS)
    assert status == 404 and headers["Content-Type"] == "application/json"
    assert json.loads(body) == {"code": "bad_route", "msg": 'unsupported method "GET" (only POST is allowed)',
                                "meta": {"twirp_invalid_route": f"GET {LIST_ROOMS}"}}


async def test_twirp_content_type_and_unknown_method(server):
    status, body, _ = await fetch(server.url + LIST_ROOMS, "POST", data="{}", headers={"Content-Type": "text/plain"})
    assert status == 404
    assert json.loads(body)["msg"] == 'unexpected Content-Type: "text/plain"'
    path = "/twirp/livekit.RoomService/Nope"
    status, body, _ = await fetch(server.url + path, "POST", json={})
    assert (status, json.loads(body)["msg"]) == (404, f'no handler for path "{path}"')


async def test_twirp_rejected_token_is_the_middlewares_plain_text(server):
    bad = token(secret="wrong-secret-0123456789-0123456789-01")
    status, body, headers = await fetch(server.url + LIST_ROOMS, "POST", json={},
                                        headers={"Authorization": f"Bearer {bad}"})
    assert (status, headers["Content-Type"]) == (401, "text/plain; charset=utf-8")
    assert body == f"invalid token: {bad}, error: token signature is invalid: signature is invalid"


async def test_twirp_missing_grant_is_unauthenticated_json(server):
    for headers in ({}, {"Authorization": f"Bearer {token()}"}):
        status, body, _ = await fetch(server.url + LIST_ROOMS, "POST", json={}, headers=headers)
        assert (status, body) == (401, '{"code":"unauthenticated","msg":"permissions denied"}')


async def test_twirp_list_rooms_json_and_protobuf(server):
    auth = {"Authorization": f"Bearer {admin_token(roomList=True)}"}
    status, body, headers = await fetch(server.url + LIST_ROOMS, "POST", json={}, headers=auth)
    assert (status, headers["Content-Type"], json.loads(body)) == (200, "application/json", {"rooms": []})
    status, body, headers = await fetch(server.url + LIST_ROOMS, "POST", data=b"",
                                        headers={**auth, "Content-Type": "application/protobuf"})
    assert (status, body, headers["Content-Type"]) == (200, "", "application/protobuf")


async def test_twirp_malformed_json(server):
    auth = {"Authorization": f"Bearer {admin_token(roomList=True)}", "Content-Type": "application/json"}
    status, body, _ = await fetch(server.url + LIST_ROOMS, "POST", data="{", headers=auth)
    assert (status, json.loads(body)) == (400, {"code": "malformed", "msg": "the json request could not be decoded"})


async def test_livekit_api_client_lists_creates_and_is_refused():
    from livekit import api

    async with StandInServer() as server:  # real clock: LiveKitAPI mints with time.time()
        lkapi = api.LiveKitAPI(server.url, DEMO_API_KEY, DEMO_API_SECRET)
        try:
            assert list((await lkapi.room.list_rooms(api.ListRoomsRequest())).rooms) == []
            created = await lkapi.room.create_room(api.CreateRoomRequest(name="stand-in-room"))
            assert created.name == "stand-in-room"
            rooms = (await lkapi.room.list_rooms(api.ListRoomsRequest())).rooms
            assert [room.name for room in rooms] == ["stand-in-room"]
            assert list((await lkapi.room.list_participants(api.ListParticipantsRequest(room="stand-in-room"))).participants) == []
            await lkapi.room.delete_room(api.DeleteRoomRequest(room="stand-in-room"))
            assert list((await lkapi.room.list_rooms(api.ListRoomsRequest())).rooms) == []
        finally:
            await lkapi.aclose()
        wrong = api.LiveKitAPI(server.url, DEMO_API_KEY, "wrong-secret-0123456789-0123456789-01")
        try:
            with pytest.raises(api.TwirpError) as refused:
                await wrong.room.list_rooms(api.ListRoomsRequest())
            assert refused.value.status == 401
        finally:
            await wrong.aclose()


async def test_list_participants_needs_admin_of_that_room(server):
    path = "/twirp/livekit.RoomService/ListParticipants"
    other_room = {"Authorization": f"Bearer {admin_token(roomAdmin=True, room='other')}"}
    status, body, _ = await fetch(server.url + path, "POST", json={"room": "r"}, headers=other_room)
    assert (status, json.loads(body)["code"]) == (401, "unauthenticated")
    this_room = {"Authorization": f"Bearer {admin_token(roomAdmin=True, room='r')}"}
    status, body, _ = await fetch(server.url + path, "POST", json={"room": "r"}, headers=this_room)
    assert (status, json.loads(body)) == (404, {"code": "not_found", "msg": "requested room does not exist"})


# ---- fault modes -----------------------------------------------------------------------------


async def test_refused_port_refuses():
    with pytest.raises(aiohttp.ClientConnectorError):
        await fetch(f"http://127.0.0.1:{refused_port()}/")


async def test_silent_accepts_and_never_answers():
    async with StandInServer(frozen(fault="silent")) as server:
        reader, writer = await asyncio.open_connection("127.0.0.1", server.port)  # the TCP accept works
        writer.close()
        with pytest.raises(asyncio.TimeoutError):
            await fetch(server.url + "/", timeout=aiohttp.ClientTimeout(total=0.3))


async def test_close_reads_the_request_and_hangs_up():
    async with StandInServer(frozen(fault="close")) as server:
        with pytest.raises(aiohttp.ServerDisconnectedError):
            await fetch(server.url + "/")
        reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
        writer.write(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        assert await reader.read() == b""  # closed without one byte of answer
        writer.close()


async def test_slow_answer_waits_then_answers():
    async with StandInServer(frozen(delay=0.2)) as server:
        started = time.monotonic()
        assert (await fetch(server.url + "/"))[:2] == (200, "OK")
        assert time.monotonic() - started >= 0.2


async def test_proxy_answers_an_html_page_instead_of_upgrading():
    async with StandInServer(frozen(fault="proxy")) as server:
        for path in ("/", "/rtc/validate", "/twirp/livekit.RoomService/ListRooms"):
            status, body, headers = await fetch(server.url + path)
            assert status == 200 and headers["Content-Type"] == "text/html; charset=utf-8", path
            assert "<html>" in body and headers[STAND_IN_HEADER] == "1" and "Date" in headers
        with pytest.raises(InvalidStatus) as refused:
            async with connect(f"{server.ws_url}/rtc?access_token={token()}"):
                pass
        assert refused.value.response.status_code == 200


async def test_not_ready_answers_406_with_the_node_time():
    async with StandInServer(frozen(fault="not_ready")) as server:
        status, body, _ = await fetch(server.url + "/")
    assert status == 406
    assert body == "Not Ready\nNode Updated At 2026-01-15 11:59:30 +0000 UTC"


async def test_tls_with_a_self_signed_certificate():
    async with StandInServer(frozen(tls=True)) as server:
        assert server.url.startswith("https://") and server.ws_url.startswith("wss://")
        assert (await fetch(server.url + "/", ssl=server.client_ssl_context()))[:2] == (200, "OK")
        with pytest.raises(aiohttp.ClientConnectorCertificateError):
            await fetch(server.url + "/", ssl=ssl.create_default_context())
        async with connect(f"{server.ws_url}/rtc?access_token={token()}", ssl=server.client_ssl_context()) as ws:
            assert isinstance(await ws.recv(), bytes)


async def test_plain_http_spoken_to_the_tls_port_fails():
    async with StandInServer(frozen(tls=True)) as server:
        with pytest.raises(aiohttp.ClientError):
            await fetch(f"http://127.0.0.1:{server.port}/", timeout=aiohttp.ClientTimeout(total=5))


def test_config_rejects_unknown_era_and_fault():
    with pytest.raises(ValueError, match="unknown era"):
        StandInConfig(era="v9")
    with pytest.raises(ValueError, match="unknown fault"):
        StandInConfig(fault="explode")


# ---- sync use and the command line -----------------------------------------------------------


def test_run_in_thread_serves_sync_callers():
    with run_in_thread(frozen()) as server:
        with urllib.request.urlopen(server.url + "/", timeout=5) as response:
            assert (response.status, response.read()) == (200, b"OK")


def test_python_dash_m_prints_its_url_first_and_stops_on_sigterm():
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "lkdebug.demo.server", "--port", str(port), "--era", "head", "--offset", "30"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        assert process.stdout.readline().strip() == f"http://127.0.0.1:{port}"
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as response:
            assert response.headers[STAND_IN_HEADER] == "1"
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=10) == 0
        assert re.search(r"stand-in for livekit-server", process.stderr.read())
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


# ---- server_rules.authenticate (the middleware alone) ----------------------------------------


def test_authenticate_passes_no_token_through_and_returns_claims():
    keys = {DEMO_API_KEY: DEMO_API_SECRET}
    assert server_rules.authenticate("", keys, FROZEN_NOW) == (None, None)
    rejected, claims = server_rules.authenticate(token(), keys, FROZEN_NOW)
    assert rejected is None and claims["sub"] == "alice"
    rejected, claims = server_rules.authenticate("x", keys, FROZEN_NOW, authorization="Basic x")
    assert (rejected.status, rejected.message, claims) == (401, server_rules.BAD_HEADER, None)


def test_judge_still_composes_middleware_and_join_checks():
    keys = {DEMO_API_KEY: DEMO_API_SECRET}
    assert server_rules.judge("", keys, FROZEN_NOW).message == "no permissions to access the room"
    assert server_rules.judge(token(), keys, FROZEN_NOW).accepted
    assert server_rules.judge(token(video={}), keys, FROZEN_NOW).message == "permissions denied"


# ---- issue 11: the HTTP face, case by case against rs/cors v1.11, net/http and the per-era parser --------


ORIGIN = {"Origin": "https://app.example"}


async def test_vary_origin_on_every_answer(server):
    for path, headers in (("/", {}), ("/rtc/validate?access_token=x", {}), ("/nope", ORIGIN)):
        _, _, answer = await fetch(server.url + path, headers=headers)
        assert answer["Vary"] == "Origin", path


async def test_an_origin_is_echoed_with_every_header_exposed(server):
    _, _, headers = await fetch(server.url + "/", headers=ORIGIN)
    assert headers["Access-Control-Allow-Origin"] == "https://app.example"
    assert headers["Access-Control-Expose-Headers"] == "*"
    _, _, refused = await fetch(server.url + "/twirp/livekit.RoomService/ListRooms", "POST", headers=ORIGIN)
    assert refused["Access-Control-Allow-Origin"] == "https://app.example"


async def test_only_the_validate_paths_answer_any_origin(server):
    _, _, headers = await fetch(f"{server.url}/rtc/validate?access_token={token()}", headers=ORIGIN)
    assert headers["Access-Control-Allow-Origin"] == "*"


async def test_a_preflight_copies_the_method_and_headers(server):
    status, _, headers = await fetch(server.url + "/twirp/livekit.RoomService/ListRooms", "OPTIONS", headers={
        **ORIGIN, "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "authorization, content-type"})
    assert status == 204
    assert (headers["Access-Control-Allow-Methods"], headers["Access-Control-Allow-Headers"]) == (
        "POST", "authorization, content-type")


async def test_a_preflight_for_an_unlisted_method_gets_no_allow_headers(server):
    status, _, headers = await fetch(server.url + "/", "OPTIONS", headers={**ORIGIN, "Access-Control-Request-Method": "PUT"})
    assert status == 204 and "Vary" in headers
    assert not [name for name in headers if name.lower().startswith("access-control-allow-")]


async def test_two_spaces_after_bearer_are_an_invalid_token(server):
    status, body, _ = await fetch(server.url + "/rtc/validate", headers={"Authorization": f"Bearer  {token()}"})
    assert (status, body) == (401, "invalid authorization token")


async def test_a_leading_space_on_a_query_token_is_an_invalid_token(server):
    status, body, _ = await fetch(f"{server.url}/rtc/validate?access_token=%20{token()}")
    assert (status, body) == (401, "invalid authorization token")


async def test_cr_lf_inside_a_query_token_is_skipped_as_go_does(server):
    raw = token()
    status, body, _ = await fetch(f"{server.url}/rtc/validate?access_token={raw[:-8]}%0D%0A{raw[-8:]}")
    assert (status, body) == (200, "success")


async def test_a_token_of_almost_a_megabyte_is_read(server):
    raw = token(metadata="m" * 700_000)
    assert len(raw) > 900_000
    status, body, _ = await fetch(f"{server.url}/rtc/validate?access_token={raw}")
    assert (status, body) == (200, "success")


@pytest.mark.parametrize("era, prefix", [(era, "invalid token: ") for era in (server_rules.V1_9, server_rules.V1_6,
                                                                              server_rules.V1_4, server_rules.V1_0)])
async def test_a_numeric_room_on_the_old_eras_is_a_401_not_a_500(era, prefix):
    async with StandInServer(frozen(era=era)) as running:
        status, body, _ = await fetch(f"{running.url}/rtc/validate?access_token={token(video={'roomJoin': True, 'room': 5})}")
    assert status == 401 and body.startswith(prefix)
    assert body.endswith("error: json: cannot unmarshal number into Go value of type string")


# ---- the go-jose v3 eras' join checks: the length limits come in v1.6.2, `no room name` in v1.9.1 ----------
# (reference/livekit-server-token-rules.md, "Steps, in order", 5; livekit 9a5db132e and b9a44c3fb)

LONG_IDENTITY = "a" * 257  # 257 bytes
LONG_ROOM = "é" * 128 + "a"  # 129 characters, 257 bytes of UTF-8
IDENTITY_TOO_LONG = (400, "participant identity length exceeds limits: max length 256")
ROOM_TOO_LONG = (400, "room name length exceeds limits: max length 256")
SUCCESS = (200, "success")


@pytest.mark.parametrize(("era", "identity", "room", "empty_room"), [
    (server_rules.V1_4, SUCCESS, SUCCESS, SUCCESS),  # v1.4.1 to v1.6.1: up to v1.6.1, no limits and no room check
    (server_rules.V1_6, IDENTITY_TOO_LONG, ROOM_TOO_LONG, SUCCESS),  # v1.6.2 to v1.9.0
    (server_rules.V1_9, IDENTITY_TOO_LONG, ROOM_TOO_LONG, (400, "no room name")),  # from v1.9.1
])
async def test_join_checks_of_each_go_jose_era_over_http_and_websocket(era, identity, room, empty_room):
    from livekit.protocol import rtc

    cases = [(token(sub=LONG_IDENTITY), identity), (token(video={"roomJoin": True, "room": LONG_ROOM}), room),
             (token(video={"roomJoin": True}), empty_room)]
    async with StandInServer(frozen(era=era)) as server:
        for raw, expected in cases:
            assert (await fetch(server.url + "/rtc/validate", params={"access_token": raw}))[:2] == expected
            if expected == SUCCESS:
                async with connect(f"{server.ws_url}/rtc?access_token={raw}") as ws:
                    join = rtc.SignalResponse.FromString(await ws.recv()).join
                claims = jwt.decode(raw, options={"verify_signature": False})
                assert (join.participant.identity, join.room.name) == (claims["sub"], claims["video"].get("room", ""))
            else:
                with pytest.raises(InvalidStatus) as refused:
                    async with connect(f"{server.ws_url}/rtc?access_token={raw}"):
                        pass
                response = refused.value.response
                assert (response.status_code, response.body.decode()) == expected


async def test_before_v1_9_1_a_token_without_a_room_joins_the_query_room():
    from livekit.protocol import rtc

    roomless = token(video={"roomJoin": True})
    async with StandInServer(frozen(era=server_rules.V1_6)) as server:
        async with connect(f"{server.ws_url}/rtc?access_token={roomless}&room=standup") as ws:
            assert rtc.SignalResponse.FromString(await ws.recv()).join.room.name == "standup"
        async with connect(f"{server.ws_url}/rtc?access_token={token()}&room=other") as ws:  # the token's room wins
            assert rtc.SignalResponse.FromString(await ws.recv()).join.room.name == "demo-room"
        too_long = await fetch(server.url + "/rtc/validate", params={"access_token": roomless, "room": LONG_ROOM})
        assert too_long[:2] == ROOM_TOO_LONG
    async with StandInServer(frozen(era=server_rules.V1_9)) as server:  # v1.9.1 reads the room from the token only
        assert (await fetch(server.url + "/rtc/validate", params={"access_token": roomless, "room": "standup"}))[:2] == (
            400, "no room name")


def test_each_era_reports_a_release_inside_it():
    from lkdebug.demo.server import ERA_VERSIONS, _parse_args

    def release(text: str) -> tuple[int, ...]:
        return tuple(99 if part == "x" else int(part) for part in text.removeprefix("v").split("."))

    # The releases each era spans, written out from the reference (not read from server_rules).
    spans = {"v1.13": ("1.13.0", "1.13.5"), "v1.9": ("1.9.1", "1.12.x"), "v1.6": ("1.6.2", "1.9.0"),
             "v1.4": ("1.4.1", "1.6.1"), "v1.0": ("0.0.0", "1.4.0")}
    assert list(ERA_VERSIONS) == list(server_rules.ERAS) == ["head", *spans]
    for era, (first, last) in spans.items():
        assert release(first) <= release(ERA_VERSIONS[era]) <= release(last), era
    for era in server_rules.ERAS:
        assert _parse_args(["--era", era]).era == era
    with pytest.raises(SystemExit):
        _parse_args(["--era", "v1.4-v1.12"])  # what a 401 body names is a group of eras, not one server


def test_python_dash_m_with_a_sub_era_answers_as_that_release():
    port = free_port()
    process = subprocess.Popen([sys.executable, "-m", "lkdebug.demo.server", "--port", str(port), "--era", "v1.6"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               env={**os.environ, "PYTHONUNBUFFERED": "1"})

    def validate(raw: str) -> tuple[int, str]:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/rtc/validate?access_token={raw}", timeout=5) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()

    now = time.time()
    try:
        assert process.stdout.readline().strip() == f"http://127.0.0.1:{port}"
        assert validate(token(now, video={"roomJoin": True})) == SUCCESS  # v1.9.0 lets an empty room in
        assert validate(token(now, sub=LONG_IDENTITY)) == IDENTITY_TOO_LONG  # v1.6.2 has the limit
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=10) == 0
        assert "v1.6.2 to v1.9.0 wording" in process.stderr.read()
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
