"""`/article …`: browse, show, search, stats and the comment tree; the card's replay button."""

from __future__ import annotations

import asyncio
import logging

import discord
from discord import app_commands
from discord.ext import commands

from bot import access, render
from bot.access import HostBot
from bot.checks import can_post
from bot.errors import UserError, handle_command_error
from bot.services import Services
from bot.views import Pager, make_replay_button
from storage import queries
from storage.db import Storage
from storage.models import StoredArticle
from storage.words import plural

log = logging.getLogger(__name__)

PER_PAGE = 10
LIST_LIMIT = 500  # /article list pages through at most this many articles (newest first)
SEARCH_LIMIT = 10


async def resolve_article(store: Storage, value: str) -> StoredArticle:
    """The article named by an option value: a key, or a title typed without autocomplete."""
    value = value.strip()
    stored = await queries.get_article(store, value)
    if stored is None:
        matches = await queries.suggest_articles(store, value, limit=2)
        if len(matches) == 1:
            stored = await queries.get_article(store, matches[0].key)
    if stored is None:
        raise UserError(f"No article matches `{render.shown(value, 80)}`. Try `/article list`.")
    return stored


async def article_choices(store: Storage, current: str) -> list[app_commands.Choice[str]]:
    """Autocomplete choices: articles whose title or key contains what the user typed."""
    found = await queries.suggest_articles(store, current, limit=render.AUTOCOMPLETE_CHOICES)
    return [
        app_commands.Choice(name=render.choice_name(a), value=a.key)
        for a in found
        if len(a.key) <= render.CHOICE_VALUE
    ]


class ArticlesCog(commands.Cog, name="Articles"):
    """Read-only commands over the stored articles."""

    article = app_commands.Group(
        name="article", description="Browse the stored article discussions"
    )

    def __init__(self, bot: HostBot, services: Services) -> None:
        self.bot = bot
        self.services = services
        self.replay_button = make_replay_button(self.on_replay_button)

    async def cog_load(self) -> None:
        self.services.acquire()
        self.bot.add_dynamic_items(self.replay_button)

    async def cog_unload(self) -> None:
        self.bot.remove_dynamic_items(self.replay_button)
        await self.services.release()

    async def cog_app_command_error(
        self, interaction: discord.Interaction, error: app_commands.AppCommandError
    ) -> None:
        await handle_command_error(interaction, error)

    async def article_autocomplete(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        """Titles and keys containing what the user typed."""
        return await article_choices(self.services.store, current)

    async def card(self, key: str) -> tuple[discord.Embed, discord.ui.View]:
        """The article card and its persistent "Replay discussion" button."""
        stored = await resolve_article(self.services.store, key)
        counts = await queries.article_counts(self.services.store, stored.id)
        view = discord.ui.View(timeout=None)
        view.add_item(self.replay_button(stored.id))
        return render.article_card(stored, counts), view

    @article.command(name="list", description="List the stored articles, newest first")
    @app_commands.describe(page="Page to open first (10 articles per page)")
    async def list_(
        self, interaction: discord.Interaction, page: app_commands.Range[int, 1] = 1
    ) -> None:
        total = await queries.count_articles(self.services.store)
        items = await queries.list_articles(self.services.store, limit=LIST_LIMIT)
        pages = render.article_list_pages(items, total, PER_PAGE)
        title = (
            f"Articles ({total})"
            if total <= LIST_LIMIT
            else f"Articles (newest {LIST_LIMIT} of {total})"
        )
        if page > len(pages):
            raise UserError(
                f"There {'is' if len(pages) == 1 else 'are'} only {plural(len(pages), 'page')} of articles."
            )
        await Pager(interaction.user.id, title, pages, page - 1).send(interaction)

    @article.command(name="show", description="Post an article's card in this channel")
    @app_commands.describe(article="The article (start typing its title or key)")
    async def show(self, interaction: discord.Interaction, article: str) -> None:
        stored = await resolve_article(self.services.store, article)
        counts = await queries.article_counts(self.services.store, stored.id)
        view = discord.ui.View(timeout=None)
        view.add_item(self.replay_button(stored.id))
        channel = interaction.channel
        public = channel is None or (
            not isinstance(channel, discord.abc.GuildChannel | discord.Thread)
            or can_post(interaction.permissions, channel)
        )
        await interaction.response.send_message(
            None if public else "You cannot post in this channel, so only you see this card.",
            embed=render.article_card(stored, counts),
            view=view,
            ephemeral=not public,
            allowed_mentions=render.NO_MENTIONS,
        )

    @article.command(name="search", description="Full-text search over articles and comments")
    @app_commands.describe(
        query='Words to find (FTS syntax such as OR, "phrases" and prefix* works too)'
    )
    async def search(
        self, interaction: discord.Interaction, query: app_commands.Range[str, 1, 200]
    ) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        hits = await queries.search(self.services.store, query, limit=SEARCH_LIMIT)
        await interaction.followup.send(
            embed=render.search_embed(query, hits),
            ephemeral=True,
            allowed_mentions=render.NO_MENTIONS,
        )

    @article.command(name="stats", description="Totals, top commenters and the deepest thread")
    async def stats(self, interaction: discord.Interaction) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        stats = await queries.corpus_stats(self.services.store)
        await interaction.followup.send(
            embed=render.stats_embed(stats), ephemeral=True, allowed_mentions=render.NO_MENTIONS
        )

    @article.command(name="tree", description="Show an article's comment tree as an outline")
    @app_commands.describe(article="The article (start typing its title or key)")
    async def tree(self, interaction: discord.Interaction, article: str) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        stored = await resolve_article(self.services.store, article)
        # About a second per 50,000 comments: built off the loop, so other commands are answered.
        pages = await asyncio.to_thread(render.tree_pages, stored.article.comments)
        title = f"Comments on {render.shown(stored.article.title, 200)}"
        await Pager(interaction.user.id, title, pages).send(interaction)

    show.autocomplete("article")(article_autocomplete)
    tree.autocomplete("article")(article_autocomplete)

    async def on_replay_button(self, interaction: discord.Interaction, article_id: int) -> None:
        """The card's "Replay discussion" button: handed to the replay cog, if it is loaded."""
        replay = access.replay_cog(self.bot)
        if replay is None:
            raise UserError("Replaying is not available on this bot right now.")
        await replay.start_from_card(interaction, article_id)
