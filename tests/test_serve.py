"""`lkdebug serve` without a browser: what it refuses, what it warns about, the command each tab runs.

The server itself is replaced by a recorder, so nothing listens and nothing is served here;
tests/test_serve_browser.py runs the real thing.
"""

from __future__ import annotations

import json
import signal
import os
import shlex
import socket
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from lkdebug import cli
from lkdebug.commands import serve
from lkdebug.demo.server import free_port


@pytest.fixture
def served(monkeypatch):
    """Record what `lkdebug serve` would serve instead of serving it."""
    record: dict = {}

    class Recorder:
        def serve(self) -> None:
            record["served"] = True

    def make_server(command: str, host: str, port: int, secret: str, max_sessions: int, api_secret: bytes | None = None) -> Recorder:
        record.update(command=command, host=host, port=port, secret=secret, max_sessions=max_sessions, api_secret=api_secret)
        return Recorder()

    monkeypatch.setattr(serve, "make_server", make_server)
    return record


def parse(*argv: str):
    return cli.build_parser().parse_args(["serve", *argv])


@pytest.mark.parametrize("host", ["127.0.0.1", "127.1.2.3", "::1", "localhost"])
def test_loopback_hosts(host):
    assert serve.is_loopback(host)


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.168.1.20", "10.0.0.1", "example.com", "localhost.example.com", ""])
def test_other_hosts_are_not_loopback(host):
    assert not serve.is_loopback(host)


def test_help_names_the_safety_flags(capsys):
    with pytest.raises(SystemExit) as exit_:
        cli.main(["serve", "--help"])
    assert exit_.value.code == 0
    out = capsys.readouterr().out
    for flag in ("--host", "--port", "--public", "--allow-reveal", "--max-sessions"):
        assert flag in out


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.168.1.20"])
def test_non_loopback_host_without_public_is_refused_in_one_line(host, served, capsys):
    assert cli.main(["serve", "--host", host, "--port", "8000"]) == cli.ExitCode.USAGE
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("lkdebug: ")
    assert f"--host {host} is not a loopback address" in err and "--public" in err
    assert served == {}  # refused before anything was built or bound


def test_public_host_is_served_with_a_warning(served, capsys):
    assert cli.main(["serve", "--host", "0.0.0.0", "--port", str(free_port()), "--public"]) == 0
    err = capsys.readouterr().err
    assert "WARNING: serving on 0.0.0.0" in err and "anyone who can reach this port" in err
    assert "--allow-reveal lets them reveal" not in err
    assert served["host"] == "0.0.0.0" and served["served"]


def test_public_warning_names_allow_reveal(served, capsys):
    assert cli.main(["serve", "--host", "0.0.0.0", "--port", str(free_port()), "--public", "--allow-reveal"]) == 0
    assert "--allow-reveal lets them reveal" in capsys.readouterr().err


def test_loopback_is_served_without_a_warning(served, capsys):
    port = free_port()
    assert cli.main(["serve", "--port", str(port)]) == 0
    err = capsys.readouterr().err
    assert "WARNING" not in err
    assert f"open http://127.0.0.1:{port}/?token={served['secret']} in a browser" in err
    assert served["host"] == "127.0.0.1" and served["port"] == port and served["max_sessions"] == 4


def test_each_run_has_its_own_secret(served, capsys):
    seen = set()
    for _ in range(2):
        assert cli.main(["serve", "--port", str(free_port())]) == 0
        seen.add(served["secret"])
    assert len(seen) == 2 and all(len(secret) >= 40 for secret in seen)  # token_urlsafe(32): 256 bits


def test_the_secret_file_is_read_once_by_serve_and_bounded(served, capsys, tmp_path):
    secret_file = tmp_path / "secret"
    secret_file.write_text("Pp7wL0xK3vN8bT1rY5uE2oI9aS4dF6gH0jMq\n")
    assert cli.main(["serve", "--port", str(free_port()), "--api-secret-file", str(secret_file)]) == 0
    assert served["api_secret"] == b"Pp7wL0xK3vN8bT1rY5uE2oI9aS4dF6gH0jMq\n"  # for each tab's pipe
    served.clear()
    capsys.readouterr()
    secret_file.write_text("x" * 5000)
    assert cli.main(["serve", "--port", str(free_port()), "--api-secret-file", str(secret_file)]) == cli.ExitCode.USAGE
    err = capsys.readouterr().err
    assert "holds more than 4096 bytes" in err and len(err.strip().splitlines()) == 1
    assert served == {}


@pytest.mark.parametrize("count", ["0", "-1"])
def test_max_sessions_below_one_is_a_usage_error(count, served, capsys):
    assert cli.main(["serve", "--port", str(free_port()), "--max-sessions", count]) == cli.ExitCode.USAGE
    assert f"--max-sessions {count}: at least 1" in capsys.readouterr().err
    assert served == {}


@pytest.mark.parametrize("port", ["0", "65536", "-1"])
def test_port_out_of_range_is_a_usage_error(port, served, capsys):
    assert cli.main(["serve", "--port", port]) == cli.ExitCode.USAGE
    assert "not a TCP port" in capsys.readouterr().err
    assert served == {}


def test_reveal_is_refused_and_points_to_allow_reveal(served, capsys):
    assert cli.main(["serve", "--reveal", "--port", str(free_port())]) == cli.ExitCode.USAGE
    assert "--allow-reveal" in capsys.readouterr().err
    assert served == {}


def test_busy_port_is_a_usage_error_not_an_internal_error(served, capsys):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        assert cli.main(["serve", "--port", str(port)]) == cli.ExitCode.USAGE
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and f"cannot listen on 127.0.0.1:{port}" in err
    assert "internal error" not in err and "open http" not in err
    assert served == {}


def test_app_command_runs_the_served_tui_with_the_settings_options(tmp_path):
    args = parse("--dir", str(tmp_path), "--env-file", "a.env", "--env-file", "b.env", "--config", "livekit.yaml",
                 "--url", "wss://x.example", "--api-key", "APIfake", "--api-secret-file", "secret.txt")
    argv = shlex.split(serve.app_command(args))
    assert argv[:5] == [sys.executable, "-m", "lkdebug", "tui", "--served"]
    assert "--allow-reveal" not in argv
    pairs = list(zip(argv[5::2], argv[6::2]))
    assert pairs == [("--dir", str(tmp_path)), ("--env-file", "a.env"), ("--env-file", "b.env"),
                     ("--config", "livekit.yaml"), ("--url", "wss://x.example"), ("--api-key", "APIfake"),
                     ("--api-secret-file", "secret.txt")]
    # What each tab runs must parse as the tui command, with the same values.
    tui = cli.build_parser().parse_args(argv[3:])
    assert (tui.command, tui.served, tui.allow_reveal, tui.dir, tui.env_file) == ("tui", True, False, str(tmp_path), ["a.env", "b.env"])


def test_app_command_passes_allow_reveal():
    argv = shlex.split(serve.app_command(parse("--allow-reveal")))
    assert argv[-1] == "--allow-reveal"
    assert cli.build_parser().parse_args(argv[3:]).allow_reveal


def test_app_command_survives_the_shell(tmp_path, monkeypatch):
    """serve splits the command with shlex (textual-serve itself would hand it to /bin/sh): either
    way awkward paths must arrive as one argument each."""
    recorder = tmp_path / "argv.py"
    recorder.write_text(f"#!{sys.executable}\nimport json, sys\nprint(json.dumps(sys.argv[1:]))\n")
    recorder.chmod(recorder.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setattr(sys, "executable", str(recorder))
    awkward = tmp_path / "my project $(touch pwned) 'quoted' \"double\"; `x` *"
    args = parse("--dir", str(awkward), "--env-file", "a b.env", "--url", "ws://a b")
    result = subprocess.run(["/bin/sh", "-c", serve.app_command(args)], capture_output=True, text=True, check=True,
                            cwd=tmp_path, env={**os.environ, "PATH": os.defpath})
    assert json.loads(result.stdout) == ["-m", "lkdebug", "tui", "--served", "--dir", str(awkward),
                                         "--env-file", "a b.env", "--url", "ws://a b"]
    assert not (tmp_path / "pwned").exists()


@pytest.mark.parametrize(("host", "expected"), [("127.0.0.1", "127.0.0.1"), ("::1", "[::1]"), ("localhost", "localhost"),
                                                 ("0.0.0.0", socket.gethostname()), ("::", socket.gethostname())])
def test_the_url_to_open_names_an_address_a_browser_can_reach(host, expected):
    assert serve.browser_host(host) == expected


@pytest.mark.parametrize(("host", "expected"), [
    ("127.0.0.1", {"127.0.0.1", "localhost"}), ("::1", {"::1", "localhost"}), ("localhost", {"localhost"}),
    ("0.0.0.0", {"0.0.0.0", socket.gethostname().lower()}), ("192.168.1.20", {"192.168.1.20"}),
])
def test_the_host_header_may_name_the_listening_address_or_the_printed_name(host, expected):
    """Besides these, only the address a connection reached (tests/test_serve_guard.py); never another name."""
    assert serve.host_names(host) == expected


async def test_end_group_kills_what_ignores_sigterm():
    """A tab's process that ignores SIGTERM (or a child of it) gets SIGKILL after the grace."""
    import asyncio

    stubborn = await asyncio.create_subprocess_exec(
        "/bin/sh", "-c", "trap '' TERM; sleep 60 & echo ready; wait", start_new_session=True,
        stdout=asyncio.subprocess.PIPE)
    assert await stubborn.stdout.readline() == b"ready\n"
    await serve.end_group(stubborn.pid, grace=0.5)
    assert await stubborn.wait() == -signal.SIGKILL
    assert live_members(stubborn.pid) == []  # the whole group is gone, the sleep included


def live_members(pgid: int) -> list[int]:
    """Processes of the group that are not zombies (an orphan's zombie waits for PID 1 to reap it)."""
    members = []
    for stat_file in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat_file.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid and fields[0] != "Z":
            members.append(int(stat_file.parent.name))
    return members


async def test_end_group_of_a_group_already_gone_is_quiet():
    import asyncio

    done = await asyncio.create_subprocess_exec("/bin/true", start_new_session=True)
    await done.wait()
    await serve.end_group(done.pid, grace=0.5)
