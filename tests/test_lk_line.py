"""Every exported `lk token create` line, run through a real shell and a recorded model of lk (tests/lk_model.py).

The line must make lk mint the claims lkdebug's token carries, or name each claim it cannot reproduce.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import pytest

import lk_model
from lkdebug.core.lk_line import LK_SOURCE_REVISION, go_duration, lk_token_create
from lkdebug.core.model import Setting
from lkdebug.core.mint import build_claims

KEY, SECRET = "APIfakeKey1234", "fake-secret-for-tests-0123456789abcdef"
NOW = 1768478400.0
PROCESS = "process environment"

pytestmark = pytest.mark.skipif(shutil.which("bash") is None, reason="the lines are run by bash")


@pytest.fixture(scope="module")
def fake_lk(tmp_path_factory):
    """A directory with an `lk` that prints the arguments the shell gave it."""
    folder = tmp_path_factory.mktemp("bin")
    script = folder / "lk"
    script.write_text(f"#!{sys.executable}\nimport json, sys\nprint(json.dumps(sys.argv[1:]))\n")
    script.chmod(0o755)
    return folder


def run_line(line: str, fake_lk, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(["bash", "-c", line], capture_output=True, text=True, timeout=30,
                          env={"PATH": f"{fake_lk}:{os.environ['PATH']}", **env})


def through_lk(line: str, fake_lk, env: dict[str, str]) -> dict:
    done = run_line(line, fake_lk, env)
    assert done.returncode == 0, done.stderr
    return lk_model.token_create(["lk", *json.loads(done.stdout)], env)


TRISTATE = {"canPublish": True, "canSubscribe": True, "canUpdateOwnMetadata": False, "canSubscribeMetrics": False,
            "canManageAgentSession": False}


def meaning(claims: dict) -> dict[str, object]:
    """What the server reads from the claims, flattened to paths; defaults and lkdebug's spelled-out values dropped."""
    out: dict[str, object] = {}
    video = dict(claims.get("video") or {})
    publish = video.get("canPublish", True)
    for key, value in video.items():
        default = publish if key == "canPublishData" else TRISTATE.get(key, None)
        if value == default or value in (False, "", [], None):
            continue
        out[f"video.{key}"] = value
    for group in ("sip", "agent", "inference", "observability", "agentEndpoint", "agentThread"):
        for key, value in (claims.get(group) or {}).items():
            if value not in (False, "", [], None):
                out[f"{group}.{key}"] = value
    for key, value in (claims.get("roomConfig") or {}).items():
        if value not in (False, "", [], None, 0):
            out[f"roomConfig.{key}"] = value
    for key in ("sub", "name", "metadata", "attributes", "roomPreset"):
        if claims.get(key):
            out[key] = claims[key]
    if claims.get("kind") not in (None, "", "standard"):
        out["kind"] = claims["kind"]
    out["exp"] = claims["lifetime"] if "lifetime" in claims else claims["exp"] - claims["nbf"]
    return out


def differing(a: dict, b: dict) -> set[str]:
    return {path for path in a.keys() | b.keys() if a.get(path) != b.get(path)}


def claims(**kwargs) -> dict:
    kwargs.setdefault("valid_for", 6 * 3600)
    return build_claims(api_key=KEY, now=NOW, **kwargs)


# Builder states: (id, claims, the claims the line must say lk cannot set)
STATES = [
    ("join", claims(identity="alice", name="Alice", video={"room": "standup", "roomJoin": True}), set()),
    ("percent-room", claims(identity="alice", name="Alice", video={"room": "100%done", "roomJoin": True}), set()),
    ("empty-room", claims(identity="alice", name="Alice", video={"roomJoin": True}), set()),
    ("empty-identity", claims(name="Bob", video={"room": "r", "roomJoin": True}), {"sub"}),
    ("template-identity", claims(identity="user-%x", name="U", video={"room": "r", "roomJoin": True}), {"sub"}),
    ("no-name", claims(identity="carol", video={"room": "r", "roomJoin": True}), {"name"}),
    ("two-agents", claims(identity="a", name="A", video={"room": "r", "roomJoin": True},
                          extra={"roomConfig": {"agents": [{"agentName": "one", "metadata": "m1"},
                                                           {"agentName": "two"}]}}), {"roomConfig.agents"}),
    ("one-agent", claims(identity="a", name="A", video={"room": "r", "roomJoin": True},
                         extra={"roomConfig": {"agents": [{"agentName": "one", "metadata": '{"x": 1}'}]}}), set()),
    ("agent-no-join", claims(identity="a", name="A", video={"room": "r", "roomAdmin": True},
                             extra={"roomConfig": {"agents": [{"agentName": "one"}]}}), {"roomConfig.agents"}),
    ("kind-preset", claims(identity="a", name="A", kind="agent", video={"room": "r", "roomJoin": True},
                           extra={"roomPreset": "quiet"}), {"kind", "roomPreset"}),
    ("one-day", claims(identity="a", name="A", video={"room": "r", "roomJoin": True}, valid_for=86400), set()),
    ("odd-ttl", claims(identity="a", name="A", video={"room": "r", "roomJoin": True}, valid_for=5401.5), set()),
    ("publish-rules", claims(identity="a", name="A", video={
        "room": "r", "roomJoin": True, "canPublish": False, "hidden": True, "canUpdateOwnMetadata": True,
        "canPublishSources": ["camera", "microphone"], "canSubscribeMetrics": True}), set()),
    ("data-only-when-publishing", claims(identity="a", name="A", video={"room": "r", "roomJoin": True,
                                                                        "canPublishData": False}), set()),
    ("no-permission", claims(identity="a", name="A", metadata="hello world"), set()),
    ("server-api", claims(video={"roomList": True, "roomCreate": True, "roomRecord": True, "ingressAdmin": True}),
     {"sub", "name"}),
    ("attributes", claims(identity="a", name="A", video={"room": "r", "roomJoin": True}, attributes={
        "team": "web", "note": "a # b", "home": "$HOME", "empty": "", "spaced": " x ", "user-id": "7",
        "list": "x,y"}), {"attributes"}),
    ("sip-and-inference", claims(identity="a", name="A", video={"room": "r", "roomJoin": True},
                                 sip={"admin": True}, extra={"inference": {"perform": True}}), {"sip.admin"}),
    ("control-characters", claims(identity="evil\x1b[2Jname", name="N", video={"room": "r\nx", "roomJoin": True},
                                  metadata="it's"), set()),
]


@pytest.mark.parametrize("state, token_claims, gaps", STATES, ids=[s[0] for s in STATES])
def test_line_mints_the_same_claims_in_lk_or_names_what_it_cannot(state, token_claims, gaps, fake_lk):
    line = lk_token_create(token_claims, api_key=Setting("LIVEKIT_API_KEY", KEY, PROCESS),
                           api_secret=Setting("LIVEKIT_API_SECRET", SECRET, PROCESS))
    assert {g.claim for g in line.gaps} == gaps
    # The Builder copies text(): its trailing comment must not change what the shell runs.
    lk = through_lk(line.text(), fake_lk, {"LIVEKIT_API_KEY": KEY, "LIVEKIT_API_SECRET": SECRET})
    assert lk.pop("_credentials") == (KEY, SECRET)
    assert differing(meaning(token_claims), meaning(lk)) <= gaps, (line.command, lk)
    assert SECRET not in line.text() and KEY not in line.text()
    assert "\x1b" not in line.text() and "\n" not in line.text()


def test_lk_defaults_and_parsing_rules_are_the_recorded_ones():
    """The traps the line avoids, shown on the model itself, so a wrong model cannot pass quietly."""
    env = {"LIVEKIT_API_KEY": KEY, "LIVEKIT_API_SECRET": SECRET}
    bare = lk_model.token_create(["lk", "token", "create", "--join", "-r", "100%done"], env)
    assert bare["lifetime"] == 300 and bare["video"]["room"] == "100<expanded %d>one"
    assert bare["sub"].startswith("participant-") and bare["name"] == bare["sub"]
    # An empty unquoted $LIVEKIT_API_SECRET: lk takes the next flag as the secret.
    taken = lk_model.parse_args(["--api-secret", "--identity", "alice"])
    assert taken.values["api-secret"] == "--identity"
    with pytest.raises(lk_model.LkError, match="invalid duration"):
        lk_model.parse_go_duration("1d")
    with pytest.raises(lk_model.LkError, match="invalid duration"):
        lk_model.parse_go_duration("90")
    two = lk_model.token_create(["lk", "token", "create", "--join", "--agent", "a", "--job-metadata", "m",
                                 "--agent", "b"], env)
    assert two["roomConfig"] == {"agents": [{"agentName": "b", "metadata": "m"}]}
    # An explicit empty --api-secret "" beats the environment, and lk falls back to another project.
    assert isinstance(lk_model.token_create(["lk", "token", "create", "--join", "--api-secret", ""], env)
                      ["_credentials"], str)
    assert isinstance(lk_model.token_create(["lk", "token", "create", "--join"], {"LIVEKIT_API_KEY": KEY})
                      ["_credentials"], str)
    assert "29c268653d17990f13635952084eda3d7a87e614" in lk_model.REVISION and "29c26865" in LK_SOURCE_REVISION


def test_secret_in_a_dotenv_file_the_line_says_to_export_it_and_stops_without_it(fake_lk):
    line = lk_token_create(claims(identity="a", name="A", video={"room": "r", "roomJoin": True}),
                           api_key=Setting("LIVEKIT_API_KEY", KEY, ".env.local"),
                           api_secret=Setting("LIVEKIT_API_SECRET", SECRET, ".env.local"))
    assert any("export LIVEKIT_API_SECRET from .env.local" in step for step in line.first)
    assert any(f"export LIVEKIT_API_KEY={KEY[:6]}…" in step for step in line.first)
    done = run_line(line.command, fake_lk, {"LIVEKIT_API_KEY": KEY})
    # The shell refuses before lk runs, so lk never falls back to another project's secret.
    assert done.returncode != 0 and done.stdout == ""
    assert "export LIVEKIT_API_SECRET first" in done.stderr


def test_secret_file_and_lk_project_are_read_where_they_are(fake_lk, tmp_path):
    secret_file = tmp_path / "my secret"
    secret_file.write_text(SECRET + "\n")
    line = lk_token_create(claims(identity="a", name="A", video={"room": "r", "roomJoin": True}),
                           api_key=Setting("--api-key", KEY, "--api-key"),
                           api_secret=Setting("LIVEKIT_API_SECRET", SECRET, f"--api-secret-file {secret_file}"),
                           reveal=True)
    assert KEY in line.command and SECRET not in line.command and not line.first
    assert through_lk(line.command, fake_lk, {})["_credentials"] == (KEY, SECRET)

    origin = "lk project 'staging' (~/.livekit/cli-config.yaml)"
    line = lk_token_create(claims(identity="a", name="A", video={"room": "r", "roomJoin": True}),
                           api_key=Setting("api_key", KEY, origin), api_secret=Setting("api_secret", SECRET, origin))
    assert "--project staging" in line.command and "--api-secret" not in line.command


@pytest.mark.parametrize("seconds, text", [(21600, "6h"), (86400, "24h"), (90, "1m30s"), (5401.5, "1h30m1.5s"),
                                           (0.25, "0.25s"), (300, "5m")])
def test_go_duration_is_what_go_parses(seconds, text):
    assert go_duration(seconds) == text
    assert lk_model.parse_go_duration(text) == pytest.approx(seconds)
