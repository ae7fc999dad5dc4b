"""Write text dumps (the seeds format) for end-to-end tests: a title, paragraphs and a comment tree."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

# (depth, author, text): depth 0 is a top-level comment; replies follow their parent, one deeper.
CommentSpec = tuple[int, str, str]


def dump_text(
    title: str, comments: Sequence[CommentSpec], paragraphs: Sequence[str] = ("Article text.",)
) -> str:
    """A dump as the scraper writes it: headers `• Author` indented 2 + 2·depth, bodies 2 deeper."""
    lines = [title, "", *(line for p in paragraphs for line in (p, "")), ""]
    for depth, author, text in comments:
        lines += [" " * (2 + 2 * depth) + "• " + author, ""]
        lines += [" " * (4 + 2 * depth) + para for para in text.split("\n")] + [""]
    return "\n".join(lines)


def write_dump(
    folder: Path,
    key: str,
    title: str,
    comments: Sequence[CommentSpec],
    paragraphs: Sequence[str] = ("Article text.",),
) -> Path:
    """Write `folder/key.txt`; the file name's stem is the article's key."""
    path = folder / f"{key}.txt"
    path.write_text(dump_text(title, comments, paragraphs), encoding="utf-8")
    return path
