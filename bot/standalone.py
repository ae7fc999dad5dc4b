"""Standalone mode: a plain discord.py bot that loads the threadreplay extension."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import logging
import os
import signal
import sys
from typing import Any

import aiohttp
import discord
from discord.ext import commands

from bot import redact, services_of, single
from bot.render import NO_MENTIONS
from bot.settings import Settings
from bot.shards import ranges
from storage import state
from storage.db import Storage
from storage.errors import DatabaseUnusable

log = logging.getLogger(__name__)


class ThreadReplayBot(commands.AutoShardedBot):
    """The bot `threadreplay run` starts: guild events only, no message content, no pings.

    Sharded by discord.py: THREADREPLAY_SHARDS names the shards this process runs; unset, discord.py
    asks Discord how many shards the bot needs and runs them all here.
    """

    def __init__(self, settings: Settings, **options: Any) -> None:
        intents = discord.Intents.none()
        intents.guilds = True
        if settings.shards is not None:
            options.update(shard_ids=list(settings.shards.ids), shard_count=settings.shards.count)
        super().__init__(
            command_prefix=commands.when_mentioned,
            intents=intents,
            allowed_mentions=NO_MENTIONS,
            owner_ids=set(settings.owner_ids) or None,
            **options,  # discord.py client options, e.g. guild_ready_timeout
        )
        self.settings = settings

    async def setup_hook(self) -> None:
        await self.load_extension("bot")
        await publish_global_commands(self)
        if self.settings.dev_guild:
            # Guild commands show at once; global ones can take a while. Only at start, only here.
            guild = discord.Object(self.settings.dev_guild)
            self.tree.copy_global_to(guild=guild)
            synced = await self.tree.sync(guild=guild)
            log.info("synced %d commands to dev guild %s", len(synced), self.settings.dev_guild)

    async def on_ready(self) -> None:
        log.info(
            "logged in as %s (%s) in %d guilds on shards %s of %s",
            self.user,
            getattr(self.user, "id", "?"),
            len(self.guilds),
            ranges(list(self.shards)),
            self.shard_count,
        )


def commands_fingerprint(tree: discord.app_commands.CommandTree[Any]) -> str:
    """A hash of the global command set exactly as it would be sent to Discord."""
    payload = sorted(
        (command.to_dict(tree) for command in tree.get_commands()),
        key=lambda c: (c.get("type", 1), c["name"]),
    )
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()


async def publish_global_commands(bot: ThreadReplayBot) -> bool:
    """Sync the global commands when they differ from what this application last published.

    The fingerprint is kept in the database per application, so an unchanged restart makes no sync
    call (Discord rate-limits command syncs) and a changed command set is published at once.
    """
    store = services_of(bot).store  # the extension's own, already open
    key = f"global_commands:{bot.application_id}"
    fingerprint = commands_fingerprint(bot.tree)
    if await state.get_value(store, key) == fingerprint:
        return False
    synced = await bot.tree.sync()
    await state.set_value(store, key, fingerprint)
    log.info(
        "published %d global slash commands (they show in every server the bot is in)", len(synced)
    )
    return True


async def serve(settings: Settings, **options: Any) -> None:
    """Run the bot until it is closed (SIGTERM and SIGINT close it cleanly); AlreadyRunning when
    another bot process holds the SQLite database."""
    token = settings.discord_token.get_secret_value().strip() if settings.discord_token else ""
    with single.hold(settings):
        await _serve(settings, token, **options)


async def _serve(settings: Settings, token: str, **options: Any) -> None:
    """The bot's life, with the database's lock held."""
    async with ThreadReplayBot(settings, **options) as bot:
        # SIGTERM (systemd, docker stop) closes the bot cleanly: extensions unload, replays stop at a
        # safe point and stay "running" in the ledger, so the next start resumes them.
        loop = asyncio.get_running_loop()
        closing: list[
            asyncio.Task[None]
        ] = []  # held, so the close is never garbage-collected mid-way
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, lambda: closing.append(asyncio.create_task(bot.close())))
        await bot.start(token)
        await asyncio.gather(*closing)


def setup_logging(level: str) -> None:
    """discord.py's log format on stderr; colours only on a terminal (and never with NO_COLOR).

    discord.py colours whenever it guesses it runs in a container, which fills journald and log
    files with escape codes.
    """
    options: dict[str, Any] = {}
    if not sys.stderr.isatty() or os.environ.get("NO_COLOR"):
        options["formatter"] = logging.Formatter(
            "[{asctime}] [{levelname:<8}] {name}: {message}", "%Y-%m-%d %H:%M:%S", style="{"
        )
    handler = logging.StreamHandler(sys.stderr)
    redact.install(handler)  # no token or password reaches stderr, whichever logger it came from
    discord.utils.setup_logging(handler=handler, level=getattr(logging, level), **options)


def unreachable(exc: BaseException) -> str | None:
    """Why Discord could not be reached, in a few words, or None when `exc` is something else."""
    if isinstance(exc, aiohttp.ClientConnectorDNSError):
        return f"cannot reach Discord: name resolution failed for {exc.host}"
    if isinstance(exc, aiohttp.ClientConnectorCertificateError):
        return f"cannot reach Discord: the TLS certificate of {exc.host} was refused"
    if isinstance(exc, aiohttp.ClientSSLError):
        host = getattr(exc, "host", "the server")
        return f"cannot reach Discord: TLS handshake with {host} failed"
    if isinstance(exc, aiohttp.ClientConnectorError):
        reason = exc.os_error.strerror or str(exc.os_error) or "connection failed"
        return f"cannot reach Discord at {exc.host}:{exc.port}: {reason.lower()}"
    if isinstance(exc, aiohttp.ClientConnectionError | asyncio.TimeoutError):
        return f"cannot reach Discord: {exc.__class__.__name__}: {exc}"
    return None


async def check_store(settings: Settings) -> None:
    """Open (creating and migrating) the database once before Discord is contacted."""
    async with await Storage.open(settings.db):
        pass


def run(settings: Settings) -> int:
    """Start the bot. Bad settings, an unusable database and a rejected token end in one line and
    exit code 2; an unreachable Discord in one line and exit code 1 (a supervisor retries)."""
    problem = settings.token_problem()
    if problem:
        print(f"threadreplay: {problem}", file=sys.stderr)
        return 2
    with contextlib.ExitStack() as lock:
        try:
            # Before the store is opened: a refused second process must not migrate it either.
            lock.enter_context(single.hold(settings))
        except single.AlreadyRunning as exc:
            print(f"threadreplay: {exc}", file=sys.stderr)
            return 2
        except OSError:
            pass  # no folder yet, or not writable: check_store creates it or says why; serve locks
        return _start(settings)


def _start(settings: Settings) -> int:
    """Check the store, then serve; every start-up failure ends in one line."""
    try:
        asyncio.run(check_store(settings))
    except DatabaseUnusable as exc:
        print(f"threadreplay: {exc}", file=sys.stderr)
        return 2
    setup_logging(settings.log_level)
    # threadreplay never joins voice; without this every start, even one refused for a bad token,
    # opens with two WARNINGs about missing voice libraries.
    discord.VoiceClient.warn_nacl = False
    discord.VoiceClient.warn_dave = False
    try:
        asyncio.run(serve(settings))
    except discord.LoginFailure:
        print(
            "threadreplay: Discord rejected DISCORD_TOKEN (401 Unauthorized): reset the token in the"
            " Developer Portal and update your environment or .env",
            file=sys.stderr,
        )
        return 2
    except discord.PrivilegedIntentsRequired:
        print(
            "threadreplay: Discord refused the gateway intents; check the bot's settings",
            file=sys.stderr,
        )
        return 2
    except single.AlreadyRunning as exc:  # the folder appeared meanwhile, and another bot with it
        print(f"threadreplay: {exc}", file=sys.stderr)
        return 2
    except commands.ExtensionFailed as exc:
        if isinstance(exc.original, DatabaseUnusable):
            print(f"threadreplay: {exc.original}", file=sys.stderr)
            return 2
        raise
    except KeyboardInterrupt:
        return 0
    except Exception as exc:
        reason = unreachable(exc)
        if reason is None:
            raise
        print(f"threadreplay: {reason}; check the network, DNS and proxy", file=sys.stderr)
        return 1
    return 0
