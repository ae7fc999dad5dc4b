"""End to end: /replayadmin reload, reload-code and sync — allowed for admins, refused to others."""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import sys
from collections.abc import Sequence
from pathlib import Path

import pytest

from bot.checks import REFUSAL
from tests.bot.conftest import StartBot, World
from tests.bot.dumps import write_dump
from tests.bot.e2e import SEED_KEY, db_rows
from tests.fakediscord import FakeDiscord
from tests.fakediscord.options import InvocationError

GUILD_SYNC = "PUT /applications/{application_id}/guilds/{guild_id}/commands"
GLOBAL_SYNC = "PUT /applications/{application_id}/commands"
ONE_NEW_FILE = "**Reload finished:** 1 added, 0 updated, 1 unchanged, 0 failed."


def one_comment(seeds: Path, key: str, text: str = "First!") -> None:
    """A small article `key` in the seeds folder."""
    write_dump(seeds, key, f"The {key} story", [(0, "Ann", text)])


async def test_reload_by_manage_server_admin_reports_added_updated_unchanged_and_failed(
    fake_discord: FakeDiscord, world: World, bot_env: Path, start_bot: StartBot
) -> None:
    seeds = bot_env / "seeds"
    one_comment(seeds, "second")
    await start_bot()
    one_comment(seeds, "second", "Edited since the first start.")
    one_comment(seeds, "third")
    (seeds / "broken.txt").write_text("", encoding="utf-8")
    result = await fake_discord.invoke("replayadmin reload", user_id=world.admin)
    await result.wait_done()
    assert result.response_type == 5 and result.ephemeral
    report = result.embeds[0]["description"]
    assert report.startswith("**Reload finished:** 1 added, 1 updated, 1 unchanged, 1 failed.")
    assert "broken.txt: file is empty" in report
    assert [row[0] for row in db_rows(bot_env / "bot.db")] == [SEED_KEY, "second", "third"]


@pytest.mark.parametrize("via", ["owner id", "admin role id"])
async def test_reload_by_configured_admin_without_manage_server_is_allowed(
    fake_discord: FakeDiscord,
    world: World,
    bot_env: Path,
    start_bot: StartBot,
    monkeypatch: pytest.MonkeyPatch,
    via: str,
) -> None:
    curators = fake_discord.add_role(world.guild, "Curators", 0)
    curator = fake_discord.add_member(world.guild, "cora-curator", roles=[curators])
    if via == "owner id":
        monkeypatch.setenv("THREADREPLAY_OWNER_IDS", f"{world.member},1")
        user = world.member
    else:
        monkeypatch.setenv("THREADREPLAY_ADMIN_ROLE_IDS", f"2, {curators}")
        user = curator
    await start_bot()
    one_comment(bot_env / "seeds", "third")
    # Discord hides the group from them (no Manage Server); the bot's own check lets them in.
    with pytest.raises(InvocationError, match="default_member_permissions"):
        await fake_discord.invoke("replayadmin reload", user_id=user)
    result = await fake_discord.invoke("replayadmin reload", user_id=user, bypass_permissions=True)
    await result.wait_done()
    assert result.embeds[0]["description"] == ONE_NEW_FILE
    assert len(db_rows(bot_env / "bot.db")) == 2


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
    result = await fake_discord.invoke("replayadmin reload-code", user_id=world.admin)
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
    result = await fake_discord.invoke("replayadmin reload-code", user_id=world.admin)
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
    result = await fake_discord.invoke("replayadmin sync", {"scope": scope}, user_id=world.admin)
    await result.wait_done()
    assert result.ephemeral and result.content == f"Synced 3 commands to {where}."
    call = await fake_discord.wait_for_call(route, since=since)
    assert call.ok and sorted(c["name"] for c in call.json) == ["article", "replay", "replayadmin"]
    registered = fake_discord.commands(world.guild if scope == "guild" else None)
    assert sorted(c["name"] for c in registered) == ["article", "replay", "replayadmin"]
