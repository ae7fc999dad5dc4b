"""Replay control and failures end to end: status, pause/resume/stop, 429/500, lost webhook, lost
permission, restart, undo."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import pytest

from bot.replay.engine import PLACEHOLDER
from bot.replay.plan import estimate_seconds
from bot.replay.preview import duration
from storage.models import Pace
from tests.bot.conftest import StartBot, World
from tests.bot.replaykit import replay_states, replayed, slash, wait_state, write_dump
from tests.fakediscord import FakeDiscord, P

pytestmark = pytest.mark.fakediscord(time_scale=0.02)

HOOK_EXECUTE = "POST /webhooks/{webhook_id}/{webhook_token}"


def forty(folder: Path, key: str = "forty") -> list[str]:
    """Write a 40-comment dump; returns the texts in the order they must appear."""
    comments = [
        (f"user{i % 5}", 0 if i % 5 == 0 else 1, f"Message {i} of forty.") for i in range(40)
    ]
    write_dump(folder / f"{key}.txt", "Forty", comments)
    return [text for _, _, text in comments]


def texts(fake: FakeDiscord, world: World) -> list[str]:
    """Comment bodies as shown, in reading order (reply lines dropped)."""
    return [c.split("\n")[-1] for _, c in replayed(fake, world.channel)]


async def test_status_pause_resume_finish_in_order(
    fake_discord: FakeDiscord, world: World, start_bot: StartBot, bot_env: Path
) -> None:
    want = forty(bot_env / "seeds")
    await start_bot()
    await slash(fake_discord, world, "replay start", article="forty", pace="steady")
    await fake_discord.wait_for(lambda: len(texts(fake_discord, world)) >= 3)
    assert "Paused" not in await slash(fake_discord, world, "replay status")
    await slash(fake_discord, world, "replay pause")
    status = await slash(fake_discord, world, "replay status")
    assert status.startswith("**Paused**") and "paused by mo-mod" in status
    posted = len(texts(fake_discord, world))
    assert 3 <= posted < 40
    assert texts(fake_discord, world) == want[:posted]
    # The same estimate as `threadreplay preview` gives for the comments still to post.
    left = [[f"**{t}**"] for t in want[posted:]]
    assert f"About {duration(estimate_seconds(Pace.steady, left))} left" in status
    await slash(fake_discord, world, "replay resume")
    await wait_state(fake_discord, bot_env / "bot.db", "finished")
    assert texts(fake_discord, world) == want
    assert "40/40" in await slash(fake_discord, world, "replay status")


async def test_member_without_manage_threads_cannot_start(
    fake_discord: FakeDiscord, world: World, start_bot: StartBot, bot_env: Path
) -> None:
    await start_bot()
    answer = await slash(
        fake_discord, world, "replay start", user=world.member, article="000_e7a44f8a370d07ea"
    )
    assert "Manage Threads" in answer
    assert replay_states(bot_env / "bot.db") == []
    assert fake_discord.messages(world.channel) == []


async def test_bot_missing_permissions_answers_with_what_is_missing(
    fake_discord: FakeDiscord, world: World, start_bot: StartBot, bot_env: Path
) -> None:
    fake_discord.deny_bot(world.channel, int(P.MANAGE_WEBHOOKS | P.CREATE_PUBLIC_THREADS))
    await start_bot()
    answer = await slash(fake_discord, world, "replay start", article="000_e7a44f8a370d07ea")
    assert "Manage Webhooks" in answer and "Create Public Threads" in answer
    assert replay_states(bot_env / "bot.db") == []


async def test_injected_429s_and_500_are_waited_out_nothing_twice(
    fake_discord: FakeDiscord, world: World, start_bot: StartBot, bot_env: Path
) -> None:
    want = forty(bot_env / "seeds")
    await start_bot()
    fake_discord.fail_next(HOOK_EXECUTE, 429, times=3, retry_after=0.5)
    fake_discord.fail_next(HOOK_EXECUTE, 500)
    await slash(fake_discord, world, "replay start", article="forty")
    await wait_state(fake_discord, bot_env / "bot.db", "finished", within=60)
    assert texts(fake_discord, world) == want
    injected = [c for c in fake_discord.calls_to(HOOK_EXECUTE) if c.injected]
    assert len(injected) == 4  # all four landed on the replay's webhook, none on the reply
    assert all(not c.path.startswith(f"/webhooks/{fake_discord.app_id}/") for c in injected)


async def test_deleted_webhook_is_recreated_and_replay_carries_on(
    fake_discord: FakeDiscord, world: World, start_bot: StartBot, bot_env: Path
) -> None:
    want = forty(bot_env / "seeds")
    other = fake_discord.add_member(world.guild, "someone")
    await start_bot()
    await slash(fake_discord, world, "replay start", article="forty", pace="steady")
    await fake_discord.wait_for(lambda: len(texts(fake_discord, world)) >= 5)
    hook = fake_discord.webhooks(world.channel)[0]
    fake_discord.delete_webhook(hook.id)
    await wait_state(fake_discord, bot_env / "bot.db", "finished", within=60)
    assert texts(fake_discord, world) == want
    [new] = fake_discord.webhooks(world.channel)  # exactly one new one, ours
    assert new.id != hook.id
    assert new.creator_id == fake_discord.world.bot.id != other  # made by the bot, not the member


async def test_removed_permission_pauses_with_reason_then_resume_finishes(
    fake_discord: FakeDiscord, world: World, start_bot: StartBot, bot_env: Path
) -> None:
    want = forty(bot_env / "seeds")
    await start_bot()
    await slash(fake_discord, world, "replay start", article="forty", pace="steady")
    await fake_discord.wait_for(lambda: len(texts(fake_discord, world)) >= 3)
    fake_discord.deny_bot(world.channel, int(P.CREATE_PUBLIC_THREADS))
    await wait_state(fake_discord, bot_env / "bot.db", "paused")
    status = await slash(fake_discord, world, "replay status")
    assert status.startswith("**Paused**") and "permission" in status
    fake_discord.set_overwrite(world.channel, fake_discord.world.bot.id, allow=0, deny=0)
    await slash(fake_discord, world, "replay resume")
    await wait_state(fake_discord, bot_env / "bot.db", "finished", within=60)
    assert texts(fake_discord, world) == want


async def test_restart_mid_replay_resumes_by_itself_nothing_twice(
    fake_discord: FakeDiscord, world: World, start_bot: StartBot, bot_env: Path
) -> None:
    want = forty(bot_env / "seeds")
    bot = await start_bot()
    await slash(fake_discord, world, "replay start", article="forty", pace="steady")
    await fake_discord.wait_for(lambda: len(texts(fake_discord, world)) >= 6)
    await bot.close()  # what SIGTERM does: the replay stops at a safe point, still "running"
    assert replay_states(bot_env / "bot.db")[-1][0] == "running"
    stopped_at = len(texts(fake_discord, world))
    await start_bot()
    await wait_state(fake_discord, bot_env / "bot.db", "finished", within=60)
    assert stopped_at < 40
    assert texts(fake_discord, world) == want


async def test_undo_deletes_exactly_what_the_replay_posted(
    fake_discord: FakeDiscord, world: World, start_bot: StartBot, bot_env: Path
) -> None:
    forty(bot_env / "seeds")
    before = fake_discord.post_user_message(world.channel, world.member, "I was here first")
    await start_bot()
    await slash(fake_discord, world, "replay start", article="forty")
    await wait_state(fake_discord, bot_env / "bot.db", "finished", within=60)
    after = fake_discord.post_user_message(world.channel, world.member, "and I stay too")
    answer = await slash(fake_discord, world, "replay undo")
    assert answer.startswith("Undone: ")
    remaining = [m.id for m in fake_discord.messages(world.channel)]
    assert remaining == [before.id, after.id]
    assert fake_discord.threads(world.channel) == []
    assert replay_states(bot_env / "bot.db")[-1][0] == "undone"


async def test_active_thread_cap_pauses_with_clear_reason_and_resume_finishes(
    fake_discord: FakeDiscord, world: World, start_bot: StartBot, bot_env: Path
) -> None:
    fake_discord.world.max_active_threads = 3
    others = [fake_discord.add_thread(world.channel, f"members' thread {i}") for i in range(3)]
    await start_bot()
    await slash(fake_discord, world, "replay start", article="000_e7a44f8a370d07ea")
    await wait_state(fake_discord, bot_env / "bot.db", "paused")
    status = await slash(fake_discord, world, "replay status")
    assert "1000 active threads" in status
    fake_discord.archive_thread(others[0])  # a moderator makes room for one
    await slash(fake_discord, world, "replay resume")
    await wait_state(fake_discord, bot_env / "bot.db", "finished")
    ours = [t for t in fake_discord.threads(world.channel) if t.id not in others]
    assert len(ours) == 3 and all(
        t.archived for t in ours
    )  # archived as it went: one active at a time
    assert len(replayed(fake_discord, world.channel)) == 15


async def test_two_channels_replay_at_once_each_complete(
    fake_discord: FakeDiscord, world: World, start_bot: StartBot, bot_env: Path
) -> None:
    second = fake_discord.add_text_channel(world.guild, "second")
    await start_bot()
    await slash(fake_discord, world, "replay start", article="000_e7a44f8a370d07ea")
    await slash(fake_discord, world, "replay start", article="000_e7a44f8a370d07ea", channel=second)
    await fake_discord.wait_for(
        lambda: [s for s, _ in replay_states(bot_env / "bot.db")] == ["finished"] * 2
    )
    unlinked = [
        (a, re.sub(r"\(<https://[^>]+>\)", "", c)) for a, c in replayed(fake_discord, second)
    ]
    assert [
        (a, re.sub(r"\(<https://[^>]+>\)", "", c)) for a, c in replayed(fake_discord, world.channel)
    ] == unlinked
    assert len(replayed(fake_discord, second)) == 15
    again = await slash(fake_discord, world, "replay start", article="000_e7a44f8a370d07ea")
    assert "Replay started" in again  # finished replays do not block the channel


async def test_replays_started_at_the_same_moment_in_five_channels_all_finish(
    fake_discord: FakeDiscord, world: World, start_bot: StartBot, bot_env: Path
) -> None:
    channels = [fake_discord.add_text_channel(world.guild, f"room{i}") for i in range(5)]
    await start_bot()
    results = await asyncio.gather(
        *(
            fake_discord.invoke(
                "replay start",
                {"article": "000_e7a44f8a370d07ea", "channel": c},
                user_id=world.moderator,
                guild_id=world.guild,
                channel_id=world.channel,
            )
            for c in channels
        )
    )
    for result in results:
        await result.wait_done()
        assert "Replay started" in (result.content or ""), result.content
    await fake_discord.wait_for(
        lambda: [s for s, _ in replay_states(bot_env / "bot.db")] == ["finished"] * 5
    )
    assert all(len(replayed(fake_discord, c)) == 15 for c in channels)


async def test_comment_blocked_by_automod_pauses_and_resume_skip_posts_a_placeholder(
    fake_discord: FakeDiscord, world: World, start_bot: StartBot, bot_env: Path
) -> None:
    comments = [
        ("ann", 0, "First, all fine."),
        ("bob", 1, "A fine reply."),
        ("cat", 0, "This one says frobnicate, which the server's AutoMod blocks."),
        ("dan", 1, "A reply to the blocked comment."),
        ("eve", 0, "Last, fine again."),
    ]
    write_dump(bot_env / "seeds" / "blocked.txt", "Blocked", comments)
    fake_discord.add_automod_keyword(world.guild, "FROBNICATE")
    db = bot_env / "bot.db"
    await start_bot()
    not_refused = await slash(fake_discord, world, "replay resume", skip=True)
    assert "No replay is running or paused" in not_refused
    await slash(fake_discord, world, "replay start", article="blocked")
    await wait_state(fake_discord, db, "paused")
    status = await slash(fake_discord, world, "replay status")
    assert "Discord refused comment 3 (error 200000: Message was blocked by automatic" in status
    assert texts(fake_discord, world) == ["First, all fine.", "A fine reply."]

    await slash(fake_discord, world, "replay resume")  # the same 400 again: paused again
    await wait_state(fake_discord, db, "paused")
    refused = [c for c in fake_discord.calls if c.route == HOOK_EXECUTE and c.status == 400]
    assert len(refused) == 2
    assert texts(fake_discord, world) == ["First, all fine.", "A fine reply."]

    answer = await slash(fake_discord, world, "replay resume", skip=True)
    assert "placeholder" in answer
    await wait_state(fake_discord, db, "finished")
    shown = replayed(fake_discord, world.channel)
    assert [c.split("\n")[-1] for _, c in shown] == [
        "First, all fine.",
        "A fine reply.",
        PLACEHOLDER,
        "A reply to the blocked comment.",
        "Last, fine again.",
    ]
    assert [author for author, _ in shown] == ["ann", "bob", "cat", "dan", "eve"]
    # The placeholder's thread is named from the blocked words, which AutoMod refuses too: the
    # thread gets a name of the author's alone.
    threads = {t.name: t.id for t in fake_discord.threads(world.channel)}
    assert sorted(threads) == ["Replies to cat", "ann: First, all fine."]
    under_cat = [m.author_name for m in fake_discord.messages(threads["Replies to cat"])]
    assert under_cat == ["dan"]  # the reply is under the comment it answers
    assert not any("frobnicate" in c.lower() for _, c in shown)
