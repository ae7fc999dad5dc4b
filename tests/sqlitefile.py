"""Reading a test's SQLite file directly, through a connection that is closed afterwards."""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any


@contextlib.contextmanager
def connect(path: str | Path) -> Iterator[sqlite3.Connection]:
    """Open ``path``, commit on success (roll back on error), and always close.

    ``with sqlite3.connect(...)`` only ends the transaction; the connection stays open until it is
    garbage-collected, which Python 3.13 reports as a ResourceWarning.
    """
    with contextlib.closing(sqlite3.connect(path)) as conn, conn:
        yield conn


def rows(path: str | Path, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every row of one query."""
    with connect(path) as conn:
        return conn.execute(sql, params).fetchall()
