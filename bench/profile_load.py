"""Where the loader's time goes, per file: each stage of `load_file` timed on its own, in-process.

`threadreplay load` parses in a worker thread and writes through aiosqlite's thread, which a plain
cProfile of the CLI cannot see; so this times the same project functions one stage at a time (read,
hash, decode, parse and its spam heuristics, store through `save_article`), compares the store with
the raw sqlite3 baseline and with the whole `load_paths`, then prints a cProfile of the parse.

    .venv/bin/python bench/profile_load.py --files 300
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import pstats
import sys
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TypeVar

import baseline
from bench_load import BENCH, corpus, fresh

from storage import spam
from storage.articles import save_article
from storage.db import Storage
from storage.loader import content_hash, load_paths
from storage.models import Article
from storage.parsers import article_key, parse_bytes
from storage.parsers.decode import decode_bytes
from storage.parsers.textdump import parse_text_dump

T = TypeVar("T")


def timed(items: Iterable[T], stage: Callable[[T], object]) -> float:
    """Seconds spent running `stage` over `items`."""
    start = time.perf_counter()
    for item in items:
        stage(item)
    return time.perf_counter() - start


def best(repeat: int, measure: Callable[[], float]) -> float:
    """The fastest of `repeat` measurements: other work on the machine only ever adds time."""
    return min(measure() for _ in range(repeat))


async def store_all(db: Path, articles: list[tuple[Path, Article, str]]) -> tuple[float, float]:
    """(seconds in save_article, seconds in load_paths of the same files into another fresh db)."""
    async with await Storage.open(fresh(db)) as store:
        start = time.perf_counter()
        for path, article, digest in articles:
            await save_article(store, article, source_path=str(path), content_hash=digest)
        saving = time.perf_counter() - start
    async with await Storage.open(fresh(db.with_name("whole.db"))) as store:
        start = time.perf_counter()
        await load_paths(store, [p for p, _, _ in articles])
        whole = time.perf_counter() - start
    return saving, whole


def baseline_inserts(db: Path, rows: list[baseline.FileRows], *, fts: bool) -> float:
    """Seconds the raw baseline spends inserting `rows`, with or without the comment FTS trigger."""
    conn = baseline.connect(fresh(db))
    if not fts:
        conn.execute("DROP TRIGGER comments_ai")
    try:
        return timed(rows, lambda r: baseline.insert_file(conn, r))
    finally:
        conn.close()


def main(argv: list[str] | None = None) -> int:
    """Print the per-file cost of every stage, then the parse's hottest functions."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=300, help="files to profile (default 300)")
    parser.add_argument("--comments", type=int, default=100, help="mean comments per file")
    parser.add_argument("--seed", type=int, default=1, help="corpus seed (default 1)")
    parser.add_argument("--repeat", type=int, default=3, help="keep the best of N (default 3)")
    parser.add_argument("--work", type=Path, default=BENCH / ".work", help="corpora and databases")
    args = parser.parse_args(argv)
    work = args.work.resolve()
    paths = sorted(corpus(work, args.files, args.comments, args.seed).glob("*.txt"))
    n = len(paths)

    stages: dict[str, float] = {}
    r = args.repeat
    stages["read bytes"] = best(r, lambda: timed(paths, Path.read_bytes))
    datas = [(p, p.read_bytes()) for p in paths]
    stages["sha-256 of the bytes"] = best(r, lambda: timed(datas, lambda pd: content_hash(pd[1])))
    stages["decode"] = best(r, lambda: timed(datas, lambda pd: decode_bytes(pd[1], str(pd[0]))))
    texts = [(p, decode_bytes(d, str(p))) for p, d in datas]
    stages["parse_text_dump (all of it)"] = best(
        r,
        lambda: timed(
            texts, lambda pt: parse_text_dump(pt[1][0], key=article_key(pt[0]), path=str(pt[0]))
        ),
    )
    articles = [
        (p, parse_bytes(d, path=str(p), key=article_key(p)), content_hash(d)) for p, d in datas
    ]
    bodies = [c.text for _, a, _ in articles for c in a.comments]
    signals: dict[str, Callable[[str], object]] = {
        "  of which spam_reasons": spam.spam_reasons,
        "    _EARNINGS.search": spam._EARNINGS.search,
        "    _PITCH.search": spam._PITCH.search,
        "    _URL.findall": spam._URL.findall,
        "    _symbol_run": spam._symbol_run,
    }
    for name, signal in signals.items():
        stages[name] = best(r, lambda signal=signal: timed(bodies, signal))
    stored = [asyncio.run(store_all(work / "profile.db", articles)) for _ in range(r)]
    saving, whole = min(s for s, _ in stored), min(w for _, w in stored)
    stages["save_article (aiosqlite, pre-parsed)"] = saving
    rows = [
        baseline.rows_for(i, a, source_path=str(p), digest=h)
        for i, (p, a, h) in enumerate(articles, 1)
    ]
    stages["baseline inserts (sqlite3)"] = best(
        r, lambda: baseline_inserts(work / "profile.db", rows, fts=True)
    )
    stages["  same without the comments FTS trigger"] = best(
        r, lambda: baseline_inserts(work / "profile.db", rows, fts=False)
    )
    stages["load_paths, whole (in-process)"] = whole
    for name in ("profile.db", "whole.db"):
        fresh(work / name)

    comments = len(bodies)
    print(f"{n} files, {comments} comments ({comments / n:.0f} per file); best of {r} runs\n")
    print(
        "| stage | ms per file | µs per comment | share of load_paths |\n| --- | ---: | ---: | ---: |"
    )
    for name, seconds in stages.items():
        print(
            f"| {name} | {seconds / n * 1000:.2f} | {seconds / comments * 1e6:.1f}"
            f" | {seconds / whole:.0%} |"
        )

    profile = cProfile.Profile()
    profile.enable()
    for p, d in datas:
        parse_bytes(d, path=str(p), key=article_key(p))
    profile.disable()
    out = io.StringIO()
    pstats.Stats(profile, stream=out).sort_stats("tottime").print_stats(12)
    print("\ncProfile of parse_bytes over the same files (tottime; the profiler inflates calls):")
    print("\n".join(line for line in out.getvalue().splitlines() if line.strip())[:4000])
    return 0


if __name__ == "__main__":
    sys.exit(main())
