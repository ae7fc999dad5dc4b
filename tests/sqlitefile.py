"""Reading (and making) a test's SQLite file directly, through a connection that is closed afterwards."""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from storage.db import migrations


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


def store_before(path: str | Path, version: int, comment: str) -> None:
    """A SQLite store as the migrations before `version` left it (their ledger rows included),
    holding one article, `old`, with one comment by Ann saying `comment`."""
    with connect(path) as conn:
        conn.execute(
            "CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL,"
            " applied_at TEXT NOT NULL)"
        )
        for number, name, sql in migrations():
            if number < version:
                conn.executescript(sql)
                conn.execute(
                    "INSERT INTO schema_migrations VALUES (?, ?, '2026-01-01')", (number, name)
                )
        conn.execute(
            "INSERT INTO articles (key, format, content_hash, title, paragraphs, summary, warnings,"
            " comment_count, created_at, updated_at) VALUES ('old', 'textdump', 'h', 'Old', '[]',"
            " '', '[]', 1, '2026-01-01T00:00:00+00:00', '2026-01-01T00:00:00+00:00')"
        )
        conn.execute(
            "INSERT INTO comments (article_id, position, key, depth, author, text, spam,"
            " spam_reasons, deleted) VALUES (1, 0, 'c0', 0, 'Ann', ?, 0, '[]', 0)",
            (comment,),
        )
