"""Typed ways for one part of the extension to reach another through the host bot's cogs.

Each returns None when that cog is not loaded (a host bot may load only some of them, and during
`reload-code` they come and go), never an untyped `get_cog("…")` result.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord
from discord.ext import commands

# A bot the extension can be loaded into: discord.py's AutoShardedBot is not a subclass of Bot.
HostBot = commands.Bot | commands.AutoShardedBot

if TYPE_CHECKING:
    from bot.cogs.articles import ArticlesCog
    from bot.cogs.replay import ReplayCog
    from bot.feed import Announcer
    from bot.replay.manager import ReplayManager


def _cog(bot: discord.Client, name: str) -> commands.Cog | None:
    return bot.get_cog(name) if isinstance(bot, commands.Bot | commands.AutoShardedBot) else None


def articles(bot: discord.Client) -> ArticlesCog | None:
    """The articles cog (cards, autocomplete)."""
    from bot.cogs.articles import ArticlesCog

    cog = _cog(bot, "Articles")
    return cog if isinstance(cog, ArticlesCog) else None


def replay_cog(bot: discord.Client) -> ReplayCog | None:
    """The replay cog (the card's button starts a replay through it)."""
    from bot.cogs.replay import ReplayCog

    cog = _cog(bot, "Replay")
    return cog if isinstance(cog, ReplayCog) else None


def replay_manager(bot: discord.Client) -> ReplayManager | None:
    """The replay manager of the loaded replay cog."""
    cog = replay_cog(bot)
    return cog.manager if cog is not None else None


def announcer(bot: discord.Client) -> Announcer | None:
    """The feed's announcer of the loaded feed cog."""
    from bot.cogs.feed import FeedCog

    cog = _cog(bot, "Feed")
    return cog.announcer if isinstance(cog, FeedCog) else None
