"""The Storage object: owns the SQLite connections, applies migrations, runs explicit transactions."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path

import aiosqlite

log = logging.getLogger(__name__)

PRAGMAS = (
    "PRAGMA journal_mode = WAL",
    "PRAGMA foreign_keys = ON",
    "PRAGMA synchronous = NORMAL",  # durable at WAL checkpoints; a crash loses at most the last commit
    "PRAGMA busy_timeout = 10000",  # the CLI loader and the bot may write the same file
)


def migrations() -> list[tuple[int, str, str]]:
    """Every bundled migration as (number, name, sql), in order."""
    found = []
    for entry in resources.files("storage.migrations").iterdir():
        if entry.name.endswith(".sql"):
            number = int(entry.name.split("_", 1)[0])
            found.append((number, entry.name.removesuffix(".sql"), entry.read_text("utf-8")))
    return sorted(found)


def split_statements(sql: str) -> list[str]:
    """Split a migration into statements (trigger bodies included) without executescript's commits."""
    statements: list[str] = []
    buffer = ""
    for line in sql.splitlines(keepends=True):
        buffer += line
        if sqlite3.complete_statement(buffer):
            if buffer.strip():
                statements.append(buffer.strip())
            buffer = ""
    if buffer.strip() and not all(
        ln.strip().startswith("--") or not ln.strip() for ln in buffer.splitlines()
    ):
        raise ValueError(f"incomplete SQL statement at the end of a migration: {buffer[:60]!r}")
    return statements


def utcnow() -> str:
    """Current UTC time as ISO-8601 text (what every timestamp column holds)."""
    return datetime.now(UTC).isoformat(timespec="milliseconds")


async def _connect(path: Path) -> aiosqlite.Connection:
    """Open one connection in autocommit mode (we issue BEGIN/COMMIT ourselves) with our pragmas."""
    conn = await aiosqlite.connect(path, isolation_level=None)
    for pragma in PRAGMAS:
        await conn.execute(pragma)
    return conn


class Storage:
    """One SQLite database: a writer connection (serialised by a lock) and two readers.

    `reader` serves lookups; `searcher` serves full-text searches, which can take tens of ms, so a
    lookup never queues behind one (each aiosqlite connection runs one statement at a time).
    """

    def __init__(
        self,
        path: Path,
        writer: aiosqlite.Connection,
        reader: aiosqlite.Connection,
        searcher: aiosqlite.Connection,
    ) -> None:
        self.path = path
        self.writer = writer
        self.reader = reader
        self.searcher = searcher
        self._write_lock = asyncio.Lock()

    @classmethod
    async def open(cls, path: str | Path) -> Storage:
        """Open (creating if needed) and migrate the database at `path`."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        writer = await _connect(path)
        readers: list[aiosqlite.Connection] = []
        try:
            await apply_migrations(writer)
            readers.append(await _connect(path))
            readers.append(await _connect(path))
        except BaseException:
            for conn in (*readers, writer):
                await conn.close()
            raise
        return cls(path, writer, *readers)

    async def close(self) -> None:
        """Close every connection."""
        await self.searcher.close()
        await self.reader.close()
        await self.writer.close()

    async def __aenter__(self) -> Storage:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[aiosqlite.Connection]:
        """BEGIN IMMEDIATE … COMMIT on the writer; any exception (or cancellation) rolls back."""
        async with self._write_lock:
            await self.writer.execute("BEGIN IMMEDIATE")
            try:
                yield self.writer
            except BaseException:
                await self.writer.execute("ROLLBACK")
                raise
            await self.writer.execute("COMMIT")


async def apply_migrations(conn: aiosqlite.Connection) -> list[str]:
    """Apply pending migrations in order, each recorded in the ledger in its own transaction."""
    await conn.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations ("
        " version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)"
    )
    async with conn.execute("SELECT version FROM schema_migrations") as cur:
        applied = {row[0] for row in await cur.fetchall()}
    done = []
    for number, name, sql in migrations():
        if number in applied:
            continue
        await conn.execute("BEGIN IMMEDIATE")
        try:
            # Another process may have migrated between our read and our lock.
            async with conn.execute(
                "SELECT 1 FROM schema_migrations WHERE version = ?", (number,)
            ) as cur:
                if await cur.fetchone():
                    await conn.execute("ROLLBACK")
                    continue
            for statement in split_statements(sql):
                await conn.execute(statement)
            await conn.execute(
                "INSERT INTO schema_migrations (version, name, applied_at)"
                " VALUES (?, ?, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))",
                (number, name),
            )
        except BaseException:
            await conn.execute("ROLLBACK")
            raise
        await conn.execute("COMMIT")
        log.info("applied migration %s", name)
        done.append(name)
    return done
