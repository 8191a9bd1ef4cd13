"""`lkdebug token create` takes lk's spellings, never guesses a flag from a prefix, and prints the lk line with --lk."""

from __future__ import annotations

import json
import shlex

import pytest

import lk_model
from lkdebug.cli import build_parser
from lkdebug.demo import DEMO_API_KEY as KEY, DEMO_API_SECRET as SECRET
from tests.in_process import run


@pytest.fixture
def project(tmp_path):
    (tmp_path / ".env.local").write_text(f"LIVEKIT_API_KEY={KEY}\nLIVEKIT_API_SECRET={SECRET}\n")
    return tmp_path


LK_DOCS_FLAGS = ["-r", "my-room", "-i", "alice", "-n", "Alice", "--join", "--egress", "--ingress",
                 "--allow-update-metadata", "--inference", "--agent", "support", "--job-metadata", '{"lang": "fr"}',
                 "--allow-source", "camera,microphone", "--valid-for", "1h30m", "--metadata", "m"]


def test_a_command_copied_from_livekit_docs_mints_the_same_grants(project, capsys):
    code, out, _ = run(capsys, "token", "create", "--dir", str(project), *LK_DOCS_FLAGS, "-j")
    claims = json.loads(out)["claims"]
    assert code == 0
    assert claims["sub"] == "alice" and claims["name"] == "Alice" and claims["exp"] - claims["nbf"] == 5400
    video = claims["video"]
    assert video["room"] == "my-room" and video["roomJoin"] and video["roomRecord"] and video["ingressAdmin"]
    assert video["canUpdateOwnMetadata"] is True and video["canPublishSources"] == ["camera", "microphone"]
    assert claims["inference"] == {"perform": True}
    assert claims["roomConfig"] == {"agents": [{"agentName": "support", "metadata": '{"lang": "fr"}'}]}


def test_the_lk_line_of_a_command_mints_what_lkdebug_mints(project, capsys):
    """The same flags twice: --json gives lkdebug's claims, --lk the line; the line goes through lk's model."""
    _, out, _ = run(capsys, "token", "create", "--dir", str(project), *LK_DOCS_FLAGS, "--json")
    ours = json.loads(out)["claims"]
    code, out, err = run(capsys, "token", "create", "--dir", str(project), *LK_DOCS_FLAGS, "--lk")
    assert code == 0 and out.startswith("lk token create ") and out.count("\n") == 1
    assert SECRET not in out + err and KEY not in out + err
    assert "first export LIVEKIT_API_SECRET from" in err and ".env.local" in err
    argv = shlex.split(out.replace('"${LIVEKIT_API_KEY:?export LIVEKIT_API_KEY first}"', KEY)
                       .replace('"${LIVEKIT_API_SECRET:?export LIVEKIT_API_SECRET first}"', SECRET))
    lk = lk_model.token_create(argv, {})
    assert lk["_credentials"] == (KEY, SECRET)
    assert lk["video"] == {k: v for k, v in ours["video"].items() if k not in ("canPublish", "canSubscribe",
                                                                            "canPublishData")}
    assert (lk["sub"], lk["name"], lk["metadata"], lk["roomConfig"], lk["inference"]) == \
        (ours["sub"], ours["name"], ours["metadata"], ours["roomConfig"], ours["inference"])
    assert lk["lifetime"] == ours["exp"] - ours["nbf"]

    _, out, _ = run(capsys, "token", "create", "--dir", str(project), "--kind", "agent", "--lk", "--json", "--reveal")
    body = json.loads(out)
    assert body["schema"] == "lkdebug/token-create-lk/1" and body["exact"] is False
    assert {"claim": "kind", "text": "lk has no flag for it"} in body["gaps"] and KEY in body["command"]


@pytest.mark.parametrize("flag", ["--api-secret-f", "--ingress-adm", "--allow-sou", "--reve"])
def test_no_flag_is_guessed_from_a_prefix(flag, capsys):
    with pytest.raises(SystemExit) as exit_info:
        build_parser().parse_args(["token", "create", flag, "x"])
    assert exit_info.value.code == 2
    assert "unrecognized arguments" in capsys.readouterr().err


def test_a_secret_flag_is_refused_with_the_reason(project, capsys):
    code, out, err = run(capsys, "token", "create", "--dir", str(project), "--api-secret", "s3cret", "--join")
    assert code == 2 and out == "" and len(err.strip().splitlines()) == 1
    assert "never takes a secret as a flag" in err and "s3cret" not in err


def test_comma_lists_and_bad_sources(project, capsys):
    code, out, _ = run(capsys, "token", "create", "--dir", str(project), "--json", "-i", "a", "-r", "r", "--join",
                       "--allow-source", "camera, screen_share", "--allow-source", "camera")
    assert json.loads(out)["claims"]["video"]["canPublishSources"] == ["camera", "screen_share"]
    code, out, err = run(capsys, "token", "create", "--dir", str(project), "--allow-source", "camera,webcam")
    assert code == 2 and "--allow-source 'webcam': use one of camera" in err
