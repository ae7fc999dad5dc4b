"""Per-route buckets, the global limit and the unannounced webhook-per-channel limit."""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass, field

from .clock import Clock
from .errors import ApiError

MESSAGES_ROUTE = "POST /channels/{channel_id}/messages"
WEBHOOK_ROUTE = "POST /webhooks/{webhook_id}/{webhook_token}"
_MAJOR = (
    "channel_id",
    "guild_id",
    "webhook_id",
    "webhook_token",
    "interaction_id",
    "interaction_token",
)


@dataclass(frozen=True)
class Limit:
    """``count`` requests per ``per`` seconds (before ``time_scale``)."""

    count: int
    per: float


def _default_routes() -> dict[str, Limit]:
    return {MESSAGES_ROUTE: Limit(5, 5.0), WEBHOOK_ROUTE: Limit(5, 2.0)}


@dataclass
class RateLimitConfig:
    """Every limit the fake enforces; change fields at any time (``None`` disables a limit)."""

    #: Multiplies every window (0.05 makes them 20x shorter); headers report scaled values.
    time_scale: float = 1.0
    #: Per bot token, all routes except interaction endpoints.
    global_limit: Limit | None = field(default_factory=lambda: Limit(50, 1.0))
    #: Per route template and top-level resource (channel, guild, webhook).
    routes: dict[str, Limit] = field(default_factory=_default_routes)
    #: For route templates not listed in ``routes``.
    default_route: Limit | None = field(default_factory=lambda: Limit(50, 1.0))
    #: Webhook messages per channel (threads count toward their parent); never in headers.
    webhook_channel: Limit | None = field(default_factory=lambda: Limit(30, 60.0))
    enabled: bool = True


@dataclass
class Refusal:
    """One 429 the fake answered."""

    time: float
    route: str
    path: str
    scope: str
    retry_after: float
    bucket: str


@dataclass
class _Window:
    used: int
    reset_at: float


@dataclass
class Decision:
    """Headers for the response and, if refused, the 429 error to answer with."""

    headers: dict[str, str]
    error: ApiError | None = None


def bucket_hash(template: str) -> str:
    """A stable, Discord-looking bucket id for a route template."""
    return hashlib.md5(template.encode(), usedforsecurity=False).hexdigest()


class RateLimiter:
    """Fixed windows that open on the first request, as Discord's buckets behave."""

    def __init__(self, config: RateLimitConfig, clock: Clock) -> None:
        """Create a limiter reading ``config`` live and time from ``clock``."""
        self.config = config
        self.clock = clock
        self.refusals: list[Refusal] = []
        self._windows: dict[tuple[str, str], _Window] = {}

    def reset(self) -> None:
        """Forget every window (all buckets full again)."""
        self._windows.clear()

    def _window(self, key: tuple[str, str], limit: Limit, now: float) -> _Window:
        window = self._windows.get(key)
        if window is None or now >= window.reset_at:
            window = _Window(0, now + limit.per * self.config.time_scale)
            self._windows[key] = window
        return window

    def check(
        self,
        *,
        template: str,
        path: str,
        params: dict[str, str],
        token_key: str | None,
        hidden_key: int | None = None,
    ) -> Decision:
        """Count a request; return its headers and a 429 if any limit is exhausted."""
        cfg = self.config
        if not cfg.enabled:
            return Decision({})
        now = self.clock.monotonic()
        bucket = bucket_hash(template)
        if token_key is not None and cfg.global_limit is not None:
            glob = self._window(("global", token_key), cfg.global_limit, now)
            if glob.used >= cfg.global_limit.count:
                retry = glob.reset_at - now
                headers = {"X-RateLimit-Global": "true"}
                return self._refuse(template, path, "global", retry, bucket, headers)
        else:
            glob = None
        limit = cfg.routes.get(template, cfg.default_route)
        if limit is None:
            route = None
            headers: dict[str, str] = {}
        else:
            major = "+".join(params[k] for k in _MAJOR if k in params)
            route = self._window((template, major), limit, now)
            if route.used >= limit.count:
                headers = self._headers(limit, route, now, bucket)
                return self._refuse(template, path, "user", route.reset_at - now, bucket, headers)
            headers = self._headers(limit, route, now, bucket, consumed=1)
        hidden = None
        if hidden_key is not None and cfg.webhook_channel is not None:
            hidden = self._window(("webhook-channel", str(hidden_key)), cfg.webhook_channel, now)
            if hidden.used >= cfg.webhook_channel.count:
                if limit is not None and route is not None:
                    headers = self._headers(limit, route, now, bucket)
                return self._refuse(
                    template, path, "shared", hidden.reset_at - now, bucket, headers
                )
        for window in (glob, route, hidden):
            if window is not None:
                window.used += 1
        return Decision(headers)

    def _headers(
        self, limit: Limit, window: _Window, now: float, bucket: str, consumed: int = 0
    ) -> dict[str, str]:
        reset_after = max(window.reset_at - now, 0.0)
        return {
            "X-RateLimit-Limit": str(limit.count),
            "X-RateLimit-Remaining": str(max(limit.count - window.used - consumed, 0)),
            "X-RateLimit-Reset": f"{self.clock.wall() + reset_after:.3f}",
            "X-RateLimit-Reset-After": f"{reset_after:.3f}",
            "X-RateLimit-Bucket": bucket,
        }

    def _refuse(
        self,
        template: str,
        path: str,
        scope: str,
        retry: float,
        bucket: str,
        headers: dict[str, str],
    ) -> Decision:
        retry = max(retry, 0.001)
        self.refusals.append(Refusal(self.clock.monotonic(), template, path, scope, retry, bucket))
        return Decision(headers, too_many_requests(retry, scope, headers))


def too_many_requests(
    retry_after: float, scope: str, headers: dict[str, str] | None = None
) -> ApiError:
    """A 429 exactly as Discord sends it (body, ``Retry-After`` and ``X-RateLimit-Scope``)."""
    message = (
        "The resource is being rate limited."
        if scope == "shared"
        else "You are being rate limited."
    )
    error = ApiError(429, 0, message)
    error.body = {
        "message": message,
        "retry_after": round(retry_after, 3),
        "global": scope == "global",
    }
    error.headers = {
        **(headers or {}),
        "Retry-After": str(math.ceil(retry_after)),
        "X-RateLimit-Scope": scope,
    }
    return error
