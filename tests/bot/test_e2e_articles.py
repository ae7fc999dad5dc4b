"""End to end: every /article command and its autocomplete, as a member uses them in Discord."""

from __future__ import annotations

import logging
import re
from pathlib import Path

import pytest

from tests.bot.conftest import StartBot, World
from tests.bot.dumps import write_dump
from tests.bot.e2e import CALLBACK, SEED_KEY, button, client_errors, store_of, visible_text
from tests.fakediscord import FakeDiscord
from tests.fakediscord.options import InvocationError

SEED_TITLE = "Syrian Government Is Forcing"


def add_small_articles(seeds: Path, count: int) -> None:
    """`count` one-comment articles next to the seed, loaded on the bot's first start."""
    for i in range(count):
        write_dump(seeds, f"extra_{i:02d}", f"Extra article number {i}", [(0, "Ann", f"Hi {i}.")])


def long_thread(count: int) -> list[tuple[int, str, str]]:
    """`count` comments nested 0, 1, 2, 0, 1, 2…, each naming its author."""
    return [
        (i % 3, f"Reader {i:03d}", f"Comment number {i} says something about the article. " * 2)
        for i in range(count)
    ]


async def test_article_list_with_thirteen_articles_flips_pages_with_buttons(
    fake_discord: FakeDiscord, world: World, bot_env: Path, start_bot: StartBot
) -> None:
    add_small_articles(bot_env / "seeds", 12)
    await start_bot()
    result = await (await fake_discord.invoke("article list", user_id=world.member)).wait_done()
    assert result.response_type == 4 and result.ephemeral
    [embed] = result.embeds
    assert embed["title"] == "Articles (13)" and embed["footer"]["text"] == "Page 1/2"
    assert embed["description"].count("\n1 comment · `") == 10  # one comment each: singular
    assert button(result.message, "◀")["disabled"] and not button(result.message, "▶")["disabled"]

    flip = await fake_discord.click(
        result.message, button(result.message, "▶")["custom_id"], user_id=world.member
    )
    await flip.wait_done()
    assert flip.response_type == 7
    [page2] = flip.message.embeds
    assert (
        page2["footer"]["text"] == "Page 2/2"
        and len(re.findall(r" comments? · `", page2["description"])) == 3
    )
    assert button(flip.message, "▶")["disabled"] and not button(flip.message, "◀")["disabled"]

    back = await fake_discord.click(
        flip.message, button(flip.message, "◀")["custom_id"], user_id=world.member
    )
    await back.wait_done()
    assert back.message.embeds[0]["footer"]["text"] == "Page 1/2"
    assert client_errors(fake_discord) == []


async def test_article_list_page_option_opens_that_page_and_refuses_one_past_the_end(
    fake_discord: FakeDiscord, world: World, bot_env: Path, start_bot: StartBot
) -> None:
    add_small_articles(bot_env / "seeds", 12)
    await start_bot()
    second = await fake_discord.invoke("article list", {"page": 2}, user_id=world.member)
    await second.wait_done()
    assert second.embeds[0]["footer"]["text"] == "Page 2/2"
    third = await fake_discord.invoke("article list", {"page": 3}, user_id=world.member)
    await third.wait_done()
    assert third.ephemeral and third.content == "There are only 2 pages of articles."


async def test_article_list_buttons_refuse_a_user_who_did_not_run_the_command(
    fake_discord: FakeDiscord, world: World, bot_env: Path, start_bot: StartBot
) -> None:
    add_small_articles(bot_env / "seeds", 12)
    await start_bot()
    result = await (await fake_discord.invoke("article list", user_id=world.member)).wait_done()
    next_id = button(result.message, "▶")["custom_id"]
    # Discord shows an ephemeral message to its user only, so nobody else can click it...
    with pytest.raises(InvocationError, match="ephemeral"):
        await fake_discord.click(result.message, next_id, user_id=world.moderator)
    # ...and the bot checks the clicker anyway; forge the click a tampered client would send.
    guild = fake_discord.world.guild(world.guild)
    channel = fake_discord.world.channel(world.channel)
    data = {"custom_id": next_id, "component_type": 2}
    forged = fake_discord._dispatch(
        3, data, guild, channel, world.moderator, "en-US", result.message
    )
    await forged.wait_done()
    assert forged.response_type == 4 and forged.ephemeral
    assert forged.content == "These buttons belong to someone else's command."
    assert result.message.embeds[0]["footer"]["text"] == "Page 1/2"  # not flipped


async def test_article_show_posts_a_public_card_with_counts_and_a_replay_button(
    fake_discord: FakeDiscord, world: World, start_bot: StartBot
) -> None:
    bot = await start_bot()
    result = await fake_discord.invoke("article show", {"article": SEED_KEY}, user_id=world.member)
    await result.wait_done()
    assert result.response_type == 4 and not result.ephemeral
    [embed] = result.embeds
    assert embed["title"].startswith(SEED_TITLE)
    assert embed["description"].startswith("*FILE IMAGE: Jaish al-Islam")  # caption, then summary
    assert {f["name"]: f["value"] for f in embed["fields"]} == {
        "Comments": "16",
        "Threads": "5",
        "Participants": "10",
        "Flagged as spam": "1",
    }
    assert embed["footer"]["text"] == f"key: {SEED_KEY}"
    stored = await store_of(bot).reader.execute_fetchall(
        "SELECT id FROM articles WHERE key = ?", (SEED_KEY,)
    )
    replay = button(result.message, "Replay discussion")
    assert replay["custom_id"] == f"threadreplay:replay:{stored[0][0]}"
    [call] = [c for c in fake_discord.calls_to(CALLBACK) if c.json["type"] == 4]
    assert call.json["data"]["allowed_mentions"] == {"parse": []}
    assert [m.id for m in fake_discord.messages(world.channel)] == [result.message.id]


async def test_article_search_finds_article_text_and_comment_authors_with_snippets(
    fake_discord: FakeDiscord, world: World, start_bot: StartBot
) -> None:
    await start_bot()
    result = await fake_discord.invoke("article search", {"query": "Qalamun"}, user_id=world.member)
    await result.wait_done()
    assert result.response_type == 5 and result.ephemeral  # deferred first, answered privately
    fields = result.embeds[0]["fields"]
    assert fields and fields[0]["name"].startswith(SEED_TITLE)
    assert "**Qalamun**" in fields[0]["value"] and f"`{SEED_KEY}`" in fields[0]["value"]

    by_author = await fake_discord.invoke(
        "article search", {"query": "Woolpuller"}, user_id=world.member
    )
    await by_author.wait_done()
    [name] = [f["name"] for f in by_author.embeds[0]["fields"]]
    author, _, title = name.partition(" on ")
    assert author == "Terra Cotta Woolpuller" and title.startswith(SEED_TITLE)


@pytest.mark.parametrize(
    ("query", "expect_hits"), [('"unclosed AND (', False), ('"Qalamun AND (', True)]
)
async def test_article_search_with_invalid_fts_syntax_searches_plain_words_without_error(
    fake_discord: FakeDiscord,
    world: World,
    start_bot: StartBot,
    caplog: pytest.LogCaptureFixture,
    query: str,
    expect_hits: bool,
) -> None:
    await start_bot()
    result = await fake_discord.invoke("article search", {"query": query}, user_id=world.member)
    await result.wait_done()
    assert result.response_type == 5 and result.ephemeral
    embed = result.embeds[0]
    assert embed["title"] == f"Search: {query}"
    assert bool(embed.get("fields")) is expect_hits
    if not expect_hits:
        assert embed["description"] == "Nothing matched. Try fewer or different words."
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


async def test_article_stats_reports_totals_top_commenters_and_deepest_thread(
    fake_discord: FakeDiscord, world: World, start_bot: StartBot
) -> None:
    await start_bot()
    result = await (await fake_discord.invoke("article stats", user_id=world.member)).wait_done()
    assert result.response_type == 5 and result.ephemeral
    fields = {f["name"]: f["value"] for f in result.embeds[0]["fields"]}
    assert (fields["Articles"], fields["Comments"], fields["Authors"]) == ("1", "16", "10")
    assert fields["Flagged as spam"] == "1" and fields["Deleted"] == "0"
    assert fields["Top commenters"].startswith("1. RTA (Bob or Al) — 5\n2. RGtz98 — 3")
    assert fields["Deepest thread"].startswith("5 levels in Syrian Government")


async def test_article_tree_of_a_long_discussion_is_paged_and_shows_every_comment(
    fake_discord: FakeDiscord, world: World, bot_env: Path, start_bot: StartBot
) -> None:
    write_dump(bot_env / "seeds", "long_talk", "A long talk", long_thread(150))
    await start_bot()
    result = await fake_discord.invoke(
        "article tree", {"article": "long_talk"}, user_id=world.member
    )
    await result.wait_done()
    assert result.response_type == 5 and result.ephemeral
    footer = result.embeds[0]["footer"]["text"]
    assert footer.startswith("Page 1/")
    pages = int(footer.split("/")[1])
    assert pages >= 3
    seen = [visible_text(result.message)]
    message = result.message
    for number in range(2, pages + 1):
        flip = await fake_discord.click(
            message, button(message, "▶")["custom_id"], user_id=world.member
        )
        await flip.wait_done()
        message = flip.message
        assert message.embeds[0]["footer"]["text"] == f"Page {number}/{pages}"
        seen.append(visible_text(message))
    assert button(message, "▶")["disabled"]
    text = "\n".join(seen)
    assert all(f"**Reader {i:03d}**" in text for i in range(150))
    assert "\u2003\u2003↳ **Reader 002**" in text  # depth 2 is indented twice
    assert client_errors(fake_discord) == []


@pytest.mark.parametrize("command", ["article show", "article tree"])
@pytest.mark.parametrize("typed", ["syrian gov", "000_e7a"])
async def test_article_autocomplete_offers_articles_matching_title_or_key(
    fake_discord: FakeDiscord, world: World, start_bot: StartBot, command: str, typed: str
) -> None:
    await start_bot()
    result = await fake_discord.autocomplete(command, "article", typed, user_id=world.member)
    await result.wait_response()
    assert result.response_type == 8
    [choice] = result.choices or []
    assert choice["value"] == SEED_KEY
    assert choice["name"].startswith(SEED_TITLE) and choice["name"].endswith(f"({SEED_KEY})")
    assert len(choice["name"]) <= 100
    nothing = await fake_discord.autocomplete(command, "article", "no such thing")
    await nothing.wait_response()
    assert nothing.choices == []
