"""Point the real discord.py at a :class:`FakeDiscord` and run clients against it cleanly."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Iterator

import discord
import yarl
from discord.gateway import DiscordWebSocket
from discord.http import Route

from .fake import FakeDiscord


@contextlib.contextmanager
def patched_discord(fake: FakeDiscord) -> Iterator[None]:
    """Redirect REST (``Route.BASE``, shared by webhooks and interactions) and the gateway.

    discord.py 2.7 never asks ``/gateway/bot`` for a plain ``Client``: it connects to
    ``DiscordWebSocket.DEFAULT_GATEWAY`` (and falls back to it after op 9), so both are patched.
    """
    old_base, old_gateway = Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY
    Route.BASE = fake.api_url
    DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(fake.gateway_url)
    try:
        yield
    finally:
        Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY = old_base, old_gateway


def default_intents() -> discord.Intents:
    """``Intents.default()``: what a slash-command bot needs (no privileged intents)."""
    return discord.Intents.default()


@contextlib.asynccontextmanager
async def running(
    client: discord.Client,
    fake: FakeDiscord,
    *,
    ready_timeout: float = 10.0,
    guild_ready_timeout: float | None = 0.05,
) -> AsyncIterator[discord.Client]:
    """Log ``client`` in, connect it, wait for ``on_ready``; on exit close it and its task.

    discord.py waits ``guild_ready_timeout`` (default 2 s) after the last GUILD_CREATE before
    ``on_ready``; the fake sends them all at once, so a short wait keeps tests fast.
    """
    if guild_ready_timeout is not None:
        client._connection.guild_ready_timeout = guild_ready_timeout
    await client.login(fake.token)
    task = asyncio.create_task(client.connect(reconnect=True), name="fakediscord-client")
    try:
        ready = asyncio.create_task(client.wait_until_ready())
        done, _ = await asyncio.wait(
            {ready, task}, timeout=ready_timeout, return_when=asyncio.FIRST_COMPLETED
        )
        if ready not in done:
            ready.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await ready
            if task in done:
                task.result()  # re-raise the connection error
            raise TimeoutError(f"client not ready within {ready_timeout}s")
        yield client
    finally:
        await client.close()
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.wait_for(task, timeout=5.0)
