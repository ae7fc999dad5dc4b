"""Parser for the JSON of a Reddit comments page (`…/comments/<id>/.json`).

Shape: an array of two Listings. The first holds the post (kind `t3`: title, selftext, permalink…),
the second the comment tree: `t1` comments whose `replies` is another Listing (or ""), and `more`
stubs standing for comments the page did not load. Text fields are Markdown with `&`, `<` and `>`
escaped as HTML entities; a deleted or removed comment keeps its place with the body `[deleted]` or
`[removed]`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from storage.models import Article
from storage.parsers.htmltext import unescape_fully
from storage.parsers.jsondoc import Reader, child
from storage.parsers.keys import safe_key
from storage.parsers.tree import Keys, Post, Warnings, build_comments, from_unix, score
from storage.summary import summarize

FORMAT = "reddit"
SITE = "https://www.reddit.com"
GONE = frozenset({"[deleted]", "[removed]"})  # the body of a comment deleted by its author / a mod
_PARAGRAPH = re.compile(r"\n[ \t]*\n+")


def is_reddit(doc: object) -> bool:
    """True for a JSON array: of our formats only a Reddit page is one (its shape is checked after)."""
    return isinstance(doc, list)


def _listing(r: Reader, value: object, where: str) -> list[Any]:
    """The `children` of the Listing at `where`."""
    listing = r.obj(value, where)
    if listing.get("kind") != "Listing":
        found = listing.get("kind")
        r.fail(child(where, "kind"), f"expected 'Listing', found {found!r}")
    data = r.obj(listing.get("data"), child(where, "data"))
    return r.arr(data.get("children"), f"{where}.data.children")


def _paragraphs(text: str) -> list[str]:
    """Markdown text split into paragraphs at blank lines."""
    return [p.strip() for p in _PARAGRAPH.split(text.strip()) if p.strip()]


# An image in a comment, as Reddit writes it: `![img](abc123)` names an entry of `media_metadata`.
_MEDIA_REF = re.compile(r"!\[([^\]\n]*)\]\(([A-Za-z0-9_|-]{1,100})\)")


def _with_media(body: str, media: object) -> str:
    """The comment's markdown with each media reference replaced by its image's address (the
    largest size Reddit lists), so the renderer shows it; references it cannot resolve stay."""
    if not isinstance(media, dict) or "![" not in body:
        return body

    def address(m: re.Match[str]) -> str:
        entry = media.get(m.group(2))
        source = entry.get("s") if isinstance(entry, dict) else None
        url = (source.get("u") or source.get("gif")) if isinstance(source, dict) else None
        if not isinstance(url, str) or not url.startswith("https://"):
            return m.group(0)
        return f"![{m.group(1)}]({unescape_fully(url)})"

    return _MEDIA_REF.sub(address, body)


def _comment(
    r: Reader, data: dict[str, Any], where: str, parent: str | None, warn: Warnings
) -> Post:
    """One `t1` comment as a Post."""
    key = r.ident(data, "id", where)
    author = r.text(data, "author", where, default="[deleted]")
    body = unescape_fully(r.text(data, "body", where, default=""))
    created = from_unix(data.get("created_utc"))
    if created is None and data.get("created_utc") is not None:
        warn.add(None, "bad-time", f"comment {key!r}: created_utc is not a time; left out")
    deleted = body.strip() in GONE
    return Post(
        key=key,
        parent=parent,
        author=author,
        text="" if deleted else body,
        created_at=created,
        deleted=deleted,
        source_id=key,
        markup=_with_media(body, data.get("media_metadata")),
        markup_format="markdown",
        score=score(data.get("score")),
    )


@dataclass
class _More:
    """The page's `more` stubs: one warning for all of them, with the totals."""

    counted: list[tuple[str | None, int]] = field(default_factory=list)  # "load more comments"
    continued: list[str | None] = field(default_factory=list)  # "continue this thread"

    def add(self, data: dict[str, Any], parent: str | None) -> None:
        count = data.get("count")
        if (
            not isinstance(count, int)
            or isinstance(count, bool)
            or count <= 0
            or data.get("id") == "_"
        ):
            self.continued.append(parent)
        else:
            self.counted.append((parent, count))

    def warn(self, warn: Warnings) -> None:
        parts = []
        if self.counted:
            total = sum(n for _, n in self.counted)
            where = (
                _under(self.counted[0][0])
                if len(self.counted) == 1
                else f"in {len(self.counted)} places"
            )
            verb = "was" if total == 1 else "were"
            parts.append(
                f"{_plural(total, 'more comment')} {where} {verb} not loaded ('load more comments')"
            )
        if self.continued:
            where = (
                f"replies {_under(self.continued[0])} continue"
                if len(self.continued) == 1
                else f"{len(self.continued)} threads continue"
            )
            parts.append(f"{where} on another page ('continue this thread')")
        if parts:
            warn.add(None, "more-comments", "; ".join(parts) + "; not in this file")


def _under(parent: str | None) -> str:
    return f"under comment {parent!r}" if parent else "under the post"


def _plural(count: int, words: str) -> str:
    """`1 more comment`, `3 more comments`."""
    return f"{count} {words}" if count == 1 else f"{count} {words}s"


def _comments(r: Reader, listing: object, warn: Warnings) -> list[Post]:
    """Every comment of the page's second Listing, flattened with its parent's key."""
    posts: list[Post] = []
    more = _More()
    pending: list[tuple[object, str, str | None]] = [(listing, "[1]", None)]
    keys = Keys(warn)
    while pending:  # iterative: a deep reply chain must not exhaust the stack
        value, where, parent = pending.pop()
        for i, item in enumerate(_listing(r, value, where)):
            at = f"{where}.data.children[{i}]"
            thing = r.obj(item, at)
            data = r.obj(thing.get("data"), at + ".data")
            if thing.get("kind") == "t1":
                post = _comment(r, data, at + ".data", parent, warn)
                post.key = keys.claim(post.key)
                posts.append(post)
                replies = data.get("replies")
                if replies not in (None, ""):
                    pending.append((replies, at + ".data.replies", post.key))
            elif thing.get("kind") == "more":
                more.add(data, parent)
            else:
                warn.add(
                    None, "unknown-kind", f"at {at}: skipped an item of kind {thing.get('kind')!r}"
                )
    more.warn(warn)
    return posts


def parse_reddit(doc: Any, *, path: str, strict: bool = False) -> Article:
    """Turn a decoded comments page into an Article; ParseError (file, JSON path, problem) if malformed."""
    r = Reader(path)
    top = r.arr(doc, "")
    if len(top) != 2:
        r.fail("", f"expected 2 Listings (the post, then its comments), found {len(top)} items")
    things = _listing(r, top[0], "[0]")
    if not things:
        r.fail("[0].data.children", "expected the post, found an empty list")
    thing = r.obj(things[0], "[0].data.children[0]")
    if thing.get("kind") != "t3":
        r.fail("[0].data.children[0].kind", f"expected 't3' (a post), found {thing.get('kind')!r}")
    where = "[0].data.children[0].data"
    post = r.obj(thing.get("data"), where)
    post_id = r.ident(post, "id", where)
    title = unescape_fully(r.text(post, "title", where)).strip()
    selftext = unescape_fully(r.text(post, "selftext", where, default=""))
    warn = Warnings(path, strict=strict)
    paragraphs: list[str] = []
    if selftext.strip() in GONE:
        warn.add(None, "post-deleted", f"the post's text is {selftext.strip()}")
    removed = post.get("removed_by_category")
    if isinstance(removed, str) and removed:
        warn.add(
            None,
            "post-removed",
            f"the post was removed on Reddit ({removed.replace('_', ' ')}); its comments are kept",
        )
    else:
        paragraphs = _paragraphs(selftext)
    link = post.get("url")
    permalink = post.get("permalink")
    source_url = None
    if isinstance(permalink, str) and permalink.strip():
        source_url = SITE + permalink if permalink.startswith("/") else permalink
    if isinstance(link, str) and link.strip() and not post.get("is_self") and link != source_url:
        paragraphs.append(unescape_fully(link.strip()))  # a link post: the linked page is its text
    if not title:
        title = f"Reddit post {post_id}"
        warn.add(None, "no-title", f"the post has no title; using {title!r}")
    comments = build_comments(_comments(r, top[1], warn), warn)
    return Article(
        key=safe_key(f"reddit-{post_id}"),
        format=FORMAT,
        title=title,
        paragraphs=paragraphs,
        summary=summarize(paragraphs),
        source_url=source_url,
        comments=comments,
        warnings=warn.items,
    )
