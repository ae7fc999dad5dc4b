"""Writing through SQLite's own API on the writer's thread: one thread hop per unit of work.

aiosqlite runs every statement on its connection's thread, ~80 µs of hopping per `execute`; an
article is a dozen statements, a batch of them hundreds. `write` runs a synchronous function over
the writer's `sqlite3.Connection` on that thread instead, inside `Storage.transaction()`.
SQLite-specific (a PostgreSQL store writes through its own connection).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from typing import TypeVar, cast

import aiosqlite

from storage.db import Storage

T = TypeVar("T")


async def write(store: Storage, work: Callable[[sqlite3.Connection], T]) -> T:
    """Run `work(conn)` in one writer transaction (rolled back if it raises), on the writer's thread."""
    async with store.transaction() as db:
        conn = cast(aiosqlite.Connection, db)
        # aiosqlite's own way to run a callable on its thread (untyped); `_conn` is only safe there.
        done = await conn._execute(lambda: work(conn._conn))  # type: ignore[no-untyped-call]  # aiosqlite's _execute has no annotations
        return cast(T, done)
