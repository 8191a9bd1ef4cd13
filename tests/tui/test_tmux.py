"""The real TUI in a real terminal (tmux at 80x24), driven as a user would: keys, pastes, a
terminal that goes away. Each test runs its own tmux server on a private socket."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from lkdebug.demo import DEMO_API_KEY, DEMO_API_SECRET

pytestmark = [
    pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed (.ci/run installs it)"),
    pytest.mark.timeout(180),
]

# Generous: this bounds how long a test waits for the screen, it is not a speed assertion.
WAIT_S = 60


class Tmux:
    def __init__(self, cwd: Path) -> None:
        self.socket = f"lkdebug-test-{uuid.uuid4().hex[:8]}"
        self.cwd = cwd

    def __call__(self, *args: str, check: bool = True) -> str:
        return subprocess.run(["tmux", "-L", self.socket, *args], cwd=self.cwd, capture_output=True, text=True,
                              check=check, timeout=30).stdout

    def start(self, command: str) -> None:
        self("-f", "/dev/null", "new-session", "-d", "-s", "t", "-x", "80", "-y", "24", command)
        self("set-option", "-g", "set-clipboard", "on")

    def screen(self) -> str:
        return self("capture-pane", "-p", "-t", "t", check=False)

    def wait_for(self, text: str) -> str:
        deadline = time.monotonic() + WAIT_S
        while time.monotonic() < deadline:
            screen = self.screen()
            if text in screen:
                return screen
            time.sleep(0.1)
        raise AssertionError(f"{text!r} never appeared:\n{self.screen()}")

    def close(self) -> None:
        self("kill-server", check=False)


@pytest.fixture
def tmux(tmp_path):
    server = Tmux(tmp_path)
    yield server
    server.close()


def lkdebug(tmp_path: Path, *args: str) -> str:
    return " ".join([sys.executable, "-m", "lkdebug", "--dir", str(tmp_path), *args])


def expired_token() -> str:
    from lkdebug.core.mint import build_claims, mint

    claims = build_claims(api_key=DEMO_API_KEY, identity="alice", video={"roomJoin": True, "room": "standup"},
                          valid_for=600, now=time.time() - 3600)
    return mint(claims, DEMO_API_SECRET)


def valid_token() -> str:
    from lkdebug.core.mint import build_claims, mint

    claims = build_claims(api_key=DEMO_API_KEY, identity="bob", video={"roomJoin": True, "room": "standup"},
                          valid_for=3600, now=time.time())
    return mint(claims, DEMO_API_SECRET)


def write_project(folder: Path, extra: str = "") -> None:
    (folder / ".env").write_text(f"LIVEKIT_URL=ws://127.0.0.1:9\nLIVEKIT_API_KEY={DEMO_API_KEY}\n"
                                 f"LIVEKIT_API_SECRET={DEMO_API_SECRET}\n{extra}")


def test_the_decoder_takes_a_typed_token_and_a_bracketed_paste(tmux, tmp_path):
    write_project(tmp_path)
    tmux.start(lkdebug(tmp_path))
    tmux.wait_for("1 Environment")
    tmux("send-keys", "-t", "t", "3")
    tmux.wait_for("Paste or type a token")
    # Typed key by key (what a paste without bracketed paste looks like): digits included.
    tmux("send-keys", "-t", "t", "-l", expired_token())
    screen = tmux.wait_for("[token.expired]")
    assert "answers 401" in screen
    tmux("send-keys", "-t", "t", "C-l")
    tmux.wait_for("Paste or type a token")
    tmux("set-buffer", "-b", "tok", valid_token())
    tmux("paste-buffer", "-p", "-b", "tok", "-t", "t")  # -p: as a bracketed paste
    assert "200 success" in tmux.wait_for("accepts it")
    assert "[token.expired]" not in tmux.screen()
    # One key out of the field (on its own: ESC and a digit at once read as alt+digit), then a digit.
    tmux("send-keys", "-t", "t", "Escape")
    tmux.wait_for("1-4 Tabs")
    tmux("send-keys", "-t", "t", "4")
    tmux.wait_for("Press Enter to run the probes")


def test_a_pasted_token_s_signature_is_masked_in_the_field_until_reveal(tmux, tmp_path):
    write_project(tmp_path)
    raw = valid_token()
    signature = raw.rsplit(".", 1)[1]
    tail = signature[-12:]  # the field's one row ends with the signature's last characters
    tmux.start(lkdebug(tmp_path))
    tmux.wait_for("1 Environment")
    tmux("send-keys", "-t", "t", "3")
    tmux.wait_for("Paste or type a token")
    tmux("set-buffer", "-b", "tok", f"Bearer {raw}")
    tmux("paste-buffer", "-p", "-b", "tok", "-t", "t")
    screen = tmux.wait_for("accepts it")
    assert "•" * 12 in screen
    assert not [signature[i:i + 7] for i in range(len(signature) - 6) if signature[i:i + 7] in screen]
    tmux("send-keys", "-t", "t", "C-r")
    tmux.wait_for(tail)
    tmux("send-keys", "-t", "t", "C-r")
    assert tail not in tmux.wait_for("•" * 12)


def test_q_quits_where_no_field_has_focus(tmux, tmp_path):
    write_project(tmp_path)
    tmux.start(lkdebug(tmp_path) + "; echo EXITED $?; sleep 30")
    tmux.wait_for("q Quit")
    tmux("send-keys", "-t", "t", "q")
    tmux.wait_for("EXITED 0")


def test_escapes_in_a_settings_file_are_shown_not_obeyed(tmux, tmp_path):
    # A title (OSC 0) and a clipboard write (OSC 52) planted in .env: the TUI shows them as text.
    write_project(tmp_path, "NEXT_PUBLIC_LIVEKIT_URL=ws://x\x1b]0;pwned-title\x07\x1b]52;c;cHduZWQ=\x07y\n")
    tmux.start(lkdebug(tmp_path))
    # The pane's own key in the footer: the pane holds the focus (it takes it after the first frame).
    tmux.wait_for("r Reload")
    tmux("send-keys", "-t", "t", "Tab", "End")  # to the variables, the last one opened
    tmux.wait_for("\\x1b]0;pwned")
    assert "pwned-title" not in tmux("display-message", "-p", "-t", "t", "#{pane_title}")
    assert "pwned" not in tmux("show-buffer", check=False)


def _children(pid: int) -> list[int]:
    try:
        return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def _descendants(pid: int) -> list[int]:
    found = []
    for child in _children(pid):
        found += [child, *_descendants(child)]
    return found


def _running(pid: int) -> bool:
    """Whether the process is still there (its /proc entry stays until it is reaped)."""
    return Path(f"/proc/{pid}/stat").exists()


def test_lkdebug_leaves_when_its_terminal_goes_away_under_make(tmux, tmp_path):
    # Under a wrapper the pty's hang-up reaches make (the session leader), not lkdebug; Textual's
    # input thread then spins on the dead terminal's end-of-file. lkdebug must notice and leave.
    write_project(tmp_path)
    (tmp_path / "Makefile").write_text(f"run:\n\t{lkdebug(tmp_path)}\n")
    tmux.start(f"make -s -f {tmp_path / 'Makefile'} run")
    tmux.wait_for("1 Environment")
    leader = int(tmux("display-message", "-p", "-t", "t", "#{pane_pid}").strip())
    tree = _descendants(leader)
    (pid,) = [p for p in tree if b"lkdebug" in Path(f"/proc/{p}/cmdline").read_bytes()]
    tmux("kill-session", "-t", "t")
    deadline = time.monotonic() + WAIT_S
    while time.monotonic() < deadline and _running(pid):
        time.sleep(0.05)
    try:
        # The spin this guards against burns a full core and never exits; a CPU ceiling on the clean
        # exit would only measure the machine.
        assert not _running(pid), "lkdebug still running after its terminal went away"
    finally:
        for leftover in [leader, *tree]:
            if _running(leftover):
                os.kill(leftover, 9)
