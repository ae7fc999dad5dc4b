"""Full-text search on the PostgreSQL store: the same question as FTS5's, asked of `tsvector`s.

The query language is FTS5's as far as PostgreSQL can follow it: words (all must match), `"a
phrase"`, `word*` for a prefix, `OR`, and `NOT` or a leading `-` to exclude a word. Column filters
(`author:x`) and `NEAR` are FTS5's own; here their words are searched as plain words. Each part is
ranked (`ts_rank_cd`, like FTS5's bm25 best first) unless it matches more than RANKED_MAX rows: then
its newest, as on SQLite. Snippets come from `storage.snippet` (the same window as for SQLite's long
documents).
"""

from __future__ import annotations

import asyncio
import re
from typing import Any, cast

import asyncpg

from storage.db import Conn, Storage
from storage.pg import PgConn, PgStorage
from storage.snippet import Terms, query_terms, snippet

_TOKEN = re.compile(r'"([^"]*)"?|(-?)([^\W_]+)(\*?)')


def _lexeme(word: str, prefix: bool = False) -> str:
    """One word as a tsquery operand (quoted, so no word is read as an operator)."""
    return "'" + word.replace("'", "''") + "'" + (":*" if prefix else "")


def tsquery_text(query: str) -> str:
    """The query as `to_tsquery` text: operands joined by &, | for OR, ! for NOT, <-> in phrases."""
    clauses: list[str] = []
    joiner = "&"
    negate = False
    for m in _TOKEN.finditer(query):
        phrase, minus, word, star = m.groups()
        if word in ("OR", "AND", "NOT", "NEAR") and not minus and not star:
            joiner = "|" if word == "OR" else joiner
            negate = negate or word == "NOT"
            continue
        if phrase is not None:
            words = re.findall(r"[^\W_]+", phrase)
            if not words:
                continue
            operand = "(" + " <-> ".join(_lexeme(w) for w in words) + ")"
        else:
            operand = _lexeme(word, bool(star))
            negate = negate or bool(minus)
        if negate:
            operand = "!" + operand
        clauses.append(operand if not clauses else f" {joiner} {operand}")
        joiner, negate = "&", False
    return "".join(clauses)


def _hits(rows: list[Any], first: int, terms: Terms, start: str, end: str) -> list[tuple[Any, ...]]:
    """Rows with their text columns (from index `first` on) turned into one snippet."""
    return [
        (*r[:first], snippet(list(r[first:]), terms, start=start, end=end, ellipsis="…"))
        for r in rows
    ]


async def _part(
    db: Conn,
    table: str,
    columns: str,
    joins: str,
    q: str,
    limit: int,
    ranked_max: int,
    *,
    index_only: bool = False,
) -> list[Any]:
    """Matches of one table: the newest when broad (more than ranked_max), else the best ranked.

    One pass over the matches (at most ranked_max + 1 ids) tells how broad the query is and, when
    it is narrow, gives the very rows to rank: no match is found twice (a phrase's matches are
    rechecked row by row, which is most of its cost; bench/RESULTS_pg.md). `index_only` takes that
    pass from the GIN index alone, never reading a document's vector (a long one is TOASTed).
    """
    key = "rowid" if table == "articles_fts" else "id"
    ident = f"{table}.{key}"
    where = f"{table}.search @@ to_tsquery('threadreplay', ?)"
    if index_only:
        await db.execute("SET LOCAL enable_seqscan = off")
        await db.execute("SET LOCAL enable_indexscan = off")
    found = [
        r[0]
        for r in await db.execute_fetchall(
            f"SELECT {ident} FROM {table} WHERE {where} LIMIT ?", (q, ranked_max + 1)
        )
    ]
    if index_only:
        await db.execute("SET LOCAL enable_seqscan = on")
        await db.execute("SET LOCAL enable_indexscan = on")
    if not found:
        return []
    if len(found) > ranked_max:
        sql = f"SELECT {columns} FROM {table} {joins} WHERE {where} ORDER BY {ident} DESC LIMIT ?"
        params: tuple[Any, ...] = (q, limit)
    else:
        # The best few by rank first, then their columns: the rows' text and their articles are
        # read for those few only, not for every candidate.
        best = (
            f"SELECT {key} AS best_id, ts_rank_cd(search, to_tsquery('threadreplay', ?)) AS best_rank"
            f" FROM {table} WHERE {key} = ANY(?) ORDER BY best_rank DESC LIMIT ?"
        )
        sql = (
            f"SELECT {columns} FROM ({best}) best JOIN {table} ON {ident} = best.best_id {joins}"
            " ORDER BY best.best_rank DESC"
        )
        params = (q, found, limit)
    return list(await db.execute_fetchall(sql, params))


async def search_rows(
    store: Storage, query: str, limit: int, *, ranked_max: int, start: str, end: str
) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """(articles as (key, title, snippet), comments as (key, title, author, position, snippet))."""
    q = tsquery_text(query)
    if not q:
        return [], []
    # Every statement with a plan made for its own query: a cached generic plan cannot know how
    # common the query's words are (a bitmap of every row holding "the" instead of stopping early).
    assert isinstance(store, PgStorage)
    async with store.searcher_pool.acquire() as conn, conn.transaction(readonly=True):
        await conn.execute("SET LOCAL plan_cache_mode = force_custom_plan")
        db = PgConn(cast("asyncpg.Connection[Any]", conn))  # the pool's proxy of one
        articles = await _part(
            db,
            "articles_fts",
            "a.key, a.title, articles_fts.title, articles_fts.caption, articles_fts.body",
            "JOIN articles a ON a.id = articles_fts.rowid",
            q,
            limit,
            ranked_max,
            # Article vectors are long (TOASTed): a scan reading them to find 2,001 matches of a
            # common word took 10-35 ms at 10,000 articles; the GIN index alone takes ~1 ms.
            index_only=True,
        )
        comments = await _part(
            db,
            "comments",
            "a.key, a.title, comments.author, comments.position, comments.text",
            "JOIN articles a ON a.id = comments.article_id",
            q,
            limit,
            ranked_max,
        )
    terms = query_terms(query)
    return await asyncio.to_thread(
        lambda: (_hits(articles, 2, terms, start, end), _hits(comments, 4, terms, start, end))
    )
