"""The bot's commands on the PostgreSQL store: the same answers as on SQLite (the other e2e tests),
from the real bot over the fake Discord and a real throwaway cluster."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.bot.conftest import StartBot, World
from tests.bot.e2e import SEED_KEY, client_errors, visible_text
from tests.bot.replaykit import slash
from tests.bot.test_e2e_replay_control import forty, texts
from tests.fakediscord import FakeDiscord
from tests.pgcluster import PASSWORD

pytestmark = pytest.mark.fakediscord(time_scale=0.02)

SEED_TITLE = "Syrian Government Is Forcing"


@pytest.fixture
def on_postgres(bot_env: Path, monkeypatch: pytest.MonkeyPatch, pg_url: str) -> str:
    """The bot under test stores everything in a new PostgreSQL database."""
    monkeypatch.setenv("THREADREPLAY_DB", pg_url)
    monkeypatch.setenv("THREADREPLAY_OWNER_IDS", "")
    return pg_url


async def test_article_commands_answer_as_on_sqlite(
    fake_discord: FakeDiscord, world: World, start_bot: StartBot, on_postgres: str
) -> None:
    await start_bot()
    show = await fake_discord.invoke("article show", {"article": SEED_KEY}, user_id=world.member)
    await show.wait_done()
    [card] = show.embeds
    assert card["title"].startswith(SEED_TITLE) and card["footer"]["text"] == f"key: {SEED_KEY}"
    assert {f["name"]: f["value"] for f in card["fields"]} == {
        "Comments": "16",
        "Threads": "5",
        "Participants": "10",
        "Flagged as spam": "1",
    }

    found = await fake_discord.invoke("article search", {"query": "Qalamun"}, user_id=world.member)
    await found.wait_done()
    first = found.embeds[0]["fields"][0]
    assert first["name"].startswith(SEED_TITLE) and "**Qalamun**" in first["value"]
    by_author = await fake_discord.invoke(
        "article search", {"query": "Woolpuller"}, user_id=world.member
    )
    await by_author.wait_done()
    [name] = [f["name"] for f in by_author.embeds[0]["fields"]]
    assert name.startswith("Terra Cotta Woolpuller on " + SEED_TITLE)

    stats = await (await fake_discord.invoke("article stats", user_id=world.member)).wait_done()
    fields = {f["name"]: f["value"] for f in stats.embeds[0]["fields"]}
    assert (fields["Articles"], fields["Comments"], fields["Authors"]) == ("1", "16", "10")
    assert fields["Flagged as spam"] == "1" and fields["Deleted"] == "0"
    assert fields["Top commenters"].startswith("1. RTA (Bob or Al) — 5\n2. RGtz98 — 3")
    assert fields["Deepest thread"].startswith("5 levels in Syrian Government")

    tree = await fake_discord.invoke("article tree", {"article": SEED_KEY}, user_id=world.member)
    await tree.wait_done()
    assert "**MD Ranix**" in visible_text(tree.message)

    listed = await (await fake_discord.invoke("article list", user_id=world.member)).wait_done()
    assert SEED_TITLE in visible_text(listed.message)
    assert client_errors(fake_discord) == []


async def test_replay_pause_resume_finish_and_undo(
    fake_discord: FakeDiscord, world: World, start_bot: StartBot, bot_env: Path, on_postgres: str
) -> None:
    want = forty(bot_env / "seeds")
    await start_bot()
    await slash(fake_discord, world, "replay start", article="forty", pace="steady")
    await fake_discord.wait_for(lambda: len(texts(fake_discord, world)) >= 3)
    await slash(fake_discord, world, "replay pause")
    status = await slash(fake_discord, world, "replay status")
    assert status.startswith("**Paused**") and "paused by mo-mod" in status
    posted = len(texts(fake_discord, world))
    assert texts(fake_discord, world) == want[:posted]
    await slash(fake_discord, world, "replay resume")
    await fake_discord.wait_for(lambda: len(texts(fake_discord, world)) == 40, timeout=60)
    for _ in range(50):  # the last message is on Discord; its ledger row follows at once
        done = await slash(fake_discord, world, "replay status")
        if "40/40" in done:
            break
    assert texts(fake_discord, world) == want and "40/40" in done
    undone = await slash(fake_discord, world, "replay undo")
    assert undone.startswith("Undone: ")
    assert [m for m in fake_discord.messages(world.channel) if m.webhook_id] == []


async def test_status_shows_the_store_to_owners_without_its_password(
    fake_discord: FakeDiscord, world: World, start_bot: StartBot, on_postgres: str
) -> None:
    await start_bot()
    result = await fake_discord.invoke(
        "replayadmin status", user_id=world.owner, guild_id=world.guild, channel_id=world.channel
    )
    await result.wait_done()
    shown = visible_text(result.message)
    assert "**Database** `postgresql://threadreplay@127.0.0.1:" in shown
    assert "MB, 1 article, 16 comments" in shown
    assert PASSWORD not in shown
