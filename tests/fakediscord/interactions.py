"""Interactions as a Discord user produces them: slash commands, autocomplete, component clicks."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

from . import payloads
from .clock import new_token
from .models import Channel, Command, Guild, Interaction, Message
from .options import InvocationError, OptionBuilder, nest, walk
from .permissions import ALL, P
from .results import InteractionResult

if TYPE_CHECKING:
    from .fake import FakeDiscord

ATTACHMENT_SIZE_LIMIT = 10 * 1024 * 1024
_SELECTS = (3, 5, 6, 7, 8)


def iter_components(components: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    """Every component in a message, depth first (action rows, containers, sections...)."""
    for component in components:
        yield component
        yield from iter_components(component.get("components") or [])
        if isinstance(component.get("accessory"), dict):
            yield component["accessory"]


def _submitted(component: dict[str, Any], values: Mapping[str, str]) -> dict[str, Any]:
    """What a modal submit carries for one input: its type, custom_id and the typed value."""
    data: dict[str, Any] = {"type": component["type"], "custom_id": component.get("custom_id")}
    if component.get("id") is not None:
        data["id"] = component["id"]
    if component["type"] == 4:
        data["value"] = values.get(component["custom_id"], "")
    return data


class InteractionsMixin:
    """``invoke``, ``autocomplete`` and ``click`` for :class:`~fakediscord.fake.FakeDiscord`."""

    async def invoke(
        self: FakeDiscord,
        command: str,
        options: Mapping[str, Any] | None = None,
        *,
        user_id: int | None = None,
        guild_id: int | None = None,
        channel_id: int | None = None,
        locale: str = "en-US",
        bypass_permissions: bool = False,
    ) -> InteractionResult:
        """Dispatch a slash command (type 2) built from what the bot registered.

        ``command`` is the full name (``"article show"``); options are typed from the registration.
        Like Discord's client, refuse commands the user cannot see (``default_member_permissions``)
        unless ``bypass_permissions`` is set (to test the bot's own runtime checks).
        """
        guild, channel, user = self._context(guild_id, channel_id, user_id)
        cmd, path = self._find_command(command, guild.id)
        if not bypass_permissions:
            self._check_visible(cmd, guild, channel, user)
        defs, chain = walk(cmd, path)
        builder = OptionBuilder(self.world, guild.id, channel, user)
        data: dict[str, Any] = {
            "id": str(cmd.id),
            "name": cmd.name,
            "type": 1,
            "options": nest(chain, builder.build(defs, options or {})),
        }
        if cmd.guild_id is not None:
            data["guild_id"] = str(cmd.guild_id)
        if builder.resolved:
            data["resolved"] = builder.resolved
        return self._dispatch(2, data, guild, channel, user, locale)

    async def autocomplete(
        self: FakeDiscord,
        command: str,
        focused_option: str,
        value: str,
        options: Mapping[str, Any] | None = None,
        *,
        user_id: int | None = None,
        guild_id: int | None = None,
        channel_id: int | None = None,
        locale: str = "en-US",
    ) -> InteractionResult:
        """Dispatch an autocomplete interaction (type 4); ``result.choices`` holds the answer."""
        guild, channel, user = self._context(guild_id, channel_id, user_id)
        cmd, path = self._find_command(command, guild.id)
        defs, chain = walk(cmd, path)
        builder = OptionBuilder(self.world, guild.id, channel, user)
        given = {**(options or {}), focused_option: value}
        data: dict[str, Any] = {
            "id": str(cmd.id),
            "name": cmd.name,
            "type": 1,
            "options": nest(chain, builder.build(defs, given, focused=focused_option)),
        }
        if cmd.guild_id is not None:
            data["guild_id"] = str(cmd.guild_id)
        return self._dispatch(4, data, guild, channel, user, locale)

    async def click(
        self: FakeDiscord,
        message: Message | int,
        custom_id: str,
        *,
        user_id: int | None = None,
        values: list[str] | None = None,
        locale: str = "en-US",
    ) -> InteractionResult:
        """Dispatch a component interaction (type 3) for a button or select on a stored message."""
        msg = message if isinstance(message, Message) else self.world.messages[int(message)]
        if msg.deleted:
            raise InvocationError(f"message {msg.id} was deleted")
        channel = self.world.channel(msg.channel_id)
        guild, channel, user = self._context(channel.guild_id, channel.id, user_id)
        component = next(
            (c for c in iter_components(msg.components) if c.get("custom_id") == custom_id), None
        )
        if component is None:
            found = [
                c.get("custom_id") for c in iter_components(msg.components) if c.get("custom_id")
            ]
            raise InvocationError(f"no component {custom_id!r} on message {msg.id}; has {found}")
        if component.get("disabled"):
            raise InvocationError(f"component {custom_id!r} is disabled")
        if (
            msg.ephemeral
            and msg.interaction_metadata
            and msg.interaction_metadata["user"]["id"] != str(user)
        ):
            raise InvocationError("only the user who got an ephemeral message can click it")
        data: dict[str, Any] = {"custom_id": custom_id, "component_type": component["type"]}
        if component["type"] in _SELECTS:
            data["values"] = list(values or [])
            allowed = [o["value"] for o in component.get("options") or []]
            if component["type"] == 3 and any(v not in allowed for v in data["values"]):
                raise InvocationError(f"values {values} not among the select's options {allowed}")
        elif values:
            raise InvocationError("values are only for select menus")
        return self._dispatch(3, data, guild, channel, user, locale, source=msg)

    async def submit_modal(
        self: FakeDiscord,
        opened_by: InteractionResult,
        values: Mapping[str, str],
        *,
        locale: str = "en-US",
    ) -> InteractionResult:
        """Submit the modal the bot opened (type 9) with text ``values`` by custom_id (type 5)."""
        modal = opened_by.modal
        if modal is None:
            raise InvocationError(f"the bot did not open a modal: {opened_by!r}")
        record = opened_by.record
        guild, channel, user = self._context(record.guild_id, record.channel_id, record.user_id)
        inputs = [c for c in iter_components(modal.get("components") or []) if c.get("type") == 4]
        known = {c["custom_id"] for c in inputs}
        if set(values) - known:
            raise InvocationError(
                f"modal has no inputs {sorted(set(values) - known)}; has {sorted(known)}"
            )
        missing = [
            c["custom_id"]
            for c in inputs
            if c.get("required", True) and not values.get(c["custom_id"])
        ]
        if missing:
            raise InvocationError(f"required modal inputs missing: {missing}")
        submitted = []
        for component in modal.get("components") or []:
            if component.get("type") == 1:
                children = [_submitted(c, values) for c in component.get("components") or []]
                submitted.append({"type": 1, "components": children})
            elif component.get("type") == 18 and isinstance(component.get("component"), dict):
                submitted.append(
                    {"type": 18, "component": _submitted(component["component"], values)}
                )
        data = {"custom_id": modal["custom_id"], "components": submitted}
        source = self.world.messages.get(record.source_message_id or 0)
        return self._dispatch(5, data, guild, channel, user, locale, source=source)

    # ----- helpers ---------------------------------------------------------------------
    def _context(
        self: FakeDiscord, guild_id: int | None, channel_id: int | None, user_id: int | None
    ) -> tuple[Guild, Channel, int]:
        world = self.world
        if guild_id is None:
            if len(world.guilds) != 1:
                raise InvocationError(f"pass guild_id: the fake has {len(world.guilds)} guilds")
            guild_id = next(iter(world.guilds))
        guild = world.guild(guild_id)
        if channel_id is None:
            texts = [world.channels[c] for c in guild.channel_ids if world.channels[c].type == 0]
            if not texts:
                raise InvocationError("pass channel_id: the guild has no text channel")
            channel_id = texts[0].id
        channel = world.channel(channel_id)
        user = guild.owner_id if user_id is None else user_id
        if user not in guild.members:
            raise InvocationError(f"user {user} is not a member of guild {guild.id}")
        if not world.permissions(user, channel) & P.VIEW_CHANNEL:
            raise InvocationError(f"user {user} cannot see channel {channel.id}")
        return guild, channel, user

    def _find_command(self: FakeDiscord, command: str, guild_id: int) -> tuple[Command, list[str]]:
        name, *path = command.split()
        world = self.world
        for scope in (guild_id, None):
            found = next(
                (c for c in world.commands_for(scope) if c.name == name and c.type == 1), None
            )
            if found is not None:
                return found, path
        known = sorted({c.name for c in world.commands.values()})
        raise InvocationError(f"/{name} is not registered (registered: {known}); did the bot sync?")

    def _check_visible(
        self: FakeDiscord, cmd: Command, guild: Guild, channel: Channel, user: int
    ) -> None:
        perms = self.world.permissions(user, channel)
        if perms != ALL and not perms & P.USE_APPLICATION_COMMANDS:
            raise InvocationError(f"user {user} lacks USE_APPLICATION_COMMANDS here")
        required = cmd.data.get("default_member_permissions")
        if required is not None and perms != ALL and int(required) & ~perms:
            raise InvocationError(
                f"/{cmd.name} is hidden from user {user} (default_member_permissions)"
            )

    def _dispatch(
        self: FakeDiscord,
        kind: int,
        data: dict[str, Any],
        guild: Guild,
        channel: Channel,
        user_id: int,
        locale: str,
        source: Message | None = None,
    ) -> InteractionResult:
        world = self.world
        if not self.gateway.connected_for(guild.id):
            raise RuntimeError(
                f"no gateway session on guild {guild.id}'s shard is connected: start the client first"
            )
        perms = world.permissions(user_id, channel)
        channel_data = payloads.channel(channel)
        channel_data["permissions"] = str(perms)
        interaction_id = world.ids.next()
        payload: dict[str, Any] = {
            "id": str(interaction_id),
            "application_id": str(world.app_id),
            "type": kind,
            "data": data,
            "token": new_token("aW50ZXJhY3Rpb246"),
            "version": 1,
            "guild_id": str(guild.id),
            "guild": {
                "id": str(guild.id),
                "locale": guild.preferred_locale,
                "features": guild.features,
            },
            "guild_locale": guild.preferred_locale,
            "channel_id": str(channel.id),
            "channel": channel_data,
            "member": payloads.member(
                guild.members[user_id], world.users[user_id], permissions=perms
            ),
            "app_permissions": str(world.bot_permissions(channel)),
            "locale": locale,
            "entitlements": [],
            "entitlement_sku_ids": [],
            "authorizing_integration_owners": {"0": str(guild.id)},
            "context": 0,
            "attachment_size_limit": ATTACHMENT_SIZE_LIMIT,
        }
        if source is not None:
            payload["message"] = payloads.message(source)
        record = Interaction(
            id=interaction_id,
            token=payload["token"],
            type=kind,
            payload=payload,
            dispatched_at=self.clock.monotonic(),
            guild_id=guild.id,
            channel_id=channel.id,
            user_id=user_id,
            source_message_id=source.id if source else None,
        )
        world.interactions[record.id] = record
        self.gateway.dispatch("INTERACTION_CREATE", payload)
        return InteractionResult(self, record, source_edits=len(source.edits) if source else 0)
