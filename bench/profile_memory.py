"""Where the loader's memory goes as files are loaded: resident size sampled during one in-process load.

Loads a corpus with `storage.loader.iter_load` (what `threadreplay load` runs) into a fresh database
and prints the process's resident and Python-traced memory every `--every` files, SQLite's own
allocations (`sqlite3_memory_used` and its high-water mark, when the `sqlite3` module uses a shared
libsqlite3) and the size of the WAL file, whose index (`-shm`) is mapped into the process; then the
Python memory one folder's names take while it is loaded (`storage.files` holds them to load in order).
`--cache-kib` shrinks SQLite's page cache on both connections, to tell a cache filling up from growth;
`--sql` runs a statement on the new store first (e.g. an FTS5 setting).

    .venv/bin/python bench/profile_memory.py --files 10000 --every 1000
"""

from __future__ import annotations

import argparse
import asyncio
import ctypes
import sqlite3
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


def names_held(folder: Path) -> float:
    """MiB `iter_files` holds for `folder` from its first file to its last (the sorted names)."""
    tracemalloc.start()
    files = iter_files([folder])
    next(files, None)
    size = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    del files
    return size / 2**20


def libsqlite() -> ctypes.CDLL | None:
    """The shared libsqlite3 the `sqlite3` module runs on (the same instance), if it uses one."""
    assert sqlite3.sqlite_version  # the module, and so its library, is loaded
    for line in Path("/proc/self/maps").read_text().splitlines():
        if "libsqlite3" in line:
            lib = ctypes.CDLL(line.split()[-1])
            lib.sqlite3_memory_used.restype = ctypes.c_int64
            lib.sqlite3_memory_highwater.restype = ctypes.c_int64
            lib.sqlite3_memory_highwater.argtypes = [ctypes.c_int]
            return lib
    return None


async def load(folder: Path, db: Path, every: int, cache_kib: int | None, sql: list[str]) -> None:
    """Load `folder` into `db`, printing memory every `every` files."""
    start = time.perf_counter()
    lib = libsqlite()
    wal = Path(f"{db}-wal")

    def progress(done: int, total: int, _path: Path) -> None:
        if done == 1 or done % every == 0 or done == total:
            rss, hwm = rss_mib()
            traced = ""
            if tracemalloc.is_tracing():
                traced = f" {tracemalloc.get_traced_memory()[0] / 2**20:.1f} |"
            used = "– | –"
            if lib is not None:
                now, high = lib.sqlite3_memory_used(), lib.sqlite3_memory_highwater(0)
                used = f"{now / 2**20:.2f} | {high / 2**20:.2f}"
            wal_mib = wal.stat().st_size / 2**20 if wal.exists() else 0.0
            elapsed = time.perf_counter() - start
            print(
                f"| {done:,} | {rss:.1f} | {hwm:.1f} |{traced} {used} | {wal_mib:.0f} | {elapsed:.0f} |",
                flush=True,
            )

    async with await Storage.open(db) as store:
        if cache_kib is not None:
            for conn in (store.writer, store.reader):
                await conn.execute(f"PRAGMA cache_size = -{cache_kib}")
        for statement in sql:
            await store.writer.execute(statement)
        traced = " Python traced (MiB) |" if tracemalloc.is_tracing() else ""
        print(
            f"| files done | RSS (MiB) | peak RSS (MiB) |{traced} SQLite (MiB) | SQLite peak (MiB)"
            " | WAL (MiB) | s |"
        )
        print(
            "| ---: | ---: | ---: |"
            + (" ---: |" if traced else "")
            + " ---: | ---: | ---: | ---: |"
        )
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
        "--sql", action="append", default=[], help="run on the new store first (repeatable)"
    )
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
        asyncio.run(load(folder, db, args.every, args.cache_kib, args.sql))
    finally:
        fresh(db)
    # Measured last, so that its freed memory does not hide the loader's own use above.
    print(
        f"one folder's names, held while it loads ({args.files:,} files): {names_held(folder):.2f} MiB"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
