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
import itertools
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


def _clauses(query: str) -> list[tuple[str, bool, str]]:
    """The query's operands as (joiner before it, negated, `to_tsquery` text), in order."""
    clauses: list[tuple[str, bool, str]] = []
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
        clauses.append((joiner, negate, operand))
        joiner, negate = "&", False
    return clauses


def _joined(clauses: list[tuple[str, bool, str]]) -> str:
    """Operands joined by & or |, with ! for NOT (the first operand's joiner is dropped)."""
    parts: list[str] = []
    for joiner, negate, operand in clauses:
        operand = "!" + operand if negate else operand
        parts.append(operand if not parts else f" {joiner} {operand}")
    return "".join(parts)


def tsquery_text(query: str) -> str:
    """The query as `to_tsquery` text: operands joined by &, | for OR, ! for NOT, <-> in phrases."""
    return _joined(_clauses(query))


# One lexeme of to_tsquery's output (without quotes, backslashes or spaces: anything else is left
# as it is), as a prefix (`'th':*`) or alone.
_PREFIX_KEY = re.compile(r"'([^'\\\s]{2,4})':\*")
_PLAIN = re.compile(r"'([^'\\\s]+)'")


def keyed(normalized: str) -> str:
    """One operand of to_tsquery's output, written with migration 0002's search keys when it can be.

    A 2-4 character prefix is its key (`'th':*` is `' th'`); a phrase is its word pairs (`'he' <->
    'is'` is `' he is'`, exactly; a longer one needs each pair and is then checked as a phrase).
    Either way the operand matches the same rows as before, from one posting list per key.
    """
    if m := _PREFIX_KEY.fullmatch(normalized):
        return f"' {m[1]}'"
    words = normalized.split(" <-> ")
    plain = [_PLAIN.fullmatch(w) for w in words]
    if len(words) < 2 or not all(plain):
        return f"({normalized})" if normalized else ""
    pairs = [f"' {a[1]} {b[1]}'" for a, b in itertools.pairwise(plain) if a and b]
    if len(words) == 2:
        return pairs[0]
    return "(" + " & ".join([*pairs, f"({normalized})"]) + ")"


async def keyed_tsquery(db: Conn, query: str) -> str:
    """The query as `tsquery` text over the search keys (same matches as `tsquery_text`'s).

    Each operand is normalised by the server first (to_tsquery folds case and accents, as the
    documents were), so the keys are written from the very lexemes the documents hold.
    """
    clauses = _clauses(query)
    if not clauses:
        return ""
    rows = await db.execute_fetchall(
        "SELECT to_tsquery('threadreplay', o)::text FROM unnest(?::text[]) WITH ORDINALITY AS"
        " u(o, n) ORDER BY n",
        ([operand for _, _, operand in clauses],),
    )
    rewritten = [(j, neg, keyed(r[0])) for (j, neg, _), r in zip(clauses, rows, strict=True)]
    return _joined([c for c in rewritten if c[2]])


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
    keys: str,
    limit: int,
    ranked_max: int,
    index_only: bool = False,
) -> list[Any]:
    """Matches of one table: the newest when broad (more than ranked_max), else the best ranked.

    One pass over the matches (at most ranked_max + 1 ids) tells how broad the query is and, when
    it is narrow, gives the very rows to rank: no match is found twice (a phrase's matches are
    rechecked row by row, which is most of its cost; bench/RESULTS_pg.md).
    """
    ident = f"{table}.{'rowid' if table == 'articles_fts' else 'id'}"
    where = f"{table}.search @@ ?::tsquery"
    if index_only:
        await db.execute("SET LOCAL enable_seqscan = off")
        await db.execute("SET LOCAL enable_indexscan = off")
    found = [
        r[0]
        for r in await db.execute_fetchall(
            f"SELECT {ident} FROM {table} WHERE {where} LIMIT ?", (keys, ranked_max + 1)
        )
    ]
    if index_only:
        await db.execute("SET LOCAL enable_seqscan = on")
        await db.execute("SET LOCAL enable_indexscan = on")
    if not found:
        return []
    if len(found) > ranked_max:
        sql = f"SELECT {columns} FROM {table} {joins} WHERE {where} ORDER BY {ident} DESC LIMIT ?"
        params: tuple[Any, ...] = (keys, limit)
    else:
        # The best few by rank first, then their columns: the rows' text and their articles are
        # read for those few only, not for every candidate.
        key = ident.split(".")[1]
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
        keys = await keyed_tsquery(db, query)
        articles = await _part(
            db,
            "articles_fts",
            "a.key, a.title, articles_fts.title, articles_fts.caption, articles_fts.body",
            "JOIN articles a ON a.id = articles_fts.rowid",
            q,
            keys,
            limit,
            ranked_max,
            index_only=True,
        )
        comments = await _part(
            db,
            "comments",
            "a.key, a.title, comments.author, comments.position, comments.text",
            "JOIN articles a ON a.id = comments.article_id",
            q,
            keys,
            limit,
            ranked_max,
        )
    terms = query_terms(query)
    return await asyncio.to_thread(
        lambda: (_hits(articles, 2, terms, start, end), _hits(comments, 4, terms, start, end))
    )
