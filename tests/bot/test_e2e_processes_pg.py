"""Several bot processes sharing one PostgreSQL store, as a deployment of many servers runs them.

Real processes (`threadreplay run` with THREADREPLAY_SHARDS), a real throwaway PostgreSQL cluster and
the fake Discord, which delivers each server's events and interactions to the process of its shard:

- two processes on shards 0 and 1 of 2, a server on each; articles loaded by the CLI in a third
  process; each server's announcement and auto-replay done once, by the process of its shard;
- a rolling restart during a replay (the new process starts before the old one stops): the new one
  takes the replay over once the old one hands it back, and every comment is posted once, in order;
- a process killed with SIGKILL during a replay: its lease expires, the process started in its place
  reads back what was in flight and finishes; every comment once, in order.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import signal
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.bot.replaykit import replayed, write_dump
from tests.bot.test_e2e_cli import WELL_FORMED
from tests.fakediscord import FakeDiscord
from tests.pgcluster import PASSWORD, Cluster

# A token the bot's own shape check accepts (the fake's default one is shorter than Discord's).
pytestmark = pytest.mark.fakediscord(time_scale=0.02, token=WELL_FORMED)

THREADREPLAY = Path(sys.executable).with_name("threadreplay")
# `threadreplay run` with discord.py's REST base (argv[1]) and gateway (argv[2]) at the fake, as the
# in-process tests' harness points them; nothing else is changed.
RUN_AGAINST_FAKE = (
    "import sys, yarl, discord.http, discord.gateway;"
    " discord.http.Route.BASE = sys.argv[1];"
    " discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(sys.argv[2]);"
    " from bot.cli import main; sys.exit(main(['run']))"
)
# 150 comments: at 30 webhook messages a minute per channel (scaled: 1.2 s) a replay takes five
# windows, long enough to restart or kill its process half-way.
LONG = [(f"user{i % 7}", 0, f"Comment number {i}.") for i in range(150)]
SHORT = [("Ann", 0, "First."), ("Bob", 1, "A reply."), ("Cy", 0, "Second.")]


class Server:
    """A server on one shard of two, with an announcement channel and its owner."""

    def __init__(self, fake: FakeDiscord, name: str, shard: int) -> None:
        self.shard = shard
        self.guild = fake.add_guild(name, on_shard=(shard, 2))
        self.channel = fake.add_text_channel(self.guild, "news")
        self.owner = fake.world.guild(self.guild).owner_id


class Bots:
    """Starts bot processes against the fake, each with its own log file; stops them all at the end."""

    def __init__(self, fake: FakeDiscord, root: Path, db: str) -> None:
        self.fake = fake
        self.root = root
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("THREADREPLAY_")}
        self.env |= {
            "DISCORD_TOKEN": fake.token,
            "THREADREPLAY_DB": db,
            "THREADREPLAY_SEEDS": str(root / "seeds"),
            "THREADREPLAY_TIME_SCALE": "0.02",
            "THREADREPLAY_LOG_LEVEL": "INFO",
        }
        (root / "seeds").mkdir()
        self.procs: list[asyncio.subprocess.Process] = []
        self.logs: list[Path] = []

    async def start(self, shards: str) -> int:
        """Start a process running `shards`; wait until it is connected. Its index."""
        identified = self.fake.gateway.identifies
        log = self.root / f"bot-{len(self.procs)}.log"
        with log.open("wb") as err:
            proc = await asyncio.create_subprocess_exec(
                sys.executable, "-c", RUN_AGAINST_FAKE, self.fake.api_url, self.fake.gateway_url,
                env=self.env | {"THREADREPLAY_SHARDS": shards}, cwd=self.root,
                stdout=asyncio.subprocess.DEVNULL, stderr=err,
            )  # fmt: skip
        self.procs.append(proc)
        self.logs.append(log)
        await self.fake.wait_for(
            lambda: self.fake.gateway.identifies > identified, timeout=60, message="no IDENTIFY"
        )
        return len(self.procs) - 1

    def log(self, index: int) -> str:
        """What a process has logged so far."""
        return self.logs[index].read_text("utf-8", errors="replace")

    async def stop(self, index: int, sig: int = signal.SIGTERM) -> int:
        """Signal a process and wait for it to end; its exit code."""
        proc = self.procs[index]
        if proc.returncode is None:
            proc.send_signal(sig)
        return await asyncio.wait_for(proc.wait(), 60)

    async def close(self) -> None:
        """Stop whatever still runs."""
        for proc in self.procs:
            if proc.returncode is None:
                proc.kill()
                await proc.wait()


@contextlib.asynccontextmanager
async def bots(fake: FakeDiscord, root: Path, db: str) -> AsyncIterator[Bots]:
    """Bot processes for one test, all stopped at its end."""
    started = Bots(fake, root, db)
    try:
        yield started
    finally:
        await started.close()


async def command(fake: FakeDiscord, server: Server, name: str, **options: object) -> str:
    """A slash command by the server's owner in its channel, once the commands are published."""
    await fake.wait_for(
        lambda: any(c.name == "replayadmin" for c in fake.world.commands_for(None)), timeout=60
    )
    result = await fake.invoke(
        name, options, user_id=server.owner, guild_id=server.guild, channel_id=server.channel
    )
    await result.wait_done()
    assert result.error is None, result.error
    return result.content or ""


async def cli_load(folder: Path, db: str, env: dict[str, str]) -> None:
    """`threadreplay load FOLDER --db URL` in a process of its own."""
    proc = await asyncio.create_subprocess_exec(
        str(THREADREPLAY), "load", str(folder), "--db", db, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await asyncio.wait_for(proc.communicate(), 120)
    assert proc.returncode == 0, err.decode()
    assert PASSWORD not in (out + err).decode()


def cards(fake: FakeDiscord, channel: int) -> list[str]:
    """The keys of the article cards in a channel, in order."""
    return [
        m.embeds[0]["footer"]["text"]
        for m in fake.messages(channel)
        if m.embeds and "footer" in m.embeds[0]
    ]


def finished_replays(log: str) -> list[int]:
    """Ids of the replays a process says it finished."""
    return [int(n) for n in re.findall(r"replay (\d+) finished", log)]


def replays(cluster: Cluster, db: str) -> dict[int, tuple[int, str]]:
    """Replay id -> (guild id, state), from the shared store."""
    out = cluster.psql("SELECT id, guild_id, state FROM replays ORDER BY id", db.rsplit("/", 1)[1])
    return {int(i): (int(g), s) for i, g, s in (line.split("|") for line in out.splitlines())}


async def test_two_shard_processes_announce_and_replay_each_their_own_server_once(
    fake_discord: FakeDiscord, tmp_path: Path, pg_url: str, pg_cluster: Cluster
) -> None:
    zero, one = Server(fake_discord, "Zero", 0), Server(fake_discord, "One", 1)
    async with bots(fake_discord, tmp_path, pg_url) as run:
        first, second = await run.start("0/2"), await run.start("1/2")
        for server in (zero, one):
            answer = await command(
                fake_discord, server, "replayadmin config",
                announce_channel=server.channel, auto_replay="threads",
            )  # fmt: skip
            assert "Settings saved" in answer
        articles = tmp_path / "articles"
        articles.mkdir()
        write_dump(articles / "news.txt", "Fresh news", SHORT)
        await cli_load(articles, pg_url, run.env)
        for server in (zero, one):
            await fake_discord.wait_for(
                lambda s=server: len(replayed(fake_discord, s.channel)) == 3, timeout=60
            )
        stored = replays(pg_cluster, pg_url)
        logs = [run.log(first), run.log(second)]
        assert await run.stop(first) == 0 and await run.stop(second) == 0
    for server in (zero, one):
        assert cards(fake_discord, server.channel) == ["key: news"]  # announced once
        assert [c for _, c in replayed(fake_discord, server.channel)] == [c for _, _, c in SHORT]
    by_guild = {guild: replay_id for replay_id, (guild, _) in stored.items()}
    assert sorted(by_guild) == sorted([zero.guild, one.guild])
    assert all(state == "finished" for _, state in stored.values())
    # Each replay was run by the process of its server's shard, and by that one only.
    assert finished_replays(logs[0]) == [by_guild[zero.guild]]
    assert finished_replays(logs[1]) == [by_guild[one.guild]]
    assert PASSWORD not in logs[0] + logs[1]
    assert [r.scope for r in fake_discord.refusals] == []


async def test_rolling_restart_and_sigkill_during_replays_post_every_comment_once_in_order(
    fake_discord: FakeDiscord, tmp_path: Path, pg_url: str, pg_cluster: Cluster
) -> None:
    zero, one = Server(fake_discord, "Zero", 0), Server(fake_discord, "One", 1)
    want = [c for _, _, c in LONG]
    async with bots(fake_discord, tmp_path, pg_url) as run:
        write_dump(tmp_path / "seeds" / "long.txt", "A long discussion", LONG)
        old_zero, old_one = await run.start("0/2"), await run.start("1/2")
        for server in (zero, one):
            assert "Replay started" in await command(
                fake_discord, server, "replay start", article="long"
            )
        await fake_discord.wait_for(lambda: len(replayed(fake_discord, zero.channel)) >= 20, 60)

        # Rolling restart of shard 0: the new process is up before the old one stops.
        new_zero = await run.start("0/2")
        assert await run.stop(old_zero, signal.SIGTERM) == 0
        # SIGKILL of shard 1 half-way, and a new process in its place.
        await fake_discord.wait_for(lambda: len(replayed(fake_discord, one.channel)) >= 40, 60)
        assert await run.stop(old_one, signal.SIGKILL) == -signal.SIGKILL
        new_one = await run.start("1/2")

        for server in (zero, one):
            await fake_discord.wait_for(
                lambda s=server: len(replayed(fake_discord, s.channel)) >= len(LONG), timeout=120
            )
        await fake_discord.wait_for(
            lambda: [s for _, s in replays(pg_cluster, pg_url).values()] == ["finished"] * 2, 30
        )
        took_over = (run.log(new_zero), run.log(new_one))
    for server in (zero, one):
        assert [c for _, c in replayed(fake_discord, server.channel)] == want
    # The new processes did finish them (they resumed what the old ones left).
    assert all("resumed replay" in log for log in took_over)
    assert all(finished_replays(log) for log in took_over)
