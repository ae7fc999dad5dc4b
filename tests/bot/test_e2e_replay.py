"""Replays end to end: the seed replayed into the fake Discord, faithfully, in every mode."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot import render
from bot.replay.plan import build_plan, reply_line
from storage.models import Mode
from storage.parsers import parse_file
from tests.bot.conftest import SEEDS, StartBot, World
from tests.bot.replaykit import replayed, slash, wait_state, write_dump
from tests.fakediscord import FakeDiscord

KEY = "000_e7a44f8a370d07ea"
# The fake's windows and the bot's pacer shrink alike (THREADREPLAY_TIME_SCALE in bot_env).
SCALE = 0.02
pytestmark = pytest.mark.fakediscord(time_scale=SCALE)


def expected(
    mode: Mode, *, include_spam: bool = False, key: str = KEY, folder: Path = SEEDS
) -> list[tuple[str, str]]:
    """(author, first-part body) per planned comment, in order: what the channel must show."""
    plan = build_plan(parse_file(folder / f"{key}.txt"), mode, include_spam=include_spam)
    return [(s.username, part) for s in plan.steps for part in s.parts]


def bodies(seen: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """Drop the "replying to" line so bodies compare with the plan."""
    return [(a, c.split("\n", 1)[1] if c.startswith("-# ↳ replying to") else c) for a, c in seen]


async def test_seed_replay_threads_mode_every_comment_once_in_order(
    fake_discord: FakeDiscord, world: World, start_bot: StartBot, bot_env: Path
) -> None:
    await start_bot()
    answer = await slash(fake_discord, world, "replay start", article=KEY)
    assert "Replay started" in answer
    await wait_state(fake_discord, bot_env / "bot.db", "finished")
    article = parse_file(SEEDS / f"{KEY}.txt")
    plan = build_plan(article, Mode.threads)
    channel = fake_discord.messages(world.channel)
    assert channel[0].embeds and channel[0].embeds[0]["title"].startswith(
        "Syrian"
    )  # the card first
    assert [m.author_name for m in channel if m.webhook_id] == [
        s.username for s in plan.steps if not s.in_thread
    ]
    threads = fake_discord.threads(world.channel)
    assert [t.name for t in threads] == [s.opens_thread for s in plan.steps if s.opens_thread]
    assert all(t.archived for t in threads)  # finished threads do not count toward the 1000 active
    seen = replayed(fake_discord, world.channel)
    assert bodies(seen) == expected(Mode.threads)
    assert "BarbaraESchacher" not in {a for a, _ in seen}  # spam left out by default
    by_id = {m.id: m for t in threads for m in fake_discord.messages(t.id)} | {
        m.id: m for m in channel
    }
    for step, (_author, content) in zip(plan.steps, seen, strict=True):
        if step.reply_to is None:
            assert not content.startswith("-# ↳")
            continue
        parent = article.comments[step.reply_to]
        assert content.startswith(reply_line(parent.author, "X").split("](")[0])
        parent_id = int(content.split(">)")[0].rsplit("/", 1)[1])
        assert (
            by_id[parent_id].author_name == parent.author
        )  # the link points at the parent's message
    posts = [
        call
        for call in fake_discord.calls
        if call.method == "POST" and call.json and ("content" in call.json or "embeds" in call.json)
    ]
    assert len(posts) >= len(seen) + 1  # every replayed message and the card, at the least
    for call in posts:
        assert call.json.get("allowed_mentions") == {"parse": []}, call.route
    assert not fake_discord.refusals


async def test_seed_replay_single_mode_one_thread_from_card(
    fake_discord: FakeDiscord, world: World, start_bot: StartBot, bot_env: Path
) -> None:
    await start_bot()
    await slash(fake_discord, world, "replay start", article=KEY, mode="single", include_spam=True)
    await wait_state(fake_discord, bot_env / "bot.db", "finished")
    channel = fake_discord.messages(world.channel)
    assert len(channel) == 1 and channel[0].embeds  # only the card in the channel itself
    threads = fake_discord.threads(world.channel)
    assert [t.id for t in threads] == [channel[0].id]
    assert bodies(replayed(fake_discord, world.channel)) == expected(Mode.single, include_spam=True)
    spam = [c for a, c in replayed(fake_discord, world.channel) if a == "BarbaraESchacher"]
    assert len(spam) == 1 and "||" in spam[0] and "flagged as spam" in spam[0]


async def test_seed_replay_into_forum_is_one_post_started_by_card(
    fake_discord: FakeDiscord, world: World, start_bot: StartBot, bot_env: Path
) -> None:
    await start_bot()
    await slash(fake_discord, world, "replay start", article=KEY, channel=world.forum)
    await wait_state(fake_discord, bot_env / "bot.db", "finished")
    posts = fake_discord.threads(world.forum)
    assert len(posts) == 1 and posts[0].name.startswith("Syrian Government")
    starter = fake_discord.messages(posts[0].id)[0]
    assert starter.embeds and not starter.webhook_id  # the card starts the post
    assert bodies(replayed(fake_discord, world.forum)) == expected(Mode.single)


async def test_5000_char_comment_arrives_whole_in_order_in_several_messages(
    fake_discord: FakeDiscord, world: World, start_bot: StartBot, bot_env: Path
) -> None:
    long_text = "\n\n".join(
        (f"Paragraph {i} opens. " + "It keeps going with words. " * 18).strip() for i in range(10)
    )
    assert len(long_text) >= 5000
    write_dump(
        bot_env / "seeds" / "long.txt",
        "Long one",
        [
            ("Ann", 0, "Short top."),
            ("Bob", 1, "A reply."),
            ("Cy", 2, long_text),
            ("Dee", 1, "After."),
        ],
    )
    await start_bot()
    await slash(fake_discord, world, "replay start", article="long")
    await wait_state(fake_discord, bot_env / "bot.db", "finished")
    seen = replayed(fake_discord, world.channel)
    cy = [c for a, c in seen if a == "Cy"]
    assert len(cy) >= 3 and all(len(c) <= render.MESSAGE_CONTENT for c in cy)
    assert cy[0].startswith("-# ↳ replying to")
    joined = "\n\n".join([cy[0].split("\n", 1)[1], *cy[1:]])
    assert joined == render.escape(long_text)
    assert [a for a, _ in seen] == ["Ann", "Bob", *["Cy"] * len(cy), "Dee"]


async def test_fast_pace_over_discords_unannounced_limit_gets_no_429(
    fake_discord: FakeDiscord, world: World, start_bot: StartBot, bot_env: Path
) -> None:
    comments = [(f"user{i % 7}", 0 if i % 4 == 0 else 1, f"Comment number {i}.") for i in range(80)]
    write_dump(bot_env / "seeds" / "busy.txt", "Busy", comments)
    await start_bot()
    await slash(fake_discord, world, "replay start", article="busy")
    await wait_state(fake_discord, bot_env / "bot.db", "finished", within=60)
    seen = replayed(fake_discord, world.channel)
    assert [c for _, c in bodies(seen)] == [f"Comment number {i}." for i in range(80)]
    assert fake_discord.refusals == []
