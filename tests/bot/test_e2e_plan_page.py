"""`/replay plan` end to end: its ephemeral answer carries the replay's HTML page as a file."""

from __future__ import annotations

import html
from pathlib import Path

import pytest

from bot.replay.plan import build_plan
from storage.models import Mode
from storage.parsers import parse_file
from tests.bot.conftest import SEEDS, StartBot, World
from tests.fakediscord import FakeDiscord

KEY = "000_e7a44f8a370d07ea"
pytestmark = pytest.mark.fakediscord(time_scale=0.02)


@pytest.mark.parametrize("mode", ["threads", "single"])
async def test_replay_plan_attaches_the_page_of_the_whole_replay(
    fake_discord: FakeDiscord, world: World, start_bot: StartBot, bot_env: Path, mode: str
) -> None:
    await start_bot()
    result = await fake_discord.invoke(
        "replay plan",
        {"article": KEY, "mode": mode},
        user_id=world.member,  # a dry run: anyone may ask
        guild_id=world.guild,
        channel_id=world.channel,
    )
    await result.wait_done(timeout=15)
    assert result.error is None, result.error
    answer = result.message
    assert answer is not None and answer.ephemeral
    assert answer.content.startswith("Replay plan for Syrian")  # the text answer is kept
    [attachment] = answer.attachments
    assert attachment["filename"] == f"replay-plan-{KEY}.html"
    assert all(not m.attachments for m in result.followups)  # one page, on the first message
    page = answer.uploads[attachment["id"]].decode("utf-8")
    assert len(page.encode()) == attachment["size"]

    plan = build_plan(parse_file(SEEDS / f"{KEY}.txt"), Mode(mode))
    assert page.startswith("<!DOCTYPE html>") and "<script" not in page
    assert len(plan.steps) == 15  # the seed's 16 comments, less its one spam
    assert page.count('<article class="msg" data-seq=') == len(plan.steps)
    for step in plan.steps:  # every author, with the face the replay would post under
        assert f'<span class="who">{html.escape(step.username)}</span>' in page
        assert step.avatar_url is not None and html.escape(step.avatar_url) in page
    assert "BarbaraESchacher" not in page  # spam left out, as the replay would
    assert not fake_discord.messages(world.channel)  # a dry run posts nothing
