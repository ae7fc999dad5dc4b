"""Where the loader's memory goes as files are loaded: resident size sampled during one in-process load.

Loads a corpus with `storage.loader.iter_load` (what `threadreplay load` runs) into a fresh database
and prints the process's resident and Python-traced memory every `--every` files, plus the Python
memory that is proportional to the number of files (the file list and the per-load key registry).
`--cache-kib` shrinks SQLite's page cache on both connections, to tell a cache filling up from growth.

    .venv/bin/python bench/profile_memory.py --files 10000 --every 1000
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
import tracemalloc
from pathlib import Path

from bench_load import BENCH, corpus, fresh

from storage.db import Storage
from storage.files import iter_files
from storage.loader import iter_load


def rss_mib() -> tuple[float, float]:
    """(current, peak) resident set size of this process in MiB, from /proc/self/status."""
    fields = dict(
        line.split(":", 1)
        for line in Path("/proc/self/status").read_text().splitlines()
        if ":" in line
    )
    return int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024


def per_file_python(folder: Path) -> float:
    """MiB the Python file list of `iter_load` takes for `folder` (it is built before the first file)."""
    tracemalloc.start()
    files = list(iter_files([folder]))
    keys = {p.stem: p for p in files}  # the loader's `claimed` registry, filled one entry per file
    size = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    del files, keys
    return size / 2**20


async def load(folder: Path, db: Path, every: int, cache_kib: int | None) -> None:
    """Load `folder` into `db`, printing memory every `every` files."""
    start = time.perf_counter()

    def progress(done: int, total: int, _path: Path) -> None:
        if done == 1 or done % every == 0 or done == total:
            rss, hwm = rss_mib()
            traced = ""
            if tracemalloc.is_tracing():
                traced = f" {tracemalloc.get_traced_memory()[0] / 2**20:.1f} |"
            elapsed = time.perf_counter() - start
            print(f"| {done:,} | {rss:.1f} | {hwm:.1f} |{traced} {elapsed:.0f} |", flush=True)

    async with await Storage.open(db) as store:
        if cache_kib is not None:
            for conn in (store.writer, store.reader):
                await conn.execute(f"PRAGMA cache_size = -{cache_kib}")
        traced = " Python traced (MiB) |" if tracemalloc.is_tracing() else ""
        print(f"| files done | RSS (MiB) | peak RSS (MiB) |{traced} s |")
        print("| ---: | ---: | ---: |" + (" ---: |" if traced else "") + " ---: |")
        async for _report in iter_load(store, [folder], progress=progress):
            pass


def main(argv: list[str] | None = None) -> int:
    """Print the memory profile of one load."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=2000, help="corpus size (default 2000)")
    parser.add_argument("--comments", type=int, default=100, help="mean comments per file")
    parser.add_argument("--seed", type=int, default=1, help="corpus seed (default 1)")
    parser.add_argument("--every", type=int, default=500, help="sample every N files")
    parser.add_argument("--cache-kib", type=int, help="SQLite page cache per connection, in KiB")
    parser.add_argument(
        "--trace", action="store_true", help="also trace Python allocations (slower)"
    )
    parser.add_argument("--work", type=Path, default=BENCH / ".work", help="corpora and databases")
    args = parser.parse_args(argv)
    work = args.work.resolve()
    folder = corpus(work, args.files, args.comments, args.seed)
    print(f"before opening the database: RSS {rss_mib()[0]:.1f} MiB")
    if args.trace:
        tracemalloc.start()
    db = fresh(work / f"memory-{args.cache_kib or 'default'}.db")
    try:
        asyncio.run(load(folder, db, args.every, args.cache_kib))
    finally:
        fresh(db)
    # Measured last, so that its freed memory does not hide the loader's own file list above.
    print(f"file list + key registry for {args.files:,} files: {per_file_python(folder):.2f} MiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
