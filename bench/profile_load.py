"""Where the loader's time goes (issue 14): each way of writing measured on the same rows, in-process.

Parses `--files` dumps of the corpus once (timed: the parser, and its spam heuristics alone), then
writes the same rows into fresh databases in several ways, with the project's own functions:

- `trigger, per file`: the schema before migration 0008 (a per-row FTS5 insert trigger, prefix
  indexes 1 2 3), one transaction per file: what the loader did before issue 14;
- `FTS per file`: no trigger, the comments indexed by one INSERT … SELECT per file, one transaction each;
- `batch of N, FTS per batch` (the loader now): N files per transaction, a savepoint per file, one
  INSERT … SELECT per batch, with prefix indexes `1 2 3 4` (0008), `1 2 3` (0003, 0010, 0011),
  `2 3` (0012) and none, FTS5 automerge 4 (before 0011) or 16 (0011);
- `save_article per file`: through aiosqlite, one thread hop per file (the non-batched path).

    .venv/bin/python bench/profile_load.py --files 300
"""

from __future__ import annotations

import argparse
import asyncio
import sqlite3
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

from bench_load import BENCH, corpus, fresh

from storage import spam
from storage.articles import ArticleRows, feed_article_fts, feed_comment_fts, write_article
from storage.batch import Prepared, prepare_many, write_batch
from storage.db import PRAGMAS, Storage, migrations
from storage.sqlite_write import write

Writer = Callable[[sqlite3.Connection, list[Prepared]], None]


def schema(
    db: Path, *, before_0008: bool = False, prefix: str | None = "2 3", automerge: int = 16
) -> None:
    """A fresh store: every migration (or those before 0008), comments_fts with `prefix` and FTS5's
    `automerge` (16 since migration 0011, 4 before)."""
    conn = sqlite3.connect(fresh(db), isolation_level=None)
    for pragma in PRAGMAS:
        conn.execute(pragma)
    for number, _name, sql in migrations():
        if not before_0008 or number < 8:
            conn.executescript(sql)
    if not before_0008:
        option = f", prefix='{prefix}'" if prefix else ""
        conn.executescript(
            "DROP TABLE comments_fts; CREATE VIRTUAL TABLE comments_fts USING fts5 (author, text,"
            " content='comments', content_rowid='id', tokenize='unicode61 remove_diacritics 2'"
            f"{option});"
        )
        conn.execute(
            "INSERT INTO comments_fts (comments_fts, rank) VALUES ('automerge', ?)", (automerge,)
        )
    conn.close()


def per_file(conn: sqlite3.Connection, items: list[Prepared], *, feed: bool) -> None:
    """One transaction per file; the comments indexed by the trigger, or by one statement."""
    for item in items:
        assert item.rows is not None
        conn.execute("BEGIN IMMEDIATE")
        _, article_id = write_article(conn, item.rows)
        if feed:
            feed_comment_fts(conn, [article_id])
        feed_article_fts(conn, [(article_id, *item.rows.fts)])
        conn.execute("COMMIT")


def batched(size: int) -> Writer:
    """`size` files per transaction through the loader's own write_batch."""

    def run(conn: sqlite3.Connection, items: list[Prepared]) -> None:
        for i in range(0, len(items), size):
            conn.execute("BEGIN IMMEDIATE")
            write_batch(conn, None, items[i : i + size])
            conn.execute("COMMIT")

    return run


def timed_write(db: Path, items: list[Prepared], writer: Writer) -> tuple[float, float]:
    """(wall, CPU) seconds of `writer` over `items` on the database `db`."""
    conn = sqlite3.connect(db, isolation_level=None)
    for pragma in PRAGMAS:
        conn.execute(pragma)
    wall, cpu = time.perf_counter(), time.process_time()
    writer(conn, items)
    result = time.perf_counter() - wall, time.process_time() - cpu
    conn.close()
    return result


async def through_aiosqlite(db: Path, rows: list[ArticleRows]) -> tuple[float, float]:
    """(wall, CPU) of storing every article with one `write` hop per file (save_article's path)."""
    async with await Storage.open(fresh(db)) as store:
        wall, cpu = time.perf_counter(), time.process_time()
        for r in rows:
            await write(store, lambda conn, r=r: per_file_one(conn, r))
        return time.perf_counter() - wall, time.process_time() - cpu


def per_file_one(conn: sqlite3.Connection, rows: ArticleRows) -> None:
    """save_article's work for one new article."""
    _, article_id = write_article(conn, rows)
    feed_comment_fts(conn, [article_id])
    feed_article_fts(conn, [(article_id, *rows.fts)])


def main(argv: list[str] | None = None) -> int:
    """Parse once, write every way `--repeat` times (interleaved), print medians per comment."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=300)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    work = BENCH / ".work"
    files = sorted(corpus(work, 2000, 100, 1).glob("*.txt"))[: args.files]
    jobs = [(str(p), None) for p in files]
    cpu = time.process_time()
    items = prepare_many(jobs, False)
    parse_cpu = time.process_time() - cpu
    comments = sum(i.comments for i in items)
    texts = [str(c[4]) for i in items if i.rows for c in i.rows.comments]
    cpu = time.process_time()
    for text in texts:
        spam.spam_reasons(text)
    spam_cpu = time.process_time() - cpu
    db = work / "profile.db"
    ways: dict[str, tuple[dict[str, object], Writer]] = {
        "trigger (prefix 1 2 3), per file": (
            {"before_0008": True},
            lambda c, i: per_file(c, i, feed=False),
        ),
        "FTS per file (prefix 1 2 3), per file": (
            {"prefix": "1 2 3"},
            lambda c, i: per_file(c, i, feed=True),
        ),
        "batch of 64, FTS per batch, prefix 1 2 3 4 (0008)": (
            {"prefix": "1 2 3 4", "automerge": 4},
            batched(64),
        ),
        "batch of 64, FTS per batch, prefix 1 2 3, automerge 4 (0010)": (
            {"prefix": "1 2 3", "automerge": 4},
            batched(64),
        ),
        "batch of 64, FTS per batch, prefix 1 2 3, automerge 16 (0011)": (
            {"prefix": "1 2 3"},
            batched(64),
        ),
        "batch of 64, FTS per batch, prefix 2 3, automerge 16 (0012: now)": ({}, batched(64)),
        "batch of 64, FTS per batch, no prefix index": ({"prefix": None}, batched(64)),
        "batch of 16, FTS per batch, prefix 2 3": ({}, batched(16)),
    }
    times: dict[str, list[tuple[float, float]]] = {name: [] for name in ways}
    times["save_article's path, one hop per file"] = []
    rows = [i.rows for i in items if i.rows]
    for _ in range(args.repeat):
        for name, (options, writer) in ways.items():
            schema(db, **options)  # type: ignore[arg-type]
            times[name].append(timed_write(db, items, writer))
        times["save_article's path, one hop per file"].append(
            asyncio.run(through_aiosqlite(db, rows))
        )
    fresh(db)
    per = 1e6 / comments
    print(f"{len(items)} files, {comments} comments; medians of {args.repeat}, µs per comment\n")
    print("| stage | CPU µs/comment | wall µs/comment |\n| --- | ---: | ---: |")
    print(f"| parse (read, hash, parse, rows) | {parse_cpu * per:.1f} | – |")
    print(f"|   of which spam_reasons | {spam_cpu * per:.1f} | – |")
    for name, runs in times.items():
        wall = statistics.median(w for w, _ in runs) * per
        cpu_ = statistics.median(c for _, c in runs) * per
        print(f"| write: {name} | {cpu_:.1f} | {wall:.1f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
