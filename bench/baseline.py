"""The lean baseline (issue 14): what this machine's SQLite does with the loader's rows, and no more.

Plain `sqlite3`, plain tables (the same columns as the store, no secondary indexes, no triggers),
every file's article and comment rows inserted with `executemany` in one transaction, then one FTS5
'rebuild' of an external-content comment index without prefix indexes (and the article texts into
their own FTS5 table). The rows are exactly the loader's (`storage.articles.article_rows` over the
project's own parser), built before the clock starts and cached on disk.
"""

from __future__ import annotations

import argparse
import json
import pickle
import sqlite3
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from storage.articles import _ARTICLE_VALUES, ArticleRows, article_rows
from storage.db import PRAGMAS
from storage.loader import content_hash
from storage.parsers import article_key, parse_bytes

_SCHEMA = """
CREATE TABLE articles (id INTEGER PRIMARY KEY, format TEXT, source_path TEXT, source_url TEXT,
    content_hash TEXT, title TEXT, caption TEXT, paragraphs TEXT, summary TEXT, warnings TEXT,
    comment_count INTEGER, max_depth INTEGER, key TEXT, created_at TEXT, updated_at TEXT);
CREATE TABLE comments (id INTEGER PRIMARY KEY, position INTEGER, parent INTEGER, depth INTEGER,
    author TEXT, text TEXT, spam INTEGER, spam_reasons TEXT, deleted INTEGER, line INTEGER,
    source_id TEXT, created_at TEXT, markup TEXT, markup_format TEXT, score INTEGER, key TEXT,
    article_id INTEGER);
CREATE VIRTUAL TABLE comments_fts USING fts5 (author, text, content='comments',
    content_rowid='id', tokenize='unicode61 remove_diacritics 2');
CREATE VIRTUAL TABLE articles_fts USING fts5 (title, caption, body,
    tokenize='unicode61 remove_diacritics 2');
"""
ARTICLE_COLUMNS = len(_ARTICLE_VALUES.split(","))  # a cache of rows from before a new column is stale
# The loader's connection settings, less the page size it gives a new store (8 KiB): the baseline
# is plain SQLite, with its default pages, as in every pass of bench/RESULTS.md.
BASELINE_PRAGMAS = tuple(p for p in PRAGMAS if "page_size" not in p)
_INSERT_ARTICLE = (
    "INSERT INTO articles (id, format, source_path, source_url, content_hash, title, caption,"
    " paragraphs, summary, warnings, comment_count, max_depth, key, created_at, updated_at)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
_INSERT_COMMENT = (
    "INSERT INTO comments (position, parent, depth, author, text, spam, spam_reasons, deleted, line,"
    " source_id, created_at, markup, markup_format, score, key, article_id)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)


@dataclass
class BaselineRun:
    """One timed baseline: wall and CPU seconds for `comments` comment rows of `files` files."""

    files: int
    comments: int
    wall_s: float
    cpu_s: float


def prepared_rows(files: list[Path], cache: Path) -> list[ArticleRows]:
    """The loader's rows for `files` (parsed once, then read back from `cache`)."""
    if cache.exists():
        rows: list[ArticleRows] = pickle.loads(cache.read_bytes())
        if len(rows) == len(files) and all(len(r.values) == ARTICLE_COLUMNS for r in rows[:1]):
            return rows
    rows = []
    for path in files:
        data = path.read_bytes()
        article = parse_bytes(data, path=str(path), key=article_key(path))
        rows.append(article_rows(article, source_path=str(path), content_hash=content_hash(data)))
    cache.write_bytes(pickle.dumps(rows, protocol=pickle.HIGHEST_PROTOCOL))
    return rows


def run_lean(db: Path, rows: list[ArticleRows]) -> BaselineRun:
    """Insert `rows` into a fresh database the lean way; time it from the first insert to the end."""
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    conn = sqlite3.connect(db, isolation_level=None)
    try:
        for pragma in BASELINE_PRAGMAS:
            conn.execute(pragma)
        conn.executescript(_SCHEMA)
        now = "2026-12-07T00:00:00.000+00:00"
        # Every parameter tuple is built before the clock starts: only SQLite's work is timed.
        articles = [(i, *r.values, r.key, now, now) for i, r in enumerate(rows, 1)]
        comments = [[(*c, i) for c in r.comments] for i, r in enumerate(rows, 1)]
        texts = [(i, *r.fts) for i, r in enumerate(rows, 1)]
        wall, cpu = time.perf_counter(), time.process_time()
        conn.execute("BEGIN IMMEDIATE")
        for article, its_comments in zip(articles, comments, strict=True):
            conn.execute(_INSERT_ARTICLE, article)
            conn.executemany(_INSERT_COMMENT, its_comments)
        conn.executemany(
            "INSERT INTO articles_fts (rowid, title, caption, body) VALUES (?, ?, ?, ?)", texts
        )
        conn.execute("INSERT INTO comments_fts (comments_fts) VALUES ('rebuild')")
        conn.execute("COMMIT")
        run = BaselineRun(
            files=len(rows),
            comments=sum(len(r.comments) for r in rows),
            wall_s=time.perf_counter() - wall,
            cpu_s=time.process_time() - cpu,
        )
    finally:
        conn.close()
    return run


def main(argv: list[str] | None = None) -> int:
    """Run the baseline in a process of its own (so the benchmark's own memory stays small):
    prints the run as JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus", type=Path, help="folder of text dumps")
    parser.add_argument("--files", type=int, help="only the first N files")
    parser.add_argument("--db", type=Path, required=True)
    parser.add_argument("--cache", type=Path, required=True, help="pickle of the prepared rows")
    args = parser.parse_args(argv)
    rows = prepared_rows(sorted(args.corpus.glob("*.txt")), args.cache)
    print(json.dumps(asdict(run_lean(args.db, rows[: args.files]))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
