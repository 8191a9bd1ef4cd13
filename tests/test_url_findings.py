"""Issue 11: the LiveKit URL is judged once (one model, one finding per problem, fixes that agree), and only
names that mean the LiveKit server's URL are judged as one. Through `env --json`, `check --no-network --json`
and `check` against the stand-in."""

from __future__ import annotations

import json

import pytest

from lkdebug import cli
from lkdebug.demo import DEMO_API_KEY, DEMO_API_SECRET

pytestmark = pytest.mark.timeout(60)

KEYS = f"LIVEKIT_API_KEY={DEMO_API_KEY}\nLIVEKIT_API_SECRET={DEMO_API_SECRET}\n"


def run(capsys, *args: str) -> tuple[int, dict]:
    code = cli.main([*args, "--json"])
    return code, json.loads(capsys.readouterr().out)


def warnings_and_errors(doc: dict) -> list[dict]:
    return [f for f in doc["findings"] if f["severity"] in ("warning", "error")]


def test_other_services_urls_are_not_linted_as_the_livekit_url(tmp_path, capsys):
    """LIVEKIT_DB_URL=postgres://… got `uses the scheme postgres://` (an error) and `point at different servers`."""
    (tmp_path / ".env").write_text(
        "LIVEKIT_URL=wss://lk.acme.io\n" + KEYS + "LIVEKIT_DB_URL=postgres://lk:pw@db:5432/livekit\n"
        "LIVEKIT_REDIS_URL=redis://localhost:6379\nDATABASE_URL=postgres://db/app\n"
        "LIVEKIT_WEBHOOK_URL=https://app.acme.io/api/livekit/webhook\nNEXT_PUBLIC_LIVEKIT_URL=wss://lk.acme.io\n")
    for command in (["env"], ["check", "--no-network"]):
        code, doc = run(capsys, *command, "--dir", str(tmp_path))
        assert code == 0 and warnings_and_errors(doc) == [], (command, doc["findings"])
        assert [f for f in doc["findings"] if "url" in f["code"]] == []
    _, doc = run(capsys, "env", "--dir", str(tmp_path))
    assert {v["name"] for v in doc["variables"]} >= {"LIVEKIT_DB_URL", "LIVEKIT_REDIS_URL"}  # still listed


@pytest.mark.parametrize("name", ["LIVEKIT_URL", "NEXT_PUBLIC_LIVEKIT_URL", "VITE_LIVEKIT_URL", "LIVEKIT_WS_URL",
                                  "LIVEKIT_HOST", "NEXT_PUBLIC_LK_SERVER_URL", "LIVEKIT_WS"])
def test_names_of_the_livekit_url_are_still_linted(tmp_path, capsys, name):
    (tmp_path / ".env").write_text(f"{name}=lk.acme.io\n" + KEYS)
    _, doc = run(capsys, "env", "--dir", str(tmp_path))
    assert [f["code"] for f in doc["findings"] if f["code"].startswith("env.url")] == ["env.url_scheme"]
