"""The feed: announce new articles in the servers that asked, queue auto-replays, watch the seeds folder.

New articles are noticed whoever stored them (this bot's reload, the watcher, or `threadreplay load` in
another process): every FEED_INTERVAL the feed asks the store which articles a server has not seen.
Every announcement is written ahead in a ledger of article x server, so a restart never announces
twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import discord
from watchfiles import Change, awatch

from bot import access, render
from bot.services import Services
from storage import feed
from storage.loader import SOURCE_SUFFIXES, load_source
from storage.models import FileReport, LoadReport, Mode, Pace
from storage.queries import get_article

log = logging.getLogger(__name__)

FEED_INTERVAL = 2.0  # seconds between looks at the database (scaled by THREADREPLAY_TIME_SCALE)
ANNOUNCE_PER_TICK = 5  # cards per server per look: a backlog is announced paced, not all at once
WATCH_DEBOUNCE_MS = 200


@dataclass
class LastLoad:
    """The most recent load report, for `/replayadmin status`."""

    when: datetime
    source: str
    report: LoadReport


@dataclass
class WatchState:
    """What the folder watcher is doing."""

    folder: Path
    running: bool = False
    articles_loaded: int = 0
    waiting: dict[str, float] = field(default_factory=dict)  # path -> time of its last change
    failures: list[FileReport] = field(default_factory=list)


class Announcer:
    """Announces, edits cards, starts queued auto-replays and (optionally) watches the seeds folder."""

    def __init__(self, bot: discord.Client, services: Services) -> None:
        self.bot = bot
        self.services = services
        self.store = services.store
        self.interval = FEED_INTERVAL * services.settings.time_scale
        self.settle = services.settings.watch_settle
        self.started = time.monotonic()
        self.nudged = asyncio.Event()
        self.last_load: LastLoad | None = None
        self.watch = WatchState(services.settings.seeds) if services.settings.watch else None
        self.tasks: list[asyncio.Task[None]] = []
        self.ticks = 0  # looks at the database so far (status and tests)
        self._stop = asyncio.Event()

    # ---- lifecycle -------------------------------------------------------------------------------

    def start(self) -> None:
        """Start the feed loop (and the watcher) once the bot is ready."""
        spawn = self.services.supervisor.spawn
        self.tasks.append(spawn("feed", self._run))
        if self.watch is not None:
            self.tasks.append(spawn("watch", self._watch))

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

    async def _run(self) -> None:
        await self.bot.wait_until_ready()
        while not self._stop.is_set():
            try:
                await self.tick()
            except (discord.HTTPException, OSError, ValueError) as exc:
                log.warning("feed: %s; trying again shortly", exc)
            self.ticks += 1
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.nudged.wait(), self.interval)
            self.nudged.clear()

    # ---- announcing ------------------------------------------------------------------------------

    async def tick(self) -> None:
        """One look: announce what is due, bring stale cards up to date, start queued replays."""
        per_guild: dict[int, int] = {}
        for item in await feed.pending(self.store, limit=200):
            if per_guild.get(item.guild_id, 0) >= ANNOUNCE_PER_TICK:
                continue
            per_guild[item.guild_id] = per_guild.get(item.guild_id, 0) + 1
            try:
                if item.state == "posted":
                    await self._edit_card(item)
                else:
                    await self._announce(item)
            except discord.Forbidden:
                log.warning(
                    "feed: no permission to announce in channel %s (guild %s)",
                    item.channel_id,
                    item.guild_id,
                )
        await self._start_queued()

    async def _card(self, key: str) -> tuple[discord.Embed, discord.ui.View] | None:
        cog = access.articles(self.bot)
        if cog is None:
            return None
        return await cog.card(key)

    async def _announce(self, item: feed.Pending) -> None:
        channel = self.bot.get_channel(item.channel_id)
        if not isinstance(channel, discord.TextChannel | discord.ForumChannel):
            return  # the channel is gone or not visible: status shows it; nothing to post into
        card = await self._card(item.key)
        if card is None:
            return
        embed, view = card
        found = await self._find_posted(channel, embed) if item.state == "posting" else None
        await feed.mark_posting(self.store, item.article_id, item.guild_id, channel.id)
        if found is not None:
            message_id, thread_id = found
        elif isinstance(channel, discord.ForumChannel):
            name = render.clip((await self._title(item.key)) or item.key, render.THREAD_NAME)
            created = await channel.create_thread(
                name=name, embed=embed, view=view, allowed_mentions=render.NO_MENTIONS
            )
            message_id, thread_id = created.message.id, created.thread.id
        else:
            message = await channel.send(
                embed=embed, view=view, allowed_mentions=render.NO_MENTIONS
            )
            message_id, thread_id = message.id, None
        await feed.mark_posted(
            self.store,
            item.article_id,
            item.guild_id,
            message_id=message_id,
            thread_id=thread_id,
            content_hash=item.content_hash,
        )
        log.info("announced %s in guild %s channel %s", item.key, item.guild_id, channel.id)
        settings = await feed.get_settings(self.store, item.guild_id)
        if settings.auto_replay != "off" and found is None:
            forum = isinstance(channel, discord.ForumChannel)
            await feed.enqueue(
                self.store,
                feed.Queued(
                    id=0,
                    guild_id=item.guild_id,
                    channel_id=channel.id,
                    article_key=item.key,
                    mode=Mode.single if forum else Mode(settings.auto_replay),
                    pace=settings.pace,
                    include_spam=settings.include_spam,
                    card_message_id=message_id,
                    container_thread_id=thread_id,
                ),
            )

    async def _title(self, key: str) -> str | None:
        stored = await get_article(self.store, key)
        return stored.article.title if stored else None

    async def _find_posted(
        self, channel: discord.TextChannel | discord.ForumChannel, embed: discord.Embed
    ) -> tuple[int, int | None] | None:
        """A card posted before a crash (the ledger said 'posting'): find it instead of posting again."""
        me = getattr(self.bot.user, "id", None)
        if isinstance(channel, discord.ForumChannel):
            for thread in channel.threads:
                if thread.owner_id == me:
                    with contextlib.suppress(discord.HTTPException):
                        starter = await thread.fetch_message(thread.id)
                        if any(e.footer.text == embed.footer.text for e in starter.embeds):
                            return starter.id, thread.id
            return None
        async for message in channel.history(limit=50):
            if message.author.id == me and any(
                e.footer.text == embed.footer.text for e in message.embeds
            ):
                return message.id, None
        return None

    async def _edit_card(self, item: feed.Pending) -> None:
        """The article changed: the card shows the new counts; it is not announced again."""
        card = await self._card(item.key)
        if card is None or item.message_id is None:
            return
        embed, _view = card
        where = self.bot.get_partial_messageable(item.thread_id or item.channel_id)
        try:
            await where.get_partial_message(item.message_id).edit(embed=embed)
        except discord.NotFound:
            log.info(
                "feed: the card of %s in %s was deleted; not reposting", item.key, item.channel_id
            )
        await feed.mark_posted(
            self.store,
            item.article_id,
            item.guild_id,
            message_id=item.message_id,
            thread_id=item.thread_id,
            content_hash=item.content_hash,
        )

    async def _start_queued(self) -> None:
        manager = access.replay_manager(self.bot)
        if manager is None:
            return
        busy: set[int] = set()
        for item in await feed.queued(self.store):
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

    # ---- the watched folder ---------------------------------------------------------------------

    async def _watch(self) -> None:
        assert self.watch is not None
        state = self.watch
        if not state.folder.is_dir():
            log.warning("watch: %s is not a folder; not watching", state.folder)
            return
        state.running = True
        try:
            async for changes in awatch(
                state.folder,
                stop_event=self._stop,
                debounce=WATCH_DEBOUNCE_MS,
                step=50,
                rust_timeout=max(100, int(self.settle * 250)),
                yield_on_timeout=True,
            ):
                now = time.monotonic()
                for change, raw in changes:
                    path = Path(raw)
                    if (
                        change is not Change.deleted
                        and path.suffix.lower() in SOURCE_SUFFIXES
                        and not path.name.startswith(".")
                    ):
                        state.waiting[raw] = (
                            now  # wait until it has been quiet for `settle` seconds
                        )
                await self._load_settled(now)
        finally:
            state.running = False

    async def _load_settled(self, now: float) -> None:
        """Load files that stopped changing `settle` seconds ago (a file being written is left alone)."""
        assert self.watch is not None
        state = self.watch
        for raw, changed in list(state.waiting.items()):
            if now - changed < self.settle:
                continue
            del state.waiting[raw]
            path = Path(raw)
            if not await asyncio.to_thread(path.is_file):
                continue
            try:  # one report per article: a Disqus export holds many
                reports = [r async for r in load_source(self.store, path)]
            except Exception:  # the watcher must outlive any one bad file
                log.exception("watch: loading %s failed", path)
                continue
            for report in reports:
                if report.status == "failed":
                    log.warning("watch: %s", report.error)
                    state.failures = [*state.failures[-9:], report]
                elif report.status != "unchanged":
                    state.articles_loaded += 1
            self.record_load("watched folder", LoadReport(files=reports))
