"""Issue 11, "done when": on a project whose every setting is right, `env` and `check` print no warning at all.

Realistic right projects (how the seeds and the user reports show them: a Next.js app with `.env.local`, a
Python agent with `load_dotenv()`, a LiveKit host with only livekit.yaml, an `lk` CLI project, a Vite app),
each beside the unrelated `*_URL`/`*_TOKEN`/`*_SECRET` variables real projects carry, through `env --json`
and `check --json` against the stand-in server on 127.0.0.1.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.in_process import run_json

pytestmark = pytest.mark.timeout(120)

KEY = "APIRrwVkRxp62tg"
SECRET = "fK3vR9sQ2mX7pL4wT8yB1nE6cH5jZ0aUdGiOkMqSrVx"

# What sits beside the LiveKit settings in real projects: other services' URLs, tokens and secrets.
UNRELATED = (
    "DATABASE_URL=postgresql://app:app-db-pass@localhost:5432/app\n"
    "REDIS_URL=redis://localhost:6379/0\n"
    "NEXTAUTH_URL=http://localhost:3000\n"
    "NEXTAUTH_SECRET=k8Yt2vQ9xW4mN7pR1sL6dF3gH0jZ5bC\n"
    "GITHUB_TOKEN=ghp_16C7e42F292c6912E7710c838347Ae178B4a\n"
    "HF_TOKEN=hf_xYzAbCdEfGhIjKlMnOpQrStUvWxYz0123\n"
    "SENTRY_AUTH_TOKEN=sntrys_eyJpYXQiOjE3MDAwMDAwMDB9_abc\n"
    "JWT_SECRET=another-service-jwt-secret-0123456789\n"
    "STRIPE_WEBHOOK_SECRET=whsec_0123456789abcdefABCDEF\n"
    "OPENAI_API_KEY=sk-proj-0123456789abcdefghijklmnopqrstuvwxyz\n"
    # LiveKit-named, but not the API key pair: coturn's static-auth-secret, the egress bucket's key.
    "LIVEKIT_TURN_SECRET=turnpass123\n"
    "LIVEKIT_EGRESS_S3_SECRET=APIabcdefgh12345\n"
)
EXAMPLE = "LIVEKIT_URL=wss://your-project.livekit.cloud\nLIVEKIT_API_KEY=your_api_key\nLIVEKIT_API_SECRET=your_api_secret\n"
KEYS = f"LIVEKIT_API_KEY={KEY}\nLIVEKIT_API_SECRET={SECRET}\n"


def nextjs(url: str) -> dict[str, str]:
    return {".env.local": KEYS + f"LIVEKIT_URL={url}\nNEXT_PUBLIC_LIVEKIT_URL={url}\n" + UNRELATED
            + "NEXT_PUBLIC_APP_URL=http://localhost:3000\nNEXT_PUBLIC_CONN_DETAILS_ENDPOINT=/api/connection-details\n",
            ".env.example": EXAMPLE,
            "package.json": '{"name": "meet", "dependencies": {"next": "15.1.0", "livekit-client": "2.9.0"}}\n'}


def python_agent(url: str) -> dict[str, str]:
    return {".env": f"LIVEKIT_URL={url}\n" + KEYS + UNRELATED + "DEEPGRAM_API_KEY=dg0123456789abcdef\n",
            ".env.example": EXAMPLE,
            "agent.py": "from dotenv import load_dotenv\nfrom livekit.agents import cli\n\nload_dotenv()\n",
            "requirements.txt": "livekit-agents\npython-dotenv\n"}


def python_starter(url: str) -> dict[str, str]:
    """agent-starter-python: the values in .env.local, and the agent loads that file by name."""
    return {".env.local": f"LIVEKIT_URL={url}\n" + KEYS + UNRELATED,
            ".env.example": EXAMPLE,
            "pyproject.toml": "[project]\nname = 'agent-starter-python'\ndependencies = ['livekit-agents']\n",
            "src/agent.py": 'from dotenv import load_dotenv\n\nload_dotenv(".env.local")\n'}


def vite(url: str) -> dict[str, str]:
    return {".env.local": f"VITE_LIVEKIT_URL={url}\nVITE_TOKEN_SERVER_URL=http://localhost:3001/api/token\n",
            ".env": KEYS + f"LIVEKIT_URL={url}\n" + UNRELATED,
            "package.json": '{"name": "app", "devDependencies": {"vite": "6.0.0"}}\n'}


PROJECTS = {"next.js": nextjs, "python agent": python_agent, "python starter": python_starter, "vite": vite}


def run(capsys, *args: str) -> tuple[int, dict]:
    return run_json(capsys, *args, "--json")


def ws_url(server) -> str:
    return server.url.replace("http://", "ws://")


def loud(doc: dict) -> list[tuple[str, str]]:
    return [(f["code"], f["title"]) for f in doc["findings"] if f["severity"] in ("warning", "error")]


def write(folder: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text)
    return folder


@pytest.fixture
def stand_in():
    from lkdebug.demo.server import StandInConfig, run_in_thread

    server = run_in_thread(StandInConfig(keys={KEY: SECRET}))
    yield server
    server.stop()


@pytest.fixture
def ntp():
    from lkdebug.demo.ntp import NtpResponder

    with NtpResponder() as responder:
        yield ["--ntp-server", f"127.0.0.1:{responder.address[1]}"]


def assert_quiet(capsys, *args: str, infos: set[str] = frozenset()) -> dict:
    """No warning or error, exit 0, and every info is one a right project can get (never a URL problem)."""
    code, doc = run(capsys, *args)
    assert loud(doc) == [] and code == 0, (args[0], loud(doc), code)
    said = {f["code"] for f in doc["findings"] if f["severity"] == "info"}
    assert said <= {"env.url_localhost", "env.key_from_server_config", "env.missing", "env.url_service_name", *infos}, said
    return doc


@pytest.mark.parametrize("project", PROJECTS)
def test_a_right_project_is_quiet(tmp_path, capsys, stand_in, ntp, project):
    folder = write(tmp_path, PROJECTS[project](ws_url(stand_in)))
    assert_quiet(capsys, "env", "--dir", str(folder))
    doc = assert_quiet(capsys, "check", "--dir", str(folder), "--timeout", "3", *ntp)
    assert {c["name"]: c["status"] for c in doc["checks"]}["validate"] == "pass"


@pytest.mark.parametrize("project", PROJECTS)
def test_a_right_cloud_project_is_quiet_offline(tmp_path, capsys, project):
    folder = write(tmp_path, PROJECTS[project]("wss://meet-abc123de.livekit.cloud"))
    assert_quiet(capsys, "env", "--dir", str(folder))
    assert_quiet(capsys, "check", "--no-network", "--dir", str(folder))


def test_a_livekit_host_with_only_livekit_yaml(tmp_path, capsys, stand_in, ntp):
    """The host's livekit.yaml: the stand-in on its `port:`, a socket standing for livekit-server's ICE/TCP
    port on `rtc.tcp_port` (lkdebug looks for it in /proc/net/tcp), and `env` and `check --url` say nothing loud."""
    import socket

    port = int(stand_in.url.rsplit(":", 1)[1])
    with socket.create_server(("127.0.0.1", 0)) as rtc_tcp:
        folder = write(tmp_path, {"livekit.yaml": f"port: {port}\nrtc:\n  tcp_port: {rtc_tcp.getsockname()[1]}\n"
                                  "  port_range_start: 50000\n  port_range_end: 60000\n  use_external_ip: true\n"
                                  f"keys:\n  {KEY}: {SECRET}\nlogging:\n  level: info\n"})
        doc = assert_quiet(capsys, "env", "--dir", str(folder))
        assert f"--url ws://127.0.0.1:{port}" in next(f["fix"] for f in doc["findings"] if f["code"] == "env.missing")
        doc = assert_quiet(capsys, "check", "--dir", str(folder), "--url", f"ws://127.0.0.1:{port}", "--timeout", "3", *ntp)
    assert {c["name"]: c["status"] for c in doc["checks"]}["validate"] == "pass"


def test_an_lk_cli_project(tmp_path, capsys, monkeypatch, stand_in, ntp):
    home = tmp_path / "home"
    write(home, {".livekit/cli-config.yaml": f"default_project: dev\nprojects:\n  - name: dev\n    url: {ws_url(stand_in)}\n"
                 f"    api_key: {KEY}\n    api_secret: {SECRET}\n"})
    (home / ".livekit/cli-config.yaml").chmod(0o600)  # what lk wants (it warns otherwise)
    monkeypatch.setenv("HOME", str(home))
    folder = tmp_path / "app"
    folder.mkdir()
    assert_quiet(capsys, "env", "--dir", str(folder))
    doc = assert_quiet(capsys, "check", "--dir", str(folder), "--timeout", "3", *ntp)
    assert {c["name"]: c["status"] for c in doc["checks"]}["validate"] == "pass"


@pytest.mark.parametrize(("code", "warned"), [
    ("load_dotenv()\n", True),
    ("load_dotenv(override=True)\n", True),
    ('load_dotenv(".env")\n', True),
    ('load_dotenv(".env.local")\n', False),
    ('load_dotenv(dotenv_path=Path(__file__).parent.parent / ".env.local")\n', False),
    ('load_dotenv(find_dotenv(".env.local"))\n', False),
    ('load_dotenv(find_dotenv())\n', True),
    ('load_dotenv(os.environ["ENV_FILE"])\n', False),  # a file lkdebug cannot name: nothing to say
    ('load_dotenv(f".env.{os.environ.get(\'APP_ENV\', \'local\')}")\n', False),
    ('load_dotenv(".env")\nload_dotenv(".env.local")\n', False),
])
def test_the_agent_reads_the_files_its_load_dotenv_names(tmp_path, capsys, code, warned):
    """The values in .env.local: a warning only when the agent's load_dotenv() does not load that file."""
    folder = write(tmp_path, {".env.local": "LIVEKIT_URL=wss://meet-abc123de.livekit.cloud\n" + KEYS,
                              "pyproject.toml": "[project]\nname = 'agent'\n",
                              "src/agent.py": "import os\nfrom pathlib import Path\n"
                                              "from dotenv import find_dotenv, load_dotenv\n\n" + code})
    _, doc = run(capsys, "env", "--dir", str(folder))
    found = [f for f in doc["findings"] if f["code"] == "env.python_dotenv"]
    assert bool(found) is warned, doc["findings"]
    if warned:
        assert "a Python agent reads .env: not set" in found[0]["detail"]


@pytest.mark.parametrize(("server_url", "browser_url", "mismatch"), [
    ("ws://localhost:7880", "ws://127.0.0.1:7880", False),  # two names for this machine
    ("ws://[::1]:7880", "ws://localhost:7880", False),
    ("ws://livekit:7880", "ws://localhost:7880", False),  # compose: the service name, and the published port
    ("ws://host.docker.internal:7880", "ws://127.0.0.1:7880", False),
    ("wss://lk.acme.io", "wss://lk.acme.io", False),
    ("wss://lk.acme.io", "wss://other.livekit.cloud", True),
    ("ws://livekit:7880", "wss://lk.acme.io", True),
    ("ws://localhost:7880", "wss://lk.acme.io", True),
])
def test_one_server_under_two_names_is_not_a_mismatch(tmp_path, capsys, server_url, browser_url, mismatch):
    folder = write(tmp_path, {".env.local": KEYS + f"LIVEKIT_URL={server_url}\nNEXT_PUBLIC_LIVEKIT_URL={browser_url}\n"})
    _, doc = run(capsys, "env", "--dir", str(folder))
    assert ("env.url_mismatch" in [f["code"] for f in doc["findings"]]) is mismatch, doc["findings"]


# .env holds the committed defaults (the local dev server), .env.local the developer's own values.
DEFAULTS = "LIVEKIT_URL=ws://localhost:7880\nLIVEKIT_API_KEY=devkey\nLIVEKIT_API_SECRET=secret\n"


def layered(url: str, framework: str) -> dict[str, str]:
    files = nextjs(url) if framework == "next" else vite(url)
    local = files.pop(".env.local") + (KEYS + f"LIVEKIT_URL={url}\n" if framework == "vite" else "")
    return {**files, ".env": DEFAULTS, ".env.local": local}


@pytest.mark.parametrize("framework", ["next", "vite"])
def test_env_local_over_env_is_the_frameworks_layering(tmp_path, capsys, stand_in, ntp, framework):
    """`.env.local` overriding `.env` is what Next.js and Vite document: an info that says which file wins."""
    folder = write(tmp_path, layered(ws_url(stand_in), framework))
    for args in (("env",), ("check", "--no-network"), ("check", "--timeout", "3", *ntp)):
        code, doc = run(capsys, *args, "--dir", str(folder))
        assert loud(doc) == [] and code == 0, (args, loud(doc))
        conflicts = [f for f in doc["findings"] if f["code"] == "env.conflict"]
        assert {f["title"] for f in conflicts} == {f"{name} differs between 2 sources; .env.local wins"
                                                   for name in ("LIVEKIT_URL", "LIVEKIT_API_KEY", "LIVEKIT_API_SECRET")}
        assert all(f["severity"] == "info" and f["fix"] is None for f in conflicts)


def test_a_shell_export_over_env_local_is_still_a_warning(tmp_path, capsys, monkeypatch):
    folder = write(tmp_path, nextjs("wss://meet-abc123de.livekit.cloud"))
    monkeypatch.setenv("LIVEKIT_API_SECRET", "stale-secret-exported-last-week-0123456789")
    _, doc = run(capsys, "env", "--dir", str(folder))
    conflict = next(f for f in doc["findings"] if f["code"] == "env.conflict")
    assert conflict["severity"] == "warning" and "process environment wins" in conflict["title"]


def test_vite_reads_the_mode_file_over_env_local(tmp_path, capsys):
    """Vite's order is .env.development > .env.local: the developer's .env.local value does not win, a warning
    (Next.js reads them the other way round, so the same files there are the framework's layering)."""
    files = {**vite("wss://meet-abc123de.livekit.cloud"), ".env.development": "LIVEKIT_URL=wss://staging-0a1b2c3d.livekit.cloud\n"}
    files[".env.local"] += "LIVEKIT_URL=wss://meet-abc123de.livekit.cloud\n"
    folder = write(tmp_path, files)
    _, doc = run(capsys, "env", "--dir", str(folder))
    conflict = next(f for f in doc["findings"] if f["code"] == "env.conflict" and "LIVEKIT_URL " in f["title"])
    assert conflict["severity"] == "warning" and ".env.development wins" in conflict["title"]
    assert "Vite reads .env.development.local > .env.development > .env.local > .env" in conflict["detail"]
    assert doc["settings"]["from"]["url"] == ".env.development"
    (folder / "package.json").write_text('{"dependencies": {"next": "15.1.0"}}\n')
    _, doc = run(capsys, "env", "--dir", str(folder))
    conflict = next(f for f in doc["findings"] if f["code"] == "env.conflict" and "LIVEKIT_URL " in f["title"])
    assert conflict["severity"] == "info" and ".env.local wins" in conflict["title"]


@pytest.mark.parametrize(("code", "agent_gets"), [("load_dotenv()\n", ".env"),
                                                   ('load_dotenv(".env")\nload_dotenv(".env.local")\n', ".env")])
def test_a_python_agent_that_gets_the_other_value_is_a_warning(tmp_path, capsys, code, agent_gets):
    """Both files in a Python project: the web app runs with .env.local's value, the agent with the one its
    load_dotenv() loads first. The conflict is a warning, folded under env.python_dotenv, its cause."""
    folder = write(tmp_path, {".env": DEFAULTS, ".env.local": "LIVEKIT_URL=wss://meet-abc123de.livekit.cloud\n" + KEYS,
                              "pyproject.toml": "[project]\nname = 'agent'\n",
                              "src/agent.py": "from dotenv import load_dotenv\n\n" + code})
    _, doc = run(capsys, "env", "--dir", str(folder))
    conflicts = [f for f in doc["findings"] if f["code"] == "env.conflict"]
    assert conflicts and all(f["severity"] == "warning" and f["because"] == "env.python_dotenv" for f in conflicts)
    assert all(f"so it runs with {agent_gets}'s value instead" in f["detail"] for f in conflicts)
    cause = next(f for f in doc["findings"] if f["code"] == "env.python_dotenv")
    assert "a Python agent reads" in cause["detail"]


def compose(published: int) -> dict[str, str]:
    """docker compose: the app's container reaches livekit-server by its service name on livekit.yaml's port,
    the browser on the port compose publishes on this machine (`ports: ["<published>:7880"]`)."""
    return {"docker-compose.yml": f"services:\n  livekit:\n    image: livekit/livekit-server\n    command: --config /etc/livekit.yaml\n"
                                  f"    ports: ['{published}:7880', '50000-50100:50000-50100/udp']\n  web:\n    build: .\n"
                                  "    env_file: .env\n",
            "livekit.yaml": f"port: 7880\nrtc:\n  port_range_start: 50000\n  port_range_end: 50100\nkeys:\n  {KEY}: {SECRET}\n",
            ".env": KEYS + f"LIVEKIT_URL=ws://livekit:7880\nNEXT_PUBLIC_LIVEKIT_URL=ws://localhost:{published}\n",
            "package.json": '{"dependencies": {"next": "15.1.0", "livekit-client": "2.9.0"}}\n'}


def test_compose_from_the_host_probes_the_browsers_url(tmp_path, capsys, monkeypatch, stand_in, ntp):
    """On the host, `livekit` (the app's URL) resolves only inside the compose network: `check` probes the
    browser's URL, the same server on the published port, and says so; that port is compose's, not livekit.yaml's."""
    from lkdebug.core import host

    monkeypatch.setattr(host, "in_container", lambda: False)
    folder = write(tmp_path, compose(int(stand_in.url.rsplit(":", 1)[1])))
    doc = assert_quiet(capsys, "env", "--dir", str(folder))
    said = next(f for f in doc["findings"] if f["code"] == "env.url_service_name")
    assert "LIVEKIT_URL names the compose service livekit: probing NEXT_PUBLIC_LIVEKIT_URL" == said["title"]
    assert_quiet(capsys, "check", "--no-network", "--dir", str(folder))
    doc = assert_quiet(capsys, "check", "--dir", str(folder), "--timeout", "3", *ntp)
    assert doc["target"]["url"] == f"ws://localhost:{stand_in.url.rsplit(':', 1)[1]}"
    assert {c["name"]: c["status"] for c in doc["checks"]}["validate"] == "pass"


def test_compose_inside_a_container_keeps_the_apps_url(tmp_path, capsys, monkeypatch):
    from lkdebug.core import host

    monkeypatch.setattr(host, "in_container", lambda: True)
    folder = write(tmp_path, compose(8443))
    doc = assert_quiet(capsys, "env", "--dir", str(folder))
    assert doc["settings"]["url"] == "ws://livekit:7880"
    assert "env.url_service_name" not in [f["code"] for f in doc["findings"]]


OTHER = ("prod", "wss://prod-x1y2z3.livekit.cloud", "APIzZ9yY8xX7wW6", "qW3eR5tY7uI9oP1aS3dF5gH7jK9lZ2xC4v")


def lk_home(tmp_path: Path, monkeypatch, projects: list[tuple[str, str, str, str]]) -> None:
    """A home whose lk CLI config holds `projects`, the first the default (none: lk was never set up)."""
    home = tmp_path / "home"
    home.mkdir()
    if projects:
        write(home, {".livekit/cli-config.yaml": f"default_project: {projects[0][0]}\nprojects:\n" + "".join(
            f"  - name: {n}\n    url: {u}\n    api_key: {k}\n    api_secret: {s}\n" for n, u, k, s in projects)})
        (home / ".livekit/cli-config.yaml").chmod(0o600)
    monkeypatch.setenv("HOME", str(home))


def test_lk_defaulting_to_another_project_is_not_a_warning(tmp_path, capsys, monkeypatch, stand_in, ntp):
    """The developer's lk default is their production project; the app's own .env.local targets the dev server.
    The app is right: what lk would target is worth an info (tokens from `lk token create` differ), not a warning."""
    lk_home(tmp_path, monkeypatch, [OTHER, ("dev", ws_url(stand_in), KEY, SECRET)])
    folder = write(tmp_path / "app", nextjs(ws_url(stand_in)))
    doc = assert_quiet(capsys, "check", "--dir", str(folder), "--timeout", "3", *ntp, infos={"env.lk_differs"})
    assert "env.lk_differs" in [f["code"] for f in doc["findings"]]


def test_an_agents_livekit_toml_without_lk_set_up(tmp_path, capsys, monkeypatch):
    """`lk agent create` wrote livekit.toml; on a teammate's machine lk knows no project. The agent runs from
    .env.local all the same: an info. Without the app's own key and secret it stays a warning."""
    lk_home(tmp_path, monkeypatch, [])
    files = {**python_starter("wss://prod-x1y2z3.livekit.cloud"), "livekit.toml": '[project]\nsubdomain = "prod-x1y2z3"\n\n[agent]\nid = "CA_abc"\n'}
    folder = write(tmp_path / "app", files)
    assert_quiet(capsys, "env", "--dir", str(folder), infos={"env.lk_toml_no_match"})
    (folder / ".env.local").write_text("LIVEKIT_URL=wss://prod-x1y2z3.livekit.cloud\n")
    _, doc = run(capsys, "env", "--dir", str(folder))
    assert ("env.lk_toml_no_match", "livekit.toml names a project lk does not have") in loud(doc)


def test_a_monorepo_root_names_the_apps_folders(tmp_path, capsys):
    """Run in a monorepo's root, lkdebug finds nothing there: the error names the folders that hold settings."""
    folder = write(tmp_path, {"package.json": '{"workspaces": ["apps/*"]}\n',
                              "apps/web/.env.local": KEYS + "LIVEKIT_URL=wss://meet-abc123de.livekit.cloud\n",
                              "apps/web/.env.example": EXAMPLE, "apps/docs/.env": "ALGOLIA_KEY=x\n",
                              "apps/agent/.env": KEYS + "LIVEKIT_URL=wss://meet-abc123de.livekit.cloud\n",
                              "apps/agent/agent.py": "from dotenv import load_dotenv\n\nload_dotenv()\n"})
    _, doc = run(capsys, "env", "--dir", str(folder))
    missing = next(f for f in doc["findings"] if f["code"] == "env.missing")
    assert "Folders below hold dotenv files (a monorepo?): apps/agent, apps/web" in missing["detail"]
    assert missing["fix"] == "Run lkdebug in the app's folder: `--dir apps/agent`."
    for app in ("apps/web", "apps/agent"):
        assert_quiet(capsys, "env", "--dir", str(folder / app))


def test_a_note_about_a_value_nobody_reads_is_not_said(tmp_path, capsys, monkeypatch):
    """In a container, .env's overridden default `ws://localhost:7880` got "LIVEKIT_URL points at localhost inside
    a container", as if about the URL in use; a problem with it is still said, marked not used."""
    from lkdebug.core import host

    monkeypatch.setattr(host, "in_container", lambda: True)
    folder = write(tmp_path, layered("wss://meet-abc123de.livekit.cloud", "next"))
    doc = assert_quiet(capsys, "env", "--dir", str(folder), infos={"env.conflict"})
    assert "env.url_localhost" not in [f["code"] for f in doc["findings"]]
    (folder / ".env").write_text(DEFAULTS + "NEXT_PUBLIC_LIVEKIT_URL='ws://localhost:7880 '\n")
    (folder / ".env.local").write_text((folder / ".env.local").read_text() + "NEXT_PUBLIC_LIVEKIT_URL=wss://meet-abc123de.livekit.cloud\n")
    _, doc = run(capsys, "env", "--dir", str(folder))
    assert any(f["severity"] == "info" and "(not used: overridden by .env.local)" in f["title"] for f in doc["findings"])
