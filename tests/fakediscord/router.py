"""Route templates (``/channels/{channel_id}``) matched against request paths."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from aiohttp import web

from . import errors
from .messages import Upload

if TYPE_CHECKING:
    from .fake import FakeDiscord
    from .state import World


@dataclass
class Ctx:
    """Everything a route handler needs about one request."""

    fake: FakeDiscord
    method: str
    path: str
    template: str
    params: dict[str, str]
    query: dict[str, str]
    json: Any
    files: list[Upload] = field(default_factory=list)

    @property
    def world(self) -> World:
        """The fake's state."""
        return self.fake.world

    def id(self, name: str) -> int:
        """A snowflake path parameter; 400 50035 if it is not a number, as Discord answers."""
        raw = self.params[name]
        if not raw.isdigit():
            form = errors.FormErrors()
            form.add((name,), "NUMBER_TYPE_COERCE", f'Value "{raw}" is not snowflake.')
            form.raise_if_any()
        return int(raw)

    def body(self) -> dict[str, Any]:
        """The JSON body as a dict (empty if none was sent)."""
        return self.json if isinstance(self.json, dict) else {}

    def flag(self, name: str) -> bool:
        """A boolean query parameter (``true``/``True``/``1``)."""
        return self.query.get(name, "").lower() in ("1", "true")


Handler = Callable[[Ctx], Awaitable[web.StreamResponse]]


@dataclass(frozen=True)
class RouteDef:
    """A registered route; ``auth`` routes need the bot token, ``interaction`` skip the global limit."""

    method: str
    template: str
    handler: Handler
    auth: bool
    interaction: bool

    @property
    def key(self) -> str:
        """``METHOD /template`` as recorded in calls."""
        return f"{self.method} {self.template}"


class Router:
    """Matches ``METHOD path`` to the most specific template (literal segments beat parameters)."""

    def __init__(self) -> None:
        """Create an empty router."""
        self.routes: list[RouteDef] = []

    def add(
        self, method: str, template: str, *, auth: bool = True, interaction: bool = False
    ) -> Callable[[Handler], Handler]:
        """Decorator registering ``handler`` for ``method template``."""

        def register(handler: Handler) -> Handler:
            self.routes.append(RouteDef(method, template, handler, auth, interaction))
            return handler

        return register

    def match(self, method: str, path: str) -> tuple[RouteDef, dict[str, str]] | None:
        """Return the best route and its parameters, or ``None``."""
        parts = path.strip("/").split("/")
        best: tuple[int, RouteDef, dict[str, str]] | None = None
        for route in self.routes:
            if route.method != method:
                continue
            params = _match(route.template, parts)
            if params is None:
                continue
            literals = len(parts) - len(params)
            if best is None or literals > best[0]:
                best = (literals, route, params)
        return None if best is None else (best[1], best[2])


def _match(template: str, parts: list[str]) -> dict[str, str] | None:
    pattern = template.strip("/").split("/")
    if len(pattern) != len(parts):
        return None
    params: dict[str, str] = {}
    for want, got in zip(pattern, parts, strict=True):
        if want.startswith("{") and want.endswith("}"):
            if not got:
                return None
            params[want[1:-1]] = got
        elif want != got:
            return None
    return params


def json_response(body: Any, status: int = 200) -> web.Response:
    """A JSON response with exactly ``Content-Type: application/json``.

    discord.py compares the header verbatim, so aiohttp's ``; charset=utf-8`` would turn
    every answer into a plain string on the client side.
    """
    data = json.dumps(body, separators=(",", ":")).encode()
    return web.Response(body=data, status=status, headers={"Content-Type": "application/json"})


def no_content() -> web.Response:
    """204 No Content."""
    return web.Response(status=204)
