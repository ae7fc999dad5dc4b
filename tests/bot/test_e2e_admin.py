"""End to end: /replayadmin reload, reload-code and sync — bot-wide ones for the bot's owners,
server ones for that server's admins, refused to everyone else."""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import sys
from collections.abc import Sequence
from pathlib import Path

import pytest

from bot.checks import OWNERS_ONLY, REFUSAL
from tests.bot.conftest import StartBot, World
from tests.bot.dumps import write_dump
from tests.bot.e2e import SEED_KEY, db_rows
from tests.fakediscord import FakeDiscord, P
from tests.fakediscord.options import InvocationError

GUILD_SYNC = "PUT /applications/{application_id}/guilds/{guild_id}/commands"
GLOBAL_SYNC = "PUT /applications/{application_id}/commands"
ONE_NEW_FILE = "**Reload finished:** 1 added, 0 updated, 1 unchanged, 0 failed."


def one_comment(seeds: Path, key: str, text: str = "First!") -> None:
    """A small article `key` in the seeds folder."""
    write_dump(seeds, key, f"The {key} story", [(0, "Ann", text)])


async def test_reload_by_the_bot_owner_reports_added_updated_unchanged_and_failed(
    fake_discord: FakeDiscord, world: World, bot_env: Path, start_bot: StartBot
) -> None:
    seeds = bot_env / "seeds"
    one_comment(seeds, "second")
    await start_bot()
    one_comment(seeds, "second", "Edited since the first start.")
    one_comment(seeds, "third")
    (seeds / "broken.txt").write_text("", encoding="utf-8")
    result = await fake_discord.invoke("replayadmin reload", user_id=world.owner)
    await result.wait_done()
    assert result.response_type == 5 and result.ephemeral
    report = result.embeds[0]["description"]
    assert report.startswith("**Reload finished:** 1 added, 1 updated, 1 unchanged, 1 failed.")
    assert "broken.txt: file is empty" in report
    assert [row[0] for row in db_rows(bot_env / "bot.db")] == [SEED_KEY, "second", "third"]


async def test_reload_by_an_owner_id_without_manage_server_is_allowed(
    fake_discord: FakeDiscord,
    world: World,
    bot_env: Path,
    start_bot: StartBot,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("THREADREPLAY_OWNER_IDS", f"{world.member},1")
    await start_bot()
    one_comment(bot_env / "seeds", "third")
    # Discord hides the group from them (no Manage Server); the bot's own check lets them in.
    with pytest.raises(InvocationError, match="default_member_permissions"):
        await fake_discord.invoke("replayadmin reload", user_id=world.member)
    result = await fake_discord.invoke(
        "replayadmin reload", user_id=world.member, bypass_permissions=True
    )
    await result.wait_done()
    assert result.embeds[0]["description"] == ONE_NEW_FILE
    assert len(db_rows(bot_env / "bot.db")) == 2
    # THREADREPLAY_OWNER_IDS replaces the application's owner: they are no longer a bot owner.
    refused = await fake_discord.invoke("replayadmin reload-code", user_id=world.owner)
    await refused.wait_done()
    assert refused.content == OWNERS_ONLY.format(what="reload the bot's code")


async def test_admin_role_member_without_manage_server_may_use_the_server_commands(
    fake_discord: FakeDiscord,
    world: World,
    bot_env: Path,
    start_bot: StartBot,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    curators = fake_discord.add_role(world.guild, "Curators", 0)
    curator = fake_discord.add_member(world.guild, "cora-curator", roles=[curators])
    monkeypatch.setenv("THREADREPLAY_ADMIN_ROLE_IDS", f"2, {curators}")
    await start_bot()
    result = await fake_discord.invoke(
        "replayadmin config", {"pace": "steady"}, user_id=curator, bypass_permissions=True
    )
    await result.wait_done()
    assert result.ephemeral and "steady" in (result.content or "")
    # …but not the ones that reach every server.
    result = await fake_discord.invoke(
        "replayadmin reload", user_id=curator, bypass_permissions=True
    )
    await result.wait_done()
    assert result.content == OWNERS_ONLY.format(what="reload the seeds folder")


@pytest.mark.parametrize(
    ("command", "options", "what"),
    [
        ("replayadmin reload", {}, "reload the seeds folder"),
        ("replayadmin reload-code", {}, "reload the bot's code"),
        ("replayadmin sync", {"scope": "global"}, "publish commands globally"),
    ],
)
async def test_bot_wide_commands_are_refused_to_a_server_admin_who_is_not_an_owner(
    fake_discord: FakeDiscord,
    world: World,
    bot_env: Path,
    start_bot: StartBot,
    command: str,
    options: dict[str, str],
    what: str,
) -> None:
    bot = await start_bot()
    one_comment(bot_env / "seeds", "third")  # a reload would add it
    rows = db_rows(bot_env / "bot.db")
    cogs = dict(bot.cogs)
    syncs = len(fake_discord.calls_to(GLOBAL_SYNC))
    # Manage Server in *their own* server: alice, and the admin of a second server.
    other = fake_discord.add_guild("Elsewhere")
    other_channel = fake_discord.add_text_channel(other, "general")
    role = fake_discord.add_role(other, "Admins", int(P.MANAGE_GUILD))
    other_admin = fake_discord.add_member(other, "zed-admin", roles=[role])
    for user, guild, channel in (
        (world.admin, world.guild, world.channel),
        (other_admin, other, other_channel),
    ):
        result = await fake_discord.invoke(
            command, options, user_id=user, guild_id=guild, channel_id=channel
        )
        await result.wait_done()
        assert result.response_type == 4 and result.ephemeral
        assert result.content == OWNERS_ONLY.format(what=what)
    assert db_rows(bot_env / "bot.db") == rows
    assert dict(bot.cogs) == cogs and all(bot.cogs[n] is c for n, c in cogs.items())
    assert len(fake_discord.calls_to(GLOBAL_SYNC)) == syncs


@pytest.mark.parametrize(
    ("command", "options"),
    [
        ("replayadmin reload", {}),
        ("replayadmin reload-code", {}),
        ("replayadmin sync", {"scope": "global"}),
    ],
)
async def test_admin_command_by_ordinary_member_is_hidden_then_refused_and_changes_nothing(
    fake_discord: FakeDiscord,
    world: World,
    bot_env: Path,
    start_bot: StartBot,
    command: str,
    options: dict[str, str],
) -> None:
    bot = await start_bot()
    one_comment(bot_env / "seeds", "third")  # a reload would add it
    rows = db_rows(bot_env / "bot.db")
    cogs = dict(bot.cogs)
    syncs = len(fake_discord.calls_to(GLOBAL_SYNC) + fake_discord.calls_to(GUILD_SYNC))
    with pytest.raises(InvocationError, match="default_member_permissions"):
        await fake_discord.invoke(command, options, user_id=world.member)
    result = await fake_discord.invoke(
        command, options, user_id=world.member, bypass_permissions=True
    )
    await result.wait_done()
    assert result.response_type == 4 and result.ephemeral and result.content == REFUSAL
    assert result.followups == []
    assert db_rows(bot_env / "bot.db") == rows
    assert dict(bot.cogs) == cogs and all(bot.cogs[n] is c for n, c in cogs.items())
    assert len(fake_discord.calls_to(GLOBAL_SYNC) + fake_discord.calls_to(GUILD_SYNC)) == syncs


async def test_reload_code_replaces_the_cogs_and_commands_still_answer(
    fake_discord: FakeDiscord, world: World, start_bot: StartBot
) -> None:
    bot = await start_bot()
    before = bot.get_cog("Articles")
    result = await fake_discord.invoke("replayadmin reload-code", user_id=world.owner)
    await result.wait_done()
    assert result.response_type == 5 and result.content == "Code reloaded."
    after = bot.get_cog("Articles")
    assert after is not None and after is not before
    assert sorted(c.name for c in bot.tree.get_commands()) == ["article", "replay", "replayadmin"]
    card = await fake_discord.invoke("article show", {"article": SEED_KEY}, user_id=world.member)
    await card.wait_done()
    assert card.embeds[0]["footer"]["text"] == f"key: {SEED_KEY}"


class BrokenModule(importlib.abc.MetaPathFinder):
    """Makes a fresh import of one module fail, as a syntax error saved into its file would."""

    def __init__(self, name: str) -> None:
        self.name = name

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: object = None
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname == self.name:
            raise SyntaxError(f"invalid syntax ({self.name})")
        return None


async def test_reload_code_with_broken_module_reports_it_and_keeps_previous_code_running(
    fake_discord: FakeDiscord,
    world: World,
    start_bot: StartBot,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    bot = await start_bot()
    monkeypatch.setattr(sys, "meta_path", [BrokenModule("bot.cogs.articles"), *sys.meta_path])
    result = await fake_discord.invoke("replayadmin reload-code", user_id=world.owner)
    await result.wait_done()
    assert result.content == (
        "Reload failed (SyntaxError); the previous code keeps running."
        " Details are in the bot's log."
    )
    assert sorted(bot.cogs) == ["Articles", "Feed", "Replay", "ReplayAdmin"]
    card = await fake_discord.invoke("article show", {"article": SEED_KEY}, user_id=world.member)
    await card.wait_done()
    assert card.embeds and card.embeds[0]["footer"]["text"] == f"key: {SEED_KEY}"


@pytest.mark.parametrize(
    ("scope", "route", "where"),
    [("guild", GUILD_SYNC, "this server"), ("global", GLOBAL_SYNC, "every server")],
)
async def test_sync_by_admin_publishes_the_commands_to_the_chosen_scope(
    fake_discord: FakeDiscord,
    world: World,
    start_bot: StartBot,
    scope: str,
    route: str,
    where: str,
) -> None:
    await start_bot()
    since = len(fake_discord.calls)
    user = world.admin if scope == "guild" else world.owner  # global reaches every server
    result = await fake_discord.invoke("replayadmin sync", {"scope": scope}, user_id=user)
    await result.wait_done()
    assert result.ephemeral and result.content == f"Synced 3 commands to {where}."
    call = await fake_discord.wait_for_call(route, since=since)
    assert call.ok and sorted(c["name"] for c in call.json) == ["article", "replay", "replayadmin"]
    registered = fake_discord.commands(world.guild if scope == "guild" else None)
    assert sorted(c["name"] for c in registered) == ["article", "replay", "replayadmin"]
