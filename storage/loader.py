"""The loader: files -> parsed articles -> one transaction each, with a report of what happened."""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import AsyncIterator, Callable, Iterable, Iterator
from pathlib import Path

import aiosqlite

from storage.articles import save_article, stored_hash
from storage.db import Storage
from storage.errors import ParseError, StorageError
from storage.models import FileReport, LoadReport
from storage.parsers import article_key, parse_bytes

log = logging.getLogger(__name__)

PARSER_VERSION = "1"  # bump when parsing changes, so reloading re-parses files whose bytes did not
DUMP_SUFFIXES = frozenset({".txt", ".text", ".dump"})

Progress = Callable[[int, int, Path], None]


def iter_files(paths: Iterable[Path]) -> Iterator[Path]:
    """Files named directly, and dump files found recursively in directories (hidden ones skipped)."""
    for path in paths:
        if path.is_dir():
            for found in sorted(path.rglob("*")):
                rel = found.relative_to(path).parts
                if (
                    found.is_file()
                    and found.suffix.lower() in DUMP_SUFFIXES
                    and not any(part.startswith(".") for part in rel)
                ):
                    yield found
        else:
            yield path


def content_hash(data: bytes) -> str:
    """Fingerprint of a file's bytes and of the parser version that reads them."""
    return hashlib.sha256(PARSER_VERSION.encode() + b"\0" + data).hexdigest()


async def load_file(
    store: Storage, path: Path, *, strict: bool = False, claimed: dict[str, Path] | None = None
) -> FileReport:
    """Load one file in one transaction; never raises for a bad file, reports it as failed."""
    shown = str(path)
    key = article_key(path)
    try:
        if claimed is not None:
            other = claimed.setdefault(key, path)
            if other != path:
                raise StorageError(f"article key {key!r} is already taken by {other} in this load")
        try:
            data = await asyncio.to_thread(path.read_bytes)
        except OSError as exc:
            raise ParseError(shown, None, f"cannot read file: {exc.strerror or exc}") from None
        digest = content_hash(data)
        if await stored_hash(store, key) == digest:
            return FileReport(
                path=shown, status="unchanged", key=key, comments=await _count(store, key)
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


async def _count(store: Storage, key: str) -> int:
    """Stored comment count of article `key`."""
    async with store.reader.execute(
        "SELECT comment_count FROM articles WHERE key = ?", (key,)
    ) as cur:
        row = await cur.fetchone()
    return row[0] if row else 0


async def iter_load(
    store: Storage, paths: Iterable[Path], *, strict: bool = False, progress: Progress | None = None
) -> AsyncIterator[FileReport]:
    """Load every file under `paths`, one at a time, yielding each file's report as it is done.

    Streaming: only one file's content is in memory at a time; a bad file never stops the rest.
    """
    files = list(iter_files(paths))
    claimed: dict[str, Path] = {}
    for done, path in enumerate(files, 1):
        result = await load_file(store, path, strict=strict, claimed=claimed)
        if result.status == "failed":
            log.info("failed to load %s: %s", path, result.error)
        if progress is not None:
            progress(done, len(files), path)
        yield result


async def load_paths(
    store: Storage, paths: Iterable[Path], *, strict: bool = False, progress: Progress | None = None
) -> LoadReport:
    """Load every file under `paths` and return the whole report."""
    return LoadReport(
        files=[r async for r in iter_load(store, paths, strict=strict, progress=progress)]
    )
