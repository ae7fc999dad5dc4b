"""Writing articles: one article with all its comments in one transaction, updated in place by key.

The SQL runs synchronously on the writer's own connection (`storage.sqlite_write.write`): one thread hop per
article, or per batch of articles, rather than one per statement.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass

from storage.db import Storage, utcnow
from storage.models import Article, Comment, LoadStatus
from storage.sqlite_write import write

CommentRow = tuple[object, ...]


def comment_row(c: Comment) -> CommentRow:
    """A comment as the parameters of the comments INSERT/UPDATE, without its article id (added last)."""
    return (
        c.index,
        c.parent,
        c.depth,
        c.author,
        c.text,
        int(c.spam),
        json.dumps(c.spam_reasons, ensure_ascii=False) if c.spam_reasons else "[]",
        int(c.deleted),
        c.line,
        c.source_id,
        c.created_at.isoformat() if c.created_at else None,
        c.markup,
        c.markup_format,
        c.score,
        c.key,
    )


@dataclass(frozen=True)
class ArticleRows:
    """Everything one article writes, built away from the writer (in a parser process if need be)."""

    key: str
    content_hash: str
    source_path: str | None
    values: tuple[object, ...]  # the articles columns of _ARTICLE_VALUES, in that order
    fts: tuple[str, str, str]  # title, caption, body for articles_fts
    comments: list[CommentRow]


def article_rows(article: Article, *, source_path: str | None, content_hash: str) -> ArticleRows:
    """The rows of `article`, ready for `write_article`."""
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
        max((c.depth for c in article.comments), default=0),
    )
    fts = (article.title, article.caption or "", "\n\n".join(article.paragraphs))
    comments = [comment_row(c) for c in article.comments]
    return ArticleRows(article.key, content_hash, source_path, values, fts, comments)


_ARTICLE_VALUES = (
    "format, source_path, source_url, content_hash, title, caption, paragraphs, summary, warnings,"
    " comment_count, max_depth"
)
_INSERT_ARTICLE = (
    f"INSERT INTO articles ({_ARTICLE_VALUES}, key, created_at, updated_at)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id"
)
_UPDATE_ARTICLE = (
    "UPDATE articles SET format = ?, source_path = ?, source_url = ?, content_hash = ?,"
    " title = ?, caption = ?, paragraphs = ?, summary = ?, warnings = ?,"
    " comment_count = ?, max_depth = ?, updated_at = ? WHERE id = ?"
)
# A comment row's columns (comment_row's order), then its article's id.
COMMENT_COLUMNS = (
    "position", "parent", "depth", "author", "text", "spam", "spam_reasons", "deleted", "line",
    "source_id", "created_at", "markup", "markup_format", "score", "key", "article_id",
)  # fmt: skip
_INSERT_COMMENT = (
    f"INSERT INTO comments ({', '.join(COMMENT_COLUMNS)})"
    f" VALUES ({', '.join('?' for _ in COMMENT_COLUMNS)})"
)
_UPDATE_COMMENT = (
    "UPDATE comments SET position = ?, parent = ?, depth = ?, author = ?, text = ?, spam = ?,"
    " spam_reasons = ?, deleted = ?, line = ?, source_id = ?, created_at = ?, markup = ?,"
    " markup_format = ?, score = ?"
    " WHERE key = ? AND article_id = ?"
)


# --- SQLite FTS5: how the full-text indexes are fed (a PostgreSQL tsvector branch goes beside). ---


def feed_comment_fts(
    conn: sqlite3.Connection, article_ids: Iterable[int], after_id: int = 0
) -> None:
    """Index the comments of `article_ids` with ids above `after_id`, in one statement.

    Since migration 0008 no trigger indexes inserted comments: one INSERT … SELECT over many rows
    writes one FTS5 segment, where a per-row trigger wrote one per comment.
    """
    conn.execute(
        "INSERT INTO comments_fts (rowid, author, text) SELECT id, author, text FROM comments"
        " WHERE article_id IN (SELECT value FROM json_each(?)) AND id > ? ORDER BY id",
        (json.dumps(list(article_ids)), after_id),
    )


def feed_article_fts(conn: sqlite3.Connection, rows: Iterable[tuple[int, str, str, str]]) -> None:
    """Index articles as (rowid, title, caption, body); their old entries must be gone already."""
    conn.executemany(
        "INSERT INTO articles_fts (rowid, title, caption, body) VALUES (?, ?, ?, ?)", rows
    )


# --- SQLite: one row per author for /article stats (migration 0014). PostgreSQL keeps an index
# over the comments instead: there, loads run side by side, and two of them counting the same
# authors in different orders would deadlock on these rows.

_COUNT_AUTHORS = (
    "INSERT INTO author_counts (author, comments, not_spam, spam, deleted)"
    " SELECT author, count(*), count(*) - sum(spam), sum(spam), sum(deleted) FROM comments"
    " WHERE {articles} GROUP BY author"
    " ON CONFLICT (author) DO UPDATE SET comments = author_counts.comments + excluded.comments,"
    " not_spam = author_counts.not_spam + excluded.not_spam,"
    " spam = author_counts.spam + excluded.spam, deleted = author_counts.deleted + excluded.deleted"
)
COUNT_ARTICLE_AUTHORS = _COUNT_AUTHORS.format(articles="article_id = ?")
# Before an article's comments change: its old comments leave their authors' counts.
UNCOUNT_ARTICLE_AUTHORS = (
    "UPDATE author_counts SET comments = author_counts.comments - old.comments,"
    " not_spam = author_counts.not_spam - old.not_spam, spam = author_counts.spam - old.spam,"
    " deleted = author_counts.deleted - old.deleted"
    " FROM (SELECT author, count(*) AS comments, count(*) - sum(spam) AS not_spam,"
    " sum(spam) AS spam, sum(deleted) AS deleted FROM comments WHERE article_id = ?"
    " GROUP BY author) AS old"
    " WHERE author_counts.author = old.author"
)


_COUNT_ADDED_AUTHORS = _COUNT_AUTHORS.format(
    articles="article_id IN (SELECT value FROM json_each(?))"
)


def index_added(conn: sqlite3.Connection, article_ids: list[int]) -> None:
    """Index the comments of newly added articles and add them to their authors' counts: one
    statement each for all of them (a batch of a load, or one saved article)."""
    feed_comment_fts(conn, article_ids)
    conn.execute(_COUNT_ADDED_AUTHORS, (json.dumps(article_ids),))


def unindex_article(conn: sqlite3.Connection, article_id: int) -> None:
    """Drop an article's own text from articles_fts (its comments' entries follow their triggers)."""
    conn.execute("DELETE FROM articles_fts WHERE rowid = ?", (article_id,))


async def save_article(
    store: Storage, article: Article, *, source_path: str | None, content_hash: str
) -> LoadStatus:
    """Store `article` atomically: added, updated in place (comment ids kept by key) or unchanged."""
    rows = article_rows(article, source_path=source_path, content_hash=content_hash)
    if store.dialect == "postgres":
        from storage import pg_write  # it builds on this module's statements

        async with store.transaction() as db:
            return await pg_write.write_article(db, rows)

    def work(conn: sqlite3.Connection) -> LoadStatus:
        status, article_id = write_article(conn, rows)
        if status == "added":
            index_added(conn, [article_id])
        if status != "unchanged":
            feed_article_fts(conn, [(article_id, *rows.fts)])
        return status

    return await write(store, work)


def write_article(conn: sqlite3.Connection, rows: ArticleRows) -> tuple[LoadStatus, int]:
    """Write one article inside the caller's transaction: (status, article id).

    An added article's comments and the article text are left for the caller to index and count
    (`index_added`, `feed_article_fts`), so a batch of articles takes one statement each; an
    updated article's comments are indexed and counted here, and its old article text is dropped.
    """
    row = conn.execute(
        "SELECT id, content_hash FROM articles WHERE key = ?", (rows.key,)
    ).fetchone()
    if row is not None and row[1] == rows.content_hash:
        return "unchanged", int(row[0])
    now = utcnow()
    if row is None:
        (article_id,) = conn.execute(_INSERT_ARTICLE, (*rows.values, rows.key, now, now)).fetchone()
        conn.executemany(_INSERT_COMMENT, [(*c, article_id) for c in rows.comments])
        return "added", int(article_id)
    article_id = int(row[0])
    conn.execute(_UPDATE_ARTICLE, (*rows.values, now, article_id))
    unindex_article(conn, article_id)
    conn.execute(UNCOUNT_ARTICLE_AUTHORS, (article_id,))
    _replace_comments(conn, article_id, rows.comments)
    conn.execute(COUNT_ARTICLE_AUTHORS, (article_id,))
    return "updated", article_id


def _replace_comments(
    conn: sqlite3.Connection, article_id: int, comments: list[CommentRow]
) -> None:
    """Make the stored comments equal `comments`, keeping the row (and id) of every surviving key."""
    old = {
        r[0] for r in conn.execute("SELECT key FROM comments WHERE article_id = ?", (article_id,))
    }
    new = {c[-1] for c in comments}
    conn.executemany(
        "DELETE FROM comments WHERE article_id = ? AND key = ?",
        [(article_id, k) for k in old - new],
    )
    # Positions shift when comments are inserted above; park them out of the way of UNIQUE first.
    conn.execute("UPDATE comments SET position = -1 - position WHERE article_id = ?", (article_id,))
    conn.executemany(_UPDATE_COMMENT, [(*c, article_id) for c in comments if c[-1] in old])
    (before,) = conn.execute("SELECT coalesce(max(id), 0) FROM comments").fetchone()
    conn.executemany(_INSERT_COMMENT, [(*c, article_id) for c in comments if c[-1] not in old])
    feed_comment_fts(conn, [article_id], before)
