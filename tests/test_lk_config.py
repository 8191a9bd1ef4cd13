"""What `lk` would use from a folder, case by case of lk's resolveProject order, with a fake HOME."""

from __future__ import annotations

from pathlib import Path

import pytest

from lkdebug.core import lk_config
from lkdebug.core.render import settings_to_dict
from lkdebug.core.sources import load_settings

SECRET_A = "secret-of-project-aaa-0123456789abcdef"
SECRET_B = "secret-of-project-bbb-0123456789abcdef"
ENV_KEY, ENV_SECRET = "APIenvKEY000001", "secret-in-the-environment-0123456789ab"
CLI_CONFIG = (
    "default_project: staging\nprojects:\n"
    f"  - {{name: staging, url: 'wss://aaa.livekit.cloud', api_key: APIaaa000000001, api_secret: {SECRET_A}}}\n"
    f"  - {{name: production, url: 'wss://bbb.livekit.cloud', api_key: APIbbb000000001, api_secret: {SECRET_B}}}\n")


@pytest.fixture
def folder(tmp_path):
    project, home = tmp_path / "project", tmp_path / "home"
    project.mkdir()
    (home / ".livekit").mkdir(parents=True)
    (home / ".livekit" / "cli-config.yaml").write_text(CLI_CONFIG)
    (home / ".livekit" / "cli-config.yaml").chmod(0o600)

    def load(files: dict[str, str] | None = None, environ: dict[str, str] | None = None):
        for name, text in (files or {}).items():
            (project / name).write_text(text)
        return load_settings(project, environ=environ or {}, home=home, container=False, system_configs=())

    return load


def codes(settings) -> list[str]:
    return [f.code for f in settings.findings]


def projects() -> list[lk_config.LkProject]:
    return [lk_config.LkProject("staging", "wss://aaa.livekit.cloud", "APIaaa000000001", SECRET_A, "cfg"),
            lk_config.LkProject("production", "wss://bbb.livekit.cloud", "APIbbb000000001", SECRET_B, "cfg")]


def test_project_flag_beats_everything():
    env = {"LIVEKIT_API_KEY": ENV_KEY, "LIVEKIT_API_SECRET": ENV_SECRET}
    choice = lk_config.resolve(projects(), "staging", env, toml_found=True, toml_subdomain="aaa",
                               project="production", subdomain="aaa", dev=True)
    assert (choice.step, choice.project.name, choice.says) == ("--project", "production", "Using project [production]")
    missing = lk_config.resolve(projects(), None, {}, project="nope")
    assert missing.error and missing.says == "project not found. Available projects: staging, production"


def test_subdomain_flag_is_the_first_host_label():
    assert lk_config.resolve(projects(), "staging", {}, subdomain="bbb").project.name == "production"
    assert lk_config.resolve(projects(), "staging", {}, subdomain="bb").error  # not a substring match


def test_environment_needs_key_and_secret_and_its_url_defaults_to_localhost(folder):
    s = folder({"livekit.toml": '[project]\nsubdomain = "bbb"\n'},
               environ={"LIVEKIT_API_KEY": ENV_KEY, "LIVEKIT_API_SECRET": ENV_SECRET})
    assert s.lk.step == "environment" and s.lk.project.url == "http://localhost:7880"
    assert s.lk.says == "Using api-key, api-secret from environment"
    with_url = folder(environ={"LIVEKIT_API_KEY": ENV_KEY, "LIVEKIT_API_SECRET": ENV_SECRET,
                               "LIVEKIT_URL": "wss://ccc.example.net"})
    assert with_url.lk.says == "Using url, api-key, api-secret from environment"


def test_a_key_without_its_secret_is_ignored_by_lk(folder):
    s = folder({".env.local": f"LIVEKIT_API_SECRET={ENV_SECRET}\n"}, environ={"LIVEKIT_API_KEY": ENV_KEY})
    assert s.lk.step == "default_project" and s.lk.project.name == "staging"
    half = next(f for f in s.findings if f.code == "env.lk_env_half")
    assert "LIVEKIT_API_SECRET is not in the process environment" in half.title
    assert "project staging" in half.detail and "dotenv file, which lk never reads" in half.detail


def test_dev_flag_after_the_environment():
    choice = lk_config.resolve(projects(), "staging", {}, toml_found=True, toml_subdomain="bbb", dev=True)
    assert (choice.step, choice.project.api_key, choice.project.api_secret) == ("--dev", "devkey", "secret")


def test_livekit_toml_picks_its_project_over_the_default(folder):
    s = folder({"livekit.toml": '[project]\nsubdomain = "bbb"\n'})
    assert s.lk.step == "livekit.toml" and s.lk.project.name == "production"
    assert s.api_key.value == "APIbbb000000001" and s.url.value == "wss://bbb.livekit.cloud"


def test_legacy_project_subdomain_is_read(folder):
    s = folder({"livekit.toml": 'project_subdomain = "bbb"\n'})
    assert s.lk.step == "livekit.toml" and s.lk.project.name == "production"


def test_livekit_toml_without_a_matching_project_is_an_error_not_the_default(folder):
    s = folder({"livekit.toml": '[project]\nsubdomain = "zzz"\n'})
    assert s.lk.step == "livekit.toml" and s.lk.error and s.lk.project is None
    assert "project not found. Available projects: staging, production" in s.lk.says
    assert "multiple projects configured; set --project" in s.lk.says
    assert "env.lk_toml_no_match" in codes(s)
    assert s.api_key is None  # not staging's key: lk would not use it either


def test_default_project_and_none(folder):
    assert folder().lk.step == "default_project"
    nothing = lk_config.resolve([], None, {})
    assert nothing.step == "none" and nothing.error and "no projects configured" in nothing.says


def test_lk_and_the_app_disagree_said_plainly(folder):
    s = folder({".env.local": f"LIVEKIT_URL=wss://bbb.livekit.cloud\nLIVEKIT_API_KEY=APIbbb000000001\n"
                              f"LIVEKIT_API_SECRET={SECRET_B}\n"})
    differs = next(f for f in s.findings if f.code == "env.lk_differs")
    assert differs.title == "`lk` commands here target project staging; your app targets wss://bbb.livekit.cloud"
    assert "never .env files" in differs.detail
    assert SECRET_A not in differs.detail + differs.title and SECRET_B not in differs.detail
    body = settings_to_dict(s)
    assert body["lk"]["step"] == "default_project" and body["lk"]["project"]["name"] == "staging"
    assert SECRET_A not in str(body["lk"])


def test_the_same_project_says_nothing(folder):
    s = folder({".env.local": f"LIVEKIT_URL=wss://aaa.livekit.cloud\nLIVEKIT_API_KEY=APIaaa000000001\n"
                              f"LIVEKIT_API_SECRET={SECRET_A}\n"})
    assert "env.lk_differs" not in codes(s)


def test_an_env_key_is_not_paired_with_an_lk_project_url(folder):
    s = folder({".env": f"LIVEKIT_API_KEY={ENV_KEY}\nLIVEKIT_API_SECRET={ENV_SECRET}\n"})
    assert s.api_key.value == ENV_KEY and s.url is None


def test_env_command_shows_lk_beside_the_app(folder, capsys, monkeypatch, tmp_path):
    from lkdebug.cli import main

    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    folder({".env.local": f"LIVEKIT_URL=wss://bbb.livekit.cloud\nLIVEKIT_API_KEY=APIbbb000000001\n"
                          f"LIVEKIT_API_SECRET={SECRET_B}\n"})
    main(["env", "--dir", str(Path(tmp_path / "project"))])
    out = capsys.readouterr().out
    assert "lk          wss://aaa.livekit.cloud, key APIaaa…  default_project: Using project [staging]" in out
