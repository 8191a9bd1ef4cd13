"""A Node server that loads dotenv itself (`import 'dotenv/config'`, `require('dotenv').config()`, `node -r
dotenv/config`) reads `.env` only, while Next.js, Vite and lkdebug's checks read `.env.local`: `env.node_dotenv`,
the twin of the Python agent's `env.python_dotenv`. Next.js and Vite apps, which leave the loading to the
framework, and servers that name `.env.local` stay silent.
"""

from __future__ import annotations

import json

import pytest

from tests.in_process import run_json
from tests.test_right_projects import DEFAULTS, KEYS, SECRET, write

LOCAL = ".env.local", "LIVEKIT_URL=wss://meet-abc123de.livekit.cloud\n" + KEYS
PACKAGE = {"name": "token-server", "dependencies": {"express": "4.21.0", "dotenv": "16.4.5", "livekit-server-sdk": "2.9.0"}}


def package(**fields) -> str:
    return json.dumps({**PACKAGE, **fields})


def node_findings(capsys, folder) -> list[dict]:
    _, doc = run_json(capsys, "env", "--dir", str(folder), "--json")
    return [f for f in doc["findings"] if f["code"] == "env.node_dotenv"]


@pytest.mark.parametrize(("path", "code", "warned"), [
    ("server.js", "require('dotenv').config();\n", True),
    ("src/index.ts", "import 'dotenv/config';\nimport express from 'express';\n", True),
    ("server.cjs", 'require("dotenv/config");\n', True),
    ("src/server.mjs", "import dotenv from 'dotenv';\ndotenv.config();\n", True),
    ("server/main.ts", 'import * as dotenv from "dotenv";\ndotenv.config({ override: true, debug: false });\n', True),
    ("src/token.ts", "import { config } from 'dotenv';\nconfig();\n", True),
    ("index.js", "const { config: loadEnv } = require('dotenv');\nloadEnv();\n", True),
    ("index.js", "const env = require('dotenv');\nenv.config({ path: '.env' });\n", True),
    ("server.js", "require('dotenv').config({ path: '.env.local' });\n", False),
    ("server.js", "const path = require('path');\nrequire('dotenv').config({ path: path.resolve(__dirname, '.env.local') });\n", False),
    ("src/agent.ts", "import dotenv from 'dotenv';\ndotenv.config({ path: ['.env.local', '.env'] });\n", False),
    ("server.js", "require('dotenv').config({ path: process.env.ENV_FILE });\n", False),  # a file lkdebug cannot name
    ("server.js", "require('dotenv').config({ path: `.env.${process.env.APP_ENV}` });\n", False),
    ("server.js", "const path = process.env.ENV_FILE;\nrequire('dotenv').config({ path });\n", False),
    ("server.js", "require('dotenv').config();\nrequire('dotenv').config({ path: '.env.local' });\n", False),
    ("server.js", "// require('dotenv').config();\nrequire('dotenv').config({ path: '.env.local' });\n", False),
])
def test_the_server_reads_the_files_its_dotenv_names(tmp_path, capsys, path, code, warned):
    """The values in .env.local: a warning only when the server's dotenv does not load that file."""
    folder = write(tmp_path, {LOCAL[0]: LOCAL[1], "package.json": package(), path: code})
    found = node_findings(capsys, folder)
    assert bool(found) is warned, found
    if warned:
        assert found[0]["title"] == "A Node server's dotenv does not read .env.local"
        assert "a Node server reads .env: not set" in found[0]["detail"] and SECRET not in found[0]["detail"]
        assert "path: ['.env.local', '.env']" in found[0]["fix"]


@pytest.mark.parametrize(("script", "warned"), [
    ("node -r dotenv/config dist/server.js", True),
    ("node --require=dotenv/config dist/server.js", True),
    ("node --import dotenv/config dist/server.js", True),
    ("node -r dotenv/config dist/server.js dotenv_config_path=.env.local", False),
])
def test_a_preload_in_package_json_scripts(tmp_path, capsys, script, warned):
    folder = write(tmp_path, {LOCAL[0]: LOCAL[1], "package.json": package(scripts={"start": script}),
                              "dist/server.js": "const express = require('express');\n"})
    assert bool(node_findings(capsys, folder)) is warned


def test_the_entry_package_json_names_is_read(tmp_path, capsys):
    """`main` and the files scripts run, outside the usual folders (here lib/)."""
    folder = write(tmp_path, {LOCAL[0]: LOCAL[1], "package.json": package(main="lib/app.js", scripts={"dev": "nodemon lib/app.js"}),
                              "lib/app.js": "require('dotenv').config();\n"})
    assert node_findings(capsys, folder)


def test_dotenv_config_path_in_the_environment_names_the_preloads_file(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("DOTENV_CONFIG_PATH", str(tmp_path / ".env.local"))
    folder = write(tmp_path, {LOCAL[0]: LOCAL[1], "package.json": package(), "server.js": "require('dotenv/config');\n"})
    assert node_findings(capsys, folder) == []


def test_a_server_that_gets_the_other_value_folds_the_conflicts_under_it(tmp_path, capsys):
    """Both files: Next.js order gives .env.local's values, the server its .env defaults (the dev server's)."""
    folder = write(tmp_path, {".env": DEFAULTS, LOCAL[0]: LOCAL[1], "package.json": package(),
                              "server.js": "require('dotenv').config();\n"})
    _, doc = run_json(capsys, "env", "--dir", str(folder), "--json")
    conflicts = [f for f in doc["findings"] if f["code"] == "env.conflict"]
    assert len(conflicts) == 3 and all(f["severity"] == "warning" and f["because"] == "env.node_dotenv" for f in conflicts)
    assert all("A Node server's dotenv reads .env, so it runs with .env's value instead." in f["detail"] for f in conflicts)
    cause = next(f for f in doc["findings"] if f["code"] == "env.node_dotenv")
    assert "a Node server reads .env: 'ws://localhost:7880'" in cause["detail"]


@pytest.mark.parametrize("files", [
    pytest.param({"package.json": package(dependencies={"next": "15.1.0", "dotenv": "16.4.5"}),
                  "next.config.js": "require('dotenv').config();\nmodule.exports = {};\n"}, id="next.config.js loads dotenv"),
    pytest.param({"package.json": package(devDependencies={"vite": "6.0.0"}),
                  "vite.config.ts": "import 'dotenv/config';\nexport default {};\n"}, id="vite.config.ts loads dotenv"),
    pytest.param({"package.json": package(scripts={"dev": "vite", "server": "node server.js"}),
                  "server.js": "require('dotenv').config({ path: ['.env.local', '.env'] });\n"}, id="token server names .env.local"),
    pytest.param({"package.json": package(), "server.js": "const express = require('express');\n"}, id="no dotenv call"),
    pytest.param({"package.json": "not json", "server.js": "require('dotenv').config();\n"}, id="unreadable package.json"),
])
def test_framework_loading_and_named_files_stay_silent(tmp_path, capsys, files):
    folder = write(tmp_path, {LOCAL[0]: LOCAL[1], **files})
    assert node_findings(capsys, folder) == []


def test_the_values_in_env_are_what_the_server_reads(tmp_path, capsys):
    folder = write(tmp_path, {".env": LOCAL[1], "package.json": package(), "server.js": "require('dotenv').config();\n"})
    assert node_findings(capsys, folder) == []


def test_the_look_is_bounded(tmp_path):
    """A huge source is read only to its first 256 KiB; a call past it is not seen (nor the file loaded whole)."""
    from lkdebug.core.node_dotenv import node_dotenv_files

    write(tmp_path, {"package.json": package(), "server.js": "//" + "x" * (300 * 1024) + "\nrequire('dotenv').config();\n"})
    assert node_dotenv_files(tmp_path, {}) is None
    (tmp_path / "small.js").write_text("require('dotenv').config();\n")
    assert node_dotenv_files(tmp_path, {}) == (".env",)
