"""Leave when the terminal does: a dropped SSH session must not leave lkdebug spinning on a LiveKit host.

When the pty goes away (SSH drops, tmux kills the session, the window closes) under a wrapper
such as `make` or `uv run`, lkdebug often gets no SIGHUP (the wrapper is the session leader), and
Textual's input thread then loops on the dead terminal's end-of-file at a full core. A small
thread waits for the hang-up on stdin itself and ends the app; SIGHUP, when it does come, does
the same.
"""

from __future__ import annotations

import asyncio
import os
import select
import signal
import sys
import threading

from textual.app import App

# Exit status of a process ended by SIGHUP (signal 1), as a shell reports it.
HANGUP_EXIT = 129
# How long a clean exit may take (restoring a terminal that is gone can block) before a hard one.
GRACE_S = 1.0


def watch_terminal(app: App, fd: int | None = None) -> None:
    """Exit `app` within about a second of its terminal going away (hang-up or error on `fd`, stdin by default).

    The stdin watch is for Linux, where LiveKit runs and poll() reports a pty's hang-up; macOS's
    poll() rejects ttys outright (POLLNVAL), so there only SIGHUP is handled.
    """
    if fd is None:
        try:
            fd = sys.__stdin__.fileno()
        except (AttributeError, OSError, ValueError):
            return
    try:
        asyncio.get_running_loop().add_signal_handler(signal.SIGHUP, _leave, app, False)
    except (AttributeError, NotImplementedError, RuntimeError, ValueError):
        pass  # no SIGHUP or no loop signal handling here: the stdin watch still works
    if sys.platform.startswith("linux"):
        threading.Thread(target=_wait_for_hangup, args=(app, fd), name="lkdebug-terminal-watch", daemon=True).start()


def _wait_for_hangup(app: App, fd: int) -> None:
    poller = select.poll()
    # Only hang-up and errors are asked for (no POLLIN): they are reported whether asked or not.
    poller.register(fd, 0)
    while app.is_running:
        try:
            events = poller.poll(250)
        except (InterruptedError, OSError):
            return
        if any(mask & (select.POLLHUP | select.POLLERR | select.POLLNVAL) for _, mask in events):
            _leave(app, True)
            return


def _leave(app: App, from_thread: bool) -> None:
    # Restoring a terminal that no longer exists may block or raise; nobody is there to see it.
    timer = threading.Timer(GRACE_S, os._exit, args=(HANGUP_EXIT,))
    timer.daemon = True
    timer.start()
    try:
        if from_thread:
            app.call_from_thread(app.exit, None, HANGUP_EXIT)
        else:
            app.exit(None, HANGUP_EXIT)
    except RuntimeError:
        pass  # the app is already gone
