"""Issue 11: the summary counts causes; a finding folded under its cause is one of that cause's effects.

A quoted trailing space in the secret is one cause (the env lint's `env.whitespace`); the stand-in's
refusals of the token it signs (validate, the server API) follow from it and are folded under it."""

from __future__ import annotations

import asyncio
import json

import pytest

from lkdebug import cli
from lkdebug.core import diagnose
from lkdebug.core.model import Severity
from lkdebug.core.render import summary_line
from lkdebug.core.sources import load_settings
from lkdebug.demo import DEMO_API_KEY, DEMO_API_SECRET
from lkdebug.demo.ntp import NtpResponder
from lkdebug.demo.server import run_in_thread

pytestmark = pytest.mark.timeout(60)


@pytest.fixture
def quoted_space(tmp_path):
    (tmp_path / ".env").write_text(f'LIVEKIT_API_KEY={DEMO_API_KEY}\nLIVEKIT_API_SECRET="{DEMO_API_SECRET} "\n')
    with run_in_thread() as server, NtpResponder() as ntp:
        yield tmp_path, server.url, f"127.0.0.1:{ntp.address[1]}"


def test_check_counts_the_cause_once_with_its_effects(quoted_space, capsys):
    project, url, ntp = quoted_space
    args = ["check", "--dir", str(project), "--url", url, "--ntp-server", ntp, "--no-media", "--timeout", "2"]
    assert cli.main([*args, "--json"]) == 1
    findings = json.loads(capsys.readouterr().out)["findings"]
    errors = [f for f in findings if f["severity"] == "error"]
    effects = [f for f in errors if f.get("because") == "env.whitespace"]
    assert [f["code"] for f in errors if not f.get("because")] == ["env.whitespace"] and len(effects) >= 2
    assert cli.main(args) == 1
    last = capsys.readouterr().out.strip().splitlines()[-1]
    assert last.startswith(f"1 error(s) (+{len(effects)} effects), "), last


def test_the_tui_tab_label_counts_causes_too(quoted_space):
    from lkdebug.tui.widgets.findings import counts

    project, url, ntp = quoted_space
    host, port = ntp.split(":")
    settings = load_settings(project, environ={}, home=project, container=False, system_configs=(), url=url)
    report = asyncio.run(diagnose.diagnose(settings, timeout=2, media=False, ntp_servers=[(host, int(port))]))
    folded = [f for f in report.findings if f.because == "env.whitespace"]
    assert folded and all(f.severity is Severity.ERROR for f in folded)
    assert counts(report.findings)[0] == 1
    assert summary_line(report.findings).startswith(f"1 error(s) (+{len(folded)} effect")
