"""Reading a settings file so that no file can hang lkdebug or fill its memory.

Discovered files (`.env*`, livekit.yaml, its key_file, lk's cli-config.yaml, livekit.toml) and the files
given by flag are opened with O_NONBLOCK, so opening a FIFO that has no writer returns at once, and only a
regular file (symlinks followed) is read, up to a size cap: a FIFO waits for a writer that may never come,
`/dev/zero` never ends. The API secret file is the one exception: it is given explicitly, and a pipe is
the usual way to pass a secret without writing it to disk (`--api-secret-file <(pass show livekit)`,
`/dev/stdin`), so it may be a pipe or a device, read with a smaller cap and a deadline.
"""

from __future__ import annotations

import errno
import os
import stat
import time
from pathlib import Path

from lkdebug.core.records import dataclass

SETTINGS_LIMIT = 1 << 20  # LiveKit settings are a few hundred bytes; 1 MiB is no one's .env
SECRET_LIMIT = 64 << 10  # a LiveKit API secret is 32 to 64 characters
SECRET_TIMEOUT_S = 10.0


class Skipped(Exception):
    """A file that exists but is not read. `str()` is the reason, a phrase that follows the path."""


@dataclass(frozen=True)
class FileBytes:
    data: bytes
    mode: int  # st_mode of the file that was read (after symlinks)


def size_text(size: int) -> str:
    return f"{size >> 20} MiB" if size >= 1 << 20 and size % (1 << 20) == 0 else (
        f"{size >> 10} KiB" if size >= 1 << 10 and size % (1 << 10) == 0 else f"{size:,} bytes")


def _what(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO): reading it waits for a writer, possibly forever"
    if stat.S_ISCHR(mode):
        return "a character device, not a file: it may never end"
    if stat.S_ISBLK(mode):
        return "a block device, not a file"
    if stat.S_ISDIR(mode):
        return "a folder, not a file"
    if stat.S_ISSOCK(mode):
        return "a socket, not a file"
    return "not a regular file"


def _not_regular(path: Path, mode: int) -> Skipped:
    link = f"is a symlink to {os.path.realpath(path)}, which is " if os.path.islink(path) else "is "
    return Skipped(link + _what(mode))


def _too_large(size: int | None, limit: int) -> Skipped:
    has = f"is {size_text(size)}" if size is not None else "is longer than that"
    return Skipped(f"{has}; lkdebug reads at most {size_text(limit)} of a settings file")


def _open(path: Path) -> int:
    """A read-only descriptor that never blocks on open; a socket (ENXIO) is reported as such."""
    try:
        return os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC)
    except OSError as error:
        if error.errno != errno.ENXIO:  # ENXIO: a UNIX socket, which open() cannot read
            raise
        try:
            mode = os.stat(path).st_mode
        except OSError:
            raise error from None
        raise _not_regular(path, mode) from None


def _read_up_to(fd: int, limit: int) -> bytes | None:
    """At most `limit` bytes until end of file; None if there is more."""
    chunks, size = [], 0
    while size <= limit:
        chunk = os.read(fd, limit + 1 - size)
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)
        size += len(chunk)
    return None


def read_settings_file(path: Path, limit: int = SETTINGS_LIMIT) -> FileBytes:
    """The bytes of a regular file of at most `limit` bytes.

    Raises FileNotFoundError (also for a path through a file, as `Path.is_file()` treats it), Skipped for a
    file that is not regular or too large, and OSError for anything else (permissions, a name too long).
    """
    try:
        fd = _open(path)
    except NotADirectoryError as error:
        raise FileNotFoundError(error.errno, error.strerror, str(path)) from None
    try:
        mode = os.fstat(fd)
        if not stat.S_ISREG(mode.st_mode):
            raise _not_regular(path, mode.st_mode)
        if mode.st_size > limit:
            raise _too_large(mode.st_size, limit)
        data = _read_up_to(fd, limit)  # it may have grown since fstat
        if data is None:
            raise _too_large(None, limit)
        return FileBytes(data, mode.st_mode)
    finally:
        os.close(fd)


def read_secret_file(path: Path, limit: int = SECRET_LIMIT, timeout: float = SECRET_TIMEOUT_S) -> bytes:
    """A file, pipe or device given as --api-secret-file: at most `limit` bytes, waiting at most `timeout` s.

    Raises Skipped or OSError (FileNotFoundError when absent) with a reason for a one-line error.
    """
    fd = _open(path)
    try:
        mode = os.fstat(fd).st_mode
        if stat.S_ISREG(mode):
            data = _read_up_to(fd, limit)
        elif stat.S_ISDIR(mode):
            raise _not_regular(path, mode)
        elif os.isatty(fd):
            raise Skipped("is a terminal: pipe the secret in instead (`pass show livekit | lkdebug ... "
                          "--api-secret-file /dev/stdin`), so it is never shown on screen")
        else:
            data = _read_stream(fd, limit, timeout)
        if data is None:
            raise Skipped(f"holds more than {size_text(limit)}; an API secret is a few dozen characters")
        return data
    finally:
        os.close(fd)


def _read_stream(fd: int, limit: int, timeout: float) -> bytes | None:
    """A pipe or device until end of file, or None past `limit` bytes; Skipped when it has not ended in time.

    A FIFO opened without a writer polls as not ready (Linux reports the hang-up only after a writer
    came and went), so this waits for the writer too.
    """
    import select  # only a pipe or device needs it, never a .env file

    poller = select.poll()
    poller.register(fd, select.POLLIN)
    deadline = time.monotonic() + timeout
    chunks, size = [], 0
    while size <= limit:
        left = deadline - time.monotonic()
        if left <= 0 or not poller.poll(left * 1000):
            raise Skipped(f"was not closed by its writer within {timeout:g} s")
        try:
            chunk = os.read(fd, limit + 1 - size)
        except BlockingIOError:
            continue
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)
        size += len(chunk)
    return None
