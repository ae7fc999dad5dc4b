"""Reads that never leave a statement open across an await.

A cursor still open on a connection keeps that connection's read snapshot open; other tasks reading
through the same connection meanwhile see the database as it was, missing rows committed since. So a
read runs and fetches in one step on the connection's thread, and nothing stays open.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from storage.db import Conn


async def fetch_all(conn: Conn, sql: str, params: Iterable[Any] = ()) -> list[Any]:
    """Every row of a query, fetched at once."""
    return list(await conn.execute_fetchall(sql, tuple(params)))


async def fetch_one(conn: Conn, sql: str, params: Iterable[Any] = ()) -> Any | None:
    """The first row of a query (or None)."""
    rows = await fetch_all(conn, sql, params)
    return rows[0] if rows else None
