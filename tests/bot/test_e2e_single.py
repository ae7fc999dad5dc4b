"""One bot process per SQLite file: a second `threadreplay run` on the same database exits 2 with one
line while the first keeps serving; `threadreplay load` still writes the file meanwhile; the lock
dies with the process (SIGKILL included); a PostgreSQL URL takes no lock."""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot import single
from bot.settings import Settings
from tests.bot.conftest import World
from tests.bot.e2e import visible_text
from tests.bot.replaykit import write_dump
from tests.bot.test_e2e_cli import THREADREPLAY, WELL_FORMED, run_process
from tests.fakediscord import FakeDiscord

# `threadreplay run` checks the token's shape before anything else: the fake accepts a real-shaped one.
pytestmark = pytest.mark.fakediscord(time_scale=0.02, token=WELL_FORMED)

ROOT = Path(__file__).parents[2]
SYNC = "PUT /applications/{application_id}/guilds/{guild_id}/commands"
# `threadreplay run` with discord.py's REST base and gateway pointed at the fake; nothing else changed.
RUN_AGAINST_FAKE = (
    "import sys, yarl, discord.http, discord.gateway; discord.http.Route.BASE = sys.argv[1];"
    " discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(sys.argv[2]);"
    " from bot.cli import main; sys.exit(main(['run']))"
)


def run_argv(fake: FakeDiscord) -> tuple[str, ...]:
    """The command line of a bot process against the fake."""
    return (sys.executable, "-c", RUN_AGAINST_FAKE, fake.api_url, fake.gateway_url)


def bot_environ(fake: FakeDiscord) -> dict[str, str]:
    """The test's THREADREPLAY_* settings (from `bot_env`) with the fake's token."""
    return {**os.environ, "DISCORD_TOKEN": fake.token, "PYTHONPATH": str(ROOT)}


@contextlib.asynccontextmanager
async def first_bot(fake: FakeDiscord, log: Path) -> AsyncIterator[asyncio.subprocess.Process]:
    """A bot process, started and ready (commands synced, gateway connected); SIGKILLed at exit."""
    synced = len(fake.calls_to(SYNC))
    with log.open("ab") as out:
        proc = await asyncio.create_subprocess_exec(
            *run_argv(fake),
            env=bot_environ(fake),
            cwd=log.parent,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=out,
            stderr=out,
        )
    try:
        await fake.wait_for(
            lambda: len(fake.calls_to(SYNC)) > synced and fake.gateway.connected, timeout=60
        )
        yield proc
    finally:
        with contextlib.suppress(ProcessLookupError):
            proc.kill()
        await proc.wait()


async def test_a_second_bot_on_the_same_sqlite_file_exits_2_and_the_first_keeps_serving(
    fake_discord: FakeDiscord, world: World, bot_env: Path
) -> None:
    db = bot_env / "bot.db"
    async with first_bot(fake_discord, bot_env / "first.log") as first:
        identified = fake_discord.gateway.identifies
        code, out, err = await run_process(
            *run_argv(fake_discord), env=bot_environ(fake_discord), cwd=bot_env
        )
        assert (code, out) == (2, "")
        assert err.splitlines() == [
            f"threadreplay: another threadreplay bot is already running on {db} (it holds"
            " bot.db.lock); stop it first, or move to PostgreSQL to run several processes"
        ]
        assert fake_discord.gateway.identifies == identified  # refused before reaching Discord
        assert first.returncode is None
        # The loader is not the bot: it writes the same file while the bot runs.
        (bot_env / "more").mkdir()
        write_dump(bot_env / "more" / "late.txt", "Late arrival", [("Ann", 0, "Here.")])
        code, out, err = await run_process(
            str(THREADREPLAY),
            "load",
            str(bot_env / "more"),
            env=bot_environ(fake_discord),
            cwd=bot_env,
        )
        assert code == 0 and "1 added" in out, err
        # The first bot still answers, and sees what the loader stored.
        listed = await fake_discord.invoke(
            "article list", {}, user_id=world.member, guild_id=world.guild, channel_id=world.channel
        )
        await listed.wait_done()
        assert listed.message is not None and "Late arrival" in visible_text(listed.message)
        with pytest.raises(single.AlreadyRunning), single.hold(Settings()):
            pass
        first.kill()  # SIGKILL: no clean-up of any kind, and still the lock is gone with it
        assert await first.wait() == -9
    with single.hold(Settings()) as lock:
        assert lock == (bot_env / "bot.db.lock").absolute()
        assert lock.read_text() == f"{os.getpid()}\n"


def test_the_lock_is_reentrant_in_one_process_and_released_after(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("THREADREPLAY_DB", str(tmp_path / "x.db"))
    settings = Settings(_env_file=None)
    with single.hold(settings) as outer, single.hold(settings) as inner:
        assert outer == inner == (tmp_path / "x.db.lock").absolute()
    assert single._held == {}


def test_a_database_url_takes_no_lock(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("THREADREPLAY_DB", "postgresql://bot:secret@db.example/threadreplay")
    settings = Settings(_env_file=None)
    assert settings.db_is_url
    with single.hold(settings) as first, single.hold(settings) as second:
        assert first is None and second is None  # several processes share one PostgreSQL store
    assert list(tmp_path.iterdir()) == []
