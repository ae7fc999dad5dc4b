"""What the fake records about each request, and the faults tests ask it to inject."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .errors import ApiError
from .ratelimit import too_many_requests

_MESSAGES = {
    0: "",
    10003: "Unknown Channel",
    10008: "Unknown Message",
    10015: "Unknown Webhook",
    10062: "Unknown interaction",
    50001: "Missing Access",
    50013: "Missing Permissions",
    50027: "Invalid Webhook Token",
    50035: "Invalid Form Body",
}
_REASONS = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}


@dataclass
class Call:
    """One REST request: ``route`` is the template, e.g. ``POST /channels/{channel_id}/messages``."""

    method: str
    route: str
    path: str
    json: Any
    query: dict[str, str]
    time: float
    status: int = 0
    files: list[str] = field(default_factory=list)
    response: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    injected: bool = False

    @property
    def ok(self) -> bool:
        """True for 2xx answers."""
        return 200 <= self.status < 300


@dataclass
class Fault:
    """A queued failure for a route template."""

    route: str
    status: int
    code: int
    message: str | None
    times: int
    retry_after: float
    interactions: bool = False

    def applies(self, route: str, *, interaction: bool) -> bool:
        """True when this fault is meant for a call to ``route`` (interaction callbacks and
        follow-ups share the webhook routes; they are hit only when asked for)."""
        return self.route == route and (self.interactions or not interaction)

    def error(self) -> ApiError:
        """The error this fault answers with (a real-looking 429 for status 429)."""
        if self.status == 429:
            return too_many_requests(self.retry_after, "user")
        message = self.message
        if message is None:
            message = (
                _MESSAGES.get(self.code) or f"{self.status}: {_REASONS.get(self.status, 'Error')}"
            )
        return ApiError(self.status, self.code, message)


class Faults:
    """Failures queued with :meth:`FakeDiscord.fail_next`, consumed in order per route."""

    def __init__(self) -> None:
        """Start with nothing queued."""
        self._queue: list[Fault] = []

    def add(self, fault: Fault) -> None:
        """Queue ``fault``."""
        self._queue.append(fault)

    def take(self, route: str, *, interaction: bool = False) -> ApiError | None:
        """Return the error for the next fault queued on ``route``, if any."""
        for fault in self._queue:
            if fault.applies(route, interaction=interaction):
                fault.times -= 1
                if fault.times <= 0:
                    self._queue.remove(fault)
                return fault.error()
        return None

    def pending(self) -> list[Fault]:
        """Faults not yet consumed."""
        return list(self._queue)
