"""SQLite FTS5 search strategy: one pass finds how broad a query is, then a cheap ranking.

Measured at a million comments (bench/RESULTS.md, issue 14), what costs time in FTS5 is:
- bm25 over a broad query: it scores every match (0.3-0.9 s for "the"). Broad queries (more than
  RANKED_MAX matches) list their newest matches instead: FTS5 walks rowids backwards and stops.
- bm25's IDF: it counts every row of each term, so a word in most comments costs ~25 ms however
  few rows the whole query matches. A plain-words query is therefore ranked by its selective words
  only (those in at most COMMON_SHARE of the rows); very common words still filter, they just do not rank.
- Walking rowids backwards is ~2x slower than forwards: the breadth check reads forwards. For a
  query of several plain words (or one phrase) it brings back its rowids (at most RANKED_MAX): the
  candidates ranked by the selective words, or listed newest first, without matching them twice.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

import aiosqlite

# More matches than this and a query is "broad": its newest matches are listed, not ranked.
RANKED_MAX = 2000
# A word in more than this share of the rows does not take part in ranking: its IDF is near zero
# anyway, and counting its rows for bm25 would cost more than the whole rest of the search.
COMMON_SHARE = 0.1
# How much of a word's doclist is read to estimate its share: the rowid span of its first SAMPLE
# matches (rowids follow load order, and so do words, closely enough to tell 1 % from 10 %).
SAMPLE = 1000

# A plain word or prefix, possibly quoted (as plain_query quotes them); anything else is FTS5 syntax.
_PLAIN_TERM = re.compile(r'"[^"\s*:^]+"|[^\W_][\w]*\*?', re.UNICODE)
_OPERATORS = frozenset({"AND", "OR", "NOT", "NEAR"})


def plain_terms(query: str) -> list[str] | None:
    """The query's words when it is nothing but words (implicit AND), else None."""
    terms = query.split()
    if not terms or any(t in _OPERATORS or not _PLAIN_TERM.fullmatch(t) for t in terms):
        return None
    return terms


@dataclass(frozen=True)
class Fts5Search:
    """The statements of one full-text search over `table`, selecting `columns`."""

    table: str
    columns: str
    joins: str

    @property
    def _body(self) -> str:
        return (
            f"SELECT {self.columns} FROM {self.table} {self.joins} WHERE {self.table} MATCH :query"
        )

    @property
    def count(self) -> str:
        """How many of the first :cap matches there are (the breadth check)."""
        return (
            f"SELECT count(*) FROM (SELECT rowid FROM {self.table}"
            f" WHERE {self.table} MATCH :query LIMIT :cap)"
        )

    @property
    def ranked(self) -> str:
        """The best :limit matches of :query by bm25 (for narrow queries only)."""
        return f"{self._body} ORDER BY rank LIMIT :limit"

    @property
    def candidates(self) -> str:
        """Up to :cap matching rowids, read forwards (the breadth check)."""
        return f"SELECT rowid FROM {self.table} WHERE {self.table} MATCH :query LIMIT :cap"

    @property
    def sample(self) -> str:
        """How many of the first :cap matches of :query there are, and their rowid span."""
        return (
            f"SELECT count(*), max(rowid) - min(rowid) + 1 FROM (SELECT rowid FROM {self.table}"
            f" WHERE {self.table} MATCH :query LIMIT :cap)"
        )

    @property
    def newest(self) -> str:
        """The newest :limit matches of :query."""
        return f"{self._body} ORDER BY {self.table}.rowid DESC LIMIT :limit"

    @property
    def ranked_among(self) -> str:
        """The best :limit of the rowids :ids, ranked by bm25 of :query.

        `+rowid` keeps the ids a filter: as FTS5's rowid constraint, every id would start a new
        FTS5 cursor, and bm25 would count the rows of each term again for every one of them.
        """
        return (
            f"{self._body} AND +{self.table}.rowid IN (SELECT value FROM json_each(:ids))"
            " ORDER BY rank LIMIT :limit"
        )

    @property
    def rows_of(self) -> str:
        """The rows of the few rowids :ids (which all match :query), newest first: one seek each."""
        return (
            f"{self._body} AND {self.table}.rowid IN (SELECT value FROM json_each(:ids))"
            f" ORDER BY {self.table}.rowid DESC"
        )


async def run_fts5(
    db: aiosqlite.Connection, search: Fts5Search, query: str, limit: int
) -> list[tuple[Any, ...]]:
    """The best `limit` matches of `query`: its newest when broad, else ranked by relevance."""
    phrase, words = _words(query)
    cap = {"query": query, "cap": RANKED_MAX + 1}
    if phrase and words and not await _selective(db, search, words):
        # A phrase holding a very common word is listed newest first however many rows it
        # matches, so no breadth check: walking back from the newest row stops at the `limit`-th
        # match, where the check would read both words' long doclists to the end (or 2,001 matches).
        rows = await db.execute_fetchall(search.newest, {"query": query, "limit": limit})
        return [tuple(r) for r in rows]
    if words is None:  # ranked as typed: the breadth check need not bring the rowids back
        ((count,),) = await db.execute_fetchall(search.count, cap)
        ids: list[int] = []
    else:
        ids = [row[0] for row in await db.execute_fetchall(search.candidates, cap)]
        count = len(ids)
    if count > RANKED_MAX:
        rows = await db.execute_fetchall(search.newest, {"query": query, "limit": limit})
    elif count == 0:
        return []
    else:
        ranking = query if words is None else await _ranking(db, search, query, words, phrase)
        if ranking is None:  # nothing selective to rank by: newest first
            newest = json.dumps(sorted(ids, reverse=True)[:limit])
            rows = await db.execute_fetchall(search.rows_of, {"query": query, "ids": newest})
        elif ranking == query:
            rows = await db.execute_fetchall(search.ranked, {"query": query, "limit": limit})
        else:
            params = {"query": ranking, "ids": json.dumps(ids), "limit": limit}
            rows = await db.execute_fetchall(search.ranked_among, params)
    return [tuple(r) for r in rows]


_PHRASE = re.compile(r'"([\w\s]+)"', re.UNICODE)  # one phrase of plain words


def _words(query: str) -> tuple[bool, list[str] | None]:
    """(is one phrase, the words whose commonness decides how to rank it; None: rank as typed)."""
    phrase = _PHRASE.fullmatch(query.strip())
    if phrase and len(phrase[1].split()) > 1:
        return True, [f'"{w}"' for w in phrase[1].split()]
    terms = plain_terms(query)
    return False, terms if terms is not None and len(terms) > 1 else None


async def _ranking(
    db: aiosqlite.Connection, search: Fts5Search, query: str, words: list[str], phrase: bool
) -> str | None:
    """What to rank a narrow query's matches by: the query, or its words that are not very common.

    None when every word is very common. (A phrase holding one never gets here: bm25's IDF would
    match the phrase over the whole table a second time, tens of ms, so it is listed newest first.)
    """
    if phrase:
        return query  # run_fts5 listed a phrase holding a very common word already
    kept = [w for w in words if not await _very_common(db, search, w)]
    return " ".join(kept) or None


async def _selective(db: aiosqlite.Connection, search: Fts5Search, words: list[str]) -> bool:
    """Whether none of `words` is very common (a phrase of them is then ranked, not listed)."""
    for word in words:
        if await _very_common(db, search, word):
            return False
    return True


async def _very_common(db: aiosqlite.Connection, search: Fts5Search, term: str) -> bool:
    """Whether `term` is in more than COMMON_SHARE of the rows, from its first SAMPLE matches."""
    ((count, span),) = await db.execute_fetchall(search.sample, {"query": term, "cap": SAMPLE})
    return bool(count >= SAMPLE and count / span > COMMON_SHARE)
