"""`threadreplay migrate-db`: copy a SQLite store into an empty PostgreSQL database, and check it.

Everything moves with its ids (articles, comments, replays and their ledger, feed settings, the
announcement ledger and queue, the bot's own state), so replays resume and cards are found again
without reposting anything. The copy is one PostgreSQL transaction: it lands whole or not at all.
Rows are read from SQLite in chunks and written with COPY, so memory stays flat in the store's size.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

import asyncpg

from storage.db import Storage
from storage.errors import StorageError
from storage.pg import PgStorage

# Parents before children (foreign keys); articles_fts is rebuilt from articles, not copied.
TABLES = (
    "articles",
    "comments",
    "replays",
    "replay_steps",
    "guild_settings",
    "announcements",
    "replay_queue",
    "bot_state",
)
IDENTITY = ("articles", "comments", "replays", "replay_queue")  # their id sequences move on too
CHUNK = 5000


@dataclass(frozen=True)
class Copied:
    """One table: rows in the SQLite store and rows in PostgreSQL after the copy."""

    table: str
    source: int
    target: int


def _columns(src: sqlite3.Connection, table: str, wanted: set[str]) -> list[str]:
    """The columns of `table` that both stores have (PostgreSQL's generated ones are not copied)."""
    have = [r[1] for r in src.execute(f"PRAGMA table_info({table})")]
    return [c for c in have if c in wanted]


async def _target_columns(conn: asyncpg.Connection, table: str) -> set[str]:
    rows = await conn.fetch(
        "SELECT column_name FROM information_schema.columns"
        " WHERE table_schema = current_schema() AND table_name = $1 AND is_generated = 'NEVER'",
        table,
    )
    return {r[0] for r in rows}


async def copy_store(
    source: Path, target: str, progress: Callable[[str, int], None] | None = None
) -> list[Copied]:
    """Copy the SQLite store at `source` into the (migrated, empty) PostgreSQL store at `target`.

    StorageError when the target already holds rows, or the counts differ after the copy (then
    nothing is committed).
    """
    # Opening both stores migrates both to this version of the schema first.
    async with await Storage.open(source), await Storage.open(target) as pg:
        assert isinstance(pg, PgStorage)
        uri = f"file:{source}?mode=ro"
        with closing(sqlite3.connect(uri, uri=True, check_same_thread=False)) as src:
            async with pg.transaction():
                conn = pg.writer
                for table in TABLES:
                    if await conn.fetchval(f"SELECT EXISTS (SELECT 1 FROM {table})"):
                        raise StorageError(
                            f"{pg.shown} is not empty (table {table} has rows): migrate-db copies"
                            " into an empty database only, so nothing stored there is replaced"
                        )
                report = []
                for table in TABLES:
                    columns = _columns(src, table, await _target_columns(conn, table))
                    cursor = src.execute(f"SELECT {', '.join(columns)} FROM {table}")
                    total = 0
                    while chunk := await asyncio.to_thread(cursor.fetchmany, CHUNK):
                        await conn.copy_records_to_table(table, records=chunk, columns=columns)
                        total += len(chunk)
                        if progress:
                            progress(table, total)
                    (source_count,) = src.execute(f"SELECT count(*) FROM {table}").fetchone()
                    target_count = int(await conn.fetchval(f"SELECT count(*) FROM {table}"))
                    report.append(Copied(table, int(source_count), target_count))
                await conn.execute(
                    "INSERT INTO articles_fts (rowid, title, caption, body)"
                    " SELECT id, title, coalesce(caption, ''), array_to_string(ARRAY("
                    "   SELECT json_array_elements_text(paragraphs::json)), E'\\n\\n') FROM articles"
                )
                for table in IDENTITY:
                    await conn.execute(
                        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'),"
                        f" coalesce((SELECT max(id) FROM {table}), 0) + 1, false)"
                    )
                wrong = [c for c in report if c.source != c.target]
                if wrong:
                    raise StorageError(
                        "the copy does not match ("
                        + ", ".join(f"{c.table}: {c.source} rows, {c.target} copied" for c in wrong)
                        + "); nothing was committed"
                    )
    return report
