"""`/replay …`: start, watch, pause, resume, stop, undo and plan replays; the card button starts one."""

from __future__ import annotations

import asyncio
import io
import logging
import re
from typing import Literal

import discord
from discord import app_commands
from discord.ext import commands

from bot import access, render
from bot.access import HostBot
from bot.checks import is_admin, permissions_in
from bot.cogs.articles import article_choices, resolve_article
from bot.errors import UserError, answer, handle_command_error
from bot.replay.engine import CardFactory
from bot.replay.manager import ReplayManager
from bot.replay.page import replay_page
from bot.replay.plan import build_plan
from bot.replay.preview import duration, plan_text
from bot.services import Services
from storage import queries
from storage import replays as ledger
from storage.models import Mode, Pace, StoredArticle
from storage.replays import Replay
from storage.words import plural

log = logging.getLogger(__name__)

# What the bot needs in the target channel, as (discord.Permissions attribute, name people see).
NEEDED = (
    ("manage_webhooks", "Manage Webhooks"),
    ("send_messages", "Send Messages"),
    ("create_public_threads", "Create Public Threads"),
    ("send_messages_in_threads", "Send Messages in Threads"),
    ("embed_links", "Embed Links"),
    ("read_message_history", "Read Message History"),
)

Target = discord.TextChannel | discord.ForumChannel


def _plan_answer(
    stored: StoredArticle, mode: Mode, pace: Pace, avatars: str, counts: queries.ArticleCounts
) -> tuple[str, bytes]:
    """`/replay plan`'s answer: the plan and its first three steps, escaped for Discord, and the
    HTML page of the whole replay (as `threadreplay preview --html` writes it)."""
    plan = build_plan(stored.article, mode, avatars=avatars)
    return (
        plan_text(stored.article, plan, pace, sample=3, discord=True),
        replay_page(stored, plan, pace, counts).encode(),
    )


def _page_name(key: str) -> str:
    """The attached page's file name: `replay-plan-<key>.html`, with only safe characters."""
    return f"replay-plan-{re.sub(r'[^A-Za-z0-9._-]', '_', key)[:80]}.html"


class ReplayCog(commands.Cog, name="Replay"):
    """Replays stored discussions into Discord threads."""

    replay = app_commands.Group(
        name="replay",
        description="Replay an article's discussion as Discord threads",
        guild_only=True,
    )

    def __init__(self, bot: HostBot, services: Services) -> None:
        self.bot = bot
        self.services = services
        self.manager = ReplayManager(
            services.edge, services.store, self._card_factory, services.settings.avatars
        )
        self._resume_task: asyncio.Task[None] | None = None

    async def cog_load(self) -> None:
        self.services.acquire()
        # Through the supervisor: a failure is logged with its traceback and shown in status.
        self._resume_task = self.services.supervisor.spawn("resume", self._resume_when_ready)

    async def cog_unload(self) -> None:
        if self._resume_task is not None:
            self._resume_task.cancel()
            await asyncio.gather(self._resume_task, return_exceptions=True)
        await self.manager.shutdown()
        await self.services.release()

    async def _resume_when_ready(self) -> None:
        """After a crash or restart, replays the ledger says were running carry on by themselves;
        then, every half lease, any whose process died or shut down (another process sharing the
        store, a rolling restart) is taken over once its lease is free."""
        await self.bot.wait_until_ready()
        while True:
            resumed = await self.manager.resume_all()
            if resumed:
                log.info("resumed %d replays", resumed)
            await asyncio.sleep(self.manager.lease_seconds / 2)

    async def cog_app_command_error(
        self, interaction: discord.Interaction, error: app_commands.AppCommandError
    ) -> None:
        await handle_command_error(interaction, error)

    def _card_factory(self, replay: Replay) -> CardFactory:
        async def card() -> tuple[discord.Embed, discord.ui.View]:
            articles = access.articles(self.bot)
            if articles is None:
                raise UserError("The article commands are not loaded.")
            return await articles.card(replay.article_key)

        return card

    # ---- checks ------------------------------------------------------------------------------------

    def _require_member_rights(
        self, interaction: discord.Interaction, target: Target, *, posts: bool, controls: bool
    ) -> None:
        """What the member must be allowed *in the target channel* (not where the command was typed):
        to see it; to post there when the replay will post (Send Messages, and Create Public Threads
        or Send Messages in Threads); Manage Threads (or being a bot admin) to control a replay."""
        perms = permissions_in(interaction, target)
        if not perms.view_channel:
            raise UserError(f"You cannot see {target.mention}, so you cannot use replays there.")
        if posts and not (
            perms.send_messages and (perms.create_public_threads or perms.send_messages_in_threads)
        ):
            raise UserError(
                f"You are not allowed to post in {target.mention} (Send Messages, and Create Public"
                " Threads or Send Messages in Threads), so the bot will not post there for you."
            )
        if controls and not (perms.manage_threads or is_admin(self.services.settings, interaction)):
            raise UserError(
                f"You need the Manage Threads permission in {target.mention} (or to be one of this"
                " bot's admins) for that."
            )

    def _check_bot_permissions(self, channel: Target) -> None:
        me = channel.guild.me
        perms = channel.permissions_for(me)
        missing = [name for attr, name in NEEDED if not getattr(perms, attr)]
        if missing:
            raise UserError(
                f"I am missing these permissions in {channel.mention}: {', '.join(missing)}."
            )

    def _target(self, interaction: discord.Interaction, channel: Target | None) -> Target:
        target = channel or interaction.channel
        if isinstance(target, discord.TextChannel | discord.ForumChannel):
            if target.guild.id != interaction.guild_id:
                raise UserError("That channel is not in this server.")
            return target
        raise UserError(
            "Replays go into a text or forum channel; pick one with the `channel` option."
        )

    async def _moderate(
        self, interaction: discord.Interaction, channel: Target | None, *, posts: bool
    ) -> Target:
        """The checks every changing command makes, then the deferral: Manage Threads (or admin), a
        text or forum target, and (when the command will post) the bot's own permissions there."""
        target = self._target(interaction, channel)
        self._require_member_rights(interaction, target, posts=posts, controls=True)
        if posts:
            self._check_bot_permissions(target)
        await interaction.response.defer(ephemeral=True, thinking=True)
        return target

    async def _key(self, value: str) -> str:
        return (await resolve_article(self.services.store, value)).article.key

    async def article_autocomplete(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        """Titles and keys containing what the user typed."""
        return await article_choices(self.services.store, current)

    # ---- commands ----------------------------------------------------------------------------------

    @replay.command(name="start", description="Replay an article's discussion into a channel")
    @app_commands.describe(
        article="The article (start typing its title or key)",
        channel="Text or forum channel to replay into (default: this one)",
        mode="threads: a thread per top-level comment; single: the whole discussion in one thread",
        pace="fast: as fast as Discord allows; steady: a comment every few seconds; natural: reading speed",
        include_spam="Show comments flagged as spam (under a spoiler)",
    )
    async def start(
        self,
        interaction: discord.Interaction,
        article: str,
        channel: Target | None = None,
        mode: Literal["threads", "single"] = "threads",
        pace: Literal["fast", "steady", "natural"] = "fast",
        include_spam: bool = False,
    ) -> None:
        target = await self._moderate(interaction, channel, posts=True)
        key = await self._key(article)
        started = await self.manager.start(
            article_key=key,
            guild_id=target.guild.id,
            channel=target,
            mode=Mode(mode),
            pace=Pace(pace),
            include_spam=include_spam,
            started_by=interaction.user.id,
        )
        await answer(
            interaction,
            f"Replay started in {target.mention} ({started.mode}, pace {started.pace}). "
            "Follow it with `/replay status`.",
        )

    async def start_from_card(self, interaction: discord.Interaction, article_id: int) -> None:
        """The card's "Replay discussion" button: replay into the card's channel with the defaults."""
        target = self._target(interaction, None)
        self._require_member_rights(interaction, target, posts=True, controls=True)
        self._check_bot_permissions(target)
        key = await queries.article_key(self.services.store, article_id)
        if key is None:
            raise UserError("This article is no longer stored.")
        await interaction.response.defer(ephemeral=True, thinking=True)
        message = interaction.message
        await self.manager.start(
            article_key=key,
            guild_id=target.guild.id,
            channel=target,
            mode=Mode.threads,
            pace=Pace.fast,
            include_spam=False,
            started_by=interaction.user.id,
            card_message_id=message.id
            if message is not None and isinstance(target, discord.TextChannel)
            else None,
        )
        await answer(
            interaction, "Replay started below this card. Follow it with `/replay status`."
        )

    @replay.command(name="status", description="Progress of the replay in this channel")
    @app_commands.describe(channel="The channel the replay posts into (default: this one)")
    async def status(self, interaction: discord.Interaction, channel: Target | None = None) -> None:
        target = self._target(interaction, channel)
        self._require_member_rights(interaction, target, posts=False, controls=False)
        st = await self.manager.status(target.id)
        r = st.replay
        lines = [
            f"**{r.state.capitalize()}** — {st.done}/{st.total} comments posted, pace {r.pace}, mode {r.mode}",
        ]
        if r.state in ("running", "paused") and st.remaining_messages:
            lines.append(
                f"About {duration(st.eta_seconds)} left ({plural(st.remaining_messages, 'message')})."
            )
        if r.reason:
            lines.append(f"Why: {render.escape(r.reason)}")
        if r.state == "running" and not st.running:
            lines.append("It will carry on as soon as the bot has reconnected.")
        await interaction.response.send_message(
            "\n".join(lines), ephemeral=True, allowed_mentions=render.NO_MENTIONS
        )

    @replay.command(name="pause", description="Pause the replay in this channel")
    @app_commands.describe(channel="The channel the replay posts into (default: this one)")
    async def pause(self, interaction: discord.Interaction, channel: Target | None = None) -> None:
        target = await self._moderate(interaction, channel, posts=False)
        await self.manager.pause(target.id, interaction.user.display_name)
        await answer(interaction, "Replay paused. `/replay resume` carries on where it stopped.")

    @replay.command(name="resume", description="Carry on with a paused replay")
    @app_commands.describe(
        channel="The channel the replay posts into (default: this one)",
        skip="Post a short placeholder for the comment Discord refused, then go on",
    )
    async def resume(
        self, interaction: discord.Interaction, channel: Target | None = None, skip: bool = False
    ) -> None:
        target = await self._moderate(interaction, channel, posts=True)
        await self.manager.resume(target.id, skip=skip)
        await answer(
            interaction,
            "Replay resumed; the refused comment is posted as a placeholder."
            if skip
            else "Replay resumed.",
        )

    @replay.command(name="stop", description="Stop the replay in this channel for good")
    @app_commands.describe(channel="The channel the replay posts into (default: this one)")
    async def stop(self, interaction: discord.Interaction, channel: Target | None = None) -> None:
        target = await self._moderate(interaction, channel, posts=False)
        await self.manager.stop(target.id, interaction.user.display_name)
        await answer(
            interaction, "Replay stopped. What was posted stays; `/replay undo` removes it."
        )

    @replay.command(
        name="undo", description="Delete exactly what the last replay in this channel posted"
    )
    @app_commands.describe(channel="The channel the replay posted into (default: this one)")
    async def undo(self, interaction: discord.Interaction, channel: Target | None = None) -> None:
        target = await self._moderate(interaction, channel, posts=False)
        messages, threads = await self.manager.undo(target.id, interaction.user.display_name)
        await answer(
            interaction,
            f"Undone: {plural(messages, 'message')} and {plural(threads, 'thread')} deleted.",
        )

    @replay.command(
        name="update", description="Bring a finished replay up to date with its changed source"
    )
    @app_commands.describe(
        article="The article (start typing its title or key)",
        channel="The channel it was replayed into (default: this one)",
    )
    async def update(
        self, interaction: discord.Interaction, article: str, channel: Target | None = None
    ) -> None:
        target = await self._moderate(interaction, channel, posts=True)
        key = await self._key(article)
        replay = await ledger.latest_replay_of(self.services.store, target.id, key)
        if replay is None:
            raise UserError(f"`{key}` has not been replayed in {target.mention}.")
        report = await self.manager.update(replay)
        await answer(
            interaction,
            f"Updated: {report.added} new comments posted, {report.edited} edited, {report.removed} removed.",
        )

    @replay.command(
        name="plan", description="Dry run: what a replay would post, without posting anything"
    )
    @app_commands.describe(
        article="The article (start typing its title or key)",
        mode="threads or single",
        pace="fast, steady or natural",
    )
    async def plan(
        self,
        interaction: discord.Interaction,
        article: str,
        mode: Literal["threads", "single"] = "threads",
        pace: Literal["fast", "steady", "natural"] = "fast",
    ) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        key = await self._key(article)
        stored = await queries.get_article(self.services.store, key)
        if stored is None:
            raise UserError("That article is no longer stored.")
        counts = await queries.article_counts(self.services.store, stored.id)
        text, html_page = await asyncio.to_thread(
            _plan_answer, stored, Mode(mode), Pace(pace), self.manager.avatars, counts
        )
        limit = interaction.guild.filesize_limit if interaction.guild else 10 * 1024 * 1024
        if len(html_page) > limit:  # Discord would refuse the whole answer
            text = (
                f"The page of this replay is too large to attach ({len(html_page):,} bytes):"
                f" `threadreplay preview {key} --html FILE` writes it.\n{text}"
            )
        pages = render.split_text(text, render.MESSAGE_CONTENT)
        for n, page in enumerate(pages[:5]):
            attached = (
                discord.File(io.BytesIO(html_page), filename=_page_name(key))
                if n == 0 and len(html_page) <= limit
                else discord.utils.MISSING
            )
            await interaction.followup.send(
                page, ephemeral=True, allowed_mentions=render.NO_MENTIONS, file=attached
            )
        if len(pages) > 5:
            await answer(
                interaction,
                f"…and {len(pages) - 5} more pages: `threadreplay preview {key}` shows everything.",
            )

    start.autocomplete("article")(article_autocomplete)
    plan.autocomplete("article")(article_autocomplete)
    update.autocomplete("article")(article_autocomplete)
