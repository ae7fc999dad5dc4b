"""One bot process per SQLite file: an OS lock on `<db>.lock` that dies with the process.

Two bots on one SQLite file would both resume the same replays and announce the same articles.
`flock` is released by the kernel when the process ends, however it ends (SIGKILL included), so a
crash never leaves a stale lock behind. Only the bot takes it: `threadreplay load` and `backup`
still write and read the same file while the bot runs. PostgreSQL (a URL) is shared by design.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Iterator
from pathlib import Path

from bot.settings import Settings

_held: dict[Path, int] = {}  # lock file -> descriptor, for the re-entrant `hold`


class AlreadyRunning(Exception):
    """Another bot process holds the database's lock."""


def lock_path(db: Path) -> Path:
    """The sidecar lock file next to the database."""
    return db.with_name(db.name + ".lock")


@contextlib.contextmanager
def hold(settings: Settings) -> Iterator[Path | None]:
    """Hold the SQLite database's lock while the block runs (the lock file, or None for a URL).

    Re-entrant within one process: `run` takes it before opening the store and `serve` again.
    """
    if settings.db_is_url:
        yield None
        return
    lock = lock_path(settings.db_path).absolute()
    if lock in _held:
        yield lock
        return
    fd = os.open(lock, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        raise AlreadyRunning(
            f"another threadreplay bot is already running on {settings.db_path} (it holds"
            f" {lock.name}); stop it first, or move to PostgreSQL to run several processes"
        ) from None
    except OSError:
        os.close(fd)
        raise
    _held[lock] = fd
    try:
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())  # for a person wondering who holds it
        yield lock
    finally:
        del _held[lock]
        os.close(fd)  # closing the descriptor releases the lock
