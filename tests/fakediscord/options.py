"""Turn a test's ``{"option": value}`` into command option payloads, from the registration."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from . import payloads
from .models import Channel, Command
from .state import World

SUBCOMMAND, GROUP = 1, 2
STRING, INTEGER, BOOLEAN, USER, CHANNEL, ROLE, MENTIONABLE, NUMBER, ATTACHMENT = (
    3,
    4,
    5,
    6,
    7,
    8,
    9,
    10,
    11,
)


class InvocationError(ValueError):
    """The test asked for something a Discord user could not send."""


def walk(command: Command, path: list[str]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Follow ``path`` (subcommand group / subcommand names); return (leaf options, chain)."""
    node: dict[str, Any] = command.data
    chain: list[dict[str, Any]] = []
    for name in path:
        subs = [o for o in node.get("options") or [] if o.get("type") in (SUBCOMMAND, GROUP)]
        found = next((o for o in subs if o["name"] == name), None)
        if found is None:
            known = ", ".join(o["name"] for o in subs) or "none"
            raise InvocationError(f"/{command.name} has no subcommand {name!r} (known: {known})")
        chain.append(found)
        node = found
    leaf = node.get("options") or []
    if any(o.get("type") in (SUBCOMMAND, GROUP) for o in leaf):
        names = ", ".join(o["name"] for o in leaf)
        raise InvocationError(f"/{command.name} {' '.join(path)} needs a subcommand ({names})")
    return leaf, chain


def nest(chain: list[dict[str, Any]], values: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Wrap leaf option values in their subcommand (group) options, innermost last."""
    options = values
    for node in reversed(chain):
        options = [{"type": node["type"], "name": node["name"], "options": options}]
    return options


class OptionBuilder:
    """Builds option values plus the ``resolved`` map Discord adds for users, roles, channels."""

    def __init__(self, world: World, guild_id: int, channel: Channel, user_id: int) -> None:
        """Resolve snowflake options in ``guild_id`` as ``user_id`` sees them from ``channel``."""
        self.world = world
        self.user_id = user_id
        self.guild = world.guild(guild_id)
        self.channel = channel
        self.resolved: dict[str, dict[str, Any]] = {}

    def build(
        self, defs: list[dict[str, Any]], given: Mapping[str, Any], focused: str | None = None
    ) -> list[dict[str, Any]]:
        """Option payloads for ``given``; checks names, required options, choices and bounds."""
        by_name = {d["name"]: d for d in defs}
        unknown = set(given) - set(by_name)
        if unknown:
            raise InvocationError(f"unknown option(s) {sorted(unknown)}; known: {sorted(by_name)}")
        if focused is None:
            missing = [d["name"] for d in defs if d.get("required") and d["name"] not in given]
            if missing:
                raise InvocationError(f"required option(s) missing: {missing}")
        result = []
        for definition in defs:
            name = definition["name"]
            if name not in given:
                continue
            if name == focused:
                if not definition.get("autocomplete"):
                    raise InvocationError(f"option {name!r} was not registered with autocomplete")
                entry = {
                    "type": definition["type"],
                    "name": name,
                    "value": str(given[name]),
                    "focused": True,
                }
            else:
                entry = {
                    "type": definition["type"],
                    "name": name,
                    "value": self._value(definition, given[name]),
                }
            result.append(entry)
        return result

    def _value(self, definition: dict[str, Any], raw: Any) -> Any:
        kind = definition["type"]
        name = definition["name"]
        if kind == STRING:
            value: Any = str(raw)
            low, high = definition.get("min_length", 0), definition.get("max_length", 6000)
            if not low <= len(value) <= high:
                raise InvocationError(f"{name}: length must be between {low} and {high}")
        elif kind in (INTEGER, NUMBER):
            value = int(raw) if kind == INTEGER else float(raw)
            if "min_value" in definition and value < definition["min_value"]:
                raise InvocationError(f"{name}: below min_value {definition['min_value']}")
            if "max_value" in definition and value > definition["max_value"]:
                raise InvocationError(f"{name}: above max_value {definition['max_value']}")
        elif kind == BOOLEAN:
            value = bool(raw)
        elif kind in (USER, CHANNEL, ROLE, MENTIONABLE):
            value = str(self._resolve(kind, int(raw), name))
        else:
            raise InvocationError(f"{name}: option type {kind} is not supported by the fake")
        choices = definition.get("choices")
        if choices and value not in [c["value"] for c in choices]:
            raise InvocationError(f"{name}: {value!r} is not one of the registered choices")
        return value

    def _resolve(self, kind: int, target: int, name: str) -> int:
        world = self.world
        if kind in (USER, MENTIONABLE) and target in world.users:
            self.resolved.setdefault("users", {})[str(target)] = payloads.user(world.users[target])
            member = self.guild.members.get(target)
            if member is not None:
                data = payloads.member(
                    member, None, permissions=world.permissions(target, self.channel)
                )
                self.resolved.setdefault("members", {})[str(target)] = data
            return target
        if kind in (ROLE, MENTIONABLE) and target in self.guild.roles:
            self.resolved.setdefault("roles", {})[str(target)] = payloads.role(
                self.guild.roles[target]
            )
            return target
        if kind == CHANNEL and target in world.channels:
            channel = world.channels[target]
            data = payloads.channel(channel)
            data["permissions"] = str(world.permissions(self.user_id, channel))
            self.resolved.setdefault("channels", {})[str(target)] = data
            return target
        raise InvocationError(f"{name}: nothing with id {target} to resolve")
