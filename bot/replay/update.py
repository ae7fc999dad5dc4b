"""`/replay update`: bring a replay up to date with its changed source, without reposting anything.

New comments are appended to the ledger and posted by the usual engine (exactly once, with their
"replying to" link); edited comments have their messages edited; removed ones become placeholders.
Discord cannot insert a message above others, so a new reply arrives at the end of its thread.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

import discord

from bot import render
from bot.errors import UserError
from bot.replay.engine import ReplayRunner
from bot.replay.plan import build_plan, ledger_row
from storage import queries
from storage import replays as ledger
from storage.models import Mode
from storage.replays import Replay, ReplayStep

if TYPE_CHECKING:
    from bot.replay.manager import ReplayManager

log = logging.getLogger(__name__)

REMOVED_PLACEHOLDER = "*[this comment was removed from the source]*"


@dataclass
class UpdateReport:
    """What an update changed."""

    added: int
    edited: int
    removed: int


async def update_replay(manager: ReplayManager, replay: Replay) -> UpdateReport:
    """Diff the replay's ledger against its article's current comments and apply the difference."""
    if replay.state in ("running", "paused"):
        raise UserError(
            "This replay has not finished: let it finish (or stop it) before updating it."
        )
    stored = await queries.get_article(manager.store, replay.article_key)
    if stored is None:
        raise UserError("The article of this replay is no longer stored.")
    plan = build_plan(
        stored.article,
        Mode(replay.mode),
        include_spam=replay.include_spam,
        avatars=manager.avatars,
    )
    steps = await ledger.get_steps(manager.store, replay.id)
    by_key = {s.comment_key: s for s in steps}
    new_keys = {s.comment.key for s in plan.steps}
    seq_of = {s.comment_key: s.seq for s in steps}
    next_seq = len(steps)
    added: list[dict[str, object]] = []
    for step in plan.steps:
        if step.comment.key in by_key:
            continue
        seq_of[step.comment.key] = next_seq
        next_seq += 1
    index_key = {c.index: c.key for c in stored.article.comments}
    runner = ReplayRunner(
        manager.client,
        manager.store,
        manager.pacer,
        manager.webhooks,
        replay,
        steps,
        stored.article.title,
        manager.card(replay),
    )
    await runner.read_settings()
    # Discord refuses edits in archived threads: reopen the replay's threads first, archive after.
    threads = sorted(
        {s.thread_id for s in steps if s.thread_id} | {replay.container_thread_id or 0} - {0}
    )
    for thread_id in threads:
        await runner.set_archived(thread_id, False)
    edited = removed = 0
    for step in plan.steps:
        key = step.comment.key
        root_key = index_key[step.root]
        old = by_key.get(key)
        if old is None:
            reply_to = seq_of[index_key[step.reply_to]] if step.reply_to is not None else None
            added.append(ledger_row(step, seq_of[key], seq_of[root_key], reply_to))
            continue
        opens = old.opens_thread or step.opens_thread  # a top-level comment that now has replies
        if list(step.parts) != old.parts:
            await _edit(manager, runner, old, list(step.parts))
            edited += 1
        if opens != old.opens_thread:
            await ledger.set_step(
                manager.store,
                replay.id,
                old.seq,
                parts=old.parts,
                message_ids=old.message_ids,
                opens_thread=opens,
            )
    for old in steps:
        if old.comment_key not in new_keys and old.parts != [REMOVED_PLACEHOLDER]:
            await _edit(manager, runner, old, [REMOVED_PLACEHOLDER])
            removed += 1
    for thread_id in threads:
        await runner.set_archived(
            thread_id, True
        )  # the engine reopens any it posts new comments into
    if added:
        await ledger.add_steps(manager.store, replay.id, added, reopen=True)
        fresh = await ledger.get_replay(manager.store, replay.id)
        assert fresh is not None
        await manager.launch(fresh)
    log.info(
        "replay %s updated: %d added, %d edited, %d removed", replay.id, len(added), edited, removed
    )
    return UpdateReport(len(added), edited, removed)


async def _edit(
    manager: ReplayManager, runner: ReplayRunner, step: ReplayStep, parts: list[str]
) -> None:
    """Edit a step's posted messages to `parts` (surplus messages deleted, missing ones appended)."""
    channel = await runner.parent_channel()
    hook = await manager.webhooks.get(channel)
    location = step.location_id or channel.id
    thread = discord.Object(location) if location != channel.id else discord.utils.MISSING
    step.parts = parts
    kept: list[int] = []
    for k, message_id in enumerate(step.message_ids):
        try:
            if k < len(parts):
                await hook.edit_message(
                    message_id,
                    content=runner.content(step, k),
                    thread=thread,
                    allowed_mentions=render.NO_MENTIONS,
                )
                kept.append(message_id)
            else:
                await hook.delete_message(message_id, thread=thread)
        except discord.NotFound:
            log.info("replay %s: message %s is gone; not edited", runner.replay.id, message_id)
    for k in range(len(kept), len(parts)):  # more parts than before: they follow at the end
        message = await hook.send(
            runner.content(step, k),
            username=step.username,
            avatar_url=step.avatar_url or discord.utils.MISSING,
            suppress_embeds=not runner.link_previews,
            wait=True,
            thread=thread,
            allowed_mentions=render.NO_MENTIONS,
        )
        kept.append(message.id)
    await ledger.set_step(
        manager.store,
        runner.replay.id,
        step.seq,
        parts=parts,
        message_ids=kept,
        opens_thread=step.opens_thread,
    )
