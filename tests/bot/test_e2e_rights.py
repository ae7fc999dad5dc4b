"""End to end: a member's rights are checked in the channel the bot will act in, not where the command
was typed. Discord sends them with the interaction (`resolved.channels[id].permissions`)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.bot.conftest import StartBot, World
from tests.bot.e2e import SEED_KEY, button
from tests.bot.replaykit import replay_states, slash, wait_state
from tests.fakediscord import FakeDiscord, P
from tests.sqlitefile import connect as sqlite_connect

pytestmark = pytest.mark.fakediscord(time_scale=0.02)


def hidden_channel(fake: FakeDiscord, world: World, name: str = "staff") -> int:
    """A channel @everyone cannot see (the admin and the bot can, through member overwrites)."""
    channel = fake.add_text_channel(world.guild, name)
    fake.set_overwrite(channel, world.guild, deny=int(P.VIEW_CHANNEL))
    fake.set_overwrite(channel, world.admin, allow=int(P.VIEW_CHANNEL | P.MANAGE_THREADS))
    fake.set_overwrite(channel, fake.world.bot.id, allow=int(P.VIEW_CHANNEL))
    return channel


def read_only_channel(fake: FakeDiscord, world: World) -> int:
    """A channel everyone sees but only the admin (and the bot) may write in."""
    channel = fake.add_text_channel(world.guild, "announcements")
    fake.set_overwrite(
        channel,
        world.guild,
        deny=int(P.SEND_MESSAGES | P.CREATE_PUBLIC_THREADS | P.SEND_MESSAGES_IN_THREADS),
    )
    for writer in (world.admin, fake.world.bot.id):
        fake.set_overwrite(
            channel,
            writer,
            allow=int(P.SEND_MESSAGES | P.CREATE_PUBLIC_THREADS | P.SEND_MESSAGES_IN_THREADS),
        )
    return channel


async def test_moderator_cannot_replay_into_a_channel_they_cannot_see(
    fake_discord: FakeDiscord, world: World, start_bot: StartBot, bot_env: Path
) -> None:
    staff = hidden_channel(fake_discord, world)
    await start_bot()
    # The moderator has Manage Threads in #general, where the command is typed.
    answer = await slash(fake_discord, world, "replay start", article=SEED_KEY, channel=staff)
    assert "cannot see" in answer
    assert replay_states(bot_env / "bot.db") == []
    assert fake_discord.messages(staff) == [] and fake_discord.webhooks(staff) == []
    answer = await slash(fake_discord, world, "replay status", channel=staff)
    assert "cannot see" in answer and "No replay" not in answer


async def test_moderator_without_send_messages_there_cannot_make_the_bot_post(
    fake_discord: FakeDiscord, world: World, start_bot: StartBot, bot_env: Path
) -> None:
    news = read_only_channel(fake_discord, world)
    await start_bot()
    answer = await slash(fake_discord, world, "replay start", article=SEED_KEY, channel=news)
    assert "not allowed to post" in answer
    assert replay_states(bot_env / "bot.db") == []
    assert fake_discord.messages(news) == []
    # The admin may post there, so the bot posts for them.
    answer = await slash(
        fake_discord, world, "replay start", user=world.admin, article=SEED_KEY, channel=news
    )
    assert answer.startswith("Replay started")
    await wait_state(fake_discord, bot_env / "bot.db", "finished")
    assert fake_discord.messages(news) != []


async def test_manage_threads_in_the_typed_channel_does_not_reach_another(
    fake_discord: FakeDiscord, world: World, start_bot: StartBot, bot_env: Path
) -> None:
    other = fake_discord.add_text_channel(world.guild, "other")
    # An ordinary member who is a thread moderator of #general only (a channel overwrite).
    fake_discord.set_overwrite(world.channel, world.member, allow=int(P.MANAGE_THREADS))
    await start_bot()
    answer = await slash(
        fake_discord, world, "replay start", user=world.member, article=SEED_KEY, channel=other
    )
    assert "Manage Threads permission in" in answer
    assert replay_states(bot_env / "bot.db") == []
    answer = await slash(fake_discord, world, "replay start", user=world.member, article=SEED_KEY)
    assert answer.startswith("Replay started")
    await wait_state(fake_discord, bot_env / "bot.db", "finished")


async def test_undo_and_stop_in_a_hidden_channel_are_refused_and_nothing_is_deleted(
    fake_discord: FakeDiscord, world: World, start_bot: StartBot, bot_env: Path
) -> None:
    staff = hidden_channel(fake_discord, world)
    await start_bot()
    answer = await slash(
        fake_discord, world, "replay start", user=world.admin, article=SEED_KEY, channel=staff
    )
    assert answer.startswith("Replay started")
    await wait_state(fake_discord, bot_env / "bot.db", "finished")
    posted = [m.id for m in fake_discord.messages(staff)]
    threads = [t.id for t in fake_discord.threads(staff)]
    assert posted and threads
    for command in ("replay undo", "replay stop", "replay pause"):
        answer = await slash(fake_discord, world, command, channel=staff)
        assert "cannot see" in answer, command
    assert [m.id for m in fake_discord.messages(staff)] == posted
    assert [t.id for t in fake_discord.threads(staff)] == threads
    assert replay_states(bot_env / "bot.db")[-1][0] == "finished"


async def test_article_show_is_private_where_the_member_may_not_post(
    fake_discord: FakeDiscord, world: World, start_bot: StartBot, bot_env: Path
) -> None:
    news = read_only_channel(fake_discord, world)
    await start_bot()
    card = await fake_discord.invoke(
        "article show",
        {"article": SEED_KEY},
        user_id=world.member,
        guild_id=world.guild,
        channel_id=news,
    )
    await card.wait_done()
    assert card.ephemeral and "only you see this card" in (card.content or "")
    assert card.embeds[0]["footer"]["text"] == f"key: {SEED_KEY}"
    public = await fake_discord.invoke(
        "article show",
        {"article": SEED_KEY},
        user_id=world.member,
        guild_id=world.guild,
        channel_id=world.channel,
    )
    await public.wait_done()
    assert not public.ephemeral and public.content in (None, "")


async def test_card_button_checks_the_rights_of_the_one_who_clicks(
    fake_discord: FakeDiscord, world: World, start_bot: StartBot, bot_env: Path
) -> None:
    news = read_only_channel(fake_discord, world)
    await start_bot()
    card = await fake_discord.invoke(
        "article show",
        {"article": SEED_KEY},
        user_id=world.admin,
        guild_id=world.guild,
        channel_id=news,
    )
    await card.wait_done()
    assert card.message is not None and not card.ephemeral
    custom_id = button(card.message, "Replay discussion")["custom_id"]
    # The moderator has Manage Threads but may not post in #announcements.
    click = await fake_discord.click(card.message, custom_id, user_id=world.moderator)
    await click.wait_done()
    assert click.ephemeral and "not allowed to post" in (click.content or "")
    assert fake_discord.threads(news) == [] and fake_discord.webhooks(news) == []
    click = await fake_discord.click(card.message, custom_id, user_id=world.admin)
    await click.wait_done()
    await wait_state(fake_discord, bot_env / "bot.db", "finished")
    assert fake_discord.threads(news) != []


async def config(fake: FakeDiscord, world: World, user: int, **options: object) -> str:
    result = await fake.invoke(
        "replayadmin config", options, user_id=user, guild_id=world.guild, channel_id=world.channel
    )
    await result.wait_done()
    assert result.error is None and result.ephemeral
    return result.content or ""


def stored_settings(db: Path) -> list[tuple[object, ...]]:
    with sqlite_connect(db) as conn:
        return conn.execute("SELECT * FROM guild_settings").fetchall()


async def test_admin_role_cannot_be_everyone(
    fake_discord: FakeDiscord, world: World, start_bot: StartBot, bot_env: Path
) -> None:
    await start_bot()
    before = stored_settings(bot_env / "bot.db")
    answer = await config(fake_discord, world, world.admin, admin_role=world.guild)  # @everyone
    assert "every member has" in answer
    assert stored_settings(bot_env / "bot.db") == before
    # The ordinary member is still no admin of the bot.
    refused = await fake_discord.invoke(
        "replayadmin config", {}, user_id=world.member, bypass_permissions=True
    )
    await refused.wait_done()
    assert "Only this bot's admins" in (refused.content or "")
    answer = await config(fake_discord, world, world.admin, admin_role=world.admin_role)
    assert f"<@&{world.admin_role}>" in answer


async def test_announce_channel_must_be_one_the_admin_and_the_bot_may_post_in(
    fake_discord: FakeDiscord, world: World, start_bot: StartBot, bot_env: Path
) -> None:
    news = read_only_channel(fake_discord, world)
    mute = fake_discord.add_text_channel(world.guild, "bot-muted")
    fake_discord.deny_bot(mute, int(P.SEND_MESSAGES))
    curators = fake_discord.add_role(world.guild, "Curators", int(P.MANAGE_GUILD))
    curator = fake_discord.add_member(world.guild, "cora-curator", roles=[curators])
    await start_bot()
    answer = await config(fake_discord, world, curator, announce_channel=news)
    assert "You are not allowed to post" in answer
    answer = await config(fake_discord, world, world.admin, announce_channel=mute)
    assert "I am missing Send Messages" in answer
    assert stored_settings(bot_env / "bot.db") == []
    answer = await config(fake_discord, world, world.admin, announce_channel=news)
    assert f"<#{news}>" in answer and "missing" not in answer
