"""The support report: one document, Markdown and JSON renderings of the same data."""

from __future__ import annotations

import json

from lkdebug import cli
from lkdebug.core.decode import decode
from lkdebug.core.mint import build_claims, mint
from lkdebug.core.model import CheckResult, CheckStatus, Report
from lkdebug.core.report import build_report, to_json, to_markdown
from lkdebug.core.sources import load_settings

KEY, SECRET = "APIreportFake1", "report-secret-FAKE-0123456789abcdefghij"


def _project(tmp_path):
    (tmp_path / ".env").write_text(f"LIVEKIT_URL=ws://old:7880\nLIVEKIT_API_KEY={KEY}\nLIVEKIT_API_SECRET={SECRET}\n")
    (tmp_path / ".env.local").write_text("LIVEKIT_URL=wss://new.example | with a pipe\n")
    return load_settings(tmp_path, environ={}, home=tmp_path, container=False, system_configs=())


def test_markdown_and_json_carry_the_same_report(tmp_path, now):
    settings = _project(tmp_path)
    token = mint(build_claims(api_key=KEY, identity="alice", video={"roomJoin": True, "room": "r"}, now=now), SECRET)
    decoded = decode(token, known_keys=settings.known_keys, now=now)
    probes = Report("wss://new.example", [], [CheckResult("tcp", CheckStatus.FAIL, 2001.0, "no answer within 2 s")])
    doc = build_report(settings, decoded=decoded, diagnosis=probes, now=now)

    parsed = json.loads(to_json(doc))
    assert parsed["generated_at"] == "2026-01-15T12:00:00Z"
    assert {"lkdebug", "platform", "environment", "token", "connectivity", "findings"} <= set(parsed)
    assert parsed["token"]["signature"]["status"] == "valid"
    assert "env.conflict" in [f["code"] for f in parsed["findings"]]

    markdown = to_markdown(doc)
    assert markdown.startswith("## lkdebug report")
    assert "| ❌ | tcp | 2001 ms | no answer within 2 s |" in markdown
    assert "~~`LIVEKIT_URL`~~ (overridden)" in markdown  # the value .env.local beat
    assert "with a pipe" in markdown and "\\| with a pipe" in markdown  # a pipe cannot break the table
    assert markdown.count("<details>") == 2 and markdown.count("</details>") == 2
    assert SECRET not in markdown and token.split(".")[2] not in markdown


def test_report_output_never_overwrites_a_file(tmp_path, capsys):
    existing = tmp_path / "notes.md"
    existing.write_text("mine")
    assert cli.main(["report", "--dir", str(tmp_path), "--output", str(existing)]) == cli.ExitCode.USAGE
    assert existing.read_text() == "mine"
    assert "already exists" in capsys.readouterr().err
