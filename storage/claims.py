"""Which file of a load claimed each article key, so two files of one load cannot overwrite each other."""

from __future__ import annotations

from pathlib import Path

from storage.batch import CLAIM_SQL, CLAIMS_TABLE, OWNER_SQL, taken
from storage.db import Storage
from storage.errors import StorageError


class Claims:
    """Which file claimed each article key during one load, so two files cannot overwrite each other.

    Kept in a temporary table of the writer connection rather than a dict: memory stays flat however
    many files a load has.
    """

    _runs = 0

    def __init__(self, store: Storage) -> None:
        Claims._runs += 1
        self.store = store
        self.run = Claims._runs

    async def claim(self, key: str, path: Path) -> None:
        """Claim `key` for `path`; StorageError if another file of this load claimed it first."""
        async with self.store.transaction() as db:
            await db.execute(CLAIMS_TABLE)
            await db.execute(CLAIM_SQL, (self.run, key, str(path)))
            rows = await db.execute_fetchall(OWNER_SQL, (self.run, key))
        owner = next(iter(rows))[0]
        if owner != str(path):
            raise StorageError(taken(key, owner))

    async def release(self) -> None:
        """Forget this load's claims."""
        async with self.store.transaction() as db:
            await db.execute(CLAIMS_TABLE)
            await db.execute("DELETE FROM load_claims WHERE run = ?", (self.run,))
