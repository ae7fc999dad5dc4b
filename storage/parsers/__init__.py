"""Source parsers: detect a file's format from its content and turn it into Article models.

Formats: the text dump (one article per file, keyed by the file name), a Disqus comments export (XML,
one article per thread), a Reddit comments page and a Hacker News item (JSON, one article each); the
sourced formats key their articles by the source's own id (`disqus-<id>`, `reddit-<id>`, `hn-<id>`).
"""

from __future__ import annotations

import codecs
import io
from collections.abc import Generator
from pathlib import Path
from typing import Literal

from storage.errors import ParseError
from storage.models import Article
from storage.parsers.decode import decode_bytes
from storage.parsers.disqus import iter_disqus
from storage.parsers.hackernews import is_hackernews, parse_hackernews
from storage.parsers.jsondoc import kind, load_json
from storage.parsers.keys import safe_key
from storage.parsers.reddit import is_reddit, parse_reddit
from storage.parsers.textdump import parse_text_dump

__all__ = [
    "MULTI_ARTICLE",
    "ParseError",
    "article_key",
    "iter_file",
    "parse_any",
    "parse_bytes",
    "parse_file",
    "read_head",
    "read_limited",
    "sniff",
]

MAX_FILE_BYTES = 64 * 1024 * 1024  # a single page dump of more than this is not a page dump
HEAD_BYTES = 4096  # enough of a file's start to tell its format
DUMP_SUFFIXES = frozenset({".txt", ".text", ".dump"})
MULTI_ARTICLE = frozenset({"xml"})  # kinds whose files may hold many articles (Disqus exports)

Kind = Literal["xml", "json", "text"]


def article_key(path: Path) -> str:
    """The article's stable key: for text dumps, the file name's stem (survives edits of the file)."""
    return safe_key(path.stem)


def sniff(head: bytes) -> Kind:
    """What a file's first bytes say it is: `xml` (a Disqus export), `json` or `text` (a dump)."""
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        head = head.decode("utf-16", errors="ignore").encode("utf-8")
    start = head.removeprefix(codecs.BOM_UTF8).lstrip(b" \t\r\n")
    if start.startswith((b"<?xml", b"<disqus")) or (start.startswith(b"<") and b"<disqus" in head):
        return "xml"
    if start.startswith((b"{", b"[")):
        return "json"
    return "text"


def read_head(path: Path) -> bytes:
    """The first bytes of a file (for `sniff`); ParseError if it cannot be read."""
    try:
        with path.open("rb") as f:
            return f.read(HEAD_BYTES)
    except IsADirectoryError:
        raise ParseError(str(path), None, "is a directory, not a file") from None
    except OSError as exc:
        raise ParseError(str(path), None, f"cannot read file: {exc.strerror or exc}") from None


def _parse_json(data: bytes, path: str, key: str, strict: bool) -> list[Article]:
    """A JSON source: a Reddit page or an HN item (a dump that merely starts with `[` is text)."""
    try:
        doc = load_json(data, path)
    except ParseError:
        if Path(path).suffix.lower() in DUMP_SUFFIXES:  # "[Update] Bridge reopens" is a title
            return [_parse_text(data, path, key, strict)]
        raise
    if is_reddit(doc):
        return [parse_reddit(doc, path=path, strict=strict)]
    if is_hackernews(doc):
        return [parse_hackernews(doc, path=path, strict=strict)]
    raise ParseError(
        path,
        None,
        f"the JSON is {kind(doc)}, which is neither a Reddit comments page (an array of 2 Listings)"
        " nor a Hacker News item (an object with id, type and children or kids)",
    )


def _parse_text(data: bytes, path: str, key: str, strict: bool) -> Article:
    """A text dump."""
    text, warnings = decode_bytes(data, path)
    return parse_text_dump(text, key=key, path=path, strict=strict, warnings=warnings)


def parse_any(
    data: bytes, path: str, *, key: str | None = None, strict: bool = False
) -> list[Article]:
    """Every article of one file's content, its format told by the content; ParseError if malformed.

    `key` names a text dump's article (default: the file name's stem); sourced formats use their ids.
    """
    key = article_key(Path(path)) if key is None else key
    match sniff(data[:HEAD_BYTES]):
        case "xml":
            return list(iter_disqus(io.BytesIO(data), path=path, strict=strict, on_disk=False))
        case "json":
            return _parse_json(data, path, key, strict)
        case _:
            return [_parse_text(data, path, key, strict)]


def iter_file(path: Path, *, strict: bool = False) -> Generator[Article, None, None]:
    """Every article of a file on disk, one at a time: a Disqus export is streamed, never read whole.

    Raises ParseError before yielding the first article if the file is malformed.
    """
    shown = str(path)
    if sniff(read_head(path)) != "xml":
        yield from parse_any(read_limited(path), shown, key=article_key(path), strict=strict)
        return
    try:
        stream = path.open("rb")
    except OSError as exc:
        raise ParseError(shown, None, f"cannot read file: {exc.strerror or exc}") from None
    with stream:
        yield from iter_disqus(stream, path=shown, strict=strict)


def read_limited(path: Path) -> bytes:
    """A whole (non-streamed) file; ParseError if it is too large or unreadable."""
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise ParseError(str(path), None, f"file is {size} bytes, larger than {MAX_FILE_BYTES}")
        return path.read_bytes()
    except IsADirectoryError:
        raise ParseError(str(path), None, "is a directory, not a file") from None
    except OSError as exc:
        raise ParseError(str(path), None, f"cannot read file: {exc.strerror or exc}") from None


def _one(articles: list[Article], path: str) -> Article:
    """The single article of a file, or ParseError when it holds none or several."""
    if len(articles) != 1:
        what = "no thread with posts" if not articles else f"{len(articles)} threads"
        raise ParseError(
            path, None, f"holds {what}; read it with parse_any/iter_file (`threadreplay parse`)"
        )
    return articles[0]


def parse_bytes(data: bytes, *, path: str, key: str, strict: bool = False) -> Article:
    """Parse a one-article file's content; raises ParseError naming `path`, the place and the problem."""
    return _one(parse_any(data, path, key=key, strict=strict), path)


def parse_file(path: Path, *, strict: bool = False) -> Article:
    """Read and parse a one-article file from disk."""
    return _one(list(iter_file(path, strict=strict)), str(path))
