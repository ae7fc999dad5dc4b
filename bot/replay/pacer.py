"""Pacing: stay inside Discord's limits before a request is made, so a fast replay is never refused.

discord.py honours the limits Discord announces in headers (a webhook's 5 requests per 2 s) but cannot
know the unannounced one: 30 webhook messages per 60 s per channel (threads count toward their parent).
It also only reacts to the global limit (50 requests per second per bot). The pacer enforces both.

The global limit belongs to the bot token, whatever number of processes share it: a process that
runs k of the bot's n shards takes k/n of it (`global_budget`); the per-channel limits need no
sharing, because only the process that serves a guild posts in its channels.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import time
from collections import deque
from collections.abc import AsyncIterator, Callable
from fractions import Fraction

WEBHOOK_LIMIT, WEBHOOK_PERIOD = 5, 2.0  # per webhook, announced in X-RateLimit headers
CHANNEL_LIMIT, CHANNEL_PERIOD = 30, 60.0  # webhook messages per channel, not announced
GLOBAL_LIMIT, GLOBAL_PERIOD = 50, 1.0  # requests per bot, all routes
SAFETY = 0.005  # seconds of margin after a window opens: clocks of two machines never agree exactly


class SlidingWindow:
    """At most `limit` events in any `period` seconds (a log of the last `limit` event times)."""

    def __init__(
        self, limit: int, period: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.limit = limit
        self.period = period
        self.clock = clock
        self.events: deque[float] = deque()
        self.lock = asyncio.Lock()

    def delay(self) -> float:
        """Seconds until one more event fits (0 when it fits now)."""
        now = self.clock()
        while self.events and now - self.events[0] >= self.period:
            self.events.popleft()
        if len(self.events) < self.limit:
            return 0.0
        return self.events[0] + self.period - now + SAFETY

    async def acquire(self) -> float:
        """Wait until an event fits, then record it (returns its time, for `settle`)."""
        async with self.lock:
            while (wait := self.delay()) > 0:  # noqa: ASYNC110 - a time window, not an event
                await asyncio.sleep(wait)
            stamp = self.clock()
            self.events.append(stamp)
            return stamp

    def settle(self, stamp: float) -> None:
        """Move an event to now: Discord counts a request when it arrives, which is after we let it go."""
        with contextlib.suppress(ValueError):
            self.events.remove(stamp)
            self.events.append(self.clock())
            self.events = deque(sorted(self.events))


def global_budget(share: Fraction) -> tuple[int, float]:
    """(requests, per seconds) for a process that is `share` of the bot: k/n of 50 per second.

    Rounded down, so the processes together never exceed the limit (0-3/8: 25 per second, 1/3: 16);
    under one request per second the requests are spaced out instead (1 of 100: one per 2 s).
    """
    if not 0 < share <= 1:
        raise ValueError(f"a process is a share in (0, 1] of the bot, not {share}")
    rate = GLOBAL_LIMIT * share / Fraction(GLOBAL_PERIOD)
    if rate >= 1:
        return math.floor(rate), GLOBAL_PERIOD
    return 1, float(1 / rate)


class Pacer:
    """Every limit a replay must respect, shared by all replays of one bot process."""

    def __init__(
        self,
        time_scale: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
        *,
        share: Fraction = Fraction(1),
    ) -> None:
        self.time_scale = time_scale
        self.clock = clock
        self.share = share  # of the bot token's global budget: k/n for k of n shards
        limit, period = global_budget(share)
        self.global_window = SlidingWindow(limit, period * time_scale, clock)
        self._channels: dict[int, tuple[SlidingWindow, SlidingWindow]] = {}

    def _windows(self, channel_id: int) -> tuple[SlidingWindow, SlidingWindow]:
        if channel_id not in self._channels:
            self._channels[channel_id] = (
                SlidingWindow(WEBHOOK_LIMIT, WEBHOOK_PERIOD * self.time_scale, self.clock),
                SlidingWindow(CHANNEL_LIMIT, CHANNEL_PERIOD * self.time_scale, self.clock),
            )
        return self._channels[channel_id]

    def seed(self, channel_id: int, ages: list[float]) -> None:
        """Count messages posted `ages` seconds ago (by an earlier run of the bot) against the windows.

        After a restart Discord still remembers the last minute's messages; the pacer must too, or the
        first burst of the resumed replay would run into the unannounced per-channel limit.
        """
        now = self.clock()
        for window in self._windows(channel_id):
            recent = sorted(now - age for age in ages if 0 <= age < window.period)
            window.events = deque([*recent, *window.events][-window.limit :])

    @contextlib.asynccontextmanager
    async def webhook_message(self, channel_id: int) -> AsyncIterator[None]:
        """Hold room for one webhook message in `channel_id` (the parent, for threads) while it is sent.

        The slot is counted from when the answer arrives, never from when the request was let go:
        whatever delays it on the way (discord.py's own waits, the network) cannot make it early.
        """
        webhook, channel = self._windows(channel_id)
        held = [(w, await w.acquire()) for w in (channel, webhook, self.global_window)]
        try:
            yield
        finally:
            for window, stamp in held:
                window.settle(stamp)

    async def request(self) -> None:
        """Wait for room for any other request of the bot (thread creation, archiving, reads)."""
        await self.global_window.acquire()

    async def sleep(self, seconds: float) -> None:
        """A pace delay (steady / natural), scaled like every other duration."""
        await asyncio.sleep(seconds * self.time_scale)
