"""Pass 1 of the Disqus parser: an export streamed into a scratch SQLite database, read back by thread.

The XML goes through ElementTree's pull parser (the machinery of `iterparse`), fed line by line (at
most 64 kB at a time) so every post knows its line; each top-level element is cleared as soon as it is
written out. Threads and posts go to a scratch database: a temporary file (in memory when the input is
already in memory), with the posts indexed by thread so pass 2 reads one thread at a time however the
file interleaves them. Python holds one element and a 256 kB insert buffer; SQLite's page cache is
capped at 8 MB. The expat parser refuses entity-expansion bombs by itself (expat >= 2.4).
"""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import tempfile
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from pyexpat import ErrorString
from typing import BinaryIO, NamedTuple

from storage.errors import ParseError

LINE_CHUNK = 1 << 16  # longest piece of a line fed at once: a one-line export still streams
BATCH_BYTES = 1 << 18  # message text buffered before an executemany into the scratch database

_SCHEMA = """
CREATE TABLE threads (ord INTEGER PRIMARY KEY, dsq TEXT, ident TEXT, link TEXT, title TEXT,
                      message TEXT, created TEXT, deleted INTEGER, line INTEGER);
CREATE TABLE posts (ord INTEGER PRIMARY KEY, tref TEXT NOT NULL, dsq TEXT, ident TEXT, parent TEXT,
                    created TEXT, deleted TEXT, spam TEXT, name TEXT, username TEXT, message TEXT,
                    line INTEGER);
"""


class PostRow(NamedTuple):
    """A post as spooled (text columns as read; flags as 'true'/'false' or None when absent)."""

    dsq: str | None
    ident: str | None
    parent: str | None
    created: str | None
    deleted: str | None
    spam: str | None
    name: str | None
    username: str | None
    message: str
    line: int


class ThreadRow(NamedTuple):
    """A thread as spooled."""

    dsq: str | None
    ident: str | None
    link: str | None
    title: str | None
    message: str | None
    deleted: int
    line: int | None


_POST_COLS = "dsq, ident, parent, created, deleted, spam, name, username, message, line"
_THREAD_COLS = "dsq, ident, link, title, message, deleted, line"


SPOOL_PREFIX = "threadreplay-disqus-"
_SPOOL_NAME = re.compile(re.escape(SPOOL_PREFIX) + r"(\d+)-")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # exists, but another user's
        return True
    return True


def remove_stale_spools(folder: Path | None = None) -> int:
    """Delete the scratch folders of processes that died mid-load (SIGKILL leaves them); returns
    how many. A folder names its process: `threadreplay-disqus-<pid>-…`."""
    folder = Path(tempfile.gettempdir()) if folder is None else folder
    removed = 0
    try:
        entries = list(folder.iterdir())
    except OSError:
        return 0
    for entry in entries:
        found = _SPOOL_NAME.match(entry.name)
        if found and entry.is_dir() and not _alive(int(found.group(1))):
            shutil.rmtree(entry, ignore_errors=True)
            removed += 1
    return removed


def _local(tag: str) -> str:
    """An element or attribute name without its namespace (`{http://disqus.com}post` -> `post`)."""
    return tag.rsplit("}", 1)[-1]


def _dsq_id(el: ET.Element) -> str | None:
    """The element's `dsq:id` attribute (any namespace, so a file without xmlns still reads)."""
    for name, value in el.attrib.items():
        if _local(name) == "id" and value.strip():
            return value.strip()
    return None


def _find(el: ET.Element, name: str) -> ET.Element | None:
    """The first child called `name`, whatever its namespace."""
    return next((c for c in el if _local(c.tag) == name), None)


def _text(el: ET.Element, *names: str) -> str | None:
    """The text of the descendant at path `names` (e.g. "author", "name"), or None if absent."""
    for name in names:
        found = _find(el, name)
        if found is None:
            return None
        el = found
    return "".join(el.itertext()).strip()


class Spool:
    """The scratch database of one export: threads and posts in file order, read back thread by thread."""

    def __init__(self, on_disk: bool) -> None:
        if on_disk:
            remove_stale_spools()
        self.tmp = (
            tempfile.TemporaryDirectory(prefix=f"{SPOOL_PREFIX}{os.getpid()}-") if on_disk else None
        )
        where = str(Path(self.tmp.name) / "spool.db") if self.tmp else ":memory:"
        # Used by one thread at a time, but possibly not the one that opened it (asyncio.to_thread).
        self.db = sqlite3.connect(where, check_same_thread=False, isolation_level=None)
        self.db.execute("PRAGMA journal_mode = OFF")  # scratch data: no journal, no fsync
        self.db.execute("PRAGMA synchronous = OFF")
        self.db.execute("PRAGMA cache_size = -8192")  # KiB: the page cache is part of the bound
        for statement in _SCHEMA.split(";"):
            if statement.strip():
                self.db.execute(statement)
        self.db.execute("BEGIN")
        self.threads: list[tuple[object, ...]] = []
        self.posts: list[tuple[object, ...]] = []
        self.buffered = 0  # characters of text in the buffered rows

    def flush(self) -> None:
        """Write the buffered rows."""
        self.db.executemany(
            "INSERT INTO threads VALUES (NULL, ?, ?, ?, ?, ?, ?, ?, ?)", self.threads
        )
        self.db.executemany(
            "INSERT INTO posts VALUES (NULL, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", self.posts
        )
        self.threads.clear()
        self.posts.clear()
        self.buffered = 0

    def finish(self) -> None:
        """After the scan: map thread references to threads and index posts by thread."""
        self.flush()
        # A post names its thread by dsq:id (exports) or by the thread's <id> (the import format).
        self.db.execute("CREATE TABLE tmap (tref TEXT PRIMARY KEY, tord INTEGER NOT NULL)")
        self.db.execute(
            "INSERT OR IGNORE INTO tmap SELECT 'dsq:' || dsq, ord FROM threads"
            " WHERE dsq IS NOT NULL ORDER BY ord"
        )
        self.db.execute(
            "INSERT OR IGNORE INTO tmap SELECT 'id:' || ident, ord FROM threads"
            " WHERE ident IS NOT NULL AND ident != '' ORDER BY ord"
        )
        self.db.execute("CREATE INDEX tmap_tord ON tmap (tord)")
        self.db.execute("CREATE INDEX posts_tref ON posts (tref, ord)")
        self.db.execute("COMMIT")

    def by_thread(self) -> Iterator[tuple[ThreadRow, list[PostRow], bool]]:
        """Each thread that has posts, in file order, with its posts in file order and whether the
        file declares it (posts may name a thread the file never lists; it still gets its turn)."""
        last = 0
        while True:  # one short query per thread: no cursor stays open while the caller works
            row = self.db.execute(
                f"SELECT ord, {_THREAD_COLS} FROM threads WHERE ord > ? ORDER BY ord LIMIT 1",
                (last,),
            ).fetchone()
            if row is None:
                break
            last = row[0]
            posts = self.db.execute(
                f"SELECT {_POST_COLS} FROM posts"
                " WHERE tref IN (SELECT tref FROM tmap WHERE tord = ?) ORDER BY ord",
                (last,),
            ).fetchall()
            if posts:  # a thread nobody commented on is a page view, not a discussion
                yield ThreadRow(*row[1:]), [PostRow(*p) for p in posts], True
        strays = self.db.execute(
            "SELECT DISTINCT tref FROM posts WHERE tref NOT IN (SELECT tref FROM tmap)"
            " ORDER BY tref"
        ).fetchall()
        for (tref,) in strays:
            posts = self.db.execute(
                f"SELECT {_POST_COLS} FROM posts WHERE tref = ? ORDER BY ord", (tref,)
            ).fetchall()
            kind, _, ref = tref.partition(":")
            thread = ThreadRow(ref if kind == "dsq" else None, ref, None, None, None, 0, None)
            yield thread, [PostRow(*p) for p in posts], False

    def close(self) -> None:
        """Drop the scratch database."""
        self.db.close()
        if self.tmp is not None:
            self.tmp.cleanup()


# A Disqus export nests four levels (disqus > post > author > name) and a post has about fifteen
# elements. The parser holds every element of the item it is reading, so deeper nesting or more
# elements than these bounds are refused: they cannot be an export, and kept they cost memory
# dozens of times the file's size.
MAX_DEPTH = 32
MAX_ITEM_ELEMENTS = 1000


def scan(stream: BinaryIO, path: str, spool: Spool) -> None:
    """Pass 1: stream the XML into the spool, one top-level element at a time; ParseError if bad."""
    parser: ET.XMLPullParser[ET.Element] = ET.XMLPullParser(events=("start", "end"))
    line = 1
    depth = 0
    start_line = 0
    elements = 0  # in the top-level item being read
    item = ""  # its tag
    root: ET.Element | None = None
    try:
        started = False  # white space before `<?xml` is skipped, as other importers do
        while chunk := stream.readline(LINE_CHUNK):
            if not started:
                stripped = chunk.lstrip(b" \t\r\n")
                if not stripped:
                    if chunk.endswith(b"\n"):
                        line += 1
                    continue
                started = True
                chunk = chunk[len(chunk) - len(stripped) :]
            parser.feed(chunk)
            for event_and_element in parser.read_events():
                # Only start/end events were asked for: each carries an element.
                event, el = event_and_element  # type: ignore[misc]  # typeshed: (str, str) too
                assert isinstance(el, ET.Element)
                if event == "start":
                    depth += 1
                    elements += 1
                    if depth > MAX_DEPTH:
                        raise ParseError(
                            path,
                            line,
                            f"elements nested more than {MAX_DEPTH} deep: not a Disqus export",
                        )
                    if elements > MAX_ITEM_ELEMENTS:
                        raise ParseError(
                            path,
                            start_line,
                            f"<{item}> holds more than {MAX_ITEM_ELEMENTS} elements:"
                            " not a Disqus export item",
                        )
                    if depth == 1:
                        root = el
                        if _local(el.tag) != "disqus":
                            raise ParseError(
                                path,
                                line,
                                f"root element is <{_local(el.tag)}>, not <disqus>:"
                                " not a Disqus comments export",
                            )
                    elif depth == 2:
                        start_line = line
                        elements = 1
                        item = _local(el.tag)
                    continue
                depth -= 1
                if depth == 1 and root is not None:
                    _keep(el, start_line, path, spool)
                    root.clear()  # the element is spooled: free it (and every earlier sibling)
            if chunk.endswith(b"\n"):
                line += 1
        parser.close()
    except ET.ParseError as exc:
        at, column = exc.position
        raise ParseError(
            path, at, f"not well-formed XML: {ErrorString(exc.code)} (column {column + 1})"
        ) from None
    except (LookupError, ValueError) as exc:  # expat on `encoding="…"`: unknown or multi-byte
        raise ParseError(
            path, line, f"the XML declaration names an encoding that cannot be read ({exc})"
        ) from None
    if root is None:
        raise ParseError(path, None, "no XML element found")
    spool.finish()


def _flag(el: ET.Element, name: str) -> str | None:
    """A boolean child as 'true'/'false' text, or None when the element is absent."""
    value = _text(el, name)
    return None if value is None else value.lower()


def _keep(el: ET.Element, line: int, path: str, spool: Spool) -> None:
    """Spool one top-level element: a thread or a post (categories and the rest are not needed)."""
    name = _local(el.tag)
    message = _text(el, "message") or ""
    spool.buffered += len(message) + 256  # the message and, roughly, the other fields
    if name == "thread":
        spool.threads.append(
            (
                _dsq_id(el),
                _text(el, "id"),
                _text(el, "link"),
                _text(el, "title"),
                message,
                _text(el, "createdAt"),
                int(_flag(el, "isDeleted") == "true"),
                line,
            )
        )
    elif name == "post":
        thread = _find(el, "thread")
        ref = None if thread is None else _dsq_id(thread)
        tref = f"dsq:{ref}" if ref else f"id:{_text(el, 'thread')}" if thread is not None else None
        if tref is None or tref == "id:":
            raise ParseError(
                path, line, "<post> without a <thread> reference: not a Disqus export post"
            )
        parent = _find(el, "parent")
        spool.posts.append(
            (
                tref,
                _dsq_id(el),
                _text(el, "id") or None,
                None if parent is None else (_dsq_id(parent) or _text(el, "parent") or None),
                _text(el, "createdAt"),
                _flag(el, "isDeleted"),
                _flag(el, "isSpam"),
                _text(el, "author", "name"),
                _text(el, "author", "username"),
                message,
                line,
            )
        )
    if spool.buffered >= BATCH_BYTES:
        spool.flush()
