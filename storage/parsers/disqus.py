"""Parser for a Disqus comments export (the XML of a whole forum); every thread becomes an article.

Shape (http://disqus.com/api/schemas/1.0/disqus.xsd): `<disqus>` holds `<category>`s, then every
`<thread dsq:id>` (link, title, message, createdAt, …), then every `<post dsq:id>` (message as HTML,
createdAt, isDeleted, isSpam, author/name, author/username, `<thread dsq:id>` and an optional
`<parent dsq:id>`). Posts of different threads interleave freely (exports list them by time).

Memory: an export can be gigabytes, so it is read in two passes and never held whole:
  1. scan (disqus_spool): the XML is streamed into a scratch SQLite database; a malformed file fails
     here, before any article exists;
  2. build (here): thread by thread, the thread's posts are read back and turned into one Article.
Peak memory is one thread's posts and article, plus a 256 kB insert buffer and SQLite's page cache
(capped at 8 MB), whatever the file's size and however its posts interleave. The scratch file needs
disk space of about the size of the export's messages, in the system temporary folder (TMPDIR).
"""

from __future__ import annotations

import contextlib
import hashlib
import sqlite3
from collections.abc import Iterator
from typing import BinaryIO

from storage.errors import ParseError
from storage.models import Article
from storage.parsers.disqus_spool import PostRow, Spool, ThreadRow, scan
from storage.parsers.htmltext import html_to_text, unescape_fully
from storage.parsers.keys import safe_key
from storage.parsers.tree import Post, Warnings, build_comments, from_iso
from storage.summary import summarize

FORMAT = "disqus"
SPAM_REASON = "marked as spam in Disqus"


def _post(row: PostRow, warn: Warnings) -> Post:
    """One spooled post as a Post: Disqus' own isSpam/isDeleted verdicts are kept as they are."""
    key = row.dsq or row.ident or ""
    if not key:  # neither dsq:id nor <id>: an id that survives re-exports of the same post
        raw = f"{row.name}\x1f{row.created}\x1f{row.message}".encode()
        key = "h" + hashlib.blake2b(raw, digest_size=8).hexdigest()
        warn.add(row.line, "no-id", f"post has no dsq:id or <id>; keyed by its content as {key!r}")
    when = from_iso(row.created)
    if row.created and when is None:
        warn.add(row.line, "bad-time", f"post {key!r}: createdAt {row.created!r} is not a time")
    deleted = row.deleted == "true"
    return Post(
        key=key,
        parent=row.parent or None,
        author=row.name or row.username or "Anonymous",
        text="" if deleted else html_to_text(row.message),  # a deleted post's words stay deleted
        created_at=when,
        deleted=deleted,
        spam=None if row.spam is None else row.spam == "true",
        spam_reason=SPAM_REASON,
        line=row.line,
        source_id=row.dsq,
        markup=row.message,
        markup_format="html",
    )


def _article(
    thread: ThreadRow, posts: list[PostRow], path: str, strict: bool, *, declared: bool = True
) -> Article:
    """Pass 2 for one thread: its spooled row and posts -> an Article keyed by the thread's dsq:id."""
    warn = Warnings(path, strict=strict)
    ref = thread.dsq or thread.ident
    key = safe_key(f"disqus-{thread.dsq}" if thread.dsq else f"disqus-id-{thread.ident}")
    if not declared:
        warn.add(
            None, "thread-missing", f"posts name thread {ref!r}, which the file does not declare"
        )
    if thread.deleted:
        warn.add(thread.line, "thread-deleted", "the thread is marked deleted in Disqus")
    title = unescape_fully(thread.title or "").strip()
    if not title:
        title = thread.link or key
        if declared:
            warn.add(thread.line, "no-title", f"the thread has no title; using {title!r}")
    paragraphs = [p for p in html_to_text(thread.message or "").split("\n\n") if p.strip()]
    comments = build_comments([_post(row, warn) for row in posts], warn)
    return Article(
        key=key,
        format=FORMAT,
        title=title,
        paragraphs=paragraphs,
        summary=summarize(paragraphs),
        source_url=thread.link or None,
        comments=comments,
        warnings=warn.items,
    )


def iter_disqus(
    stream: BinaryIO, *, path: str, strict: bool = False, on_disk: bool = True
) -> Iterator[Article]:
    """Every thread with posts of the export read from `stream`, one Article at a time.

    The whole file is scanned (and, under strict, every article built once) before the first article
    is yielded, so a malformed export raises ParseError before anything could have been stored.
    """
    try:
        spool = Spool(on_disk)
    except (OSError, sqlite3.Error) as exc:
        raise ParseError(
            path, None, f"cannot make the scratch file for this export: {exc}"
        ) from None
    try:
        try:
            scan(stream, path, spool)
        except (OSError, sqlite3.Error) as exc:  # e.g. the temporary folder is full
            raise ParseError(
                path, None, f"cannot read this export or spool it into the temporary folder: {exc}"
            ) from None
        if strict:  # build every article once first, so a refusal comes before anything is yielded
            for thread, posts, declared in spool.by_thread():
                _article(thread, posts, path, strict, declared=declared)
        for thread, posts, declared in spool.by_thread():
            yield _article(thread, posts, path, strict, declared=declared)
    finally:
        with contextlib.suppress(sqlite3.Error):
            spool.close()
