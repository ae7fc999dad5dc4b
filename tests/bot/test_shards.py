"""THREADREPLAY_SHARDS: parsing and its one-line errors, the bot it builds, which guilds a process
serves, and the share of the global request budget its pacer takes."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import discord
import pytest
from discord.ext import commands
from pydantic import ValidationError

from bot.cli import main
from bot.replay.pacer import GLOBAL_LIMIT, Pacer, global_budget
from bot.services import Services
from bot.settings import Settings
from bot.shards import ShardSpec, describe, process_share, serves
from bot.standalone import ThreadReplayBot
from storage.db import Storage


@pytest.mark.parametrize(
    ("text", "ids", "count", "shown"),
    [
        ("0-3/8", (0, 1, 2, 3), 8, "0-3/8"),
        ("2/8", (2,), 8, "2/8"),
        ("0,2/8", (0, 2), 8, "0,2/8"),
        (" 0 - 1 , 3 / 4 ", (0, 1, 3), 4, "0-1,3/4"),
        ("1-2,0-1/3", (0, 1, 2), 3, "0-2/3"),
        ("0/1", (0,), 1, "0/1"),
    ],
)
def test_shard_specs_parse(text: str, ids: tuple[int, ...], count: int, shown: str) -> None:
    spec = ShardSpec.parse(text)
    assert (spec.ids, spec.count, str(spec)) == (ids, count, shown)


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("8/8", "shard id 8 is out of range: ids run from 0 to 7 when the count is 8"),
        ("0-9/8", "shard id 9 is out of range"),
        ("0/0", "the shard count after '/' must be at least 1"),
        ("3-1/8", "the range 3-1 runs backwards"),
        ("0,,1/2", "'' is not a shard id"),
        ("all", "must look like 0-3/8"),
        ("0-3", "must look like 0-3/8"),
        ("-1/4", "'-1' is not a shard id"),
    ],
)
def test_bad_shard_specs_say_why_in_one_line_naming_the_variable(
    text: str, says: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("THREADREPLAY_SHARDS", text)
    with pytest.raises(ValidationError, match="THREADREPLAY_SHARDS"):
        Settings(_env_file=None)
    monkeypatch.setenv("DISCORD_TOKEN", "")
    with pytest.raises(SystemExit) as exited:
        main(["run"])
    assert exited.value.code == 2
    [line] = capsys.readouterr().err.splitlines()
    assert line.startswith("threadreplay: bad configuration THREADREPLAY_SHARDS: ") and says in line


def test_unset_or_empty_shards_let_discord_py_decide(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("THREADREPLAY_SHARDS", "")
    bot = ThreadReplayBot(Settings(_env_file=None))
    assert isinstance(bot, commands.AutoShardedBot)
    assert (bot.shard_ids, bot.shard_count) == (None, None)  # asks Discord at connect, runs all
    assert process_share(bot) == 1


def test_the_standalone_bot_runs_the_named_shards(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("THREADREPLAY_SHARDS", "0-3/8")
    bot = ThreadReplayBot(Settings(_env_file=None))
    assert (bot.shard_ids, bot.shard_count) == ([0, 1, 2, 3], 8)
    assert process_share(bot) == Fraction(1, 2)


@pytest.mark.parametrize(
    ("share", "budget"),
    [
        (Fraction(1), (50, 1.0)),
        (Fraction(4, 8), (25, 1.0)),
        (Fraction(1, 3), (16, 1.0)),  # rounded down: three processes send at most 48 a second
        (Fraction(1, 50), (1, 1.0)),
        (Fraction(1, 100), (1, 2.0)),  # under one a second: spaced out
        (Fraction(3, 400), (1, 8 / 3)),
    ],
)
def test_global_budget_is_the_processes_share_rounded_down(
    share: Fraction, budget: tuple[int, float]
) -> None:
    limit, period = global_budget(share)
    assert (limit, period) == pytest.approx(budget)
    assert limit / period <= GLOBAL_LIMIT * share  # n/k such processes never exceed 50 a second


@pytest.mark.parametrize("share", [Fraction(0), Fraction(3, 2)])
def test_a_share_outside_one_process_is_refused(share: Fraction) -> None:
    with pytest.raises(ValueError, match="share"):
        global_budget(share)


async def test_the_pacer_takes_the_processes_share_from_the_settings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("THREADREPLAY_TIME_SCALE", "0.5")
    budgets = {}
    for shards in ("", "0-3/8", "5/8"):
        monkeypatch.setenv("THREADREPLAY_SHARDS", shards)
        settings = Settings(_env_file=None)
        async with await Storage.open(tmp_path / "x.db") as store:
            window = Services(settings, store, ThreadReplayBot(settings)).edge.pacer.global_window
            budgets[shards] = (window.limit, window.period)
    assert budgets == {"": (50, 0.5), "0-3/8": (25, 0.5), "5/8": (6, 0.5)}


def test_a_host_bots_own_shards_decide_its_share() -> None:
    intents = discord.Intents.none()
    plain = commands.Bot(command_prefix="!", intents=intents)
    one_of_four = commands.Bot(command_prefix="!", intents=intents, shard_id=1, shard_count=4)
    two_of_eight = commands.AutoShardedBot(
        command_prefix="!", intents=intents, shard_ids=[6, 7], shard_count=8
    )
    all_eight = commands.AutoShardedBot(command_prefix="!", intents=intents, shard_count=8)
    assert [process_share(b) for b in (plain, one_of_four, two_of_eight, all_eight)] == [
        1,
        Fraction(1, 4),
        Fraction(1, 4),
        1,
    ]
    assert Pacer(share=process_share(two_of_eight)).global_window.limit == 12


def test_a_process_serves_the_guilds_of_its_shards() -> None:
    on = [
        (i << 22) | 7 for i in range(4)
    ]  # guild ids on shards 0, 1, 2, 3 of 4 (and 0, 1, 0, 1 of 2)
    intents = discord.Intents.none()
    shard_1_of_2 = commands.AutoShardedBot(
        command_prefix="!", intents=intents, shard_ids=[1], shard_count=2
    )
    shard_2_of_4 = commands.Bot(command_prefix="!", intents=intents, shard_id=2, shard_count=4)
    unsharded = commands.Bot(command_prefix="!", intents=intents)
    assert [serves(shard_1_of_2, g) for g in on] == [False, True, False, True]
    assert [serves(shard_2_of_4, g) for g in on] == [False, False, True, False]
    assert [serves(unsharded, g) for g in on] == [True] * 4
    assert describe(shard_1_of_2, on[1]) == "**Shards**: this process runs 1 of 2"
    assert describe(unsharded, on[1]) is None
