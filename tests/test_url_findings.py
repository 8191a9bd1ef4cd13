"""Issue 11: the LiveKit URL is judged once (one model, one finding per problem, fixes that agree), and only
names that mean the LiveKit server's URL are judged as one. Through `env --json`, `check --no-network --json`
and `check` against the stand-in."""

from __future__ import annotations


import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lkdebug import cli
from lkdebug.demo import DEMO_API_KEY, DEMO_API_SECRET
from tests.in_process import run_json

pytestmark = pytest.mark.timeout(60)

KEYS = f"LIVEKIT_API_KEY={DEMO_API_KEY}\nLIVEKIT_API_SECRET={DEMO_API_SECRET}\n"


def run(capsys, *args: str) -> tuple[int, dict]:
    return run_json(capsys, *args, "--json")


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


# --- one URL model, each problem once -------------------------------------------------------------

def url_findings(doc: dict) -> list[dict]:
    return [f for f in doc["findings"] if ".url_" in f["code"]]


def three_ways(capsys, tmp_path, line: str, *check_args: str) -> list[list[dict]]:
    """The URL findings of `env`, `check --no-network` and (with `check_args`) `check` for a project with `line`."""
    (tmp_path / ".env").write_text(line + "\n" + KEYS)
    runs = [["env"], ["check", "--no-network"]] + ([["check", "--no-media", "--timeout", "2", *check_args]]
                                                    if check_args else [])
    return [url_findings(run(capsys, *command, "--dir", str(tmp_path))[1]) for command in runs]


@pytest.fixture
def not_in_a_container(monkeypatch):
    from lkdebug.core import host

    monkeypatch.setattr(host, "in_container", lambda: False)


@pytest.fixture
def ntp_flag():
    from lkdebug.demo.ntp import NtpResponder

    with NtpResponder() as responder:
        yield ["--ntp-server", f"127.0.0.1:{responder.address[1]}"]


@pytest.fixture
def stand_in():
    from lkdebug.demo.server import run_in_thread

    servers = []

    def start(host: str = "127.0.0.1"):
        servers.append(run_in_thread(host=host))
        return servers[-1]
    yield start
    for server in servers:
        server.stop()


def test_the_issues_example_two_problems_two_findings_one_fix(tmp_path, capsys, not_in_a_container, stand_in, ntp_flag):
    """`wss://lk.acme.io/rtc?x=1` got four warnings for two problems, one fix saying keep /rtc, one drop it."""
    for found in three_ways(capsys, tmp_path, "LIVEKIT_URL=wss://lk.acme.io/rtc?x=1")[:2]:
        assert [(f["code"], f["fix"]) for f in found] == [("env.url_path", "Use wss://lk.acme.io")] * 2
        assert len({f["title"] for f in found}) == 2  # the suffix and the query, one each
    server = stand_in()
    for found in three_ways(capsys, tmp_path, f"LIVEKIT_URL=ws://127.0.0.1:{server.port}/rtc?x=1", *ntp_flag):
        assert [(f["code"], f["fix"]) for f in found] == [("env.url_path", f"Use ws://127.0.0.1:{server.port}")] * 2


@pytest.mark.parametrize(("line", "problems"), [
    ("LIVEKIT_URL=lk.acme.io", [("env.url_scheme", "error", "Write it in full: wss://lk.acme.io")]),
    ("LIVEKIT_URL=lk.acme.io/rtc", [("env.url_scheme", "error", "Write it in full: wss://lk.acme.io"),
                                    ("env.url_path", "warning", "Use wss://lk.acme.io")]),
    ("LIVEKIT_URL=tcp://lk.acme.io", [("env.url_scheme", "error", None)]),
    ("LIVEKIT_URL=wss://", [("env.url_invalid", "error", None)]),
    ("LIVEKIT_URL=ws://lk.acme.io", [("env.url_scheme", "warning", "Use wss://lk.acme.io")]),
    ("NEXT_PUBLIC_LIVEKIT_URL=https://lk.acme.io", [("env.url_scheme", "info", "Use wss://lk.acme.io")]),
    # A client URL in http:// to a remote host: one scheme problem, not two.
    ("NEXT_PUBLIC_LIVEKIT_URL=http://lk.acme.io", [("env.url_scheme", "warning", "Use wss://lk.acme.io")]),
    ("LIVEKIT_HOST=wss://lk.acme.io", [("env.url_scheme", "warning", "Use https://lk.acme.io")]),
    ("LIVEKIT_URL=wss://lk.acme.io/livekit", [("env.url_path", "info", "Use wss://lk.acme.io unless your proxy needs the prefix.")]),
    ("LIVEKIT_URL=wss://lk.acme.io?x=1", [("env.url_path", "warning", "Use wss://lk.acme.io")]),
    ("LIVEKIT_URL=https://app.acme.io:3000/api/token?room=a", [("env.url_app", "warning", None)]),
    ("LIVEKIT_URL=ws://localhost:7881/rtc", [("env.url_port", "error", "Use ws://localhost:7880"),
                                             ("env.url_path", "warning", "Use ws://localhost:7880")]),
    ("LIVEKIT_URL=ws://localhost:3478", [("env.url_port", "error", "Use ws://localhost:7880")]),
    ("LIVEKIT_URL=wss://lk.acme.io:7880", [("env.url_port", "warning", "Use wss://lk.acme.io")]),
    ("LIVEKIT_URL=wss://localhost:7880", [("env.url_port", "warning", "Use ws://localhost:7880")]),
    # Plain to 443: the port's problem, said once (not again as "unencrypted to a remote host").
    ("LIVEKIT_URL=ws://lk.acme.io:443", [("env.url_port", "warning", "Use wss://lk.acme.io")]),
    ("LIVEKIT_URL=ws://localhost:3000", [("env.url_port", "warning", "Point it at livekit-server: ws://localhost:7880 if it runs there.")]),
    ("LIVEKIT_URL=[::1]:7880/rtc", [("env.url_scheme", "error", "Write it in full: ws://[::1]:7880"),
                                    ("env.url_path", "warning", "Use ws://[::1]:7880")]),
    ("LIVEKIT_URL=ws://[::1]:3000", [("env.url_port", "warning", "Point it at livekit-server: ws://[::1]:7880 if it runs there.")]),
    ("LIVEKIT_URL=wss://[2001:db8::1]/rtc", [("env.url_path", "warning", "Use wss://[2001:db8::1]")]),
])
def test_each_url_problem_once_in_env_and_check(tmp_path, capsys, not_in_a_container, line, problems):
    for found in three_ways(capsys, tmp_path, line):
        assert sorted((f["code"], f["severity"]) for f in found) == sorted((c, s) for c, s, _ in problems), found
        for code, severity, fix in problems:
            if fix is not None:
                assert fix in [f["fix"] for f in found if (f["code"], f["severity"]) == (code, severity)]


def test_a_password_in_the_url_is_one_finding_and_stays_masked(tmp_path, capsys, not_in_a_container, stand_in, ntp_flag):
    server = stand_in()
    line = f"LIVEKIT_URL=ws://bob:hunter2@127.0.0.1:{server.port}"
    for found in three_ways(capsys, tmp_path, line, *ntp_flag):
        assert [(f["code"], f["fix"]) for f in found] == [("env.url_userinfo", f"Use ws://127.0.0.1:{server.port}")]
    for command in (["env"], ["check", "--no-network"], ["check", "--no-media", *ntp_flag]):
        cli.main([*command, "--dir", str(tmp_path)])
        out = capsys.readouterr().out
        assert "hunter2" not in out and "bob:***@" in out


def test_url_problems_once_against_the_stand_in(tmp_path, capsys, not_in_a_container, stand_in, ntp_flag):
    """The probes reach the stand-in at the corrected URL; the URL's problems are the env lint's, once."""
    server = stand_in()
    port = server.port
    for line, codes in ((f"LIVEKIT_URL=127.0.0.1:{port}", ["env.url_scheme"]),
                        (f"LIVEKIT_URL=ws://127.0.0.1:{port}/rtc", ["env.url_path"]),
                        (f"LIVEKIT_URL=ws://127.0.0.1:{port}/?access_token=x", ["env.url_path"]),
                        (f"LIVEKIT_HOST=ws://127.0.0.1:{port}", ["env.url_scheme"]),
                        (f"NEXT_PUBLIC_LIVEKIT_URL=http://127.0.0.1:{port}", ["env.url_scheme"])):
        env, offline, online = three_ways(capsys, tmp_path, line, *ntp_flag)
        assert [f["code"] for f in env] == [f["code"] for f in offline] == [f["code"] for f in online] == codes, line
    (tmp_path / ".env").write_text(f"LIVEKIT_URL=ws://127.0.0.1:{port}/rtc\n" + KEYS)
    code, doc = run(capsys, "check", "--no-media", *ntp_flag, "--dir", str(tmp_path))
    assert {c["name"]: c["status"] for c in doc["checks"]}["validate"] == "pass" and code == 0


def test_an_ipv6_literal_against_the_stand_in(tmp_path, capsys, not_in_a_container, stand_in, ntp_flag):
    server = stand_in("::1")
    found = three_ways(capsys, tmp_path, f"LIVEKIT_URL=[::1]:{server.port}/rtc", *ntp_flag)
    for each in found:
        assert [(f["code"], f["fix"]) for f in each] == [
            ("env.url_scheme", f"Write it in full: ws://[::1]:{server.port}"), ("env.url_path", f"Use ws://[::1]:{server.port}")]
    _, doc = run(capsys, "check", "--no-media", *ntp_flag, "--dir", str(tmp_path))
    assert {c["name"]: c["status"] for c in doc["checks"]}["validate"] == "pass"


def test_loopback_in_a_container_is_a_hint_until_measured(tmp_path, capsys, monkeypatch, stand_in, ntp_flag):
    from lkdebug.core import host

    server = stand_in()
    line = f"LIVEKIT_URL=ws://127.0.0.1:{server.port}"
    monkeypatch.setattr(host, "in_container", lambda: False)
    assert three_ways(capsys, tmp_path, line, *ntp_flag) == [[], [], []]
    monkeypatch.setattr(host, "in_container", lambda: True)
    env, offline, online = three_ways(capsys, tmp_path, line, *ntp_flag)
    assert [f["code"] for f in env] == [f["code"] for f in offline] == ["env.url_localhost"]
    assert online == []  # the stand-in answered there: the guess was wrong, and is not said
    # A client-prefixed URL is the browser's, outside any container.
    assert three_ways(capsys, tmp_path, f"NEXT_PUBLIC_LIVEKIT_URL=ws://127.0.0.1:{server.port}")[:2] == [[], []]


def test_a_url_given_elsewhere_is_judged_by_the_url_check_once():
    """The TUI's URL field: not a setting, so the url check says its problems (net.* codes), once each."""
    import asyncio

    from lkdebug.core import diagnose
    from lkdebug.core.model import Settings

    report = asyncio.run(diagnose.diagnose(Settings(), url="lk.acme.io/rtc?x=1", network=False))
    found = [(f.code, f.fix) for f in report.findings if ".url_" in f.code]
    assert sorted(found) == [("net.url_no_scheme", "Write it in full: wss://lk.acme.io"),
                             ("net.url_path", "Use wss://lk.acme.io"), ("net.url_query", "Use wss://lk.acme.io")]


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.text(max_size=60), st.builds(
    lambda scheme, host, port, path, query: f"{scheme}{host}{port}{path}{query}",
    st.sampled_from(["", "ws://", "wss://", "http://", "https://", "tcp://", "=wss://", "wss://u:p@"]),
    st.sampled_from(["lk.acme.io", "localhost", "127.0.0.1", "[::1]", "[2001:db8::1]", "livekit", "10.0.0.5", ""]),
    st.sampled_from(["", ":7880", ":7881", ":443", ":80", ":3000", ":3478", ":99999", ":x"]),
    st.sampled_from(["", "/", "/rtc", "/rtc/validate", "/livekit", "/livekit/rtc", "/api/token", "/twirp"]),
    st.sampled_from(["", "?x=1", "#f", "?access_token=abc"]))))
def test_any_url_is_judged_without_raising_and_its_fixes_agree(text):
    from lkdebug.core import url

    parsed = url.parse(text)
    for usage in ("client", "server_api", "any"):
        for area in ("env", "network"):
            found = url.findings(parsed, subject="LIVEKIT_URL", usage=usage, area=area, container=True)
            codes = [f.code for f in found]
            assert len(codes) == len(set(codes)) or codes.count("env.url_path") == 2  # the path and the query
            named = {f.fix.removeprefix("Use ").removeprefix("Write it in full: ") for f in found
                     if f.fix and f.fix.startswith(("Use ", "Write it in full: ")) and " unless " not in f.fix}
            assert len(named) <= 1, found  # one corrected URL, whichever finding says it (a kept prefix: conditional)
            assert "p@" not in " ".join(f.detail + (f.fix or "") for f in found)  # the password never shown


def test_the_settings_url_as_the_tui_prefills_it_is_not_judged_again(tmp_path):
    """The Connectivity tab's URL field holds the settings' URL stripped: still the setting, said once."""
    import asyncio

    from lkdebug.core import diagnose
    from lkdebug.core.sources import load_settings

    (tmp_path / ".env").write_text("LIVEKIT_URL='wss://lk.acme.io/rtc '\n" + KEYS)
    settings = load_settings(tmp_path, environ={}, home=tmp_path, container=False, system_configs=())
    report = asyncio.run(diagnose.diagnose(settings, url=settings.url.value.strip(), network=False))
    assert sorted(f.code for f in report.findings if "url" in f.code) == ["env.url_path"]
