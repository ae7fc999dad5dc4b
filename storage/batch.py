"""Loading text dumps in batches: parsed in a worker process, written many files per transaction.

A batch of files is one transaction with a SAVEPOINT per file: a file that fails while writing is
rolled back to its savepoint (no trace of it) and the others of the batch commit. Should the batch
itself fail (its commit, or the FTS feed), it is rolled back and its files written one by one.
The full-text index is fed once per batch (one FTS5 segment per batch, not one per comment).
"""

from __future__ import annotations

import hashlib
import json
import pickle
import sqlite3
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from storage.articles import (
    ArticleRows,
    article_rows,
    feed_article_fts,
    index_added,
    write_article,
)
from storage.errors import ParseError
from storage.models import LoadStatus, ParseWarning
from storage.parsers import article_key, parse_bytes, read_head, read_limited, sniff

CLAIMS_TABLE = (
    "CREATE TEMP TABLE IF NOT EXISTS load_claims"
    " (run INTEGER, key TEXT, path TEXT, PRIMARY KEY (run, key))"
)

PARSER_VERSION = "1"  # bump when parsing changes, so reloading re-parses files whose bytes did not
Outcome = Literal["rows", "unchanged", "failed", "other"]


@dataclass
class Prepared:
    """One file after the parser: its rows, or why there are none (`other`: not a text dump)."""

    path: str
    key: str
    outcome: Outcome
    rows: ArticleRows | None = None
    error: str | None = None
    trace: str | None = None  # a parser bug's traceback, logged by the loader
    warnings: list[ParseWarning] = field(default_factory=list)
    comments: int = 0


def prepare(path: str, strict: bool, known_hash: str | None) -> Prepared:
    """Read, hash and parse one file into rows (run in a worker process); never raises."""
    key = article_key(Path(path))
    try:
        if sniff(read_head(Path(path))) != "text":
            return Prepared(path, key, "other")
        data = read_limited(Path(path))
        digest = content_hash(data)
        if digest == known_hash:
            return Prepared(path, key, "unchanged")
        article = parse_bytes(data, path=path, key=key, strict=strict)
        rows = article_rows(article, source_path=path, content_hash=digest)
        count = len(rows.comments)
        return Prepared(path, key, "rows", rows, warnings=article.warnings, comments=count)
    except ParseError as exc:
        return Prepared(path, key, "failed", error=str(exc))
    except Exception as exc:  # a parser bug must cost this file only, never the whole load
        error = f"{path}: could not be loaded ({type(exc).__name__}: {str(exc)[:200]}); see the log"
        return Prepared(path, key, "failed", error=error, trace=traceback.format_exc())


def prepare_many(jobs: list[tuple[str, str | None]], strict: bool) -> list[Prepared]:
    """`prepare` over several (path, known hash) pairs: one round trip to the worker for all."""
    return [prepare(path, strict, known) for path, known in jobs]


def prepare_packed(jobs: list[tuple[str, str | None]], strict: bool) -> bytes:
    """`prepare_many`, pickled (`unpack` undoes it): what a parser process sends back.

    The loader keeps a parsed batch packed until it writes it: 2.4 MiB for 64 files of ~100 comments
    where its rows take 5.8 MiB as Python objects, and several batches wait while the writer is slow
    (an FTS5 merge). The pickling itself is what the worker's pool would do anyway.
    """
    return pickle.dumps(prepare_many(jobs, strict), protocol=pickle.HIGHEST_PROTOCOL)


def unpack(packed: bytes) -> list[Prepared]:
    """The parsed files of `prepare_packed` (from this program's own parser process)."""
    items: list[Prepared] = pickle.loads(packed)  # written by prepare_packed in our own process
    return items


def content_hash(data: bytes) -> str:
    """Fingerprint of a file's bytes and of the parser version that reads them."""
    return hashlib.sha256(PARSER_VERSION.encode() + b"\0" + data).hexdigest()


@dataclass(frozen=True)
class Written:
    """What the writer did with one file: a status, or the reason it failed."""

    status: LoadStatus
    error: str | None = None


# A key's claim in one load (run): the first file to claim it keeps it; both stores run these.
CLAIM_SQL = "INSERT INTO load_claims VALUES (?, ?, ?) ON CONFLICT DO NOTHING"
OWNER_SQL = "SELECT path FROM load_claims WHERE run = ? AND key = ?"


def taken(key: str, owner: str) -> str:
    """Why a file cannot have `key`: another file of this load claimed it first."""
    return f"article key {key!r} is already taken by {owner} in this load"


def claim(conn: sqlite3.Connection, run: int, key: str, path: str) -> str | None:
    """Claim `key` for `path` in this load; the other file's path if one claimed it first."""
    conn.execute(CLAIM_SQL, (run, key, path))
    (owner,) = conn.execute(OWNER_SQL, (run, key)).fetchone()
    return None if owner == path else str(owner)


def write_batch(conn: sqlite3.Connection, run: int | None, items: list[Prepared]) -> list[Written]:
    """Claim (when `run` is a load's) and write every item, rows or unchanged, in the caller's
    transaction; each file under its own savepoint."""
    conn.execute(CLAIMS_TABLE)
    done: list[Written] = []
    added: list[int] = []
    texts: list[tuple[int, str, str, str]] = []
    for item in items:
        owner = None if run is None else claim(conn, run, item.key, item.path)
        if owner is not None:
            done.append(Written("failed", f"{item.path}: {taken(item.key, owner)}"))
            continue
        if item.rows is None:
            done.append(Written("unchanged"))
            continue
        conn.execute("SAVEPOINT one_file")
        try:
            status, article_id = write_article(conn, item.rows)
        except sqlite3.Error as exc:
            conn.execute("ROLLBACK TO one_file")  # this file leaves no trace; the batch goes on
            conn.execute("RELEASE one_file")
            done.append(Written("failed", f"{item.path}: database error: {exc}"))
            continue
        conn.execute("RELEASE one_file")
        if status == "added":
            added.append(article_id)
        if status != "unchanged":
            texts.append((article_id, *item.rows.fts))
        done.append(Written(status))
    if added:
        index_added(conn, added)
    feed_article_fts(conn, texts)
    return done


def stored_hashes(rows: list[tuple[str, str, str | None, str, int]]) -> dict[str, StoredDump]:
    """The stored state of articles, by key, from rows of `STORED_SQL`."""
    return {r[0]: StoredDump(r[1], r[2], json.loads(r[3]), r[4]) for r in rows}


STORED_SQL = (
    "SELECT key, content_hash, source_path, warnings, comment_count FROM articles"
    " WHERE key IN (SELECT value FROM json_each(?))"
)
STORED_SQL_PG = (
    "SELECT key, content_hash, source_path, warnings, comment_count FROM articles"
    " WHERE key IN (SELECT json_array_elements_text(?::json))"
)


@dataclass(frozen=True)
class StoredDump:
    """What the store holds for an article key: enough to skip an unchanged file without parsing."""

    content_hash: str
    source_path: str | None
    warnings: list[dict[str, object]]
    comments: int
