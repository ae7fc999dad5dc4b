"""The PostgreSQL store (`THREADREPLAY_DB=postgresql://…`), through asyncpg.

The queries of `storage/` are written once, for both stores, with `?` placeholders; `PgConn` numbers
them (`$1`, `$2`, …) and offers the part of aiosqlite's connection API they use. Like the SQLite store,
each process writes through one connection, one transaction at a time (so a load's temporary claims
table lives on it); reads and searches use small pools. Several processes share one database:
migrations take an advisory lock, and what must happen once (a replay's lease, an announcement) is
decided by the rows themselves.

The password in the URL never leaves this module: `shown_url` is what logs and errors print.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import AsyncIterator, Callable, Generator, Iterable
from contextlib import asynccontextmanager
from typing import Any, ClassVar

import asyncpg

from storage.db import Dialect, Storage, check_version, migrations, shown_url
from storage.errors import DatabaseUnusable

log = logging.getLogger(__name__)

MIGRATION_LOCK = 0x7468_7265_6164  # pg_advisory_xact_lock key: "thread" in ASCII
NOTIFY_CHANNEL = "threadreplay_articles"  # NOTIFY'd with the article's key when one is stored


@functools.lru_cache(maxsize=512)
def numbered(sql: str) -> str:
    """`sql` with each `?` outside string literals and quoted names replaced by `$1`, `$2`, …"""
    out: list[str] = []
    n = 0
    quote = ""
    for ch in sql:
        if quote:
            if ch == quote:
                quote = ""
        elif ch in "'\"":
            quote = ch
        elif ch == "?":
            n += 1
            out.append(f"${n}")
            continue
        out.append(ch)
    return "".join(out)


class PgRows:
    """A statement's rows, already fetched (asyncpg answers with all of them)."""

    def __init__(self, rows: list[asyncpg.Record]) -> None:
        self._rows = rows

    async def fetchone(self) -> asyncpg.Record | None:
        """The first row, or None."""
        return self._rows[0] if self._rows else None

    async def fetchall(self) -> list[asyncpg.Record]:
        """Every row."""
        return self._rows


class PgPending:
    """One statement on its way: awaited, or entered with `async with`, like aiosqlite's."""

    def __init__(self, run: asyncio.Future[PgRows] | Any) -> None:
        self._run = run

    def __await__(self) -> Generator[Any, None, PgRows]:
        result: PgRows = yield from self._run.__await__()
        return result

    async def __aenter__(self) -> PgRows:
        rows: PgRows = await self._run
        return rows

    async def __aexit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        return None


class PgConn:
    """One asyncpg connection, or a pool that lends one per statement, seen as a `storage.db.Conn`."""

    def __init__(self, target: asyncpg.Connection | asyncpg.Pool) -> None:
        self.target = target

    async def _fetch(self, sql: str, parameters: Iterable[Any] | None) -> PgRows:
        return PgRows(await self.target.fetch(numbered(sql), *(parameters or ())))

    def execute(self, sql: str, parameters: Iterable[Any] | None = None) -> PgPending:
        """Run one statement; its rows (if any) are read from what this returns."""
        return PgPending(self._fetch(sql, parameters))

    async def executemany(self, sql: str, parameters: Iterable[Iterable[Any]]) -> None:
        """Run one statement for each set of parameters (pipelined by asyncpg)."""
        batch = [tuple(p) for p in parameters]
        if batch:
            await self.target.executemany(numbered(sql), batch)

    async def execute_fetchall(
        self, sql: str, parameters: Iterable[Any] | None = None
    ) -> list[asyncpg.Record]:
        """Every row of one statement."""
        return await self.target.fetch(numbered(sql), *(parameters or ()))

    async def copy_rows(
        self, table: str, columns: Iterable[str], rows: list[tuple[Any, ...]]
    ) -> None:
        """Insert `rows` into `table` with COPY (one message stream, no statement per row)."""
        if rows:
            await self.target.copy_records_to_table(table, records=rows, columns=list(columns))


def problem(exc: BaseException) -> str:
    """What a failure to reach or use the database means, in words that hold no password."""
    if isinstance(
        exc, asyncpg.InvalidPasswordError | asyncpg.InvalidAuthorizationSpecificationError
    ):
        return "refused the user name or password"
    if isinstance(exc, asyncpg.InvalidCatalogNameError):
        return "does not exist (create it first: createdb, or CREATE DATABASE)"
    if isinstance(exc, asyncpg.InsufficientPrivilegeError):
        return "does not let this user create tables (grant it, or use the database's owner)"
    if isinstance(exc, OSError | asyncio.TimeoutError):
        return "cannot be reached (is the server running, and the host and port right?)"
    return f"cannot be used: {type(exc).__name__}"


async def apply_pg_migrations(conn: asyncpg.Connection) -> list[str]:
    """Apply pending migrations in order, each with its ledger row in one transaction.

    An advisory lock makes processes that start together take turns; each re-reads the ledger
    under the lock, so a migration runs once.
    """
    done = []
    for number, name, sql in migrations("postgres"):
        async with conn.transaction():
            await conn.execute("SELECT pg_advisory_xact_lock($1)", MIGRATION_LOCK)
            # Under the lock: two processes creating the ledger at once would collide.
            await conn.execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations ("
                " version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)"
            )
            if await conn.fetchval("SELECT 1 FROM schema_migrations WHERE version = $1", number):
                continue
            await conn.execute(sql)
            await conn.execute(
                "INSERT INTO schema_migrations (version, name, applied_at)"
                " VALUES ($1, $2, to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"'))",
                number,
                name,
            )
        log.info("applied migration %s", name)
        done.append(name)
    return done


class PgStorage(Storage):
    """A PostgreSQL database: one writer connection (a lock keeps one transaction at a time) and
    two small pools, for lookups and for searches."""

    dialect: ClassVar[Dialect] = "postgres"

    def __init__(
        self, url: str, writer: asyncpg.Connection, reader: asyncpg.Pool, searcher: asyncpg.Pool
    ) -> None:
        self._url = url
        self.writer = writer
        self.reader_pool = reader
        self.searcher_pool = searcher
        self.reader = PgConn(reader)
        self.searcher = PgConn(searcher)
        self._write_lock = asyncio.Lock()

    @classmethod
    async def connect(cls, url: str) -> PgStorage:
        """Connect, migrate and open the pools; any failure is a `DatabaseUnusable` without secrets."""
        shown = shown_url(url)
        opened: list[asyncpg.Connection | asyncpg.Pool] = []
        try:
            writer = await asyncpg.connect(url, timeout=15)
            opened.append(writer)
            applied = (
                await writer.fetch("SELECT version, name FROM schema_migrations")
                if await writer.fetchval("SELECT to_regclass('schema_migrations') IS NOT NULL")
                else []
            )
            check_version([(int(r[0]), str(r[1])) for r in applied], shown, "postgres")
            await apply_pg_migrations(writer)
            reader = await asyncpg.create_pool(url, min_size=1, max_size=4, timeout=15)
            opened.append(reader)
            searcher = await asyncpg.create_pool(url, min_size=1, max_size=2, timeout=15)
            opened.append(searcher)
        except BaseException as exc:
            for target in reversed(opened):
                await target.close()
            if isinstance(exc, DatabaseUnusable):
                raise
            if isinstance(exc, asyncpg.PostgresError | OSError | asyncio.TimeoutError):
                raise DatabaseUnusable(shown, problem(exc)) from None
            raise
        return cls(url, writer, reader, searcher)

    @property
    def shown(self) -> str:
        """The URL without its password."""
        return shown_url(self._url)

    async def size_bytes(self) -> int:
        """The database's size on the server."""
        return int(await self.reader_pool.fetchval("SELECT pg_database_size(current_database())"))

    async def close(self) -> None:
        """Close the pools and the writer."""
        await self.searcher_pool.close()
        await self.reader_pool.close()
        await self.writer.close()

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[PgConn]:
        """BEGIN … COMMIT on the writer; any exception (or cancellation) rolls back."""
        async with self._write_lock, self.writer.transaction():
            yield PgConn(self.writer)

    @asynccontextmanager
    async def articles_stored(self, heard: Callable[[str], None]) -> AsyncIterator[None]:
        """While open, a connection LISTENs for the key of every article any process stores."""
        conn = await asyncpg.connect(self._url, timeout=15)

        def notified(_conn: object, _pid: int, _channel: str, payload: object) -> None:
            heard(str(payload))

        try:
            await conn.add_listener(NOTIFY_CHANNEL, notified)
            yield
        finally:
            await conn.close()
