"""The baseline: raw stdlib `sqlite3` executemany of the loader's rows into the loader's schema.

Rows are built before the clock starts (parsing with the project's own parser, so they are exactly the
rows the loader writes); only the inserts are timed: one BEGIN IMMEDIATE … COMMIT per file holding the
article, its `articles_fts` row and an executemany of its comments (whose FTS triggers fire as usual).
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from storage.articles import comment_row
from storage.db import PRAGMAS, migrations
from storage.loader import content_hash
from storage.models import Article
from storage.parsers import article_key, parse_bytes

_INSERT_ARTICLE = (
    "INSERT INTO articles (id, format, source_path, source_url, content_hash, title, caption,"
    " paragraphs, summary, warnings, comment_count, key, created_at, updated_at)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
_INSERT_ARTICLE_FTS = "INSERT INTO articles_fts (rowid, title, caption, body) VALUES (?, ?, ?, ?)"
_INSERT_COMMENT = (
    "INSERT INTO comments (position, parent, depth, author, text, spam, spam_reasons, deleted, line,"
    " source_id, created_at, article_id, key) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)


@dataclass
class FileRows:
    """Everything one file writes: the article row, its FTS row and its comment rows."""

    article: tuple[object, ...]
    article_fts: tuple[object, ...]
    comments: list[tuple[object, ...]]


@dataclass
class BaselineResult:
    """Timings of a baseline run; `insert_s[i]` is the time spent inserting file i."""

    files: int = 0
    comments: int = 0
    insert_s: list[float] = field(default_factory=list)
    insert_cpu_s: list[float] = field(default_factory=list)
    comments_per_file: list[int] = field(default_factory=list)
    prepare_s: float = 0.0  # read + hash + parse + row building, not part of the baseline's time

    @property
    def total_insert_s(self) -> float:
        """Time spent inside the transactions, summed over every file."""
        return sum(self.insert_s)

    @property
    def total_insert_cpu_s(self) -> float:
        """CPU time spent inside the transactions, summed over every file."""
        return sum(self.insert_cpu_s)

    def prefix(self, files: int) -> tuple[int, float, float]:
        """(comments, insert seconds, insert CPU seconds) of the first `files` files."""
        return (
            sum(self.comments_per_file[:files]),
            sum(self.insert_s[:files]),
            sum(self.insert_cpu_s[:files]),
        )


def rows_for(article_id: int, article: Article, *, source_path: str, digest: str) -> FileRows:
    """The rows `storage.articles.save_article` writes for a new article, with the same columns."""
    now = datetime.now(UTC).isoformat(timespec="milliseconds")
    row = (
        article_id,
        article.format,
        source_path,
        article.source_url,
        digest,
        article.title,
        article.caption,
        json.dumps(article.paragraphs, ensure_ascii=False),
        article.summary,
        json.dumps([w.model_dump() for w in article.warnings], ensure_ascii=False),
        len(article.comments),
        article.key,
        now,
        now,
    )
    fts = (article_id, article.title, article.caption or "", "\n\n".join(article.paragraphs))
    comments = [comment_row(article_id, c) for c in article.comments]  # exactly the loader's rows
    return FileRows(row, fts, comments)


def connect(db: Path) -> sqlite3.Connection:
    """A fresh database with the loader's pragmas and every bundled migration applied."""
    conn = sqlite3.connect(db, isolation_level=None)
    for pragma in PRAGMAS:
        conn.execute(pragma)
    for _number, _name, sql in migrations():
        conn.executescript(sql)  # outside any transaction: fine for the baseline's fresh file
    return conn


def insert_file(conn: sqlite3.Connection, rows: FileRows) -> None:
    """One file in one transaction, the way the loader stores a new article."""
    conn.execute("BEGIN IMMEDIATE")
    conn.execute(_INSERT_ARTICLE, rows.article)
    conn.execute(_INSERT_ARTICLE_FTS, rows.article_fts)
    conn.executemany(_INSERT_COMMENT, rows.comments)
    conn.execute("COMMIT")


def run_baseline(db: Path, files: Iterable[Path], *, chunk: int = 250) -> BaselineResult:
    """Prepare the rows of `chunk` files untimed, then time each of their transactions in turn.

    Preparing a chunk ahead (rather than the whole corpus) keeps memory small while the timed loop
    still does nothing but inserts.
    """
    result = BaselineResult()
    conn = connect(db)
    pending: list[FileRows] = []

    def flush() -> None:
        for rows in pending:
            begin, begin_cpu = time.perf_counter(), time.process_time()
            insert_file(conn, rows)
            result.insert_s.append(time.perf_counter() - begin)
            result.insert_cpu_s.append(time.process_time() - begin_cpu)
            result.comments_per_file.append(len(rows.comments))
            result.files += 1
            result.comments += len(rows.comments)
        pending.clear()

    try:
        for article_id, path in enumerate(files, 1):
            start = time.perf_counter()
            data = path.read_bytes()
            article = parse_bytes(data, path=str(path), key=article_key(path))
            pending.append(
                rows_for(article_id, article, source_path=str(path), digest=content_hash(data))
            )
            result.prepare_s += time.perf_counter() - start
            if len(pending) >= chunk:
                flush()
        flush()
    finally:
        conn.close()
    return result
