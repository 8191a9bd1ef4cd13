"""Settings with provenance: which value wins, why, and where every key/secret pair was found."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from lkdebug.core.model import Severity
from lkdebug.core.precedence import decide_mode
from lkdebug.core.redact import fingerprint
from lkdebug.core.render import settings_to_dict
from lkdebug.core.sources import load_settings

KEY = "APIfakeKEY12345"
SECRET = "fake-secret-0123456789-abcdefghijklmnop"
OTHER_SECRET = "other-fake-secret-0123456789-abcdefghij"


def write(folder: Path, files: dict[str, str | bytes]) -> None:
    for name, content in files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content if isinstance(content, bytes) else content.encode())


@pytest.fixture
def load(tmp_path):
    project, home = tmp_path / "project", tmp_path / "home"
    project.mkdir()
    home.mkdir()

    def _load(files: dict[str, str | bytes] | None = None, environ: dict[str, str] | None = None, **kw):
        write(project, files or {})
        kw.setdefault("container", False)
        return load_settings(project, environ=environ or {}, home=home, system_configs=(), **kw)

    _load.project, _load.home = project, home
    return _load


def codes(settings) -> list[str]:
    return [f.code for f in settings.findings]


def good_env(url="wss://demo.example.net") -> str:
    return f"LIVEKIT_URL={url}\nLIVEKIT_API_KEY={KEY}\nLIVEKIT_API_SECRET={SECRET}\n"


def test_a_clean_env_file_resolves_all_three_settings(load):
    s = load({".env": good_env()})
    assert (s.url.value, s.api_key.value, s.api_secret.value) == ("wss://demo.example.net", KEY, SECRET)
    assert s.url.source == ".env" and s.url.name == "LIVEKIT_URL"
    assert not [f for f in s.findings if f.severity in (Severity.ERROR, Severity.WARNING)], s.findings
    assert [v.line for v in s.variables if v.name == "LIVEKIT_API_SECRET"] == [3]


def test_process_environment_beats_dotenv_files_and_says_why(load):
    s = load({".env.local": good_env()}, environ={"LIVEKIT_API_KEY": "APIfromSHELL0001"})
    assert s.api_key.value == "APIfromSHELL0001" and s.api_key.source == "process environment"
    loser = next(v for v in s.variables if v.name == "LIVEKIT_API_KEY" and not v.wins)
    assert loser.source == ".env.local" and "process environment beats dotenv files" in loser.note
    conflict = next(f for f in s.findings if f.code == "env.conflict")
    assert "process environment wins" in conflict.title and "unset LIVEKIT_API_KEY" in conflict.fix


def test_an_empty_exported_variable_still_shadows_the_file(load):
    s = load({".env.local": good_env()}, environ={"LIVEKIT_API_SECRET": ""})
    assert s.api_secret.value == "" and s.api_secret.source == "process environment"
    assert "env.empty" in codes(s)


def test_nextjs_order_in_development(load):
    s = load({
        ".env": "LIVEKIT_URL=wss://a.example.net\n",
        ".env.development": "LIVEKIT_URL=wss://b.example.net\n",
        ".env.local": "LIVEKIT_URL=wss://c.example.net\n",
        ".env.development.local": "LIVEKIT_URL=wss://d.example.net\n",
        ".env.production.local": "LIVEKIT_URL=wss://e.example.net\n",
    })
    assert s.mode == "development" and "NODE_ENV is not set" in s.mode_reason
    assert s.url.value == "wss://d.example.net"
    prod = next(v for v in s.variables if v.source == ".env.production.local")
    assert not prod.wins and "not read in development mode" in prod.note


def test_node_env_picks_the_mode(load):
    s = load({
        ".env.development": "LIVEKIT_URL=wss://dev.example.net\n",
        ".env.production": "LIVEKIT_URL=wss://prod.example.net\n",
    }, environ={"NODE_ENV": "production"})
    assert s.mode == "production" and s.url.value == "wss://prod.example.net"


def test_only_production_files_means_production(tmp_path):
    (tmp_path / ".env.production").write_text("X=1\n")
    assert decide_mode({}, tmp_path)[0] == "production"
    (tmp_path / ".env.development.local").write_text("X=1\n")
    assert decide_mode({}, tmp_path)[0] == "development"


def test_test_mode_skips_env_local_like_nextjs(load):
    s = load({".env.local": "LIVEKIT_URL=wss://local.example.net\n", ".env": "LIVEKIT_URL=wss://base.example.net\n"},
             environ={"NODE_ENV": "test"})
    assert s.url.value == "wss://base.example.net"
    assert "skips .env.local" in next(v.note for v in s.variables if v.source == ".env.local")


def test_env_files_beat_project_files_but_not_the_process(load, tmp_path):
    first, second = tmp_path / "one.env", tmp_path / "two.env"
    first.write_text("LIVEKIT_URL=wss://one.example.net\nLIVEKIT_API_KEY=APIoneONEone0001\n")
    second.write_text("LIVEKIT_URL=wss://two.example.net\n")
    s = load({".env.local": good_env()}, environ={"LIVEKIT_API_KEY": KEY}, env_files=[first, second])
    assert s.url.value == "wss://two.example.net" and s.url.source == str(second)
    assert s.api_key.source == "process environment"
    assert [src.kind for src in s.sources].count("env-file") == 2
    notes = {v.source: v.note for v in s.variables if v.name == "LIVEKIT_URL"}
    assert "a later --env-file wins" in notes[str(first)]
    assert "--env-file files are read after" in notes[".env.local"]


def test_duplicate_in_one_file_last_wins(load):
    s = load({".env": "LIVEKIT_URL=wss://first.example.net\nLIVEKIT_URL=wss://last.example.net\n"})
    assert s.url.value == "wss://last.example.net"
    assert "env.duplicate" in codes(s)


def test_interpolation_uses_the_given_environ_not_os_environ(load, monkeypatch):
    monkeypatch.setenv("LK_HOST_FOR_TEST", "from-os-environ")
    s = load({".env": "HOST=demo.example.net\nLIVEKIT_URL=wss://${HOST}\nLIVEKIT_WS_URL=wss://${LK_HOST_FOR_TEST}x\n"})
    assert s.url.value == "wss://demo.example.net"
    assert next(v.value for v in s.variables if v.name == "LIVEKIT_WS_URL") == "wss://x"


def test_utf8_bom_is_reported_and_the_first_variable_still_read(load):
    s = load({".env": b"\xef\xbb\xbf" + good_env().encode()})
    assert "env.bom" in codes(s) and s.url.value == "wss://demo.example.net"


def test_utf16_file_is_not_read_and_says_so(load):
    s = load({".env": good_env().encode("utf-16")})
    assert s.url is None
    f = next(f for f in s.findings if f.code == "env.encoding")
    assert f.severity is Severity.ERROR and "PowerShell" in f.detail
    assert next(src for src in s.sources if src.path.endswith("/.env")).loaded is False


def test_invalid_utf8_is_read_like_node_and_reported(load):
    s = load({".env": b"LIVEKIT_URL=wss://demo.example.net\nJUNK=\xff\xfe\xfa\n"})
    assert s.url.value == "wss://demo.example.net" and "env.encoding" in codes(s)


def test_unparsable_lines_and_names_without_value(load):
    s = load({".env": 'LIVEKIT_URL="wss://demo.example.net\nLIVEKIT_API_KEY\n'})
    assert "env.dotenv_syntax" in codes(s)


def test_a_directory_named_env_is_skipped_not_a_crash(load):
    (load.project / ".env").mkdir()
    s = load()
    assert "env.file_skipped" in codes(s)


def test_server_config_keys_match_by_fingerprint(load):
    s = load({".env": good_env(), "livekit.yaml": f"port: 7880\nkeys:\n  {KEY}: {SECRET}\n"})
    assert s.server_keys == {KEY: SECRET}
    assert "env.server_key_mismatch" not in codes(s)
    assert any(k.origin.startswith("server config") for k in s.known_keys)


def test_server_config_with_another_secret_for_the_key(load):
    s = load({".env": good_env(), "livekit.yaml": f"keys:\n  {KEY}: {OTHER_SECRET}\n"})
    f = next(f for f in s.findings if f.code == "env.server_key_mismatch")
    assert f.severity is Severity.ERROR and "different secret" in f.title
    assert fingerprint(SECRET) in f.detail and fingerprint(OTHER_SECRET) in f.detail
    assert SECRET not in f.detail and OTHER_SECRET not in f.detail


def test_server_config_without_the_key(load):
    s = load({".env": good_env(), "livekit.yaml": f"keys:\n  APIsomeOTHERkey1: {SECRET}\n"})
    f = next(f for f in s.findings if f.code == "env.server_key_mismatch")
    assert "does not hold" in f.title and "invalid API key" in f.detail


def test_explicit_config_and_key_file(load, tmp_path):
    keys = tmp_path / "keys.yaml"
    keys.write_text(f"{KEY}: {SECRET}\n")
    keys.chmod(0o644)
    conf = tmp_path / "server.yaml"
    conf.write_text("key_file: keys.yaml\nwebhook:\n  api_key: APInotAkey\n  urls: [https://hooks.example.net]\n")
    s = load({".env": good_env()}, config=conf)
    assert s.server_keys == {KEY: SECRET}
    assert {"env.key_file_mode", "env.webhook_key"} <= set(codes(s))
    assert str(keys) in [src.path for src in s.sources]


def test_livekit_config_body_wins_over_the_file(load):
    s = load({".env": good_env(), "livekit.yaml": "keys:\n  APIfileKEY00001: x\n"},
             environ={"LIVEKIT_CONFIG": f"keys:\n  {KEY}: {SECRET}\n"})
    assert s.server_keys == {KEY: SECRET}
    file_source = next(src for src in s.sources if src.path.endswith("livekit.yaml"))
    assert not file_source.loaded and "LIVEKIT_CONFIG" in file_source.error


def test_livekit_keys_needs_the_space(load):
    s = load({".env": good_env()}, environ={"LIVEKIT_KEYS": f"{KEY}:{SECRET}"})
    f = next(f for f in s.findings if f.code == "env.config_invalid")
    assert "including the space" in f.detail and SECRET not in f.detail
    s = load(environ={"LIVEKIT_KEYS": f"{KEY}: {SECRET}"})
    assert s.server_keys == {KEY: SECRET}


def test_invalid_yaml_is_a_finding_with_its_line(load):
    s = load({"livekit.yaml": "keys:\n  a: [unclosed\n"})
    f = next(f for f in s.findings if f.code == "env.config_invalid")
    assert "line" in f.detail


def test_lk_default_project_fills_in_when_env_has_nothing(load):
    write(load.home, {".livekit/cli-config.yaml": (
        "default_project: dev\nprojects:\n"
        f"  - name: dev\n    url: wss://dev.example.net\n    api_key: {KEY}\n    api_secret: {SECRET}\n"
        "  - name: other\n    url: wss://other.example.net\n    api_key: APIother0000001\n    api_secret: x\n")})
    s = load()
    assert s.url.value == "wss://dev.example.net" and s.api_key.value == KEY
    assert "lk project 'dev'" in s.api_secret.source
    assert {k.origin.split(" (")[0] for k in s.known_keys} >= {"lk project 'dev'", "lk project 'other'"}


def test_livekit_toml_picks_the_lk_project_by_subdomain(load):
    write(load.home, {".livekit/cli-config.yaml": (
        "default_project: a\nprojects:\n"
        f"  - {{name: a, url: 'wss://aaa.livekit.cloud', api_key: APIaaa000000001, api_secret: {SECRET}}}\n"
        f"  - {{name: b, url: 'wss://bbb.livekit.cloud', api_key: APIbbb000000001, api_secret: {SECRET}}}\n")})
    s = load({"livekit.toml": '[project]\nsubdomain = "bbb"\n'})
    assert s.url.value == "wss://bbb.livekit.cloud" and "livekit.toml" in s.url.source


def test_lk_project_secret_differs_from_env(load):
    write(load.home, {".livekit/cli-config.yaml": (
        f"projects:\n  - {{name: p, url: 'wss://x.example.net', api_key: {KEY}, api_secret: {OTHER_SECRET}}}\n")})
    s = load({".env": good_env()})
    assert "env.secret_mismatch" in codes(s)


def test_flags_and_secret_file_override_and_are_linted(load, tmp_path):
    secret_file = tmp_path / "secret.txt"
    secret_file.write_text("short\n")
    s = load({".env": good_env()}, url="localhost:7880", api_key="APIflagKEY00001", api_secret_file=secret_file)
    assert s.url.source == "--url" and s.api_key.value == "APIflagKEY00001"
    assert s.api_secret.value == "short" and s.api_secret.source.startswith("--api-secret-file")
    assert {"env.url_scheme", "env.secret_short"} <= set(codes(s))


def test_python_project_hint(load):
    s = load({".env.local": good_env(), "pyproject.toml": "[project]\nname='x'\n"})
    assert "env.python_dotenv" in codes(s)


def test_json_shape_masks_unless_reveal(load):
    s = load({".env": good_env()})
    doc = settings_to_dict(s)
    assert set(doc) >= {"sources", "variables", "settings", "findings"}
    assert {"kind", "path", "loaded"} <= set(doc["sources"][0])
    assert {"name", "source", "length", "value", "issues"} <= set(doc["variables"][0])
    assert doc["settings"]["api_secret"] == {"length": len(SECRET), "fingerprint": fingerprint(SECRET)}
    assert SECRET not in str(doc) and KEY not in str(doc)
    revealed = settings_to_dict(s, reveal=True)
    assert revealed["settings"]["api_secret"]["value"] == SECRET and revealed["settings"]["api_key"] == KEY


def test_never_writes_to_the_project(load):
    load({".env": good_env(), "livekit.yaml": f"keys:\n  {KEY}: {SECRET}\n"})
    before = {p: p.stat().st_mtime_ns for p in load.project.iterdir()}
    load()
    assert {p: p.stat().st_mtime_ns for p in load.project.iterdir()} == before


def test_defaults_read_os_environ(tmp_path, monkeypatch):
    monkeypatch.setenv("LIVEKIT_URL", "wss://from-os.example.net")
    s = load_settings(tmp_path, home=tmp_path, container=False, system_configs=())
    assert s.url.value == "wss://from-os.example.net" and os.environ["LIVEKIT_URL"] == s.url.value


def test_discovery_without_the_lint_reads_the_same_keys_and_values(load):
    """`token decode` loads settings with lint=False: what it reads must be what the full load reads."""
    files = {".env": f"LIVEKIT_URL=wss://demo.example.net\nLIVEKIT_API_KEY={KEY}\nLIVEKIT_API_SECRET= {SECRET}\n",
             ".env.local": f"LIVEKIT_API_SECRET={OTHER_SECRET}\n", "livekit.yaml": f"keys:\n  {KEY}: {SECRET}\n"}
    environ = {"LIVEKIT_API_SECRET": "stale-exported-secret-0123456789abcdef"}
    full, bare = load(files, environ), load(files, environ, lint=False)
    assert len(bare.findings) < len(full.findings)  # the lint (a leading space, three secrets) did not run
    for name in ("known_keys", "server_keys", "url", "api_key", "api_secret", "sources", "mode", "lk"):
        assert getattr(bare, name) == getattr(full, name), name
    assert [(v.name, v.value, v.source, v.wins) for v in bare.variables] == \
        [(v.name, v.value, v.source, v.wins) for v in full.variables]


@pytest.mark.parametrize(("package", "framework"), [
    ('{"devDependencies": {"vite": "6.0.0"}}', "Vite"),
    ('{"devDependencies": {"@sveltejs/kit": "2.0.0"}}', "Vite"),
    ('{"dependencies": {"astro": "5.0.0"}}', "Vite"),
    ('{"dependencies": {"next": "15.1.0"}, "devDependencies": {"vite": "6.0.0"}}', "Next.js"),  # vitest's vite
    ('{"dependencies": {"express": "4"}}', "Next.js"),
    ("[1, 2]", "Next.js"),
    ("{not json", "Next.js"),
])
def test_the_dotenv_order_follows_the_framework(tmp_path, package, framework):
    from lkdebug.core.precedence import dotenv_order, framework_of

    (tmp_path / "package.json").write_text(package)
    assert framework_of(tmp_path) == framework
    assert dotenv_order("development", framework).index(".env.local") == (2 if framework == "Vite" else 1)
