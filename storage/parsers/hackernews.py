"""Parser for a Hacker News item with its replies nested in it.

Two shapes are read: the Algolia items API (`hn.algolia.com/api/v1/items/<id>`: `id`, `type`,
`author`, `text` as HTML, `created_at`/`created_at_i`, `children` as objects), and the official
Firebase API (`by`, `time`, `kids`, `deleted`, `dead`) once its `kids` ids have been expanded to the
items themselves. Deleted items keep their place in the tree; dead ones (killed by flags or moderators)
count as the source's own spam verdict.
"""

from __future__ import annotations

from typing import Any

from storage.models import Article
from storage.parsers.htmltext import html_to_text, unescape_fully
from storage.parsers.jsondoc import Reader, child, kind
from storage.parsers.keys import safe_key
from storage.parsers.tree import (
    Keys,
    Post,
    Warnings,
    build_comments,
    from_iso,
    from_unix,
    score,
)
from storage.summary import summarize

FORMAT = "hackernews"
ITEM_URL = "https://news.ycombinator.com/item?id="
DEAD_REASON = "dead on Hacker News (flagged or killed)"


def is_hackernews(doc: object) -> bool:
    """True for an object that looks like an HN item: an `id` and HN's own members."""
    return isinstance(doc, dict) and any(
        name in doc for name in ("children", "kids", "type", "by", "author")
    )


def _time(item: dict[str, Any]) -> Any:
    """The item's time: Algolia's `created_at_i` or `created_at`, Firebase's `time`."""
    for name in ("created_at_i", "time"):
        if item.get(name) is not None:
            return from_unix(item[name])
    created = item.get("created_at")
    return from_iso(created) if isinstance(created, str) else None


def _optional_text(r: Reader, item: dict[str, Any], name: str, where: str) -> str | None:
    """Member `name` as a string, or None when it is missing or null."""
    value = item.get(name)
    if value is not None and not isinstance(value, str):
        r.fail(child(where, name), f"expected a string, found {kind(value)}")
    return value


def _kids(r: Reader, item: dict[str, Any], where: str) -> tuple[list[Any], str]:
    """The item's replies (`children`, or Firebase's `kids`) and their JSON path."""
    name = "children" if "children" in item else "kids"
    value = item.get(name)
    return ([] if value is None else r.arr(value, child(where, name))), child(where, name)


def _post(r: Reader, item: dict[str, Any], where: str, parent: str, warn: Warnings) -> Post:
    """One comment item as a Post."""
    key = r.ident(item, "id", where)
    author = _optional_text(r, item, "author", where) or _optional_text(r, item, "by", where)
    markup = _optional_text(r, item, "text", where)
    # Algolia gives a deleted comment no author and no text; Firebase says `deleted: true`.
    deleted = item.get("deleted") is True or (author is None and markup is None)
    created = _time(item)
    if created is None and any(item.get(n) is not None for n in ("created_at_i", "time")):
        warn.add(None, "bad-time", f"comment {key!r}: its time is not a time; left out")
    dead = item.get("dead") is True
    return Post(
        key=key,
        parent=parent,
        author=author or "[deleted]",
        text="" if deleted else html_to_text(markup or ""),
        created_at=created,
        deleted=deleted,
        spam=True if dead else None,
        spam_reason=DEAD_REASON if dead else "",
        source_id=key,
        markup=markup,
        markup_format="html",
        score=score(item.get("points", item.get("score"))),
    )


def _poll_option(r: Reader, item: dict[str, Any], where: str) -> str:
    """A poll option as a paragraph: `• text — N points`."""
    text = " ".join(html_to_text(_optional_text(r, item, "text", where) or "").split())
    points = item.get("points", item.get("score"))
    if isinstance(points, int) and not isinstance(points, bool):
        return f"• {text} — {points} point{'s' if points != 1 else ''}"
    return f"• {text}"


def _poll(r: Reader, root: dict[str, Any], options: list[str], warn: Warnings) -> None:
    """A poll's options from its `parts` (Firebase): expanded ones kept, bare ids reported."""
    parts = root.get("parts")
    if parts is None:
        return
    ids = 0
    for i, part in enumerate(r.arr(parts, "parts")):
        if isinstance(part, dict):
            options.append(_poll_option(r, part, f"parts[{i}]"))
        else:
            ids += 1
    if ids:
        warn.add(
            None,
            "unexpanded",
            f"{ids} poll option{'s are only ids' if ids != 1 else ' is only an id'} (not expanded"
            " into the item); not in this file",
        )


def _comments(
    r: Reader, root: dict[str, Any], root_key: str, warn: Warnings, options: list[str]
) -> list[Post]:
    """Every reply below the root item, flattened with its parent's key; poll options (Algolia
    lists them among the children) go to `options` instead."""
    posts: list[Post] = []
    unexpanded = 0
    pending: list[tuple[dict[str, Any], str, str]] = [(root, "", root_key)]
    keys = Keys(warn, reserved=root_key)
    while pending:  # iterative: a deep reply chain must not exhaust the stack
        item, where, key = pending.pop()
        kids, kids_where = _kids(r, item, where)
        for i, kid in enumerate(kids):
            at = f"{kids_where}[{i}]"
            if isinstance(kid, int | str) and not isinstance(kid, bool):
                unexpanded += 1  # Firebase lists reply ids; only expanded replies can be read
                continue
            kid = r.obj(kid, at)
            if kid.get("type") == "pollopt":
                options.append(_poll_option(r, kid, at))
                continue
            post = _post(r, kid, at, key, warn)
            post.key = keys.claim(post.key)
            posts.append(post)
            pending.append((kid, at, post.key))
    if unexpanded:
        warn.add(
            None,
            "unexpanded",
            f"{unexpanded} repl{'ies are only ids' if unexpanded != 1 else 'y is only an id'}"
            " (not expanded into the item); not in this file",
        )
    for post in posts:  # the story is the article, not a comment: its replies are top level
        if post.parent == root_key:
            post.parent = None
    return posts


def parse_hackernews(doc: Any, *, path: str, strict: bool = False) -> Article:
    """Turn a decoded HN item into an Article; ParseError (file, JSON path, problem) if malformed."""
    r = Reader(path)
    root = r.obj(doc, "")
    item_id = r.ident(root, "id", "")
    warn = Warnings(path, strict=strict)
    title = unescape_fully(_optional_text(r, root, "title", "") or "").strip()
    markup = _optional_text(r, root, "text", "")
    url = _optional_text(r, root, "url", "")
    if root.get("deleted") is True or root.get("dead") is True:
        state = "deleted" if root.get("deleted") is True else "dead"
        warn.add(None, "story-gone", f"the item itself is {state} on Hacker News")
    if not title:
        author = _optional_text(r, root, "author", "") or _optional_text(r, root, "by", "")
        title = f"Hacker News {root.get('type') or 'item'} {item_id}" + (
            f" by {author}" if author else ""
        )
        warn.add(None, "no-title", f"the item has no title; using {title!r}")
    paragraphs = [p for p in html_to_text(markup or "").split("\n\n") if p.strip()]
    if url and url.strip():
        paragraphs.append(url.strip())  # a link story: the linked page is its text
    options: list[str] = []
    _poll(r, root, options, warn)
    comments = build_comments(_comments(r, root, item_id, warn, options), warn)
    if options:  # a poll: its options and their points are part of the article
        paragraphs += ["Poll:", *options]
    return Article(
        key=safe_key(f"hn-{item_id}"),
        format=FORMAT,
        title=title,
        paragraphs=paragraphs,
        summary=summarize(paragraphs),
        source_url=ITEM_URL + item_id,
        comments=comments,
        warnings=warn.items,
    )
