"""End to end: `threadreplay backup` makes a consistent copy while the bot is replaying."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from storage.db import Storage
from storage.queries import count_articles
from tests.bot.conftest import StartBot, World
from tests.bot.replaykit import slash, wait_state, write_dump
from tests.bot.test_e2e_cli import THREADREPLAY, run_process
from tests.fakediscord import FakeDiscord
from tests.sqlitefile import rows

pytestmark = pytest.mark.fakediscord(time_scale=0.02)


async def test_backup_while_the_bot_replays_is_a_consistent_usable_copy(
    fake_discord: FakeDiscord, world: World, start_bot: StartBot, bot_env: Path
) -> None:
    comments = [(f"user{i % 4}", 0 if i % 4 == 0 else 1, f"Line {i}.") for i in range(40)]
    write_dump(bot_env / "seeds" / "busy.txt", "Busy", comments)
    await start_bot()
    await slash(fake_discord, world, "replay start", article="busy", pace="steady")
    await fake_discord.wait_for(
        lambda: any(
            c.ok for c in fake_discord.calls_to("POST /webhooks/{webhook_id}/{webhook_token}")
        )
    )
    env = dict(os.environ)
    copy = bot_env / "copy.db"
    code, out, err = await run_process(str(THREADREPLAY), "backup", str(copy), env=env, cwd=bot_env)
    assert (code, err) == (0, "")
    assert out.startswith(f"backed up {bot_env / 'bot.db'} to {copy} (2 articles, ")
    # Mid-replay: the copy holds the replay and a prefix of its steps, each consistent.
    [(state, total)] = rows(
        copy,
        "SELECT r.state, count(*) FROM replays r JOIN replay_steps s"
        " ON s.replay_id = r.id GROUP BY r.id",
    )
    assert state == "running" and total == 40
    async with await Storage.open(copy) as restored:  # a restore is: stop, copy back, start
        assert await count_articles(restored) == 2
    await wait_state(fake_discord, bot_env / "bot.db", "finished", within=60)

    again_code, _, again_err = await run_process(
        str(THREADREPLAY), "backup", str(copy), env=env, cwd=bot_env
    )
    assert again_code == 2 and "already exists" in again_err
