"""Writing articles: one article with all its comments in one transaction, updated in place by key."""

from __future__ import annotations

import json
from dataclasses import dataclass

import aiosqlite

from storage.db import Storage, utcnow
from storage.models import Article, Comment, LoadStatus, ParseWarning
from storage.read import fetch_one


def comment_row(article_id: int, c: Comment) -> tuple[object, ...]:
    """A comment as the parameters of the comments INSERT/UPDATE (same column order in both)."""
    return (
        c.index,
        c.parent,
        c.depth,
        c.author,
        c.text,
        int(c.spam),
        json.dumps(c.spam_reasons, ensure_ascii=False),
        int(c.deleted),
        c.line,
        c.source_id,
        c.created_at.isoformat() if c.created_at else None,
        c.markup,
        c.markup_format,
        c.score,
        article_id,
        c.key,
    )


_INSERT_COMMENT = (
    "INSERT INTO comments (position, parent, depth, author, text, spam, spam_reasons, deleted, line,"
    " source_id, created_at, markup, markup_format, score, article_id, key)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
_UPDATE_COMMENT = (
    "UPDATE comments SET position = ?, parent = ?, depth = ?, author = ?, text = ?, spam = ?,"
    " spam_reasons = ?, deleted = ?, line = ?, source_id = ?, created_at = ?, markup = ?,"
    " markup_format = ?, score = ?"
    " WHERE article_id = ? AND key = ?"
)


@dataclass(frozen=True)
class StoredFile:
    """What the store recorded about the file an article was loaded from."""

    content_hash: str
    source_path: str | None
    warnings: list[ParseWarning]


async def stored_file(store: Storage, key: str) -> StoredFile | None:
    """The hash, source path and parse warnings stored for article `key`, or None."""
    row = await fetch_one(
        store.reader,
        "SELECT content_hash, source_path, warnings FROM articles WHERE key = ?",
        (key,),
    )
    if row is None:
        return None
    return StoredFile(row[0], row[1], [ParseWarning(**w) for w in json.loads(row[2])])


async def save_article(
    store: Storage, article: Article, *, source_path: str | None, content_hash: str
) -> LoadStatus:
    """Store `article` atomically: added, updated in place (comment ids kept by key) or unchanged."""
    async with store.transaction() as db:
        async with db.execute(
            "SELECT id, content_hash FROM articles WHERE key = ?", (article.key,)
        ) as cur:
            row = await cur.fetchone()
        if row is not None and row[1] == content_hash:
            return "unchanged"
        now = utcnow()
        values = (
            article.format,
            source_path,
            article.source_url,
            content_hash,
            article.title,
            article.caption,
            json.dumps(article.paragraphs, ensure_ascii=False),
            article.summary,
            json.dumps([w.model_dump() for w in article.warnings], ensure_ascii=False),
            len(article.comments),
        )
        if row is None:
            async with db.execute(
                "INSERT INTO articles (format, source_path, source_url, content_hash, title, caption,"
                " paragraphs, summary, warnings, comment_count, key, created_at, updated_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
                (*values, article.key, now, now),
            ) as cur:
                row_ = await cur.fetchone()
                assert row_ is not None  # count(*) and RETURNING always answer
                article_id = row_[0]
            await db.executemany(
                _INSERT_COMMENT, [comment_row(article_id, c) for c in article.comments]
            )
            status: LoadStatus = "added"
        else:
            article_id = row[0]
            await db.execute(
                "UPDATE articles SET format = ?, source_path = ?, source_url = ?, content_hash = ?,"
                " title = ?, caption = ?, paragraphs = ?, summary = ?, warnings = ?,"
                " comment_count = ?, updated_at = ? WHERE id = ?",
                (*values, now, article_id),
            )
            await db.execute("DELETE FROM articles_fts WHERE rowid = ?", (article_id,))
            await _replace_comments(db, article_id, article.comments)
            status = "updated"
        await db.execute(
            "INSERT INTO articles_fts (rowid, title, caption, body) VALUES (?, ?, ?, ?)",
            (article_id, article.title, article.caption or "", "\n\n".join(article.paragraphs)),
        )
    return status


async def _replace_comments(
    db: aiosqlite.Connection, article_id: int, comments: list[Comment]
) -> None:
    """Make the stored comments equal `comments`, keeping the row (and id) of every surviving key."""
    async with db.execute("SELECT key FROM comments WHERE article_id = ?", (article_id,)) as cur:
        old = {r[0] for r in await cur.fetchall()}
    new = {c.key for c in comments}
    await db.executemany(
        "DELETE FROM comments WHERE article_id = ? AND key = ?",
        [(article_id, k) for k in old - new],
    )
    # Positions shift when comments are inserted above; park them out of the way of UNIQUE first.
    await db.execute(
        "UPDATE comments SET position = -1 - position WHERE article_id = ?", (article_id,)
    )
    await db.executemany(
        _UPDATE_COMMENT, [comment_row(article_id, c) for c in comments if c.key in old]
    )
    await db.executemany(
        _INSERT_COMMENT, [comment_row(article_id, c) for c in comments if c.key not in old]
    )
