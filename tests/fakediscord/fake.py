"""``FakeDiscord``: REST + gateway on 127.0.0.1 for the real discord.py client, plus test helpers."""

from __future__ import annotations

import asyncio
import base64
from collections.abc import Awaitable, Callable
from types import TracebackType
from typing import Any, Self, TypeVar

from aiohttp import web

from . import intents as gi
from . import (
    routes_channels,
    routes_core,
    routes_guilds,
    routes_interactions,
    routes_threads,
    routes_webhooks,
)
from .admin import AdminMixin
from .calls import Call, Fault, Faults
from .clock import Clock
from .gateway import Gateway
from .interactions import InteractionsMixin
from .ratelimit import RateLimitConfig, RateLimiter, Refusal
from .router import Router
from .server import API_PREFIX, RestServer
from .state import World

T = TypeVar("T")
DEFAULT_APP_ID = 1_180_000_000_000_000_001


def make_token(app_id: int) -> str:
    """A token shaped like Discord's: base64(user id), a timestamp part and an HMAC part."""
    head = base64.urlsafe_b64encode(str(app_id).encode()).decode().rstrip("=")
    return f"{head}.FaKeTs.fake-hmac-{app_id % 100_000:05d}"


class FakeDiscord(AdminMixin, InteractionsMixin):
    """A fake Discord API v10 + gateway. See ``tests/fakediscord/README.md``."""

    def __init__(
        self,
        token: str | None = None,
        app_id: int = DEFAULT_APP_ID,
        *,
        bot_name: str = "threadreplay",
        time_scale: float = 1.0,
        host: str = "127.0.0.1",
    ) -> None:
        """Create the fake (not yet listening: ``await start()``); the bot user's id is ``app_id``."""
        self.token = token or make_token(app_id)
        self.app_id = app_id
        self.host = host
        self.port = 0
        self.clock = Clock()
        self.world = World(token=self.token, app_id=app_id, bot_name=bot_name, clock=self.clock)
        self.ratelimits = RateLimitConfig(time_scale=time_scale)
        self.limiter = RateLimiter(self.ratelimits, self.clock)
        self.calls: list[Call] = []
        #: Exceptions raised inside the fake's handlers (the fixture fails the test if any).
        self.internal_errors: list[str] = []
        # Called after a request was carried out and before its answer leaves: a test can hold the
        # answer here (the action happened, the client has not heard of it) and kill the client.
        self.on_handled: Callable[[str, str], Awaitable[None]] | None = None
        self.faults = Faults()
        self.gateway = Gateway(self)
        self.world.emit = self.gateway.dispatch
        #: Seconds the bot has to answer an interaction (Discord: 3); not scaled by ``time_scale``.
        self.interaction_deadline = 3.0
        #: Lifetime of interaction tokens for edits and followups (Discord: 15 minutes).
        self.interaction_token_ttl = 900.0
        #: Privileged intents the "developer portal" allows; others close the gateway with 4014.
        self.allowed_privileged_intents = gi.PRIVILEGED
        #: ``GET /gateway/bot``'s ``shards``; None: Discord's one per 1,000 guilds (at least 1).
        self.recommended_shards: int | None = None
        router = Router()
        for module in (
            routes_core,
            routes_channels,
            routes_threads,
            routes_webhooks,
            routes_interactions,
            routes_guilds,
        ):
            module.register(router)
        self._rest = RestServer(self, router)
        self._runner: web.AppRunner | None = None

    # ----- lifecycle ---------------------------------------------------------------------
    async def start(self) -> Self:
        """Listen on an ephemeral port."""
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", API_PREFIX + "/{tail:.*}", self._rest.handle)
        app.router.add_get("/gateway", self.gateway.handle)
        app.router.add_get("/resume", self.gateway.handle)
        self._runner = web.AppRunner(app, handle_signals=False, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, 0)
        await site.start()
        self.port = int(self._runner.addresses[0][1])
        return self

    async def close(self) -> None:
        """Close gateway connections and stop listening."""
        await self.gateway.close()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> Self:
        """``async with FakeDiscord() as fake:`` starts it."""
        return await self.start()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Close on leaving the ``async with`` block."""
        await self.close()

    # ----- addresses and settings --------------------------------------------------------
    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:PORT`` (the API lives under ``/api/v10``)."""
        return f"http://{self.host}:{self.port}"

    @property
    def api_url(self) -> str:
        """``base_url + "/api/v10"``: what ``discord.http.Route.BASE`` must be."""
        return self.base_url + API_PREFIX

    @property
    def gateway_url(self) -> str:
        """The websocket URL ``/gateway`` and ``/gateway/bot`` return."""
        return f"ws://{self.host}:{self.port}/gateway"

    @property
    def resume_gateway_url(self) -> str:
        """The ``resume_gateway_url`` READY carries (a separate path, so tests can see it used)."""
        return f"ws://{self.host}:{self.port}/resume"

    @property
    def time_scale(self) -> float:
        """Multiplier on every rate-limit window."""
        return self.ratelimits.time_scale

    @time_scale.setter
    def time_scale(self, value: float) -> None:
        self.ratelimits.time_scale = value

    @property
    def refusals(self) -> list[Refusal]:
        """Every 429 the fake answered (route, scope, retry_after)."""
        return self.limiter.refusals

    @property
    def embed_links_policy(self) -> str:
        """``"drop"`` (Discord's behaviour: embeds vanish without EMBED_LINKS) or ``"reject"`` (403)."""
        return self.world.embed_links_policy

    @embed_links_policy.setter
    def embed_links_policy(self, value: str) -> None:
        self.world.embed_links_policy = value

    def advance_time(self, seconds: float) -> None:
        """Jump the fake's clock (deadlines, token lifetimes, rate-limit windows) forward."""
        self.clock.advance(seconds)

    # ----- faults and gateway controls ---------------------------------------------------
    def fail_next(
        self,
        route: str,
        status: int,
        code: int = 0,
        *,
        times: int = 1,
        message: str | None = None,
        retry_after: float = 1.0,
        interactions: bool = False,
    ) -> None:
        """Answer the next ``times`` calls to ``route`` (a template) with ``status``/``code``.

        Interaction responses and follow-ups (which share the ``/webhooks/...`` and
        ``/interactions/...`` routes) are left alone unless ``interactions`` is true, so a fault meant
        for the bot's own webhook never lands on a command's reply.
        """
        self.faults.add(
            Fault(route, status, code, message, times, retry_after * self.time_scale, interactions)
        )

    def request_reconnect(self) -> None:
        """Send op 7 RECONNECT; discord.py reconnects to ``resume_gateway_url`` and RESUMEs."""
        self.gateway.request_reconnect()

    def invalidate_session(self, *, resumable: bool = False) -> None:
        """Send op 9 INVALID_SESSION."""
        self.gateway.invalidate_session(resumable=resumable)

    async def disconnect(self, code: int = 4000) -> None:
        """Drop gateway connections with a close code (4000: resumable)."""
        await self.gateway.disconnect(code)

    # ----- waiting -----------------------------------------------------------------------
    async def wait_for(
        self,
        condition: Callable[[], T],
        timeout: float = 5.0,  # noqa: ASYNC109 - a polling helper, asked for by the test API
        *,
        message: str | None = None,
    ) -> T:
        """Poll ``condition`` until it returns something truthy; return that value."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            value = condition()
            if value:
                return value
            if loop.time() >= deadline:
                raise TimeoutError(message or f"condition not met within {timeout}s")
            await asyncio.sleep(0.005)

    async def wait_for_call(
        self,
        route: str,
        predicate: Callable[[Call], bool] | None = None,
        timeout: float = 5.0,  # noqa: ASYNC109
        *,
        since: int = 0,
    ) -> Call:
        """Wait for a recorded call to ``route`` (from index ``since``) matching ``predicate``."""

        def find() -> Call | None:
            for call in self.calls[since:]:
                if call.route == route and (predicate is None or predicate(call)):
                    return call
            return None

        seen = lambda: sorted({c.route for c in self.calls})  # noqa: E731
        return await self.wait_for(find, timeout, message=f"no call to {route!r}; saw {seen()}")

    def calls_to(self, route: str) -> list[Call]:
        """Recorded calls to a route template."""
        return [c for c in self.calls if c.route == route]

    def unknown_calls(self) -> list[Call]:
        """Calls to routes the fake does not implement (404 with code 0)."""
        return [c for c in self.calls if c.status == 404 and (c.response or {}).get("code") == 0]

    def summary(self) -> dict[str, Any]:
        """Counts per route and status: handy in failure messages and benchmarks."""
        counts: dict[str, int] = {}
        for call in self.calls:
            key = f"{call.route} -> {call.status}"
            counts[key] = counts.get(key, 0) + 1
        return counts
