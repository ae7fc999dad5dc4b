"""Pytest fixtures: ``fake_discord`` (started, discord.py patched) and ``discord_client``."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import TypeVar

import discord
import pytest

from .fake import FakeDiscord
from .harness import patched_discord, running

ClientT = TypeVar("ClientT", bound=discord.Client)
Connect = Callable[[ClientT], Awaitable[ClientT]]


def pytest_configure(config: pytest.Config) -> None:
    """Register the ``fakediscord`` marker (warnings are errors in this suite)."""
    config.addinivalue_line(
        "markers", "fakediscord(**kwargs): FakeDiscord options, e.g. time_scale=0.05"
    )


@pytest.fixture
async def fake_discord(request: pytest.FixtureRequest) -> AsyncIterator[FakeDiscord]:
    """A started :class:`FakeDiscord` with discord.py pointed at it; closed afterwards.

    Options come from ``@pytest.mark.fakediscord(time_scale=0.05, ...)``.
    """
    marker = request.node.get_closest_marker("fakediscord")
    options = dict(marker.kwargs) if marker else {}
    fake = FakeDiscord(**options)
    await fake.start()
    try:
        with patched_discord(fake):
            yield fake
    finally:
        await fake.close()
    assert not fake.internal_errors, f"fakediscord crashed: {fake.internal_errors}"


@pytest.fixture
async def discord_client(fake_discord: FakeDiscord) -> AsyncIterator[Connect[discord.Client]]:
    """``await discord_client(client)`` logs in, connects and waits for ready; closed at teardown."""
    async with contextlib.AsyncExitStack() as stack:

        async def connect(client: ClientT) -> ClientT:
            await stack.enter_async_context(running(client, fake_discord))
            return client

        yield connect
