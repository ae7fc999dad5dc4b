"""The bot's own small key/value facts (table `bot_state`)."""

from __future__ import annotations

from storage.db import Storage, utcnow
from storage.read import fetch_one


async def get_value(store: Storage, key: str) -> str | None:
    """The value stored under `key`, or None."""
    row = await fetch_one(store.reader, "SELECT value FROM bot_state WHERE key = ?", (key,))
    return None if row is None else str(row[0])


async def set_value(store: Storage, key: str, value: str) -> None:
    """Store `value` under `key`, replacing what was there."""
    async with store.transaction() as conn:
        await conn.execute(
            "INSERT INTO bot_state (key, value, updated_at) VALUES (?, ?, ?)"
            " ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
            (key, value, utcnow()),
        )
