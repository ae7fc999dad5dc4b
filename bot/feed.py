"""The feed: announce new articles in the servers that asked, queue auto-replays, watch the seeds folder.

New articles are noticed whoever stored them (this bot's reload, the watcher, or `threadreplay load` in
another process): every FEED_INTERVAL the feed asks the store which articles a server has not seen,
and on PostgreSQL at once, when the store's NOTIFY says another process stored one.
Every announcement is written ahead in a ledger of article x server, so a restart never announces
twice. The cards themselves are posted by `bot.cards`, the folder is watched by `bot.watcher`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from dataclasses import dataclass
from datetime import UTC, datetime

import discord

from bot import access
from bot.cards import CardPoster
from bot.replay.edge import PauseReplay, Transient
from bot.services import Services
from bot.shards import process_shards, serves
from bot.watcher import FolderWatcher, WatchState
from storage import feed
from storage.models import LoadReport, Mode, Pace

log = logging.getLogger(__name__)

FEED_INTERVAL = 2.0  # seconds between looks at the database (scaled by THREADREPLAY_TIME_SCALE)
ANNOUNCE_PER_TICK = 5  # cards per server per look: a backlog is announced paced, not all at once


@dataclass
class LastLoad:
    """The most recent load report, for `/replayadmin status`."""

    when: datetime
    source: str
    report: LoadReport


class Announcer:
    """The feed loop: announces and refreshes cards, starts queued auto-replays; owns the watcher."""

    def __init__(self, bot: discord.Client, services: Services) -> None:
        self.bot = bot
        self.services = services
        self.store = services.store
        self.cards = CardPoster(bot, services.store, services.edge)
        self.interval = FEED_INTERVAL * services.settings.time_scale
        self.started = time.monotonic()
        self.nudged = asyncio.Event()
        self.last_load: LastLoad | None = None
        self.watcher = (
            FolderWatcher(
                services.store,
                services.settings.seeds,
                services.settings.watch_settle,
                self.record_load,
            )
            if services.settings.watch
            else None
        )
        self.tasks: list[asyncio.Task[None]] = []
        self.ticks = 0  # looks at the database so far (status and tests)
        self._stop = asyncio.Event()

    @property
    def watch(self) -> WatchState | None:
        """What the folder watcher is doing (None when not watching)."""
        return self.watcher.state if self.watcher is not None else None

    # ---- lifecycle -------------------------------------------------------------------------------

    def start(self) -> None:
        """Start the feed loop (and the watcher) once the bot is ready."""
        spawn = self.services.supervisor.spawn
        self.tasks.append(spawn("feed", self._run))
        self.tasks.append(spawn("listen", self._listen))
        if self.watcher is not None:
            watcher = self.watcher
            self.tasks.append(spawn("watch", lambda: watcher.run(self._stop)))

    async def stop(self) -> None:
        """Stop every task this announcer started."""
        self._stop.set()
        for task in self.tasks:
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)

    def nudge(self) -> None:
        """Look at the database now (after a reload), rather than at the next interval."""
        self.nudged.set()

    def record_load(self, source: str, report: LoadReport) -> None:
        """Keep a load report for `/replayadmin status`."""
        self.last_load = LastLoad(datetime.now(UTC), source, report)
        self.nudge()

    async def _listen(self) -> None:
        """Look at once when another process stores an article (PostgreSQL's NOTIFY); on SQLite
        this only waits, and the loop's interval notices other processes' articles."""
        async with self.store.articles_stored(lambda _key: self.nudge()):
            await self._stop.wait()

    async def _run(self) -> None:
        await self.bot.wait_until_ready()
        while not self._stop.is_set():
            try:
                await self.tick()
            except (Transient, discord.HTTPException, OSError, ValueError) as exc:
                log.warning("feed: %s; trying again shortly", exc)
            self.ticks += 1
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.nudged.wait(), self.interval)
            self.nudged.clear()

    # ---- one look --------------------------------------------------------------------------------

    async def tick(self) -> None:
        """One look: announce what is due, bring stale cards up to date, start queued replays."""
        per_guild: dict[int, int] = {}
        shards = process_shards(self.bot)
        for item in await feed.pending(self.store, limit=200, shards=shards):
            # Another process (another shard) announces in the servers it serves.
            if not serves(self.bot, item.guild_id):
                continue
            if per_guild.get(item.guild_id, 0) >= ANNOUNCE_PER_TICK:
                continue
            per_guild[item.guild_id] = per_guild.get(item.guild_id, 0) + 1
            try:
                if item.state == "posted":
                    await self.cards.refresh(item)
                else:
                    await self._announce(item)
            except PauseReplay as exc:  # a person must act (a permission, a deleted channel)
                log.warning(
                    "feed: cannot announce in channel %s (guild %s): %s",
                    item.channel_id,
                    item.guild_id,
                    exc,
                )
        await self._start_queued()

    async def _announce(self, item: feed.Pending) -> None:
        posted = await self.cards.announce(item)
        if posted is None or not posted.new:
            return  # nothing posted, or found after a crash: its auto-replay was queued then
        settings = await feed.get_settings(self.store, item.guild_id)
        if settings.auto_replay == "off":
            return
        forum = posted.thread_id is not None
        await feed.enqueue(
            self.store,
            feed.Queued(
                id=0,
                guild_id=item.guild_id,
                channel_id=item.channel_id,
                article_key=item.key,
                mode=Mode.single if forum else Mode(settings.auto_replay),
                pace=settings.pace,
                include_spam=settings.include_spam,
                card_message_id=posted.message_id,
                container_thread_id=posted.thread_id,
            ),
        )

    async def _start_queued(self) -> None:
        manager = access.replay_manager(self.bot)
        if manager is None:
            return
        busy: set[int] = set()
        for item in await feed.queued(self.store):
            if not serves(self.bot, item.guild_id):
                continue  # queued for a server another process serves: that one starts it
            if item.channel_id in busy or await manager.is_busy(item.channel_id):
                busy.add(item.channel_id)  # one replay per channel; the rest wait, in arrival order
                continue
            channel = self.bot.get_channel(item.channel_id)
            if isinstance(channel, discord.TextChannel | discord.ForumChannel):
                await manager.start(
                    article_key=item.article_key,
                    guild_id=item.guild_id,
                    channel=channel,
                    mode=Mode(item.mode),
                    pace=Pace(item.pace),
                    include_spam=item.include_spam,
                    started_by=None,
                    card_message_id=item.card_message_id,
                    container_thread_id=item.container_thread_id,
                )
            await feed.dequeue(self.store, item.id)
            busy.add(item.channel_id)
