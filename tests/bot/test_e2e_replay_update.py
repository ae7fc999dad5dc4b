"""`/replay update`: a changed source brought into a finished replay without reposting anything."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest

from bot.replay.update import REMOVED_PLACEHOLDER
from tests.bot.conftest import StartBot, World
from tests.bot.replaykit import replay_states, slash
from tests.fakediscord import FakeDiscord

pytestmark = pytest.mark.fakediscord(time_scale=0.02)

KEY = "000_e7a44f8a370d07ea"
HOOK_EXECUTE = "POST /webhooks/{webhook_id}/{webhook_token}"


def shown(fake: FakeDiscord, channel: int) -> list[tuple[str, Counter[tuple[str, str]]]]:
    """Per top-level message: its (author, text) and the multiset of its thread's (author, text)."""
    out = []
    for message in fake.messages(channel):
        if not message.webhook_id:
            continue
        thread = Counter(
            (m.author_name, re.sub(r"\(<https://[^>]+>\)", "", m.content))
            for m in fake.messages(message.id)
            if m.webhook_id and m.content != REMOVED_PLACEHOLDER
        )
        out.append((f"{message.author_name}: {message.content}", thread))
    return [(head, body) for head, body in out if not head.endswith(REMOVED_PLACEHOLDER)]


def executes(fake: FakeDiscord) -> int:
    return len(
        [
            c
            for c in fake.calls_to(HOOK_EXECUTE)
            if c.status == 200 and not c.path.startswith(f"/webhooks/{fake.app_id}/")
        ]
    )


async def test_update_adds_deep_reply_edits_and_removes_and_equals_fresh_replay(
    fake_discord: FakeDiscord, world: World, start_bot: StartBot, bot_env: Path
) -> None:
    fresh_channel = fake_discord.add_text_channel(world.guild, "fresh")
    await start_bot()
    await slash(fake_discord, world, "replay start", article=KEY)
    await fake_discord.wait_for(lambda: replay_states(bot_env / "bot.db")[-1][0] == "finished")
    posted_before = executes(fake_discord)

    seed = bot_env / "seeds" / f"{KEY}.txt"
    text = seed.read_text("utf-8")
    deep = "          • RTA (Bob or Al)\n\n            I may have not updated the link"
    assert deep in text
    text = text.replace(
        deep,
        "          • Newcomer\n\n            A new reply, deep in the tree.\n\n"
        + deep,  # inserted above a sibling
    )
    text = text.replace("End of.", "End of, really.")  # an edit
    text = re.sub(r"  • MD Ranix\n\n    zio losers[^\n]*\n\n", "", text)  # a removal
    seed.write_text(text, "utf-8")
    reload = await fake_discord.invoke("replayadmin reload", user_id=world.owner)
    await reload.wait_done()

    answer = await slash(fake_discord, world, "replay update", article=KEY)
    assert answer == "Updated: 1 new comments posted, 1 edited, 1 removed."
    await fake_discord.wait_for(lambda: replay_states(bot_env / "bot.db")[0][0] == "finished")
    assert executes(fake_discord) == posted_before + 1  # only the new comment was posted

    await slash(fake_discord, world, "replay start", article=KEY, channel=fresh_channel)
    await fake_discord.wait_for(
        lambda: [s for s, _ in replay_states(bot_env / "bot.db")] == ["finished"] * 2
    )
    fresh = shown(fake_discord, fresh_channel)
    assert len(fresh) == 4  # the seed's five top-level comments, less the one removed
    assert shown(fake_discord, world.channel) == fresh
    removed = [m for m in fake_discord.messages(world.channel) if m.content == REMOVED_PLACEHOLDER]
    assert len(removed) == 1 and removed[0].author_name == "MD Ranix"
    newcomer = [
        m
        for t in fake_discord.threads(world.channel)
        for m in fake_discord.messages(t.id)
        if m.author_name == "Newcomer"
    ]
    assert len(newcomer) == 1 and newcomer[0].content.startswith("-# ↳ replying to [**RGtz98**]")
