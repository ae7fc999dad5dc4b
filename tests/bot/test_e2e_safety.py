"""End to end: archive text can never ping anyone, and over-long archive text stays within limits."""

from __future__ import annotations

import re
from pathlib import Path

from tests.bot.conftest import StartBot, World
from tests.bot.dumps import write_dump
from tests.bot.e2e import button, client_errors, message_bodies, visible_text
from tests.fakediscord import FakeDiscord

PINGS = "@everyone look, @here too, <@&123> and <@456>!"
# What would ping in text Discord parses: a mass mention, or a user/role mention not escaped.
RAW_PING = re.compile(r"@(?:everyone|here)|(?<!\\)<@[&!]?[0-9]+>")


def sentence_text(length: int) -> str:
    """Readable text of exactly `length` characters (sentences, no white space at either end)."""
    text = ("The council met again on Tuesday and nothing was decided. " * (length // 50 + 1))[
        :length
    ]
    return text[:-1] + "x" if text.endswith(" ") else text


async def test_every_message_carries_no_mentions_and_shows_archive_pings_literally(
    fake_discord: FakeDiscord, world: World, bot_env: Path, start_bot: StartBot
) -> None:
    comments = [(i % 2, f"@here fan {i}" if i % 2 else "@everyone", PINGS) for i in range(80)]
    write_dump(bot_env / "seeds", "pings", "@everyone Breaking <@&123>", comments, [PINGS])
    bot = await start_bot()
    # Like a host bot with no default: each call must carry AllowedMentions.none() by itself.
    bot.allowed_mentions = None
    user = {"user_id": world.member}
    results = [
        await fake_discord.invoke("article list", **user),
        await fake_discord.invoke("article show", {"article": "pings"}, **user),
        await fake_discord.invoke("article search", {"query": "everyone"}, **user),
        await fake_discord.invoke("article stats", **user),
        await fake_discord.invoke("article show", {"article": "@everyone <@&123>"}, **user),
        await fake_discord.invoke("article tree", {"article": "pings"}, **user),
    ]
    for result in results:
        await result.wait_done()
    tree = results[-1]
    flip = await fake_discord.click(tree.message, button(tree.message, "▶")["custom_id"], **user)
    await flip.wait_done()

    bodies = message_bodies(fake_discord)
    assert len(bodies) >= len(results) + 1  # every answer above, and the page flip
    for call, body in bodies:
        assert body.get("allowed_mentions") == {"parse": []}, f"{call.route}: {body}"
    messages = [m for m in fake_discord.world.messages.values() if m.author_id == bot.user.id]
    assert len(messages) >= len(results)
    assert not [m.id for m in messages if m.mention_everyone or m.mention_roles or m.mentions]
    shown = [line for m in messages for line in visible_text(m).splitlines()]
    raw = sorted({line for line in shown if RAW_PING.search(line)})
    assert raw == [], raw
    card = results[1].embeds[0]
    assert card["title"].startswith("@\u200beveryone Breaking")  # shown, but defused
    assert client_errors(fake_discord) == []


async def test_a_5000_character_comment_and_an_85_character_author_stay_within_limits(
    fake_discord: FakeDiscord, world: World, bot_env: Path, start_bot: StartBot
) -> None:
    author = ("Commenter With An Extraordinarily Long Display Name " * 2)[:85]
    long_comment = sentence_text(5000)
    title = sentence_text(300)
    comments = [(0, author, long_comment), (1, "Replier", "Short reply."), (0, author, "Again.")]
    write_dump(bot_env / "seeds", "limits", title, comments, [sentence_text(6000)] * 2)
    await start_bot()
    user = {"user_id": world.member}
    results = [
        await fake_discord.invoke("article show", {"article": "limits"}, **user),
        await fake_discord.invoke("article tree", {"article": "limits"}, **user),
        await fake_discord.invoke("article search", {"query": "council"}, **user),
        await fake_discord.invoke("article stats", **user),
        await fake_discord.invoke("article list", **user),
    ]
    for result in results:
        await result.wait_done()
        assert result.embeds and result.error is None
    assert client_errors(fake_discord) == []  # the fake answers 400/50035 to anything over a limit
    card, tree = results[0].embeds[0], results[1].embeds[0]
    assert len(card["title"]) <= 256 and card["title"].endswith("…")
    assert len(card["description"]) <= 4096
    assert tree["description"].count(author[:40]) == 2  # the author is shown (cut with a mark)
    assert "Short reply." in tree["description"]
    choices = await fake_discord.autocomplete("article tree", "article", "limits", **user)
    await choices.wait_response()
    assert choices.error is None and [c["value"] for c in choices.choices or []] == ["limits"]
