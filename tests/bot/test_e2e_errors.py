"""End to end: slow commands defer within Discord's deadline; errors reach users ephemerally and safely."""

from __future__ import annotations

import asyncio
import importlib
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from bot.errors import GENERIC
from tests.bot.conftest import StartBot, World
from tests.bot.e2e import CALLBACK, SEED_KEY, store_of
from tests.fakediscord import FakeDiscord


def gate(monkeypatch: pytest.MonkeyPatch, target: str) -> asyncio.Event:
    """Make the async function `module.attr` wait until the returned event is set (a slow query)."""
    module_name, attr = target.rsplit(".", 1)
    module = importlib.import_module(module_name)
    original: Callable[..., Awaitable[Any]] = getattr(module, attr)
    opened = asyncio.Event()

    async def gated(*args: Any, **kwargs: Any) -> Any:
        await opened.wait()
        return await original(*args, **kwargs)

    monkeypatch.setattr(module, attr, gated)
    return opened


@pytest.mark.parametrize(
    ("command", "options", "slow_part", "as_admin"),
    [
        ("article search", {"query": "Qalamun"}, "storage.queries.search", False),
        ("article stats", {}, "storage.queries.corpus_stats", False),
        ("article tree", {"article": SEED_KEY}, "storage.queries.get_article", False),
        ("replayadmin reload", {}, "bot.cogs.admin.load_paths", True),
    ],
)
async def test_slow_command_defers_within_deadline_then_answers_after_the_slow_part(
    fake_discord: FakeDiscord,
    world: World,
    start_bot: StartBot,
    monkeypatch: pytest.MonkeyPatch,
    command: str,
    options: dict[str, str],
    slow_part: str,
    as_admin: bool,
) -> None:
    await start_bot()
    opened = gate(monkeypatch, slow_part)
    user = world.owner if as_admin else world.member
    result = await fake_discord.invoke(command, options, user_id=user)
    await result.wait_response()
    # The "thinking" answer went out while the database part is still blocked.
    assert result.response_type == 5 and result.error is None and not result.is_done()
    [callback] = [
        c for c in fake_discord.calls_to(CALLBACK) if c.path.split("/")[2] == str(result.id)
    ]
    assert callback.time - result.record.dispatched_at < fake_discord.interaction_deadline
    fake_discord.advance_time(30)  # the slow part outlives the 3 s an undeferred answer would get
    opened.set()
    await result.wait_done()
    assert result.ephemeral and result.embeds and result.error is None


@pytest.mark.parametrize("command", ["article show", "article tree"])
async def test_unknown_article_key_gets_an_ephemeral_explanation_without_exception_text(
    fake_discord: FakeDiscord,
    world: World,
    start_bot: StartBot,
    caplog: pytest.LogCaptureFixture,
    command: str,
) -> None:
    await start_bot()
    result = await fake_discord.invoke(command, {"article": "no_such_key"}, user_id=world.member)
    await result.wait_done()
    assert result.ephemeral
    assert result.content == "No article matches `no\\_such\\_key`. Try `/article list`."
    assert fake_discord.messages(world.channel) == []  # nothing public
    assert not [
        r for r in caplog.records if r.levelno >= logging.WARNING and r.name.startswith("bot")
    ]


@pytest.mark.parametrize("command", ["article show", "article stats"])
async def test_unexpected_failure_shows_generic_message_and_logs_command_and_ids(
    fake_discord: FakeDiscord,
    world: World,
    start_bot: StartBot,
    caplog: pytest.LogCaptureFixture,
    command: str,
) -> None:
    bot = await start_bot()
    await store_of(bot).reader.close()  # every read now raises: an unexpected, internal failure
    options = {"article": SEED_KEY} if command == "article show" else {}
    with caplog.at_level(logging.ERROR, logger="bot.errors"):
        result = await fake_discord.invoke(command, options, user_id=world.member)
        await result.wait_done()
    assert result.ephemeral and result.content == GENERIC
    [record] = [r for r in caplog.records if r.name == "bot.errors"]
    logged = record.getMessage()
    assert f"/{command}" in logged
    for value in (result.id, world.member, world.guild, world.channel):
        assert str(value) in logged
    assert record.exc_info is not None and record.exc_info[0] is ValueError
    assert str(record.exc_info[1]) not in (result.content or "")
