"""The Storage object: owns the database connections, applies migrations, runs explicit transactions.

Two stores share one interface: SQLite (a file; the default) and PostgreSQL (`postgresql://…`, in
`storage/pg.py`). Queries are written once, with `?` placeholders, against `Conn`: what both an
aiosqlite connection and `storage.pg`'s connection wrapper offer.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import sqlite3
import sys
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Callable, Generator, Iterable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any, ClassVar, Literal, Protocol
from urllib.parse import urlsplit, urlunsplit

import aiosqlite

from storage.errors import DatabaseUnusable

log = logging.getLogger(__name__)

PRAGMAS = (
    # A new store's pages (an existing one keeps its own): 8 KiB B-tree pages and FTS5 leaves
    # written by fewer, larger page writes; the loader's writing 32.5 -> 28.3 µs of CPU a comment
    # at 2,000 files (bench/RESULTS.md, sixth pass). Must come before WAL creates the file.
    "PRAGMA page_size = 8192",
    "PRAGMA journal_mode = WAL",
    "PRAGMA foreign_keys = ON",
    "PRAGMA synchronous = NORMAL",  # durable at WAL checkpoints; a crash loses at most the last commit
    "PRAGMA busy_timeout = 10000",  # the CLI loader and the bot may write the same file
    # The TEMP tables' page cache (a load's claims, ~150 bytes a file): 256 KiB, then a temporary
    # file, instead of SQLite's 2 MiB, which a load filled by ~14,000 files (bench/RESULTS.md).
    "PRAGMA temp.cache_size = -256",
)


Dialect = Literal["sqlite", "postgres"]


# asyncpg is imported by storage.pg, only when a PostgreSQL store is opened: a process without it
# cannot meet its errors, and a SQLite bot or CLI does not pay for loading it.


def database_errors() -> tuple[type[Exception], ...]:
    """What either store raises for a failed statement."""
    pg = sys.modules.get("asyncpg")
    return (sqlite3.Error,) if pg is None else (sqlite3.Error, pg.PostgresError, pg.InterfaceError)


def conflict_errors() -> tuple[type[Exception], ...]:
    """What either store raises for a broken constraint (a duplicate key)."""
    pg = sys.modules.get("asyncpg")
    return (
        (sqlite3.IntegrityError,)
        if pg is None
        else (sqlite3.IntegrityError, pg.IntegrityConstraintViolationError)
    )


class Rows(Protocol):
    """What a statement's result offers (an aiosqlite cursor, or `storage.pg`'s rows)."""

    async def fetchone(self) -> Any: ...

    async def fetchall(self) -> Iterable[Any]: ...


class Pending(Protocol):
    """A statement on its way: awaited, or entered with `async with`, it gives its rows."""

    def __await__(self) -> Generator[Any, None, Any]: ...

    async def __aenter__(self) -> Rows: ...

    async def __aexit__(self, exc_type: Any, exc: Any, tb: Any) -> Any: ...


class Conn(Protocol):
    """One connection (inside a transaction, or a reader): the part of aiosqlite's API we use."""

    def execute(self, sql: str, parameters: Iterable[Any] | None = None) -> Pending: ...

    async def executemany(self, sql: str, parameters: Iterable[Iterable[Any]]) -> Any: ...

    async def execute_fetchall(
        self, sql: str, parameters: Iterable[Any] | None = None
    ) -> Iterable[Any]: ...


def is_url(target: str | Path) -> bool:
    """Whether `target` names a PostgreSQL database (`postgresql://` or `postgres://`)."""
    return isinstance(target, str) and target.startswith(("postgresql://", "postgres://"))


def shown_url(url: str) -> str:
    """`url` without its password (and without query options, which may hold one)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    netloc = (f"{parts.username}@" if parts.username else "") + host
    if parts.port:
        netloc += f":{parts.port}"
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


def sqlite_path(target: str | Path) -> Path:
    """The file a SQLite target names (a path, or `sqlite:///path`)."""
    text = str(target)
    # sqlite:///relative.db and sqlite:////absolute/path.db, as SQLAlchemy writes them.
    return Path(text.removeprefix("sqlite:///")) if text.startswith("sqlite:///") else Path(text)


def migrations(dialect: Dialect = "sqlite") -> list[tuple[int, str, str]]:
    """Every bundled migration of one store as (number, name, sql), in order."""
    found = []
    folder = resources.files("storage.migrations")
    if dialect == "postgres":
        folder = folder / "postgres"
    for entry in folder.iterdir():
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
    """Open one connection in autocommit mode (we issue BEGIN/COMMIT ourselves) with our pragmas.

    A failing pragma closes the connection again: its worker thread would otherwise keep the
    process alive after the error.
    """
    conn = await aiosqlite.connect(path, isolation_level=None)
    try:
        for pragma in PRAGMAS:
            await conn.execute(pragma)
    except BaseException:
        await conn.close()
        raise
    return conn


def problem(exc: sqlite3.Error) -> str:
    """What a SQLite error at open time means for the person running threadreplay."""
    name = getattr(exc, "sqlite_errorname", "")
    if name in ("SQLITE_NOTADB", "SQLITE_CORRUPT") or "not a database" in str(exc):
        return "is not a threadreplay database (corrupt, truncated or another kind of file)"
    if name.startswith("SQLITE_READONLY") or "readonly" in str(exc):
        return "is read-only (threadreplay needs to write it, and its folder for the -wal file)"
    if name.startswith("SQLITE_CANTOPEN") or "unable to open" in str(exc):
        return "cannot be opened (check that the path is a file and its folder is writable)"
    if name.startswith("SQLITE_BUSY") or "locked" in str(exc):
        return "is locked by another process"
    return f"cannot be used: {exc}"


def _check_path(path: Path) -> None:
    """Refuse, before SQLite sees it, a path that cannot be a database file."""
    if path.is_dir():
        raise DatabaseUnusable(str(path), "is a directory, not a database file")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise DatabaseUnusable(
            str(path), f"cannot be created: {exc.strerror or exc} ({path.parent})"
        ) from None
    if not path.parent.is_dir():
        raise DatabaseUnusable(str(path), f"cannot be created: {path.parent} is not a folder")
    if path.exists() and not os.access(path, os.W_OK):
        # SQLite silently falls back to read-only and fails at the first write. (Never open and
        # close the file here: closing any descriptor drops this process's SQLite locks on it.)
        raise DatabaseUnusable(str(path), "is read-only; threadreplay needs to write it")


def check_version(applied: Iterable[tuple[int, str]], shown: str, dialect: Dialect) -> None:
    """Refuse a store that holds a migration this code does not know (written by a newer version)."""
    known = {number for number, _, _ in migrations(dialect)}
    unknown = sorted((int(v), str(n)) for v, n in applied if v not in known)
    if unknown:
        _, name = unknown[-1]
        raise DatabaseUnusable(
            shown,
            f"was written by a newer threadreplay (migration {name}, this version knows up to"
            f" {max(known):04d}); upgrade threadreplay, or restore a backup — it was not changed",
        )


async def _check_version(conn: aiosqlite.Connection, path: Path) -> None:
    """`check_version` for a SQLite file (a new file has no ledger yet)."""
    async with conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'"
    ) as cur:
        if await cur.fetchone() is None:
            return
    async with conn.execute("SELECT version, name FROM schema_migrations") as cur:
        applied = [(int(v), str(n)) for v, n in await cur.fetchall()]
    check_version(applied, str(path), "sqlite")


class Storage(ABC):
    """The store: a writer (one transaction at a time per process), a reader and a searcher.

    `reader` serves lookups; `searcher` serves full-text searches, which can take tens of ms, so a
    lookup never queues behind one.
    """

    dialect: ClassVar[Dialect]
    path: Path | None = None  # the SQLite file; None for PostgreSQL
    reader: Conn
    searcher: Conn

    @staticmethod
    async def open(target: str | Path) -> Storage:
        """Open (creating if needed) and migrate the store `target` names: a path or a URL.

        Any reason it cannot serve as the store ends in `DatabaseUnusable`, with every connection
        closed and nothing written.
        """
        if is_url(target):
            from storage.pg import PgStorage  # asyncpg is only loaded for PostgreSQL

            return await PgStorage.connect(str(target))
        return await SqliteStorage.open_file(sqlite_path(target))

    @property
    @abstractmethod
    def shown(self) -> str:
        """The store as a person may see it: the file, or the URL without its password."""

    @abstractmethod
    async def close(self) -> None:
        """Close every connection."""

    @abstractmethod
    async def size_bytes(self) -> int:
        """How much room the store takes (its files, or the database on the server)."""

    @abstractmethod
    def transaction(self) -> AbstractAsyncContextManager[Conn]:
        """One transaction on the writer; any exception (or cancellation) rolls back."""

    @asynccontextmanager
    async def articles_stored(self, heard: Callable[[str], None]) -> AsyncIterator[None]:
        """While open, `heard(key)` is called when any process stores an article, where the store
        can say so (PostgreSQL's LISTEN); SQLite cannot, and its readers look every few seconds."""
        yield

    async def __aenter__(self) -> Storage:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()


class SqliteStorage(Storage):
    """One SQLite database: a writer connection (serialised by a lock) and two readers.

    `reader` serves lookups; `searcher` serves full-text searches, which can take tens of ms, so a
    lookup never queues behind one (each aiosqlite connection runs one statement at a time).
    """

    path: Path
    reader: aiosqlite.Connection
    searcher: aiosqlite.Connection
    dialect: ClassVar[Dialect] = "sqlite"

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
    async def open_file(cls, path: Path) -> SqliteStorage:
        """Open (creating if needed) and migrate the SQLite file at `path`."""
        _check_path(path)
        opened: list[aiosqlite.Connection] = []
        try:
            opened.append(await _connect(path))
            await _check_version(opened[0], path)
            await apply_migrations(opened[0])
            opened.append(await _connect(path))
            opened.append(await _connect(path))
        except BaseException as exc:
            for conn in reversed(opened):
                await conn.close()
            if isinstance(exc, sqlite3.Error):
                raise DatabaseUnusable(str(path), problem(exc)) from exc
            raise
        return cls(path, *opened)

    @property
    def shown(self) -> str:
        """The database file."""
        return str(self.path)

    async def size_bytes(self) -> int:
        """The database file with its -wal and -shm files."""
        folder, name = self.path.parent, self.path.name
        return sum(p.stat().st_size for p in folder.glob(name + "*") if p.is_file())

    async def close(self) -> None:
        """Close every connection."""
        await self.searcher.close()
        await self.reader.close()
        await self.writer.close()

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[aiosqlite.Connection]:
        """BEGIN IMMEDIATE … COMMIT on the writer; any exception (or cancellation) rolls back."""
        async with self._write_lock:
            try:
                await self.writer.execute("BEGIN IMMEDIATE")
            except asyncio.CancelledError:
                # The writer's thread runs a cancelled BEGIN all the same (Ctrl-C during a load):
                # a ROLLBACK queued after it ends that transaction, or fails if none began.
                with contextlib.suppress(sqlite3.OperationalError):
                    await self.writer.execute("ROLLBACK")
                raise
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
