"""`/replayadmin status`: what the bot is doing, gathered from the store, the feed and the replays."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from bot import render, shards
from bot.replay.preview import duration
from bot.services import Services
from storage import feed, queries
from storage import replays as ledger
from storage.words import plural

if TYPE_CHECKING:
    from bot.feed import Announcer
    from bot.replay.manager import ReplayManager


async def status_text(
    services: Services,
    announcer: Announcer | None,
    manager: ReplayManager | None,
    *,
    guild_id: int,
    owner: bool,
) -> str:
    """Uptime, database size and counts, watched folder, last load report, and this server's replays
    and queue. Host paths (database, folder, failed files) only for the bot's owners: a server's
    admins see their server, never the machine the bot runs on or another server."""
    store = services.store
    size = await store.size_bytes()
    async with store.reader.execute("SELECT count(*) FROM comments") as cur:
        row_ = await cur.fetchone()
        assert row_ is not None  # count(*) and RETURNING always answer
        comments = row_[0]
    lines = []
    if announcer is not None:
        lines.append(f"**Up** {duration(time.monotonic() - announcer.started)}")
    if (sharding := shards.describe(services.edge.client, guild_id)) is not None:
        lines.append(sharding)
    where = f" {render.code(store.shown)}" if owner else ""  # a URL is shown without its password
    lines.append(
        f"**Database**{where}: {size / 1e6:.1f} MB, "
        f"{plural(await queries.count_articles(store), 'article')}, {plural(comments, 'comment')}"
    )
    watch = announcer.watch if announcer else None
    if watch is None:
        lines.append("**Watched folder**: off (THREADREPLAY_WATCH=true turns it on)")
    else:
        state = "watching" if watch.running else "not running"
        folder = f" {render.code(str(watch.folder))}" if owner else ""
        lines.append(
            f"**Watched folder**{folder}: {state},"
            f" {plural(watch.articles_loaded, 'article')} loaded,"
            f" {len(watch.waiting)} waiting to settle"
        )
        if owner:
            lines += [f"• failed: {render.escape(f.error or f.path)}" for f in watch.failures]
        elif watch.failures:
            lines.append(
                f"• {plural(len(watch.failures), 'file')} failed (the bot's owners see which)"
            )
    last = announcer.last_load if announcer else None
    if last is not None:
        r = last.report
        lines.append(
            f"**Last load** ({render.escape(last.source)}, {last.when:%Y-%m-%d %H:%M} UTC): {r.count('added')} added,"
            f" {r.count('updated')} updated, {r.count('unchanged')} unchanged, {r.count('failed')} failed"
        )
        if owner:
            lines += [
                f"• {render.escape(f.error or f.path)}" for f in r.files if f.status == "failed"
            ]
    active = [
        r
        for r in await ledger.replays_in_state(store, "running", "paused")
        if r.guild_id == guild_id
    ]
    waiting = [q for q in await feed.queued(store) if q.guild_id == guild_id]
    if not active and not waiting:
        lines.append("**Replays**: none running or queued")
    for replay in active:
        steps = await ledger.get_steps(store, replay.id)
        done = sum(1 for s in steps if s.status == "done")
        why = f" ({render.escape(replay.reason)})" if replay.reason else ""
        lines.append(
            f"**Replay** in <#{replay.channel_id}>: `{replay.article_key}` {replay.state}{why}, {done}/{len(steps)}"
        )
    for item in waiting:
        lines.append(
            f"**Queued** in <#{item.channel_id}>: `{item.article_key}` ({item.mode}, {item.pace})"
        )
    failures = sorted(services.supervisor.failures.values(), key=lambda f: f.when)
    if owner:
        lines += [
            f"**Background task** {f.name} failed {plural(f.count, 'time')}, last:"
            f" {render.escape(f.error)} (restarted; the log has the traceback)"
            for f in failures
        ]
    elif failures:
        lines.append(
            f"**Background tasks**: {plural(sum(f.count for f in failures), 'failure')} so far,"
            " each restarted (the bot's owners see why)"
        )
    del manager  # the ledger is the source of truth; the manager adds nothing the ledger lacks
    return "\n".join(lines)
