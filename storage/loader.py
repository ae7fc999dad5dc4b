"""The loader: files -> parsed articles -> stored in batches (a savepoint per file), with a report of each."""

from __future__ import annotations

import asyncio
import collections
import contextlib
import itertools
import json
import logging
import multiprocessing
import os
import signal
import sys
import threading
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path

from storage.batch import (
    PARSER_VERSION,
    STORED_SQL,
    STORED_SQL_PG,
    Prepared,
    StoredDump,
    Written,
    content_hash,
    prepare,
    prepare_many,
    prepare_packed,
    stored_hashes,
    unpack,
    write_batch,
)
from storage.claims import Claims
from storage.db import Storage, database_errors
from storage.errors import ParseError
from storage.files import iter_files
from storage.models import FileReport, LoadReport, LoadStatus, ParseWarning
from storage.parsers import article_key, read_head, sniff
from storage.read import fetch_all
from storage.sources import load_sourced, unexpected
from storage.sqlite_write import write

log = logging.getLogger(__name__)

__all__ = ["PARSER_VERSION", "content_hash"]  # re-exported: where callers have always found them

Progress = Callable[[int, int, Path], None]


async def load_file(
    store: Storage, path: Path, *, strict: bool = False, claimed: Claims | None = None
) -> FileReport:
    """Load one file; never raises for a bad file, reports it as failed.

    A file holding several articles (a Disqus export) is summed up in one report: failed if any
    article failed, else added/updated if any was, with `key` None; `load_source` reports each.
    """
    reports = [r async for r in load_source(store, path, strict=strict, claimed=claimed)]
    if len(reports) == 1:
        return reports[0]
    statuses: list[LoadStatus] = ["failed", "added", "updated", "unchanged"]
    status = next(s for s in statuses if any(r.status == s for r in reports))
    return FileReport(
        path=str(path),
        status=status,
        comments=sum(r.comments for r in reports),
        error="; ".join(r.error for r in reports if r.error) or None,
        warnings=[w for r in reports for w in r.warnings],
    )


async def load_source(
    store: Storage, path: Path, *, strict: bool = False, claimed: Claims | None = None
) -> AsyncIterator[FileReport]:
    """Load every article of one file, each in its own transaction, yielding a report per article.

    A file that cannot be read or parsed yields one failed report and stores nothing.
    """
    try:
        head = await asyncio.to_thread(read_head, path)
    except ParseError as exc:
        yield FileReport(path=str(path), status="failed", key=article_key(path), error=str(exc))
        return
    if sniff(head) == "text":
        yield await _load_dump(store, path, strict=strict, claimed=claimed)
        return
    async for report in load_sourced(store, path, strict=strict, claimed=claimed):
        yield report


async def _load_dump(
    store: Storage, path: Path, *, strict: bool, claimed: Claims | None
) -> FileReport:
    """A text dump: one article keyed by the file name, skipped unparsed when its bytes are known."""
    stored = await _stored(store, [article_key(path)])
    known = next((s.content_hash for s in stored.values()), None)
    # Parsing is CPU work: off the event loop, so a bot keeps answering while it reloads.
    item = await asyncio.to_thread(prepare, str(path), strict, known)
    (report,) = await _write(store, claimed, [item], stored)
    return report


async def _stored(store: Storage, keys: list[str]) -> dict[str, StoredDump]:
    """What the store holds for these article keys (one query for a whole batch)."""
    sql = STORED_SQL_PG if store.dialect == "postgres" else STORED_SQL
    return stored_hashes(await fetch_all(store.reader, sql, (json.dumps(keys),)))


async def _write(
    store: Storage, claimed: Claims | None, items: list[Prepared], stored: dict[str, StoredDump]
) -> list[FileReport]:
    """Write parsed dumps (one transaction, a savepoint each) and report on every one of them."""
    reports: dict[int, FileReport] = {}
    todo: list[tuple[int, Prepared]] = []
    for i, item in enumerate(items):
        known = stored.get(item.key)
        if item.outcome == "failed":
            if item.trace:
                log.error("unexpected error while loading %s\n%s", item.path, item.trace)
            reports[i] = FileReport(path=item.path, status="failed", key=item.key, error=item.error)
        elif item.rows and known and _another_file(known.source_path, Path(item.path)):
            error = (
                f"{item.path}: its key {item.key!r} is already the article loaded from"
                f" {known.source_path}, which still exists; loading this file would replace that"
                " article. The key is the file name without its extension: rename one of the two"
                " files to keep both"
            )
            reports[i] = FileReport(path=item.path, status="failed", key=item.key, error=error)
        else:
            todo.append((i, item))
    written = await _write_all(store, claimed.run if claimed else None, [t for _, t in todo])
    for (i, item), done in zip(todo, written, strict=True):
        known = stored.get(item.key)
        if item.rows is None and known is not None:  # unchanged bytes: what the store holds
            count, warnings = (
                known.comments,
                [ParseWarning.model_validate(w) for w in known.warnings],
            )
        else:
            count, warnings = item.comments, item.warnings
        reports[i] = FileReport(
            path=item.path,
            status=done.status,
            key=item.key,
            comments=0 if done.error else count,
            warnings=[] if done.error else warnings,
            error=done.error,
        )
    return [reports[i] for i in range(len(items))]


async def _write_all(store: Storage, run: int | None, items: list[Prepared]) -> list[Written]:
    """Write `items` in one transaction; if that fails as a whole, each in its own."""
    if not items:
        return []
    try:
        if store.dialect == "postgres":
            from storage import pg_write  # asyncpg is loaded only for PostgreSQL

            async with store.transaction() as db:
                return await pg_write.write_batch(db, run, items)
        return await write(store, lambda conn: write_batch(conn, run, items))
    except Exception as exc:  # a database error, or a bug: either way the batch was rolled back
        if len(items) > 1:  # the batch is rolled back: its files go one by one
            log.warning("a batch of %d files failed (%s); writing them one by one", len(items), exc)
            return [w for item in items for w in await _write_all(store, run, [item])]
        if isinstance(exc, database_errors()):
            log.warning("database error while loading %s: %s", items[0].path, exc)
            return [Written("failed", f"{items[0].path}: database error: {exc}")]
        log.exception("unexpected error while loading %s", items[0].path)
        return [Written("failed", unexpected(items[0].path, exc))]


def _another_file(stored_path: str | None, path: Path) -> bool:
    """True when the article's recorded file still exists and is not `path` (moved files keep
    their key: a recorded path that is gone is the same file moved)."""
    if not stored_path or stored_path == str(path):
        return False
    try:
        return not os.path.samefile(stored_path, path)
    except OSError:
        return False  # the recorded file is gone (moved or deleted): this file takes its key


BATCH_FILES = 64  # files per transaction (and per FTS5 segment) in a load of many files
JOB_FILES = 16  # files per round trip to a parser process
# Batches being parsed while one is written: with one, a parser that finishes first waits for the
# writer with its core idle. 2,000 files on 2 cores: 11.3-13.0 s with one, 9.3-9.5 with two,
# 8.9-9.1 with three (bench/RESULTS.md, issue 14); each costs a batch's rows in memory, kept pickled
# until written (~2.4 MiB for 64 files of ~100 comments). All of them fill while an FTS5 merge holds
# the writer.
PARSED_AHEAD = 3


@dataclass
class _Queued:
    """A batch of files handed to the parser, and what the store held for them beforehand."""

    jobs: list[tuple[str, str | None]]
    stored: dict[str, StoredDump]
    parsed: list[Awaitable[list[Prepared] | bytes]]  # bytes: packed by a parser process


PARSER_NICE = 10  # the parsers' priority below the writer's (the `nice` of background work)


def _start_parser() -> None:
    """A parser process: at a lower priority than the writer (best effort), and deaf to Ctrl-C,
    which reaches every process of the terminal's group: the loading process decides, shuts the
    pool down, and the parsers do not each print a traceback."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    with contextlib.suppress(OSError):
        os.nice(PARSER_NICE)


def parser_pool(*, fork: bool = False) -> ProcessPoolExecutor:
    """Worker processes that parse while this one writes: one per core, as parsing a file costs
    about twice writing it (bench/RESULTS.md, issue 14).

    They run at a lower priority (`PARSER_NICE`): the single writer is the load's critical path,
    and on a machine with fewer cores than processes an even share of CPU kept it waiting while the
    parsers ran ahead (2,000 files: 7.2-7.4 s against 8.4-8.6 s at an even priority, the same CPU).
    In a bot, the parsers also yield to its event loop.

    Spawned by default: a fork would copy the writer's threads and locks mid-flight, and a spawned
    worker imports the parsers afresh (~0.4 s of CPU each). `fork=True` starts them now as forks of
    this process, which must not run a thread yet (the CLI, before it opens the store): they start
    with every module imported. With a thread running, or no `fork` on this platform, they spawn.
    """
    workers = max(1, min(4, os.cpu_count() or 1))
    forkable = "fork" in multiprocessing.get_all_start_methods() and threading.active_count() == 1
    method = "fork" if fork and forkable else "spawn"
    pool = ProcessPoolExecutor(
        workers, mp_context=multiprocessing.get_context(method), initializer=_start_parser
    )
    if method == "fork":
        for stream in (sys.stdout, sys.stderr):
            stream.flush()  # a child flushes its copy of the buffers when it exits: nothing twice
        pool.submit(int).result()  # forks every worker now, before the pool's own thread starts
    return pool


async def _queue(
    store: Storage, pool: ProcessPoolExecutor | None, files: list[Path], strict: bool
) -> _Queued:
    """Look up the batch's stored hashes, then start parsing it (in `pool`, or a thread)."""
    stored = await _stored(store, [article_key(p) for p in files])
    jobs = [
        (str(p), known.content_hash if (known := stored.get(article_key(p))) else None)
        for p in files
    ]
    parsed: list[Awaitable[list[Prepared] | bytes]] = []
    if pool is not None:
        loop = asyncio.get_running_loop()
        try:
            parsed = [
                loop.run_in_executor(pool, prepare_packed, jobs[i : i + JOB_FILES], strict)
                for i in range(0, len(jobs), JOB_FILES)
            ]
        except BrokenProcessPool:  # a worker died earlier (killed, out of memory)
            log.warning("a parser process died; parsing %d files in this process", len(jobs))
    if not parsed:
        parsed = [asyncio.ensure_future(asyncio.to_thread(prepare_many, jobs, strict))]
    return _Queued(jobs, stored, parsed)


@dataclass
class _Written:
    """A batch after the writer: its files in order (path, whether a text dump), and the reports of
    its text dumps. Not their rows, which the next batch's would otherwise join in memory."""

    files: list[tuple[str, bool]]
    reports: list[FileReport]

    @property
    def dumps_only(self) -> bool:
        """True when every file was a text dump (nothing left to load one article at a time)."""
        return all(dump for _, dump in self.files)


async def _write_queued(store: Storage, queued: _Queued, strict: bool, claimed: Claims) -> _Written:
    """Wait for a batch's parse, then write its text dumps (one transaction)."""
    # Every part's outcome is collected, so that none is left unretrieved (and logged) when one fails.
    parts = await asyncio.gather(*queued.parsed, return_exceptions=True)
    failed = [p for p in parts if isinstance(p, BaseException)]
    if any(isinstance(p, BrokenProcessPool) for p in failed):
        # A worker died (killed, out of memory): the batch is parsed here instead.
        log.warning("a parser process died; parsing %d files in this process", len(queued.jobs))
        items = await asyncio.to_thread(prepare_many, queued.jobs, strict)
    elif failed:
        raise failed[0]
    else:
        items = [
            item
            for part in parts
            if not isinstance(part, BaseException)
            for item in (unpack(part) if isinstance(part, bytes) else part)
        ]
    dumps = [item for item in items if item.outcome != "other"]
    reports = await _write(store, claimed, dumps, queued.stored)
    return _Written([(item.path, item.outcome != "other") for item in items], reports)


async def _finish(
    store: Storage, written: _Written, strict: bool, claimed: Claims
) -> AsyncIterator[tuple[Path, FileReport]]:
    """Yield a written batch's (file, report) in file order; other formats load here, in order."""
    reports = iter(written.reports)
    for name, dump in written.files:
        path = Path(name)
        if dump:
            yield path, next(reports)
            continue
        async for report in load_sourced(store, path, strict=strict, claimed=claimed):
            yield path, report


def _batches(files: Iterator[Path], size: int) -> Iterator[list[Path]]:
    """Consecutive lists of `size` files (the last one shorter)."""
    while batch := list(itertools.islice(files, size)):
        yield batch


async def iter_load(
    store: Storage,
    paths: Iterable[Path],
    *,
    strict: bool = False,
    progress: Progress | None = None,
    batch: int = BATCH_FILES,
    pool: ProcessPoolExecutor | None = None,
) -> AsyncIterator[FileReport]:
    """Load every file under `paths`, yielding a report per article once it is committed.

    A file yields one report (a text dump, Reddit page, HN item) or one per thread (a Disqus export).
    Text dumps go `batch` at a time: parsed in worker processes (from the second batch on, so a
    small load starts no process) while an earlier batch is written, each batch in one
    transaction with a savepoint per file; the writer goes on with the next batch while one's
    reports are handed out. Memory holds the rows of 1 + PARSED_AHEAD batches at most (pickled
    until written); a bad file never stops the rest and leaves no trace in the store.

    `pool`: parser processes to use from the first batch on, which the caller shuts down (the CLI
    forks them before it opens the store; see `parser_pool`).
    """
    own_pool = pool is None
    paths = list(paths)
    total = sum(1 for _ in iter_files(paths)) if progress is not None else 0  # counted, not kept
    claimed = Claims(store)
    done = 0
    batches = _batches(iter_files(paths), batch)
    pending: collections.deque[_Queued] = collections.deque()
    writing: asyncio.Future[_Written] | None = None

    async def fill() -> None:
        nonlocal pool
        while len(pending) <= PARSED_AHEAD and (files := next(batches, None)):
            if pending and pool is None:
                pool = parser_pool()  # a second batch: worth a process of its own
            pending.append(await _queue(store, pool, files, strict))

    def write_next() -> asyncio.Future[_Written] | None:
        if not pending:
            return None
        return asyncio.ensure_future(_write_queued(store, pending.popleft(), strict, claimed))

    try:
        await fill()
        writing = write_next()
        while writing is not None:
            written = await writing
            writing = None
            await fill()
            if written.dumps_only:
                # The writer goes on with the next batch while this one's reports are handed out.
                # A batch with other formats loads them first: no later file claims a key before them.
                writing = write_next()
            last = None
            async for path, result in _finish(store, written, strict, claimed):
                if result.status == "failed":
                    log.info("failed to load %s: %s", path, result.error)
                yield result
                if progress is not None and path != last:
                    done += 1
                    progress(done, total, path)
                last = path
            if writing is None:
                writing = write_next()
    finally:
        if writing is not None:  # the caller stopped early: the batch being written is not wanted
            writing.cancel()  # (rolled back, unless it had committed already)
            await asyncio.wait([writing])
            if not writing.cancelled():
                writing.exception()  # retrieved, so asyncio does not log it as forgotten
        if pool is not None and own_pool:
            pool.shutdown(wait=True, cancel_futures=True)
        await claimed.release()


async def load_paths(
    store: Storage, paths: Iterable[Path], *, strict: bool = False, progress: Progress | None = None
) -> LoadReport:
    """Load every file under `paths` and return the whole report."""
    return LoadReport(
        files=[r async for r in iter_load(store, paths, strict=strict, progress=progress)]
    )
