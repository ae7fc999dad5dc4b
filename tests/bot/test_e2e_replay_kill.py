"""Exactly once under SIGKILL: the bot process is killed at random moments of a replay, and at the worst
moment (a message posted whose answer never reached the bot), then restarted, many times in one test.
The final channel must equal an uninterrupted replay."""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest

from tests.bot.conftest import World
from tests.bot.replaykit import replay_states, replayed, slash, wait_state, write_dump
from tests.fakediscord import FakeDiscord
from tests.sqlitefile import connect as sqlite_connect

pytestmark = pytest.mark.fakediscord(time_scale=0.02)

ROOT = Path(__file__).parents[2]
HOOK_EXECUTE = "POST /webhooks/{webhook_id}/{webhook_token}"
SYNC = "PUT /applications/{application_id}/guilds/{guild_id}/commands"


class Child:
    """The bot in a child process; `kill()` is SIGKILL: no cleanup of any kind."""

    def __init__(self, fake: FakeDiscord, log: Path) -> None:
        self.fake = fake
        self.log = log
        self.proc: asyncio.subprocess.Process | None = None

    async def start(self) -> None:
        """Start and wait until it has synced its commands (it is connected and ready)."""
        synced = len(self.fake.calls_to(SYNC))
        env = {
            **os.environ,
            "DISCORD_TOKEN": self.fake.token,
            "FAKE_API_URL": self.fake.api_url,
            "FAKE_GATEWAY_URL": self.fake.gateway_url,
            "PYTHONPATH": str(ROOT),
        }
        with self.log.open("ab") as log:
            self.proc = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "tests.bot.child_bot",
                env=env,
                cwd=ROOT,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=log,
                stderr=log,
            )
        await self.fake.wait_for(
            lambda: len(self.fake.calls_to(SYNC)) > synced and self.fake.gateway.connected,
            timeout=20,
        )

    async def terminate(self) -> int:
        """SIGTERM, as systemd or `docker stop` would; returns the exit code."""
        assert self.proc is not None
        self.proc.terminate()
        return await asyncio.wait_for(self.proc.wait(), timeout=20)

    async def kill(self) -> None:
        """SIGKILL and reap."""
        if self.proc is None:
            return
        with contextlib.suppress(ProcessLookupError):
            self.proc.kill()
        await self.proc.wait()


def holder(posted: asyncio.Event, release: asyncio.Event) -> Callable[[str, str], Awaitable[None]]:
    """An on_handled hook that holds the answer to the next webhook message until `release`."""

    async def hold(route: str, path: str) -> None:
        if route == HOOK_EXECUTE and not posted.is_set():
            posted.set()
            await release.wait()

    return hold


def bodies(fake: FakeDiscord, world: World) -> list[str]:
    return [c.split("\n")[-1] for _, c in replayed(fake, world.channel)]


async def test_sigkill_at_random_moments_then_restart_equals_uninterrupted_replay(
    fake_discord: FakeDiscord, world: World, bot_env: Path
) -> None:
    comments = [
        (f"user{i % 6}", [0, 1, 2, 1, 2, 3][i % 6], f"Comment {i}: " + "word " * (i % 9) + "end.")
        for i in range(60)
    ]
    write_dump(bot_env / "seeds" / "sixty.txt", "Sixty", comments)
    want = [text.replace("  ", " ") for _, _, text in comments]
    db = bot_env / "bot.db"
    child = Child(fake_discord, bot_env / "child.log")
    rng = random.Random(20261124)
    kills = held = 0
    try:
        await child.start()
        await slash(fake_discord, world, "replay start", article="sixty", pace="steady")
        while replay_states(db)[-1][0] != "finished" and kills < 10:
            if kills % 2 == 0:
                # The worst moment: Discord posted the message, the bot never hears about it.
                posted, release = asyncio.Event(), asyncio.Event()
                fake_discord.on_handled = holder(posted, release)
                try:
                    await asyncio.wait_for(posted.wait(), timeout=10)
                except TimeoutError:
                    break  # finished meanwhile
                await child.kill()
                fake_discord.on_handled = None
                release.set()
                held += 1
            else:
                await asyncio.sleep(rng.uniform(0.05, 0.6))  # a random moment
                await child.kill()
            kills += 1
            await child.start()
        await wait_state(fake_discord, db, "finished", within=60)
    finally:
        await child.kill()
    assert kills >= 6 and held >= 3, (kills, held)
    got = bodies(fake_discord, world)
    assert len(got) == len(set(got)) == 60  # nothing twice, nothing lost
    assert got == [w.strip() for w in want]  # and in order
    # Discord itself saw each message posted once: the held ones were found, not sent again.
    executes = [
        c
        for c in fake_discord.calls_to(HOOK_EXECUTE)
        if c.status == 200
        and not c.path.startswith(f"/webhooks/{fake_discord.app_id}/")  # not followups
    ]
    assert len(executes) == 60
    threads = fake_discord.threads(world.channel)
    assert len(threads) == len({t.id for t in threads}) == 10  # one thread per top-level comment


async def test_sigterm_stops_cleanly_between_messages_and_the_next_start_resumes(
    fake_discord: FakeDiscord, world: World, bot_env: Path
) -> None:
    write_dump(
        bot_env / "seeds" / "twenty.txt",
        "Twenty",
        [(f"u{i}", 0, f"Comment {i}.") for i in range(20)],
    )
    db = bot_env / "bot.db"
    child = Child(fake_discord, bot_env / "child.log")
    try:
        await child.start()
        await slash(fake_discord, world, "replay start", article="twenty", pace="steady")
        await fake_discord.wait_for(lambda: len(bodies(fake_discord, world)) >= 4)
        assert await child.terminate() == 0
        assert replay_states(db)[-1][0] == "running"  # kept running in the ledger: resumed at start
        with sqlite_connect(db) as conn:
            assert conn.execute(
                "SELECT count(*) FROM replay_steps WHERE status = 'sending'"
            ).fetchone() == (0,)
        stopped_at = len(bodies(fake_discord, world))
        await child.start()
        await wait_state(fake_discord, db, "finished", within=60)
    finally:
        await child.kill()
    assert stopped_at < 20
    assert bodies(fake_discord, world) == [f"Comment {i}." for i in range(20)]
