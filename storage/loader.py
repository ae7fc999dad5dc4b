"""The loader: files -> parsed articles -> one transaction each, with a report of what happened."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import os
from collections.abc import AsyncIterator, Callable, Iterable, Iterator
from pathlib import Path

import aiosqlite

from storage.articles import save_article, stored_file
from storage.db import Storage
from storage.errors import ParseError, StorageError
from storage.models import Article, FileReport, LoadReport, LoadStatus, ParseWarning
from storage.parsers import article_key, iter_file, parse_bytes, read_head, read_limited, sniff
from storage.read import fetch_one

log = logging.getLogger(__name__)

PARSER_VERSION = "1"  # bump when parsing changes, so reloading re-parses files whose bytes did not
DUMP_SUFFIXES = frozenset({".txt", ".text", ".dump"})
SOURCE_SUFFIXES = DUMP_SUFFIXES | {".xml", ".json"}  # Disqus exports; Reddit pages and HN items

Progress = Callable[[int, int, Path], None]


def iter_files(paths: Iterable[Path]) -> Iterator[Path]:
    """Files named directly, and source files found recursively in directories (hidden ones skipped).

    A generator that holds one directory's names at a time, never the whole tree: a load's memory
    does not grow with the number of files.
    """
    for path in paths:
        if path.is_dir():
            yield from _walk(path)
        else:
            yield path


def _walk(folder: Path) -> Iterator[Path]:
    """Source files under `folder` in sorted order, depth first, skipping hidden entries."""
    try:
        with os.scandir(folder) as entries:
            names = sorted(
                (e.name, e.is_dir(follow_symlinks=False))
                for e in entries
                if not e.name.startswith(".")
            )
    except OSError as exc:
        log.warning("cannot list %s: %s", folder, exc)
        return
    for name, is_dir in names:
        child = folder / name
        if is_dir:
            yield from _walk(child)
        elif child.suffix.lower() in SOURCE_SUFFIXES and child.is_file():
            yield child


_CLAIMS_TABLE = "CREATE TEMP TABLE IF NOT EXISTS load_claims (run INTEGER, key TEXT, path TEXT, PRIMARY KEY (run, key))"


class Claims:
    """Which file claimed each article key during one load, so two files cannot overwrite each other.

    Kept in a temporary table of the writer connection rather than a dict: memory stays flat however
    many files a load has.
    """

    _runs = 0

    def __init__(self, store: Storage) -> None:
        Claims._runs += 1
        self.store = store
        self.run = Claims._runs

    async def claim(self, key: str, path: Path) -> None:
        """Claim `key` for `path`; StorageError if another file of this load claimed it first."""
        async with self.store.transaction() as db:
            await db.execute(_CLAIMS_TABLE)
            await db.execute(
                "INSERT OR IGNORE INTO load_claims VALUES (?, ?, ?)", (self.run, key, str(path))
            )
            rows = await db.execute_fetchall(
                "SELECT path FROM load_claims WHERE run = ? AND key = ?", (self.run, key)
            )
        owner = next(iter(rows))[0]
        if owner != str(path):
            raise StorageError(f"article key {key!r} is already taken by {owner} in this load")

    async def release(self) -> None:
        """Forget this load's claims."""
        async with self.store.transaction() as db:
            await db.execute(_CLAIMS_TABLE)
            await db.execute("DELETE FROM load_claims WHERE run = ?", (self.run,))


def content_hash(data: bytes) -> str:
    """Fingerprint of a file's bytes and of the parser version that reads them."""
    return hashlib.sha256(PARSER_VERSION.encode() + b"\0" + data).hexdigest()


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
    async for report in _load_sourced(store, path, strict=strict, claimed=claimed):
        yield report


async def _load_dump(
    store: Storage, path: Path, *, strict: bool, claimed: Claims | None
) -> FileReport:
    """A text dump: one article keyed by the file name, skipped unparsed when its bytes are known."""
    shown = str(path)
    key = article_key(path)
    try:
        if claimed is not None:
            await claimed.claim(key, path)
        # The same size limit as `threadreplay parse`, for load, reload and the watched folder.
        data = await asyncio.to_thread(read_limited, path)
        digest = content_hash(data)
        stored = await stored_file(store, key)
        if stored is not None and stored.content_hash == digest:
            return FileReport(
                path=shown,
                status="unchanged",
                key=key,
                comments=await _count(store, key),
                warnings=stored.warnings,
            )
        if stored is not None and _another_file(stored.source_path, path):
            raise StorageError(
                f"its key {key!r} is already the article loaded from {stored.source_path}, which"
                " still exists; loading this file would replace that article. The key is the file"
                " name without its extension: rename one of the two files to keep both"
            )
        # Parsing is CPU work: off the event loop, so a bot keeps answering while it reloads.
        article = await asyncio.to_thread(parse_bytes, data, path=shown, key=key, strict=strict)
        status = await save_article(store, article, source_path=shown, content_hash=digest)
        return FileReport(
            path=shown,
            status=status,
            key=key,
            comments=len(article.comments),
            warnings=article.warnings,
        )
    except ParseError as exc:
        return FileReport(path=shown, status="failed", key=key, error=str(exc))
    except StorageError as exc:
        return FileReport(path=shown, status="failed", key=key, error=f"{shown}: {exc}")
    except aiosqlite.Error as exc:
        log.warning("database error while loading %s: %s", shown, exc)
        return FileReport(
            path=shown, status="failed", key=key, error=f"{shown}: database error: {exc}"
        )
    except Exception as exc:  # a parser bug must cost this file only, never the whole load
        log.exception("unexpected error while loading %s", shown)
        return FileReport(path=shown, status="failed", key=key, error=unexpected(shown, exc))


def _another_file(stored_path: str | None, path: Path) -> bool:
    """True when the article's recorded file still exists and is not `path` (moved files keep
    their key: a recorded path that is gone is the same file moved)."""
    if not stored_path or stored_path == str(path):
        return False
    try:
        return not os.path.samefile(stored_path, path)
    except OSError:
        return False  # the recorded file is gone (moved or deleted): this file takes its key


async def _load_sourced(
    store: Storage, path: Path, *, strict: bool, claimed: Claims | None
) -> AsyncIterator[FileReport]:
    """A Disqus export, Reddit page or HN item: articles keyed by source ids, saved one by one.

    The whole file is parsed (a Disqus export: scanned into a scratch database) before the first
    article is saved, so a malformed file stores nothing; each article is then built off the event
    loop and saved in its own transaction, so memory holds one article at a time.
    """
    shown = str(path)
    articles = iter_file(path, strict=strict)
    try:
        try:
            article = await asyncio.to_thread(next, articles, None)
        except ParseError as exc:
            yield FileReport(path=shown, status="failed", error=str(exc))
            return
        except Exception as exc:  # a parser bug must cost this file only
            log.exception("unexpected error while parsing %s", shown)
            yield FileReport(path=shown, status="failed", error=unexpected(shown, exc))
            return
        if article is None:
            warning = ParseWarning(
                line=None, code="no-articles", message="no thread in the file has posts"
            )
            yield FileReport(path=shown, status="unchanged", warnings=[warning])
            return
        while article is not None:
            yield await _save(store, article, path, claimed)
            try:
                article = await asyncio.to_thread(next, articles, None)
            except ParseError as exc:
                yield FileReport(path=shown, status="failed", error=str(exc))
                return
            except Exception as exc:  # a parser bug must cost this file only
                log.exception("unexpected error while parsing %s", shown)
                yield FileReport(path=shown, status="failed", error=unexpected(shown, exc))
                return
    finally:
        # Drops a Disqus export's scratch database. (A load cancelled while the generator runs in
        # its worker thread cannot close it here; it is dropped when the generator is collected.)
        with contextlib.suppress(ValueError):
            articles.close()


def unexpected(shown: str, exc: BaseException) -> str:
    """The report line for a failure no parser foresaw (the log has the traceback)."""
    return f"{shown}: could not be loaded ({type(exc).__name__}: {str(exc)[:200]}); see the log"


async def _save(store: Storage, article: Article, path: Path, claimed: Claims | None) -> FileReport:
    """Store one article of a sourced file; unchanged when its parsed content is what is stored."""
    shown = str(path)
    key = article.key
    try:
        if claimed is not None:
            await claimed.claim(key, path)
        # Hashed by content, not by file bytes: one new post in a forum export leaves the other
        # threads' hashes, and so their rows, alone.
        digest = content_hash(article.model_dump_json().encode())
        status = await save_article(store, article, source_path=shown, content_hash=digest)
    except StorageError as exc:
        return FileReport(path=shown, status="failed", key=key, error=f"{shown}: {exc}")
    except aiosqlite.Error as exc:
        log.warning("database error while loading %s (%s): %s", shown, key, exc)
        return FileReport(
            path=shown, status="failed", key=key, error=f"{shown}: {key}: database error: {exc}"
        )
    except Exception as exc:  # one article's surprise costs that article only
        log.exception("unexpected error while saving %s (%s)", shown, key)
        return FileReport(path=shown, status="failed", key=key, error=unexpected(shown, exc))
    return FileReport(
        path=shown,
        status=status,
        key=key,
        comments=len(article.comments),
        warnings=article.warnings,
    )


async def _count(store: Storage, key: str) -> int:
    """Stored comment count of article `key`."""
    row = await fetch_one(store.reader, "SELECT comment_count FROM articles WHERE key = ?", (key,))
    return row[0] if row else 0


async def iter_load(
    store: Storage, paths: Iterable[Path], *, strict: bool = False, progress: Progress | None = None
) -> AsyncIterator[FileReport]:
    """Load every file under `paths`, one at a time, yielding a report per article as it is done.

    A file yields one report (a text dump, Reddit page, HN item) or one per thread (a Disqus export).
    Streaming: only one file's content (one thread of an export) is in memory at a time; a bad file
    never stops the rest.
    """
    paths = list(paths)
    total = sum(1 for _ in iter_files(paths)) if progress is not None else 0  # counted, not kept
    claimed = Claims(store)
    try:
        for done, path in enumerate(iter_files(paths), 1):
            async for result in load_source(store, path, strict=strict, claimed=claimed):
                if result.status == "failed":
                    log.info("failed to load %s: %s", path, result.error)
                yield result
            if progress is not None:
                progress(done, total, path)
    finally:
        await claimed.release()


async def load_paths(
    store: Storage, paths: Iterable[Path], *, strict: bool = False, progress: Progress | None = None
) -> LoadReport:
    """Load every file under `paths` and return the whole report."""
    return LoadReport(
        files=[r async for r in iter_load(store, paths, strict=strict, progress=progress)]
    )
