"""Typed models of a parsed article and its comment tree, shared by the parsers, the store and the bot."""

from __future__ import annotations

import re
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

LoadStatus = Literal["added", "updated", "unchanged", "failed"]
#: The markup a comment's `markup` is written in: HTML (Disqus, Hacker News) or Reddit's markdown.
MarkupFormat = Literal["html", "markdown"]


class Mode(StrEnum):
    """Where a replayed discussion goes: a thread per top-level comment, or all in one thread."""

    threads = "threads"
    single = "single"


class Pace(StrEnum):
    """How fast a replay posts comments."""

    fast = "fast"
    steady = "steady"
    natural = "natural"


class ReplayState(StrEnum):
    """Where a replay is in its life; running and paused ones are active (one per channel)."""

    running = "running"
    paused = "paused"
    stopped = "stopped"
    finished = "finished"
    undone = "undone"


class StepStatus(StrEnum):
    """One replay step in the write-ahead ledger: not sent, being sent (read back after a crash),
    or posted."""

    pending = "pending"
    sending = "sending"
    done = "done"


# A UTF-16 surrogate on its own: a JSON "\\ud800" escape makes one, and UTF-8 has no form for it.
LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def storable(text: str) -> str:
    """Text every store and Discord can hold: NUL characters removed, and lone surrogates (which a
    JSON `"\\ud800"` escape produces and UTF-8 cannot encode) replaced by U+FFFD."""
    if not text.isascii():
        try:
            text.encode("utf-8")  # a C scan: fails only on a lone surrogate
        except UnicodeEncodeError:
            return LONE_SURROGATE.sub("\ufffd", text.replace("\x00", ""))
    return text.replace("\x00", "") if "\x00" in text else text


#: A string from an archive, made storable (see `storable`) whichever parser produced it.
Text = Annotated[str, AfterValidator(storable)]


class ParseWarning(BaseModel):
    """Something the parser recovered from; `line` is 1-based, or None when it applies to the file."""

    model_config = ConfigDict(frozen=True)

    line: int | None
    code: str
    message: Text


class Comment(BaseModel):
    """One comment of a thread, in file (pre-)order; `parent` is the index of its parent comment."""

    index: int = Field(ge=0)
    key: Text
    author: Text
    depth: int = Field(ge=0)
    parent: int | None = None
    text: Text
    spam: bool = False
    spam_reasons: list[str] = Field(default_factory=list)
    deleted: bool = False
    line: int | None = None
    source_id: Text | None = None
    created_at: datetime | None = None
    # What the replay renders, beside `text` (the plain text search and summaries use): the source's
    # own markup in `markup_format`, or None when the source has none (text dumps).
    markup: Text | None = None
    markup_format: MarkupFormat | None = None
    score: int | None = None  # Reddit score, Hacker News points


class Article(BaseModel):
    """A parsed article: its text, a summary and its comments in pre-order."""

    key: Text
    format: str
    title: Text
    caption: Text | None = None
    paragraphs: list[Text] = Field(default_factory=list)
    summary: Text = ""
    source_url: Text | None = None
    comments: list[Comment] = Field(default_factory=list)
    warnings: list[ParseWarning] = Field(default_factory=list)

    def to_parse_json(self) -> dict[str, object]:
        """The JSON shape `threadreplay parse` prints (a public contract)."""
        return {
            "format": self.format,
            "key": self.key,
            "title": self.title,
            "caption": self.caption,
            "paragraphs": self.paragraphs,
            "summary": self.summary,
            "source_url": self.source_url,
            "warnings": [w.model_dump() for w in self.warnings],
            "comments": [c.model_dump(mode="json", exclude={"index"}) for c in self.comments],
        }


class StoredArticle(BaseModel):
    """An article as read back from the store, with its database id and bookkeeping."""

    id: int
    article: Article
    source_path: str | None
    content_hash: str
    created_at: datetime
    updated_at: datetime


class ArticleSummary(BaseModel):
    """A line of an article listing: enough for lists, autocomplete and cards."""

    id: int
    key: str
    title: str
    comment_count: int
    created_at: datetime


class FileReport(BaseModel):
    """What the loader did with one file."""

    path: str
    status: LoadStatus
    key: str | None = None
    comments: int = 0
    error: str | None = None
    warnings: list[ParseWarning] = Field(default_factory=list)


class LoadReport(BaseModel):
    """What a load run did: one entry per file and the four totals."""

    files: list[FileReport] = Field(default_factory=list)

    def count(self, status: LoadStatus) -> int:
        """How many files ended with `status`."""
        return sum(1 for f in self.files if f.status == status)

    def to_json(self) -> dict[str, object]:
        """The JSON shape of `threadreplay load --json` (a public contract)."""
        return {
            "files": [
                {
                    "path": f.path,
                    "status": f.status,
                    "key": f.key,
                    "comments": f.comments,
                    "error": f.error,
                    "warnings": [w.model_dump() for w in f.warnings],
                }
                for f in self.files
            ],
            "added": self.count("added"),
            "updated": self.count("updated"),
            "unchanged": self.count("unchanged"),
            "failed": self.count("failed"),
        }
