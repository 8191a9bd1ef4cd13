"""What a Python user expects of the package: metadata, --version, completion scripts, versioned JSON."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from lkdebug import __version__
from lkdebug.cli import main
from lkdebug.demo import DEMO_API_KEY as KEY, DEMO_API_SECRET as SECRET

ROOT = Path(__file__).resolve().parent.parent


def test_metadata_is_spdx_licensed_with_ranges_and_exact_test_pins():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert project["license"] == "Apache-2.0" and project["license-files"] == ["LICENSE"]
    assert "Apache License" in (ROOT / "LICENSE").read_text() and "Version 2.0" in (ROOT / "LICENSE").read_text()
    assert not any(c.startswith("License ::") for c in project["classifiers"])  # refused beside an SPDX license
    runtime = {d.split(">")[0].split("=")[0].split("<")[0]: d for d in project["dependencies"]}
    assert all("==" not in spec for spec in runtime.values()), runtime
    assert runtime["textual"] == "textual>=8.2.8,<9"
    assert "textual==8.2.8" in project["optional-dependencies"]["test"]


def test_version(capsys):
    with pytest.raises(SystemExit) as done:
        main(["--version"])
    assert done.value.code == 0 and capsys.readouterr().out == f"lkdebug {__version__}\n"


@pytest.mark.parametrize("shell, marker", [("bash", "complete "), ("zsh", "compdef"), ("fish", "complete --command lkdebug")])
def test_completion_scripts_generate(capsys, shell, marker):
    assert main(["completion", shell]) == 0
    assert marker in capsys.readouterr().out


def test_completion_answers_from_the_parser(tmp_path):
    """The protocol the scripts speak: the shell sets _ARGCOMPLETE and COMP_LINE, lkdebug answers."""
    answer = tmp_path / "answer"
    line = "lkdebug token create --ide"
    env = {**os.environ, "_ARGCOMPLETE": "1", "COMP_LINE": line, "COMP_POINT": str(len(line)),
           "_ARGCOMPLETE_STDOUT_FILENAME": str(answer)}
    subprocess.run([sys.executable, "-m", "lkdebug"], env=env, timeout=60, check=True, capture_output=True)
    assert answer.read_text().split() == ["--identity"]


@pytest.fixture
def project(tmp_path):
    (tmp_path / ".env").write_text(f"LIVEKIT_API_KEY={KEY}\nLIVEKIT_API_SECRET={SECRET}\nLIVEKIT_URL=ws://127.0.0.1:9\n")
    return tmp_path


def test_every_json_output_names_its_schema(project, capsys):
    def schema(*argv: str) -> str:
        main(list(argv))
        return json.loads(capsys.readouterr().out)["schema"]

    d = ["--dir", str(project)]
    assert schema("env", *d, "--json") == "lkdebug/env/1"
    assert schema("token", "create", *d, "-i", "a", "-r", "r", "--join", "--json") == "lkdebug/token-create/1"
    main(["token", "create", *d, "-i", "a", "-r", "r", "--join"])
    token = capsys.readouterr().out.strip()
    assert schema("token", "decode", *d, token, "--json") == "lkdebug/token-decode/1"
    assert schema("token", "create", *d, "--lk", "--json") == "lkdebug/token-create-lk/1"
    assert schema("check", *d, "--no-network", "--json") == "lkdebug/check/1"
    assert schema("report", *d, "--format", "json") == "lkdebug/report/1"
    (project / "body").write_bytes(b"{}")
    assert schema("webhook", "verify", *d, "--body", str(project / "body"), "--authorization", "", "--json") == \
        "lkdebug/webhook-verify/1"
