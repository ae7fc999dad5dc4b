"""Snowflake ids, ISO timestamps and a shiftable clock, generated the way Discord does."""

from __future__ import annotations

import asyncio
import datetime as dt
import secrets
import time

DISCORD_EPOCH_MS = 1_420_070_400_000
_WORKER_ID = 1
_PROCESS_ID = 7


class Clock:
    """The fake's notion of time: the event loop's clock plus an offset tests can advance.

    Deadlines (the 3-second interaction window, token lifetimes) and rate-limit windows
    read this clock, so a test can jump forward with :meth:`advance` instead of sleeping.
    """

    def __init__(self) -> None:
        """Start with no offset."""
        self.offset = 0.0

    def monotonic(self) -> float:
        """Return the shifted monotonic time in seconds."""
        return asyncio.get_running_loop().time() + self.offset

    def wall(self) -> float:
        """Return the shifted wall-clock time in seconds since the Unix epoch."""
        return time.time() + self.offset

    def advance(self, seconds: float) -> None:
        """Move the fake's clock forward by ``seconds``."""
        self.offset += seconds


class Snowflakes:
    """Generates Discord snowflakes: ms since 2015-01-01 << 22 | worker | process | increment."""

    def __init__(self, clock: Clock) -> None:
        """Create a generator that reads wall time from ``clock``."""
        self._clock = clock
        self._last_ms = 0
        self._increment = 0

    def next(self) -> int:
        """Return a new snowflake, strictly greater than every earlier one."""
        ms = int(self._clock.wall() * 1000) - DISCORD_EPOCH_MS
        if ms <= self._last_ms:
            ms = self._last_ms
            self._increment += 1
            if self._increment > 0xFFF:
                ms += 1
                self._increment = 0
        else:
            self._increment = 0
        self._last_ms = ms
        return (ms << 22) | (_WORKER_ID << 17) | (_PROCESS_ID << 12) | self._increment

    def next_on_shard(self, shard_id: int, count: int) -> int:
        """A new snowflake whose guild would be on shard ``shard_id`` of ``count``: its timestamp is
        moved on to the next millisecond with ``ms % count == shard_id`` (still strictly greater)."""
        snowflake = self.next()
        ms = snowflake >> 22
        if ms % count != shard_id:
            self._last_ms = ms + (shard_id - ms) % count
            self._increment = 0
            snowflake = (self._last_ms << 22) | (_WORKER_ID << 17) | (_PROCESS_ID << 12)
        return snowflake


def snowflake_iso(snowflake: int) -> str:
    """Return the ISO 8601 timestamp encoded in ``snowflake`` (as Discord's ``timestamp`` field)."""
    ms = (snowflake >> 22) + DISCORD_EPOCH_MS
    return iso_from_epoch(ms / 1000)


def iso_from_epoch(seconds: float) -> str:
    """Format epoch seconds like Discord: ``2024-01-02T03:04:05.678000+00:00``."""
    moment = dt.datetime.fromtimestamp(seconds, dt.UTC)
    return moment.isoformat(timespec="microseconds")


def new_token(prefix: str = "") -> str:
    """Return an opaque token like the ones Discord hands out for webhooks and interactions."""
    return prefix + secrets.token_urlsafe(48)
