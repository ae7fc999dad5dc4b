"""Shared by the sourced formats: flat posts linked by parent ids -> comments in pre-order.

Disqus lists posts flat with parent ids; Reddit and Hacker News nest them, and their parsers flatten
the nesting into the same `Post` records, so ordering, orphans, duplicate ids and the spam verdict are
decided in one place for all three.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime

from storage.errors import ParseError
from storage.models import Comment, MarkupFormat, ParseWarning
from storage.spam import is_spam, spam_reasons

# Recoveries that change the tree's shape; `--strict` refuses them instead of warning.
STRUCTURAL = frozenset({"orphan", "parent-cycle", "duplicate-id"})


@dataclass
class Post:
    """One comment as a source gives it, before it has a place in the tree."""

    key: str  # the source's id for the comment (unique within the thread, or made so)
    parent: str | None  # the parent's key; None for a top-level comment
    author: str
    text: str
    created_at: datetime | None = None
    deleted: bool = False
    spam: bool | None = None  # the source's verdict; None: the source has none, use ours
    spam_reason: str = ""  # why the source says spam, shown as the comment's spam reason
    line: int | None = None
    source_id: str | None = None
    markup: str | None = None  # the text as the source wrote it, for the replay's renderer
    markup_format: MarkupFormat | None = None
    score: int | None = None


class Warnings:
    """The warnings of one article; under strict, structural recoveries raise ParseError instead."""

    def __init__(self, path: str, *, strict: bool) -> None:
        self.path = path
        self.strict = strict
        self.items: list[ParseWarning] = []

    def add(self, line: int | None, code: str, message: str) -> None:
        """Record a recovery (or refuse it under strict, when it changes the tree)."""
        if self.strict and code in STRUCTURAL:
            raise ParseError(self.path, line, message + " (--strict)")
        self.items.append(ParseWarning(line=line, code=code, message=message))


def score(value: object) -> int | None:
    """A comment's score as a source gives it (an int, not a bool), else None."""
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def from_unix(value: object) -> datetime | None:
    """A UTC datetime from Unix seconds (int or float); None for anything that is not a sane time."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if isinstance(value, float) and not math.isfinite(value):
        return None
    try:
        return datetime.fromtimestamp(value, UTC)
    except (OverflowError, OSError, ValueError):
        return None


def from_iso(value: str | None) -> datetime | None:
    """A UTC datetime from ISO 8601 text (`2011-08-31T15:16:29Z`); a time without zone is UTC."""
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


class Keys:
    """The comment keys of one thread, handed out as posts are read: a repeated id gets a suffix
    (`id~2`) and a warning. Nested sources claim keys while they flatten, so replies nested under
    the second of two equal ids stay under it instead of moving to the first."""

    def __init__(self, warn: Warnings, *, reserved: str | None = None) -> None:
        self.warn = warn
        self.reserved = reserved  # the article's own id (a Hacker News story's), not a comment's
        self.seen: dict[str, int] = {} if reserved is None else {reserved: 1}

    def claim(self, key: str, line: int | None = None) -> str:
        """`key` if it is new in this thread, else a new unique form of it (with a warning)."""
        if key not in self.seen:
            self.seen[key] = 1
            return key
        self.seen[key] += 1
        new = f"{key}~{self.seen[key]}"
        while new in self.seen:
            new += "~"
        self.seen[new] = 1
        what = (
            "is the story's own id"
            if key == self.reserved and self.seen[key] == 2
            else "appears more than once"
        )
        self.warn.add(
            line, "duplicate-id", f"comment id {key!r} {what}; this one is kept as {new!r}"
        )
        return new


def _unique_keys(posts: list[Post], warn: Warnings) -> None:
    """Make keys unique (the store updates comments in place by key); later duplicates get a suffix."""
    keys = Keys(warn)
    for post in posts:
        post.key = keys.claim(post.key, post.line)


def _sort_key(item: tuple[int, Post]) -> tuple[bool, datetime, int]:
    """Siblings by time; comments without a time after the timed ones, in source order."""
    ordinal, post = item
    return (post.created_at is None, post.created_at or datetime.min.replace(tzinfo=UTC), ordinal)


def build_comments(posts: list[Post], warn: Warnings) -> list[Comment]:
    """Order `posts` pre-order (siblings by time), with depth and parent index, as Comment models.

    A post whose parent is not among `posts` (or that is its own ancestor) becomes top level, with a
    warning. Iterative, so a reply chain thousands deep cannot exhaust the stack.
    """
    _unique_keys(posts, warn)
    keys = {p.key for p in posts}
    children: dict[str | None, list[tuple[int, Post]]] = {}
    for ordinal, post in enumerate(posts):
        parent = post.parent
        if parent is not None and (parent not in keys or parent == post.key):
            warn.add(
                post.line,
                "orphan",
                f"comment {post.key!r} replies to {parent!r}, which is not in this thread;"
                " shown at top level",
            )
            parent = post.parent = None
        children.setdefault(parent, []).append((ordinal, post))
    for siblings in children.values():
        siblings.sort(key=_sort_key)

    ordered: list[tuple[Post, int, int | None]] = []  # (post, depth, parent index)
    placed: set[str] = set()

    def walk(root: Post) -> None:
        stack: list[tuple[Post, int, int | None]] = [(root, 0, None)]
        while stack:
            post, depth, parent_index = stack.pop()
            if post.key in placed:  # a loop's entry point, already placed at top level
                continue
            placed.add(post.key)
            index = len(ordered)
            ordered.append((post, depth, parent_index))
            kids = children.get(post.key, [])
            stack.extend((kid, depth + 1, index) for _, kid in reversed(kids))

    for _, post in children.get(None, []):
        walk(post)
    # What is left hangs in a loop of parent ids (a -> b -> a): unreachable from any top-level post.
    for post in posts:
        if post.key not in placed:
            warn.add(
                post.line,
                "parent-cycle",
                f"comment {post.key!r} is its own ancestor (a loop of parent ids); shown at top level",
            )
            post.parent = None
            walk(post)
    return [
        _comment(i, post, depth, parent, warn) for i, (post, depth, parent) in enumerate(ordered)
    ]


def _comment(index: int, post: Post, depth: int, parent: int | None, warn: Warnings) -> Comment:
    """One placed post as a Comment: the source's spam verdict wins over our heuristics."""
    if post.spam is None:
        reasons = spam_reasons(post.text)
        spam = is_spam(reasons)
        reasons = reasons if spam else []
    else:
        spam = post.spam
        reasons = [post.spam_reason] if spam and post.spam_reason else []
    if not post.text.strip() and not post.deleted:
        warn.add(post.line, "empty-comment", f"comment {post.key!r} by {post.author!r} has no text")
    return Comment(
        index=index,
        key=post.key,
        author=post.author,
        depth=depth,
        parent=parent,
        text=post.text,
        spam=spam,
        spam_reasons=reasons,
        deleted=post.deleted,
        line=post.line,
        source_id=post.source_id,
        created_at=post.created_at,
        markup=None if post.deleted else post.markup,
        markup_format=None if post.deleted or post.markup is None else post.markup_format,
        score=post.score,
    )
