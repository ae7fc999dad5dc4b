"""`/replayadmin …`: reload data and code, sync commands. Hidden by default_permissions, checked again."""

from __future__ import annotations

import logging
import sys
from typing import Literal

import discord
from discord import app_commands
from discord.ext import commands

from bot import access, render
from bot.access import HostBot
from bot.checks import is_owner, permissions_in, require_admin, require_owner
from bot.errors import UserError, answer, handle_command_error
from bot.feed import Announcer
from bot.services import Services
from bot.status import status_text
from bot.views import Pager
from storage import feed
from storage.loader import load_paths

log = logging.getLogger(__name__)

EXTENSION = __name__.split(".")[0]  # "bot": the package loaded with load_extension


class AdminCog(commands.Cog, name="ReplayAdmin"):
    """Admin commands; a top-level group because default_permissions is ignored on subcommands."""

    replayadmin = app_commands.Group(
        name="replayadmin",
        description="threadreplay administration",
        default_permissions=discord.Permissions(manage_guild=True),
        guild_only=True,
    )

    def __init__(self, bot: HostBot, services: Services) -> None:
        self.bot = bot
        self.services = services

    async def cog_load(self) -> None:
        self.services.acquire()

    async def cog_unload(self) -> None:
        await self.services.release()

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        # Checked at run time too: default_permissions only hides the group and a server can change it.
        extra: list[int] = []
        if interaction.guild_id is not None:
            role = (
                await feed.get_settings(self.services.store, interaction.guild_id)
            ).admin_role_id
            extra = [role] if role else []
        require_admin(self.services.settings, interaction, extra)
        return True

    def _announcer(self) -> Announcer | None:
        return access.announcer(self.bot)

    async def cog_app_command_error(
        self, interaction: discord.Interaction, error: app_commands.AppCommandError
    ) -> None:
        await handle_command_error(interaction, error)

    @replayadmin.command(
        name="reload", description="Load new and changed files from the seeds folder"
    )
    async def reload(self, interaction: discord.Interaction) -> None:
        # The host's folder goes into the database every server shares (and the feed announces it).
        await require_owner(
            self.bot, self.services.settings, interaction, "reload the seeds folder"
        )
        await interaction.response.defer(ephemeral=True, thinking=True)
        folder = self.services.settings.seeds
        if not folder.is_dir():
            raise UserError(
                f"The seeds folder {render.code(str(folder))} does not exist on the bot's machine."
            )
        report = await load_paths(self.services.store, [folder])
        failed = [f.error or f.path for f in report.files if f.status == "failed"]
        log.info(
            "reload by %s: %d added, %d updated, %d unchanged, %d failed",
            interaction.user.id,
            report.count("added"),
            report.count("updated"),
            report.count("unchanged"),
            len(failed),
        )
        if (announcer := self._announcer()) is not None:
            announcer.record_load(f"/replayadmin reload by {interaction.user}", report)
        text = render.load_report_text(
            report.count("added"), report.count("updated"), report.count("unchanged"), failed
        )
        await Pager(interaction.user.id, "Reload", render.paginate(text.split("\n"))).send(
            interaction
        )

    @replayadmin.command(
        name="reload-code", description="Reload threadreplay's code without restarting"
    )
    async def reload_code(self, interaction: discord.Interaction) -> None:
        await require_owner(self.bot, self.services.settings, interaction, "reload the bot's code")
        await interaction.response.defer(ephemeral=True, thinking=True)
        followup = interaction.followup  # this cog is replaced during the reload; keep what we need
        previous = {
            name: module
            for name, module in sys.modules.items()
            if name == EXTENSION or name.startswith(EXTENSION + ".")
        }
        try:
            await self.bot.reload_extension(EXTENSION)
        except Exception as exc:  # ExtensionError, or whatever discord.py's own revert raised
            log.exception("reload-code failed; the previous code keeps running")
            if EXTENSION not in self.bot.extensions:
                # discord.py reverts by calling the old setup() *after* dropping our modules from
                # sys.modules, so setup's lazy imports read the broken file again and the revert
                # fails too. Put the previous modules back first; loading then runs the old code.
                sys.modules.update(previous)
                await self.bot.load_extension(EXTENSION)
            cause = type(exc.__cause__ or exc).__name__
            await followup.send(
                f"Reload failed ({cause}); the previous code keeps running. Details are in the bot's log.",
                ephemeral=True,
                allowed_mentions=render.NO_MENTIONS,
            )
            return
        await followup.send("Code reloaded.", ephemeral=True, allowed_mentions=render.NO_MENTIONS)

    @replayadmin.command(name="sync", description="Publish the slash commands to Discord")
    @app_commands.describe(
        scope="guild: this server only, at once; global: every server (may take a while)"
    )
    async def sync(
        self, interaction: discord.Interaction, scope: Literal["guild", "global"]
    ) -> None:
        if scope == "global":
            await require_owner(
                self.bot, self.services.settings, interaction, "publish commands globally"
            )
        await interaction.response.defer(ephemeral=True, thinking=True)
        tree = self.bot.tree
        if scope == "guild":
            guild = discord.Object(interaction.guild_id or 0)
            tree.copy_global_to(guild=guild)
            synced = await tree.sync(guild=guild)
            where = "this server"
        else:
            synced = await tree.sync()
            where = "every server"
        await answer(interaction, f"Synced {len(synced)} commands to {where}.")

    @replayadmin.command(
        name="config", description="Show or change this server's feed and replay settings"
    )
    @app_commands.describe(
        announce_channel="Where new articles are announced (text or forum channel)",
        auto_replay="Replay new articles by themselves: off, threads or single",
        pace="Pace of auto-replays",
        include_spam="Show comments flagged as spam in auto-replays",
        admin_role="A role whose members may use these admin commands here",
        link_previews="Let Discord show link previews under replayed comments (on by default)",
    )
    async def config(
        self,
        interaction: discord.Interaction,
        announce_channel: discord.TextChannel | discord.ForumChannel | None = None,
        auto_replay: Literal["off", "threads", "single"] | None = None,
        pace: Literal["fast", "steady", "natural"] | None = None,
        include_spam: bool | None = None,
        admin_role: discord.Role | None = None,
        link_previews: bool | None = None,
    ) -> None:
        assert interaction.guild_id is not None  # guild_only group
        if admin_role is not None:
            self._check_admin_role(admin_role)
        if announce_channel is not None:
            self._check_announce_channel(interaction, announce_channel)
        current = await feed.get_settings(self.services.store, interaction.guild_id)
        changes = {
            "announce_channel_id": announce_channel.id if announce_channel else None,
            "auto_replay": auto_replay,
            "pace": pace,
            "include_spam": include_spam,
            "admin_role_id": admin_role.id if admin_role else None,
            "link_previews": link_previews,
        }
        changes = {k: v for k, v in changes.items() if v is not None}
        if changes:
            current = await feed.save_settings(
                self.services.store, current.model_copy(update=changes)
            )
            if (announcer := self._announcer()) is not None:
                announcer.nudge()
        await interaction.response.send_message(
            render.settings_text(current, changed=bool(changes)),
            ephemeral=True,
            allowed_mentions=render.NO_MENTIONS,
        )

    @staticmethod
    def _check_admin_role(role: discord.Role) -> None:
        """The admin role must single some members out: never @everyone, nor a role all members have
        (known when the server's member list is complete in the cache)."""
        guild = role.guild
        everyone_has_it = (
            guild.chunked
            and guild.member_count is not None
            and len(role.members) >= guild.member_count
        )
        if role.is_default() or everyone_has_it:
            raise UserError(
                f"{role.mention} is a role every member has: it would make everyone an admin of"
                " this bot. Pick a role only your admins have."
            )

    @staticmethod
    def _check_announce_channel(
        interaction: discord.Interaction, channel: discord.TextChannel | discord.ForumChannel
    ) -> None:
        """Announcements go only where the admin who sets them, and the bot, may post."""
        if channel.guild.id != interaction.guild_id:
            raise UserError("That channel is not in this server.")
        mine = permissions_in(interaction, channel)
        if not (mine.view_channel and mine.send_messages):
            raise UserError(
                f"You are not allowed to post in {channel.mention}, so it cannot be the announce"
                " channel you set."
            )
        bots = channel.permissions_for(channel.guild.me)
        missing = [
            name
            for allowed, name in (
                (bots.view_channel, "View Channel"),
                (bots.send_messages, "Send Messages"),
                (bots.embed_links, "Embed Links"),
            )
            if not allowed
        ]
        if missing:
            raise UserError(
                f"I cannot announce in {channel.mention}: I am missing {', '.join(missing)} there."
            )

    @replayadmin.command(
        name="announce-backlog", description="Announce the articles that predate the feed, paced"
    )
    async def announce_backlog(self, interaction: discord.Interaction) -> None:
        assert interaction.guild_id is not None
        current = await feed.get_settings(self.services.store, interaction.guild_id)
        if current.announce_channel_id is None:
            raise UserError(
                "Set an announce channel first: `/replayadmin config announce_channel:`."
            )
        due = await feed.lower_baseline(self.services.store, interaction.guild_id)
        if (announcer := self._announcer()) is not None:
            announcer.nudge()
        await interaction.response.send_message(
            f"{due} earlier articles will be announced in <#{current.announce_channel_id}>, a few at a time.",
            ephemeral=True,
            allowed_mentions=render.NO_MENTIONS,
        )

    @replayadmin.command(
        name="status", description="Uptime, database, watched folder, last load and replays"
    )
    async def status(self, interaction: discord.Interaction) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        assert interaction.guild_id is not None  # guild_only group
        text = await status_text(
            self.services,
            self._announcer(),
            access.replay_manager(self.bot),
            guild_id=interaction.guild_id,
            owner=await is_owner(self.bot, self.services.settings, interaction.user),
        )
        await Pager(
            interaction.user.id, "threadreplay status", render.paginate(text.split("\n"))
        ).send(interaction)
