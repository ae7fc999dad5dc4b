"""Loading a Disqus export, Reddit page or Hacker News item: articles keyed by source ids, each saved
in its own transaction (text dumps go through the batched loader, `storage.loader`)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

from storage.articles import save_article
from storage.batch import content_hash
from storage.claims import Claims
from storage.db import Storage, database_errors
from storage.errors import ParseError, StorageError
from storage.models import Article, FileReport, ParseWarning
from storage.parsers import iter_file

log = logging.getLogger(__name__)


async def load_sourced(
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
        saved = 0
        while True:
            article = await _next_article(articles, shown)
            if isinstance(article, FileReport):  # the file failed to parse here: it ends
                yield article
                return
            if article is None:
                if not saved:
                    warning = ParseWarning(
                        line=None, code="no-articles", message="no thread in the file has posts"
                    )
                    yield FileReport(path=shown, status="unchanged", warnings=[warning])
                return
            yield await _save(store, article, path, claimed)
            saved += 1
    finally:
        # Drops a Disqus export's scratch database. (A load cancelled while the generator runs in
        # its worker thread cannot close it here; it is dropped when the generator is collected.)
        with contextlib.suppress(ValueError):
            articles.close()


async def _next_article(articles: Iterator[Article], shown: str) -> Article | FileReport | None:
    """The file's next article (parsed off the event loop), None after the last, or the failed
    report that ends the file."""
    try:
        return await asyncio.to_thread(next, articles, None)
    except ParseError as exc:
        return FileReport(path=shown, status="failed", error=str(exc))
    except Exception as exc:  # a parser bug must cost this file only
        log.exception("unexpected error while parsing %s", shown)
        return FileReport(path=shown, status="failed", error=unexpected(shown, exc))


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
    except database_errors() as exc:
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
