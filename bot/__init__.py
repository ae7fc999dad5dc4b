"""threadreplay's Discord side, loadable into any discord.py bot: `await bot.load_extension("bot")`.

Standalone (`threadreplay run`) builds a plain bot that loads this same extension in `setup_hook`.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.access import HostBot
    from bot.services import Services

log = logging.getLogger(__name__)

# Bots (by id) this module's `setup` finished for: discord.py calls `teardown` after a failed
# `setup` too, and "unloaded" would then be a lie.
_loaded: set[int] = set()


async def setup(bot: HostBot) -> None:
    """Open this extension's own storage (from the same settings) and add its cogs. Never syncs."""
    from bot import redact
    from bot.cogs.admin import AdminCog
    from bot.cogs.articles import ArticlesCog
    from bot.cogs.feed import FeedCog
    from bot.cogs.replay import ReplayCog
    from bot.services import Services
    from bot.settings import Settings
    from storage import queries
    from storage.db import Storage
    from storage.loader import load_paths

    redact.install()  # discord.py's DEBUG lines carry webhook and interaction tokens
    settings = Settings()
    store = await Storage.open(settings.db)
    services = Services(settings, store, bot)
    services.acquire()  # held until the cogs are in, so a failing add_cog cannot close it early
    try:
        if await queries.count_articles(store) == 0 and settings.seeds.is_dir():
            report = await load_paths(store, [settings.seeds])
            log.info(
                "first start: loaded %d articles from %s (%d failed)",
                report.count("added"),
                settings.seeds,
                report.count("failed"),
            )
        await bot.add_cog(ArticlesCog(bot, services))
        await bot.add_cog(AdminCog(bot, services))
        await bot.add_cog(ReplayCog(bot, services))
        await bot.add_cog(FeedCog(bot, services))
    finally:
        await services.release()
    _loaded.add(id(bot))


async def teardown(bot: HostBot) -> None:
    """Nothing left to do: each cog released the shared storage in `cog_unload`; the last one closed it."""
    if id(bot) in _loaded:
        _loaded.discard(id(bot))
        log.info("threadreplay extension unloaded")


def services_of(bot: HostBot) -> Services:
    """The services (settings and the open store) the loaded extension shares between its cogs."""
    from bot.cogs.articles import ArticlesCog

    cog = bot.get_cog("Articles")
    if not isinstance(cog, ArticlesCog):
        raise RuntimeError("the threadreplay extension is not loaded")
    return cog.services
