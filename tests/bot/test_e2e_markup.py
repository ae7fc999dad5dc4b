"""What members see, end to end: author faces, the source's own formatting and link previews.

A Disqus export, a Reddit thread and a Hacker News item written with every kind of markup (nested
quotes, code longer than one message, masked and look-alike links, images, spoilers, mentions) are
replayed into the fake Discord; the tests read the exact webhook payloads it received.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from bot import render
from tests.bot.conftest import StartBot, World
from tests.bot.replaykit import slash, wait_state
from tests.fakediscord import FakeDiscord

DATA = Path(__file__).parents[1] / "data"
FILES = ("markup_disqus.xml", "markup_reddit.json", "markup_hn.json")
SUPPRESS_EMBEDS = 1 << 2
FENCE = re.compile(r"^(?:> )*```", re.MULTILINE)
pytestmark = pytest.mark.fakediscord(time_scale=0.02)


def webhook_messages(fake: FakeDiscord, channel_id: int) -> list:
    """Every webhook message of a replay in reading order (channel, then each thread started)."""
    threads = {t.id for t in fake.threads(channel_id)}
    seen = []
    for message in fake.messages(channel_id):
        if message.webhook_id:
            seen.append(message)
        if message.id in threads:
            seen += [m for m in fake.messages(message.id) if m.webhook_id]
    return seen


def body(message: object) -> str:
    """A message's content without its subtext (context) line."""
    content: str = message.content  # type: ignore[attr-defined]
    return content.split("\n", 1)[1] if content.startswith("-# ") else content


async def replay(fake: FakeDiscord, world: World, bot_env: Path, article: str, name: str) -> list:
    """Replay `article` into a new text channel `name`; its webhook messages once finished."""
    channel = fake.add_text_channel(world.guild, name)
    answer = await slash(fake, world, "replay start", article=article, channel=channel)
    assert "Replay started" in answer, answer
    await wait_state(fake, bot_env / "bot.db", "finished")
    return webhook_messages(fake, channel)


@pytest.fixture
def markup_seeds(bot_env: Path) -> Path:
    for name in FILES:
        shutil.copy(DATA / name, bot_env / "seeds" / name)
    return bot_env


async def test_every_message_has_safe_markup_a_face_and_no_mentions(
    fake_discord: FakeDiscord, world: World, start_bot: StartBot, markup_seeds: Path
) -> None:
    await start_bot()
    everything = []
    for n, key in enumerate(("disqus-5001", "reddit-mk1", "hn-41000001")):
        everything += await replay(fake_discord, world, markup_seeds, key, f"replay-{n}")
    assert len(everything) >= 15
    for message in everything:
        assert len(message.content) <= render.MESSAGE_CONTENT
        assert len(FENCE.findall(message.content)) % 2 == 0, message.content
        outside_code = re.sub(r"```.*?```", "", message.content, flags=re.DOTALL)
        assert outside_code.count("||") % 2 == 0, message.content
        assert message.allowed_mentions == {"parse": []}
        assert message.mentions == [] and message.mention_roles == []
        assert not message.mention_everyone
        prose = re.sub(r"``.*?``|`[^`\n]*`", "", outside_code)  # inline code shows, never pings
        assert not re.search(r"(?<!\\)<@", prose) and "@everyone" not in prose
        assert message.sent["avatar_url"].startswith("https://gravatar.com/avatar/")
        assert message.author["avatar"]  # Discord shows the fetched face, not the webhook's
        assert not message.flags & SUPPRESS_EMBEDS  # previews are on by default
    faces: dict[str, set[str]] = {}
    for message in everything:
        faces.setdefault(message.author_name, set()).add(message.sent["avatar_url"])
    assert all(len(urls) == 1 for urls in faces.values()), faces  # one face per author
    assert len({next(iter(u)) for u in faces.values()}) == len(faces)  # distinct authors differ


async def test_disqus_html_arrives_as_discord_markdown(
    fake_discord: FakeDiscord, world: World, start_bot: StartBot, markup_seeds: Path
) -> None:
    await start_bot()
    seen = await replay(fake_discord, world, markup_seeds, "disqus-5001", "disqus")
    by_author = [(m.author_name, m.content) for m in seen]
    first = by_author[0][1]
    assert first.startswith("-# <t:1709542860:f>\n")  # the original time in the subtext line
    assert "The **bridge** report is *finally* out, and __nobody__ read it. ~~Shocking~~." in first
    assert "Full text: https://harbour.example/report, summary" in first  # same-address link
    assert "[in the council's own words](https://harbour.example/summary)" in first  # masked
    tobias = next(c for a, c in by_author if a == "Tobias Wren")
    assert "> nobody read it\n> \n> > the report" in tobias  # nested quotes keep their level
    assert "@\u200beveryone" in tobias and "\\<@123456789012345678>" in tobias
    reply = next(c for a, c in by_author[2:] if a == "Mara Quill")
    assert reply.startswith("-# ↳ replying to [**Tobias Wren**](<https://discord.com/channels/")
    assert "paypal.com" not in reply and "https://phish.example/login" in reply  # where it goes
    assert "\nhttps://img.example/bridge.jpg\n" in reply  # the image as a direct link
    assert "||the ending is sad||" in reply
    code = [body(m) for m in seen if m.author_name == "Ines Hart"]
    assert len(code) == 3  # 90 lines of code do not fit one message
    assert code[0].startswith("Here is the whole script:\n\n```python\n")
    assert all(part.startswith("```python\n") for part in code[1:])  # reopened, same language
    assert all(part.rstrip().endswith("```") for part in code[:-1])  # closed at each cut
    lines = [line for part in code for line in part.split("\n") if line.startswith("    total_")]
    assert lines == [
        f"    total_{i:03d} = compute(step={i}, scale=2)  # line {i}" for i in range(90)
    ]
    assert code[-1].endswith("```\n\nRun it twice.")


async def test_reddit_markdown_spoilers_images_and_scores(
    fake_discord: FakeDiscord, world: World, start_bot: StartBot, markup_seeds: Path
) -> None:
    await start_bot()
    seen = await replay(fake_discord, world, markup_seeds, "reddit-mk1", "reddit")
    ben = seen[0].content
    assert ben.startswith("-# 41 points · <t:")
    assert "> quoted from the article\n> \n> > and from the mayor" in ben
    assert "**Bold** claim, *italic* aside, ~~struck~~, `inline <@1> code`, and @\u200bhere" in ben
    assert "\n# A heading\n\n1. first\n2. second\n\n- dot\n- dash" in ben
    dev = [m.content for m in seen if m.author_name == "dev_ola"]
    assert dev[0].startswith("-# ↳ replying to") is False  # depth 1: the thread says who
    assert dev[0].startswith("-# -2 points · <t:")
    assert len(dev) >= 2  # 3,600 characters of code do not fit one message
    assert all(part.count("```js") == 1 for part in dev[1:])
    assert dev[-1].endswith(
        "See [the docs](https://docs.example/api) or https://evil.example/steal."
    )
    kim = next(m.content for m in seen if m.author_name == "quiet_kim")
    assert kim.startswith("-# ↳ replying to [**dev\\_ola**]") and "· 7 points · <t:" in kim
    assert "\nhttps://preview.redd.it/abc123.png?width=640&format=png&s=deadbeef\n" in kim
    assert kim.endswith("and a spoiler: ||the **toll** goes up in May||")


async def test_link_previews_off_suppresses_embeds_on_replayed_comments(
    fake_discord: FakeDiscord, world: World, start_bot: StartBot, markup_seeds: Path
) -> None:
    await start_bot()
    answer = await slash(
        fake_discord, world, "replayadmin config", user=world.admin, link_previews=False
    )
    assert "link previews under replayed comments: off" in answer
    seen = await replay(fake_discord, world, markup_seeds, "hn-41000001", "hn")
    assert [m.author_name for m in seen][:1] == ["lena"]
    assert seen and all(m.flags & SUPPRESS_EMBEDS for m in seen)
    lena = [m.content for m in seen if m.author_name == "lena"]
    assert lena[0].startswith("-# 12 points · <t:1709542800:f>\nNice. *Really* nice.")
    assert lena[0].count("```") == 2 and lena[-1].endswith("More at https://tolls.example/faq")
    marco = next(m.content for m in seen if m.author_name == "marco")
    assert "`@everyone`" in marco and "https://bad.example/x" in marco and "github" not in marco
    # The card is the bot's own message, not a replayed comment: the setting leaves it alone.
    card = fake_discord.messages(seen[0].channel_id)[0]
    assert card.embeds and not card.flags & SUPPRESS_EMBEDS


async def test_avatars_none_posts_with_the_webhooks_own_face_and_a_template_is_followed(
    fake_discord: FakeDiscord,
    world: World,
    start_bot: StartBot,
    markup_seeds: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("THREADREPLAY_AVATARS", "none")
    bot = await start_bot()
    seen = await replay(fake_discord, world, markup_seeds, "hn-41000001", "plain-faces")
    assert seen and all("avatar_url" not in m.sent for m in seen)
    assert {m.author["avatar"] for m in seen} == {None}  # the webhook's default face
    await bot.close()
    monkeypatch.setenv("THREADREPLAY_AVATARS", "https://faces.example/{hash}.png")
    await start_bot()
    seen = await replay(fake_discord, world, markup_seeds, "hn-41000001", "templated")
    urls = {m.author_name: m.sent["avatar_url"] for m in seen}
    assert set(urls) == {"lena", "marco"} and len(set(urls.values())) == 2
    assert all(re.fullmatch(r"https://faces\.example/[0-9a-f]{32}\.png", u) for u in urls.values())


async def test_replay_plan_attaches_the_page_of_the_replay(
    fake_discord: FakeDiscord, world: World, start_bot: StartBot, markup_seeds: Path
) -> None:
    await start_bot()
    result = await fake_discord.invoke(
        "replay plan", {"article": "reddit-mk1"}, user_id=world.member, channel_id=world.channel
    )
    await result.wait_done()
    first = result.message  # the first followup after "thinking…" edits that message (Discord)
    assert first is not None and first.flags & (1 << 6)  # ephemeral, like the rest of the answer
    [attachment] = first.attachments
    assert attachment["filename"] == "replay-plan-reddit-mk1.html"
    page = first.uploads[attachment["id"]].decode()
    assert page.startswith("<!DOCTYPE html>") and "<script" not in page
    for author in ("ben_okafor", "dev_ola", "quiet_kim"):
        assert author in page
    assert "41 points" in page and "https://gravatar.com/avatar/" in page
