"""Read-side queries: every function returns pydantic models, never rows, and never writes."""

from __future__ import annotations

import asyncio
import json
import re
import sqlite3
from datetime import datetime
from typing import Any

from pydantic import BaseModel

from storage.db import SqliteStorage, Storage
from storage.fts5_search import RANKED_MAX, Fts5Search, run_fts5
from storage.models import Article, ArticleSummary, Comment, ParseWarning, StoredArticle
from storage.read import fetch_all, fetch_one
from storage.snippet import FTS_SNIPPET_MAX, Terms, query_terms, snippet

# Snippet highlight markers: private-use characters that archive text cannot plausibly contain,
# so the renderer can escape the text first and turn these into bold afterwards.
HIT_START, HIT_END = "\ue000", "\ue001"

# The longest query searched, in characters (the slash option allows 200; longer input from any
# caller is cut here, so no caller can hand FTS5 a query of unbounded cost).
MAX_QUERY = 200


class ArticleCounts(BaseModel):
    """The numbers an article card shows."""

    comments: int
    threads: int
    participants: int
    spam: int
    deleted: int
    max_depth: int


class SearchHit(BaseModel):
    """One search result: an article (author None) or a comment of it, with a highlighted snippet."""

    key: str
    title: str
    author: str | None
    position: int | None
    snippet: str


class TopCommenter(BaseModel):
    """An author and how many comments they wrote."""

    author: str
    comments: int


class CorpusStats(BaseModel):
    """Totals over the whole store."""

    articles: int
    comments: int
    authors: int
    spam: int
    deleted: int
    top_commenters: list[TopCommenter]
    deepest_depth: int
    deepest_key: str | None
    deepest_title: str | None


_ARTICLE_COLS = (
    "id, key, format, source_path, source_url, content_hash, title, caption, paragraphs, summary,"
    " warnings, created_at, updated_at"
)
_COMMENT_COLS = (
    "position, key, author, depth, parent, text, spam, spam_reasons, deleted, line, source_id,"
    " created_at, markup, markup_format, score"
)


_COMMENT_NAMES = [c.strip() for c in _COMMENT_COLS.split(",")]


def _comment(row: sqlite3.Row | tuple[Any, ...]) -> Comment:
    """Build a Comment from a row selected with _COMMENT_COLS, by column name."""
    c = dict(zip(_COMMENT_NAMES, row, strict=True))
    return Comment(
        index=c["position"],
        key=c["key"],
        author=c["author"],
        depth=c["depth"],
        parent=c["parent"],
        text=c["text"],
        spam=bool(c["spam"]),
        spam_reasons=json.loads(c["spam_reasons"]),
        deleted=bool(c["deleted"]),
        line=c["line"],
        source_id=c["source_id"],
        created_at=datetime.fromisoformat(c["created_at"]) if c["created_at"] else None,
        markup=c["markup"],
        markup_format=c["markup_format"],
        score=c["score"],
    )


async def get_article(store: Storage, key: str) -> StoredArticle | None:
    """The whole article `key` with its comments in order, or None."""
    row = await fetch_one(
        store.reader, f"SELECT {_ARTICLE_COLS} FROM articles WHERE key = ?", (key,)
    )
    if row is None:
        return None
    rows = await fetch_all(
        store.reader,
        f"SELECT {_COMMENT_COLS} FROM comments WHERE article_id = ? ORDER BY position",
        (row[0],),
    )
    # Building the models of a big article takes about a second per 50,000 comments: off the loop.
    return await asyncio.to_thread(_stored_article, row, rows)


def _stored_article(
    row: sqlite3.Row | tuple[Any, ...], rows: list[tuple[Any, ...]]
) -> StoredArticle:
    comments = [_comment(r) for r in rows]
    article = Article(
        key=row[1],
        format=row[2],
        source_url=row[4],
        title=row[6],
        caption=row[7],
        paragraphs=json.loads(row[8]),
        summary=row[9],
        warnings=[ParseWarning(**w) for w in json.loads(row[10])],
        comments=comments,
    )
    return StoredArticle(
        id=row[0],
        article=article,
        source_path=row[3],
        content_hash=row[5],
        created_at=datetime.fromisoformat(row[11]),
        updated_at=datetime.fromisoformat(row[12]),
    )


async def article_key(store: Storage, article_id: int) -> str | None:
    """The key of the article with database id `article_id`."""
    row = await fetch_one(store.reader, "SELECT key FROM articles WHERE id = ?", (article_id,))
    return row[0] if row else None


async def titles(store: Storage, keys: list[str]) -> dict[str, str]:
    """The titles of the articles `keys` (those stored), by key."""
    found: dict[str, str] = {}
    for i in range(0, len(keys), 500):  # under SQLite's limit of bound parameters
        chunk = keys[i : i + 500]
        marks = ",".join("?" * len(chunk))
        rows = await fetch_all(
            store.reader, f"SELECT key, title FROM articles WHERE key IN ({marks})", tuple(chunk)
        )
        found.update({r[0]: r[1] for r in rows})
    return found


async def count_articles(store: Storage) -> int:
    """How many articles are stored."""
    row = await fetch_one(store.reader, "SELECT count(*) FROM articles")
    return int(row[0]) if row else 0


async def list_articles(
    store: Storage, *, offset: int = 0, limit: int = 10
) -> list[ArticleSummary]:
    """A page of articles, newest first: by time stored, then by id (a batch of files loaded in
    the same millisecond is listed in the order it was stored), so pages are stable."""
    rows = await fetch_all(
        store.reader,
        "SELECT id, key, title, comment_count, created_at FROM articles"
        " ORDER BY created_at DESC, id DESC LIMIT ? OFFSET ?",
        (limit, offset),
    )
    return [
        ArticleSummary(
            id=r[0],
            key=r[1],
            title=r[2],
            comment_count=r[3],
            created_at=datetime.fromisoformat(r[4]),
        )
        for r in rows
    ]


async def suggest_articles(store: Storage, text: str, *, limit: int = 25) -> list[ArticleSummary]:
    """Articles whose key starts with, or whose title contains, `text` (for autocomplete)."""
    like = "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    rows = await fetch_all(
        store.reader,
        "SELECT id, key, title, comment_count, created_at FROM articles"
        # lower() on both sides: SQLite's LIKE ignores case, PostgreSQL's does not.
        " WHERE lower(key) LIKE lower(?) ESCAPE '\\' OR lower(title) LIKE lower(?) ESCAPE '\\'"
        " ORDER BY (key = ?) DESC, created_at DESC, key LIMIT ?",
        (like[1:], like, text, limit),
    )
    return [
        ArticleSummary(
            id=r[0],
            key=r[1],
            title=r[2],
            comment_count=r[3],
            created_at=datetime.fromisoformat(r[4]),
        )
        for r in rows
    ]


async def article_counts(store: Storage, article_id: int) -> ArticleCounts:
    """Comment, thread, participant, spam and deleted counts of one article."""
    r = await fetch_one(
        store.reader,
        "SELECT count(*), coalesce(sum(CASE WHEN parent IS NULL THEN 1 ELSE 0 END), 0), count(DISTINCT author),"
        " coalesce(sum(spam), 0), coalesce(sum(deleted), 0), coalesce(max(depth), 0)"
        " FROM comments WHERE article_id = ?",
        (article_id,),
    )
    assert r is not None
    return ArticleCounts(
        comments=r[0], threads=r[1], participants=r[2], spam=r[3], deleted=r[4], max_depth=r[5]
    )


_WORDS = re.compile(r"\w+", re.UNICODE)


def plain_query(query: str) -> str:
    """The query as plain words (each quoted), for input that is not valid FTS5 syntax."""
    return " ".join('"' + w.replace('"', '""') + '"' for w in _WORDS.findall(query))


# Broad queries (over RANKED_MAX matches) list their newest matches, others are ranked by relevance;
# how, and why, in storage/fts5_search.py.
# How FTS5 words a query it cannot read: "fts5: syntax error near …", "unterminated string",
# "no such column: x" (a `x:` column filter), "unknown special query", "malformed MATCH expression".
_FTS_SYNTAX = ("fts5:", "syntax error", "unterminated string", "no such column", "malformed match")


def is_fts_syntax_error(exc: sqlite3.OperationalError) -> bool:
    """True when SQLite refused an FTS5 query for its syntax (and nothing else)."""
    message = str(exc).casefold()
    return any(words in message for words in _FTS_SYNTAX) or "special query" in message


async def _fts(store: Storage, search: Fts5Search, query: str, limit: int) -> list[tuple[Any, ...]]:
    """Run an FTS query as typed; if it is not valid FTS5 syntax, search its plain words instead."""
    assert isinstance(store, SqliteStorage)  # FTS5 is SQLite's; PostgreSQL searches in search_pg
    try:
        return await run_fts5(store.searcher, search, query, limit)
    except sqlite3.OperationalError as exc:
        if not is_fts_syntax_error(exc):
            raise  # a locked or broken database is not a query to retry as plain words
    plain = plain_query(query)
    if not plain:
        return []
    return await run_fts5(store.searcher, search, plain, limit)


_SNIPPET = f"'{HIT_START}', '{HIT_END}', '…', 12"
_LONG = FTS_SNIPPET_MAX
_ARTICLE_SEARCH = Fts5Search(
    "articles_fts",
    "a.key, a.title,"
    " CASE WHEN length(articles_fts.caption) + length(articles_fts.body) <= {long}"
    f" THEN snippet(articles_fts, -1, {_SNIPPET}) END,"
    " CASE WHEN length(articles_fts.caption) + length(articles_fts.body) > {long}"
    " THEN json_array(articles_fts.title, articles_fts.caption, articles_fts.body) END".format(
        long=_LONG
    ),
    "JOIN articles a ON a.id = articles_fts.rowid",
)
_COMMENT_SEARCH = Fts5Search(
    "comments_fts",
    "a.key, a.title, c.author, c.position,"
    f" CASE WHEN length(c.text) <= {_LONG} THEN snippet(comments_fts, 1, {_SNIPPET}) END,"
    f" CASE WHEN length(c.text) > {_LONG} THEN json_array(c.text) END",
    "JOIN comments c ON c.id = comments_fts.rowid JOIN articles a ON a.id = c.article_id",
)


def _snippet_of(fts_snippet: str | None, long_text: str | None, terms: Terms) -> str:
    """FTS5's snippet of a short document, or the linear one of a long document's columns."""
    if fts_snippet is not None:
        return fts_snippet
    columns = [t or "" for t in json.loads(long_text or "[]")]
    return snippet(columns, terms, start=HIT_START, end=HIT_END, ellipsis="…")


async def search(store: Storage, query: str, *, limit: int = 10) -> list[SearchHit]:
    """Full-text search: matching articles first, then matching comments (text or author).

    Each part is ranked by relevance, unless it matches more than RANKED_MAX rows: then its newest.
    Runs on the store's search connection, so lookups never wait behind it.
    """
    query = query[:MAX_QUERY]
    if not query.strip():
        return []
    if store.dialect == "postgres":  # PostgreSQL's own full-text search: storage/search_pg.py
        from storage.search_pg import search_rows  # asyncpg is loaded only for PostgreSQL

        found = await search_rows(
            store, query, limit, ranked_max=RANKED_MAX, start=HIT_START, end=HIT_END
        )
        return [
            SearchHit(key=k, title=t, author=None, position=None, snippet=s) for k, t, s in found[0]
        ] + [
            SearchHit(key=k, title=t, author=a, position=p, snippet=s) for k, t, a, p, s in found[1]
        ]
    articles = await _fts(store, _ARTICLE_SEARCH, query, limit)
    comments = await _fts(store, _COMMENT_SEARCH, query, limit)
    # A long document's snippet is found in one pass over its text: linear, but off the loop.
    return await asyncio.to_thread(_hits, articles, comments, query_terms(query))


def _hits(
    articles: list[tuple[Any, ...]], comments: list[tuple[Any, ...]], terms: Terms
) -> list[SearchHit]:
    return [
        SearchHit(
            key=r[0], title=r[1], author=None, position=None, snippet=_snippet_of(r[2], r[3], terms)
        )
        for r in articles
    ] + [
        SearchHit(
            key=r[0],
            title=r[1],
            author=r[2],
            position=r[3],
            snippet=_snippet_of(r[4], r[5], terms),
        )
        for r in comments
    ]


# /article stats' totals and top commenters: SQLite keeps a row per author (migration 0014);
# PostgreSQL scans its covering index `comments_author_flags (author, spam, deleted)`.
_AUTHOR_TOTALS = {
    "sqlite": "SELECT coalesce(sum(comments), 0), coalesce(sum(comments > 0), 0),"
    " coalesce(sum(spam), 0), coalesce(sum(deleted), 0) FROM author_counts",
    "postgres": "SELECT count(*), count(DISTINCT author), coalesce(sum(spam), 0),"
    " coalesce(sum(deleted), 0) FROM comments",
}
_TOP_COMMENTERS = {
    "sqlite": "SELECT author, not_spam FROM author_counts WHERE not_spam > 0"
    " ORDER BY not_spam DESC, author LIMIT ?",
    "postgres": "SELECT author, count(*) AS n FROM comments WHERE spam = 0 GROUP BY author"
    " ORDER BY n DESC, author LIMIT ?",
}


async def corpus_stats(store: Storage, *, top: int = 5) -> CorpusStats:
    """Totals, top commenters and the deepest thread over the whole store.

    They run on the search connection, like searches, so lookups never queue behind PostgreSQL's
    scans of every comment (~0.2 s at a million; SQLite reads one row per author instead).
    """
    articles = await count_articles(store)
    db = store.searcher
    totals = await fetch_one(db, _AUTHOR_TOTALS[store.dialect])
    assert totals is not None
    async with db.execute(_TOP_COMMENTERS[store.dialect], (top,)) as cur:
        tops = [TopCommenter(author=r[0], comments=r[1]) for r in await cur.fetchall()]
    deep = await fetch_one(
        db,
        "SELECT max_depth, key, title FROM articles WHERE comment_count > 0"
        " ORDER BY max_depth DESC, key LIMIT 1",
    )
    return CorpusStats(
        articles=articles,
        comments=totals[0],
        authors=totals[1],
        spam=totals[2],
        deleted=totals[3],
        top_commenters=tops,
        deepest_depth=deep[0] + 1 if deep else 0,
        deepest_key=deep[1] if deep else None,
        deepest_title=deep[2] if deep else None,
    )
