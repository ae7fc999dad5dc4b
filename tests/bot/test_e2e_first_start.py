"""End to end: the standalone bot publishes its global commands on the first start, and again only
when they change."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.bot.conftest import StartBot
from tests.fakediscord import FakeDiscord
from tests.sqlitefile import connect

GLOBAL_SYNC = "PUT /applications/{application_id}/commands"


def global_syncs(fake: FakeDiscord) -> int:
    return len(fake.calls_to(GLOBAL_SYNC))


async def test_first_start_publishes_globally_unchanged_restart_does_not_changed_set_does(
    fake_discord: FakeDiscord,
    start_bot: StartBot,
    bot_env: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.setenv("THREADREPLAY_DEV_GUILD", "")  # a newcomer's start: no dev server
    with caplog.at_level("INFO", logger="bot.standalone"):
        bot = await start_bot()
    assert global_syncs(fake_discord) == 1
    published = sorted(c.name for c in fake_discord.world.commands_for(None))
    assert published == sorted(c.name for c in bot.tree.get_commands())
    assert {"article", "replay", "replayadmin"} <= set(published)
    lines = [r.getMessage() for r in caplog.records if "global slash commands" in r.getMessage()]
    assert lines == [
        f"published {len(published)} global slash commands"
        " (they show in every server the bot is in)"
    ]
    await bot.close()

    await start_bot()  # same code, same database: nothing to publish
    assert global_syncs(fake_discord) == 1

    # An upgrade changed the command set: the database holds what the older version published.
    with connect(bot_env / "bot.db") as conn:
        updated = conn.execute(
            "UPDATE bot_state SET value = 'fingerprint-of-an-older-version' WHERE key = ?",
            (f"global_commands:{fake_discord.app_id}",),
        ).rowcount
    assert updated == 1
    await start_bot()
    assert global_syncs(fake_discord) == 2
    assert [c.status for c in fake_discord.calls_to(GLOBAL_SYNC)] == [200, 200]
