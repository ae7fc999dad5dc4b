"""Source parsers: detect a file's format and turn it into Article models."""

from __future__ import annotations

from pathlib import Path

from storage.errors import ParseError
from storage.models import Article
from storage.parsers.decode import decode_bytes
from storage.parsers.textdump import parse_text_dump

__all__ = ["ParseError", "article_key", "parse_bytes", "parse_file"]

MAX_FILE_BYTES = 64 * 1024 * 1024  # a single page dump of more than this is not a page dump


def article_key(path: Path) -> str:
    """The article's stable key: for text dumps, the file name's stem (survives edits of the file)."""
    return path.stem


def parse_bytes(data: bytes, *, path: str, key: str, strict: bool = False) -> Article:
    """Parse one file's content; raises ParseError naming `path`, the line and the problem."""
    text, warnings = decode_bytes(data, path)
    return parse_text_dump(text, key=key, path=path, strict=strict, warnings=warnings)


def parse_file(path: Path, *, strict: bool = False) -> Article:
    """Read and parse one file from disk."""
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise ParseError(str(path), None, f"file is {size} bytes, larger than {MAX_FILE_BYTES}")
        data = path.read_bytes()
    except IsADirectoryError:
        raise ParseError(str(path), None, "is a directory, not a file") from None
    except OSError as exc:
        raise ParseError(str(path), None, f"cannot read file: {exc.strerror or exc}") from None
    return parse_bytes(data, path=str(path), key=article_key(path), strict=strict)
