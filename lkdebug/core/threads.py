"""Blocking calls that nobody has to wait for: each runs in its own daemon thread.

asyncio runs blocking calls (a name lookup, an import) in a ThreadPoolExecutor whose threads are joined when
the loop closes and again when the interpreter exits, so a lookup stuck on an unreachable resolver held
Ctrl+C for as long as it hung. A daemon thread is abandoned at exit instead; the call's result is simply
never read.
"""

from __future__ import annotations

import concurrent.futures
import threading


class DaemonThreads(concurrent.futures.ThreadPoolExecutor):
    """One daemon thread per call; `shutdown` has nothing to wait for. A ThreadPoolExecutor only in name:
    `loop.set_default_executor` accepts nothing else, and none of its pool is used."""

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        pass

    def submit(self, fn, /, *args, **kwargs) -> concurrent.futures.Future:
        future: concurrent.futures.Future = concurrent.futures.Future()

        def work() -> None:
            if not future.set_running_or_notify_cancel():
                return
            try:
                result = fn(*args, **kwargs)
            except BaseException as error:  # handed to whoever awaits the future, as ThreadPoolExecutor does
                future.set_exception(error)
            else:
                future.set_result(result)

        threading.Thread(target=work, name=f"lkdebug-{getattr(fn, '__name__', 'call')}", daemon=True).start()
        return future


DAEMON_THREADS = DaemonThreads()
