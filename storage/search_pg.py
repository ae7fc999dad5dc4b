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
import contextlib
import re
from collections.abc import Awaitable, Callable
from typing import Any, cast

import asyncpg

from storage.db import Conn, Storage
from storage.fts5_search import COMMON_SHARE, SAMPLE
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


# A word in more than COMMON_SHARE of the rows is "very common" (as on SQLite): a phrase holding one
# lists its newest matches. Comments tell it from their newest rows (the phrase's sample, below):
# its share of them, and at least SAMPLE rows in the span of ids, so a small table has none (as on
# SQLite); articles from their GIN index (_articles_newest).
# How many comments a phrase's sample reads (newest first), and a walk further back at most.
SAMPLE_WINDOW = 4_000
WALK_ROWS = 50_000
# What the index's check of one candidate comment costs, in comments walked: one found by the index
# is read at random (~5 us), one walked in order (~0.4 us), but a walk that falls short is lost, so
# half that.
CHECK_COST = 6
# A phrase's articles: how many candidates (newest first) the first batch checks.
ARTICLE_BATCH = 256
# A single word or prefix: how many of the newest comments show how dense it is, and how many may be
# read to find more than ranked_max matches there (then it is broad without the GIN index's merge).
PROBE_FIRST = 3_000
PROBE_ROWS = 80_000

_OPERAND = r"'(?:[^']|'')*'"
_PHRASE_Q = re.compile(rf"\(({_OPERAND}(?: <-> {_OPERAND})+)\)")
_SINGLE_Q = re.compile(rf"{_OPERAND}(?::\*)?")
_TSQ = "to_tsquery('threadreplay', ?)"


async def _plans(db: Conn, *, seqscan: bool, indexscan: bool, bitmapscan: bool = True) -> None:
    """Which scans the planner may use for the next statements of this transaction. Always one
    left enabled: a plan made only of disabled scans costs 1e10, and so gets JIT-compiled."""
    flags = {"seqscan": seqscan, "indexscan": indexscan, "bitmapscan": bitmapscan}
    await db.execute(  # one round trip
        "SELECT "
        + ", ".join(
            f"set_config('enable_{k}', '{'on' if v else 'off'}', true)" for k, v in flags.items()
        )
    )


async def _index_only(db: Conn, on: bool) -> None:
    """Plans from the GIN index alone (bitmaps), never a scan that reads every vector, or back."""
    await _plans(db, seqscan=not on, indexscan=not on)


async def _walk(db: Conn, q: str, need: int, below: int) -> list[int]:
    """Matching comments among the WALK_ROWS newest under id `below`, newest first, at most `need`."""
    window = "SELECT id, search FROM comments WHERE id < ? ORDER BY id DESC LIMIT ?"
    rows = await db.execute_fetchall(
        f"SELECT id FROM ({window}) newest WHERE search @@ {_TSQ} ORDER BY id DESC LIMIT ?",
        (below, WALK_ROWS, q, need),
    )
    return [r[0] for r in rows]


async def _older(db: Conn, q: str, need: int, below: int) -> list[int]:
    """The newest `need` matching comments under id `below`, from the GIN index: a bitmap of the
    comments holding every word, each one's positions checked. A comment's vector is short: what
    a candidate costs is the visit of its page, so checking them all in one bitmap costs less than
    finding them first and checking them newest first (as for articles)."""
    await _index_only(db, True)
    rows = await db.execute_fetchall(
        f"SELECT id FROM comments WHERE search @@ {_TSQ} AND id < ? ORDER BY id DESC LIMIT ?",
        (q, below, need),
    )
    await _index_only(db, False)
    return [r[0] for r in rows]


async def _articles_newest(db: Conn, words: list[str], q: str, limit: int) -> list[int] | None:
    """The newest `limit` articles matching a phrase holding a word that is in at least SAMPLE
    articles and more than COMMON_SHARE of them (very common, as on SQLite); else None.

    An article's vector is long (TOASTed): checking the phrase's positions in one is all of this
    part's cost, however the article is found. So only the articles holding every word are
    checked (the GIN index alone gives where they are, no vector read: ~1 ms), newest first, in
    batches read straight by ctid (a TID scan: no index lookup), each twice the last, until
    `limit` matches are found: never more than twice the vectors needed, and at most every
    candidate once, as the index's own check of them (bench/RESULTS_pg.md).
    """
    ((span,),) = await db.execute_fetchall("SELECT max(rowid) - min(rowid) + 1 FROM articles_fts")
    if span is None:
        return None
    need = max(SAMPLE, int(span * COMMON_SHARE) + 1)
    counts = "".join(
        f"(SELECT count(*) FROM (SELECT 1 FROM articles_fts WHERE search @@ {_TSQ} LIMIT ?) w), "
        for _ in words
    )
    await _index_only(db, True)
    ((*each, held),) = await db.execute_fetchall(
        f"SELECT {counts}(SELECT array_agg(ctid ORDER BY rowid DESC) FROM articles_fts"
        f" WHERE search @@ {_TSQ})",
        [*(p for w in words for p in (w, need)), " & ".join(words)],
    )
    if not any(n >= need for n in each):
        await _index_only(db, False)
        return None
    held = list(held or [])
    # A TID scan only: planned freely, a batch was a bitmap of the phrase over every candidate
    # with the batch's ctids as a filter (21 ms a batch for '"from an"').
    await _plans(db, seqscan=False, indexscan=False, bitmapscan=False)
    found: list[int] = []
    start, size = 0, ARTICLE_BATCH
    # Every batch is older than the one before: once `limit` are found, none older is needed.
    while start < len(held) and len(found) < limit:
        found += [
            r[0]
            for r in await db.execute_fetchall(
                f"SELECT rowid FROM articles_fts WHERE ctid = ANY(?::tid[]) AND search @@ {_TSQ}",
                (held[start : start + size], q),
            )
        ]
        start, size = start + size, 2 * size
    await _plans(db, seqscan=True, indexscan=True)
    return sorted(found, reverse=True)[:limit]


async def _newest_of_phrase(db: Conn, words: list[str], q: str, limit: int) -> list[int] | None:
    """The newest `limit` comments matching a phrase holding a very common word; None when none is.

    As on SQLite: ranking such a phrase costs most (here every row holding all its words is read
    for the positions: 200-400 ms at 1M comments), and its newest matches are what a reader
    expects of so common a phrase. The newest comments are read first, a bounded number of them: a
    sample (which also tells whether a word is very common), then a walk further back when the
    sample's density promises the rest within WALK_ROWS; what is still missing comes from the
    index, under the oldest comment the sample read.
    """
    counts = "".join(f"count(*) FILTER (WHERE search @@ {_TSQ}), " for _ in words)
    # ... and the comments of the sample that hold every word (the index's candidates)
    counts += f"count(*) FILTER (WHERE search @@ {_TSQ}), "
    ((*each, sampled, found, hits, below, read, span),) = await db.execute_fetchall(
        f"SELECT {counts}"
        f"(array_agg(id ORDER BY id DESC) FILTER (WHERE search @@ {_TSQ}))[1:?],"
        f" count(*) FILTER (WHERE search @@ {_TSQ}), min(id), count(*),"
        " (SELECT max(id) - min(id) + 1 FROM comments)"
        " FROM (SELECT id, search FROM comments ORDER BY id DESC LIMIT ?) newest",
        (*words, " & ".join(words), q, limit, q, SAMPLE_WINDOW),
    )
    # A word's share of the sample, and so its rows in the whole span of ids (as SQLite reads a
    # share from the span of a word's first matches).
    if not any(n > COMMON_SHARE * read and n * span >= SAMPLE * read for n in each):
        return None
    held = sampled * span // max(read, 1)
    found = list(found or [])
    if len(found) == limit or read < SAMPLE_WINDOW:
        return found
    need = limit - len(found)
    # Walk on when the rows it should read (as dense as in the sample, taken as one match when it
    # held none) cost less than the index's candidates would.
    expected = need * SAMPLE_WINDOW / max(hits, 1)
    if 1.25 * expected <= min(WALK_ROWS, CHECK_COST * held):
        more = await _walk(db, q, need, below)
        if len(more) == need:
            return found + more
    # Sparser than that (or the walk fell short): the index, under the rows the sample read. It
    # checks the positions of every row holding all the words: cheap when one of them is rare.
    return found + await _older(db, q, need, below)


async def _broad_by_probe(db: Conn, q: str, limit: int, ranked_max: int) -> list[int] | None:
    """The newest `limit` comments matching a single word or prefix when the newest comments alone
    hold more than ranked_max matches (so the query is broad), else None.

    A prefix of a few letters matches tens of thousands of rows: the GIN index merges the posting
    list of every word it begins before it returns one (30-50 ms at 1M comments for `za*`), where
    the newest rows hold 2,001 matches in a few thousand rows (5-10 ms). The same for a plain
    word: the newest comments are the ones most searches read, so they are mostly in the
    server's cache, where the index's 2,001 matches are on as many pages read at random (tried:
    sending words of 0.2-3 % to the index made them slower in the benchmark, not faster).
    """
    probe = (
        "SELECT count(*), (array_agg(id ORDER BY id DESC))[1:?] FROM (SELECT id FROM"
        " (SELECT id, search FROM comments ORDER BY id DESC LIMIT ?) newest"
        f" WHERE search @@ {_TSQ} LIMIT ?) found"
    )
    rows = PROBE_FIRST
    while True:
        ((count, newest),) = await db.execute_fetchall(probe, (limit, rows, q, ranked_max + 1))
        if count > ranked_max:
            return list(newest)
        # Read further only when, as dense as in the rows read, it would be broad well within
        # PROBE_ROWS; a sparser one is the index's.
        if rows == PROBE_ROWS or count * PROBE_ROWS < 1.25 * (ranked_max + 1) * rows:
            return None
        rows = PROBE_ROWS


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
    Two kinds of query are answered from the newest rows first: a phrase holding a very common
    word (its newest matches, as on SQLite) and a single word or prefix whose newest comments
    already show it broad.
    """
    key = "rowid" if table == "articles_fts" else "id"
    ident = f"{table}.{key}"
    newest: list[int] | None = None
    phrase = _PHRASE_Q.fullmatch(q)
    if phrase:
        words = [w.strip() for w in phrase[1].split(" <-> ")]
        if table == "articles_fts":
            newest = await _articles_newest(db, words, q, limit)
        else:
            newest = await _newest_of_phrase(db, words, q, limit)
    elif table == "comments" and _SINGLE_Q.fullmatch(q):
        newest = await _broad_by_probe(db, q, limit, ranked_max)
    newest_rows = (
        f"SELECT {columns} FROM {table} {joins} WHERE {ident} = ANY(?) ORDER BY {ident} DESC"
    )
    if newest is not None:
        return list(await db.execute_fetchall(newest_rows, (newest,))) if newest else []
    where = f"{table}.search @@ {_TSQ}"
    if index_only:
        await _index_only(db, True)
    # Where each match is (its ctid): the ranking below reads those rows straight from the heap,
    # ~0.6 us each, where looking up their ids in the primary key took ~6 us each (EXPLAIN: 1,204
    # comments, 6.9 -> 0.7 ms). The part's snapshot is one (repeatable read): a row it found
    # stays where it was found for the rest of the part.
    found = [
        r[0]
        for r in await db.execute_fetchall(
            f"SELECT {table}.ctid FROM {table} WHERE {where} LIMIT ?", (q, ranked_max + 1)
        )
    ]
    if index_only:
        await _index_only(db, False)
    if not found:
        return []
    if len(found) > ranked_max:
        # Broad: its newest, their ids first and then the columns of those few (planned as one,
        # the join read every article for the 2,160 matches of "to an it could": 47 ms, cold).
        newest = [
            r[0]
            for r in await db.execute_fetchall(
                f"SELECT {ident} FROM {table} WHERE {where} ORDER BY {ident} DESC LIMIT ?",
                (q, limit),
            )
        ]
        return list(await db.execute_fetchall(newest_rows, (newest,)))
    # The best few by rank first, then their columns: the rows' text and their articles are read
    # for those few only, not for every candidate.
    best = (
        f"SELECT {key} AS best_id, ts_rank_cd(search, {_TSQ}) AS best_rank"
        f" FROM {table} WHERE ctid = ANY(?::tid[]) ORDER BY best_rank DESC LIMIT ?"
    )
    sql = (
        f"SELECT {columns} FROM ({best}) best JOIN {table} ON {ident} = best.best_id {joins}"
        " ORDER BY best.best_rank DESC"
    )
    return list(await db.execute_fetchall(sql, (q, found, limit)))


Part = list[Any]


async def _in_transaction(conn: Any, parts: list[Callable[[Conn], Awaitable[Part]]]) -> list[Part]:
    """`parts` run one after the other on `conn` (the pool's proxy of one), in one read-only
    transaction with one snapshot (repeatable read: a read-only one never fails to commit)."""
    async with conn.transaction(isolation="repeatable_read", readonly=True):
        # Every statement with a plan made for its own query: a cached generic plan cannot know
        # how common the query's words are (a bitmap of every row holding "the" instead of
        # stopping early). No JIT either: compiling a plan takes 50-100 ms, more than any search.
        await conn.execute("SET LOCAL plan_cache_mode = force_custom_plan; SET LOCAL jit = off")
        db = PgConn(cast("asyncpg.Connection[Any]", conn))
        return [await part(db) for part in parts]


_SPARES: set[asyncio.Future[None]] = set()  # connections being opened (a reference to each task)


async def _open_spare(pool: asyncpg.Pool) -> None:
    """Open the pool's next connection and leave it idle. The pool reuses the connection released
    last first, so without a search waiting for a second one it would never open one."""
    with contextlib.suppress(Exception):  # a pool closing, a server gone: searches will say
        async with pool.acquire():
            pass


async def search_rows(
    store: Storage, query: str, limit: int, *, ranked_max: int, start: str, end: str
) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """(articles as (key, title, snippet), comments as (key, title, author, position, snippet)).

    The articles and the comments are searched side by side, each on a connection of the search
    pool, when a second one is idle the moment the first is taken (taking it then never waits, so
    two searches never each hold one and wait for the other); else one after the other, and the
    pool's next connection is opened in the background for the next search.
    """
    q = tsquery_text(query)
    if not q:
        return [], []

    async def articles_part(db: Conn) -> Part:
        return await _part(
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

    async def comments_part(db: Conn) -> Part:
        return await _part(
            db,
            "comments",
            "a.key, a.title, comments.author, comments.position, comments.text",
            "JOIN articles a ON a.id = comments.article_id",
            q,
            limit,
            ranked_max,
        )

    assert isinstance(store, PgStorage)
    pool = store.searcher_pool
    async with pool.acquire() as conn:
        if pool.get_idle_size() == 0:
            if pool.get_size() < pool.get_max_size():  # the next search will find one
                task = asyncio.ensure_future(_open_spare(pool))
                _SPARES.add(task)
                task.add_done_callback(_SPARES.discard)
            articles, comments = await _in_transaction(conn, [articles_part, comments_part])
        else:
            async with pool.acquire() as other:
                side = asyncio.ensure_future(_in_transaction(other, [comments_part]))
                try:
                    (articles,) = await _in_transaction(conn, [articles_part])
                    (comments,) = await side
                finally:  # on an error (or cancellation): the other part ends before its connection
                    side.cancel()
                    await asyncio.wait([side])
                    if not side.cancelled():
                        side.exception()  # seen: the error raised is the first one
    terms = query_terms(query)
    return await asyncio.to_thread(
        lambda: (_hits(articles, 2, terms, start, end), _hits(comments, 4, terms, start, end))
    )
