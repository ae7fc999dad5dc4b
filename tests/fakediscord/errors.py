"""Discord's JSON error bodies: the exception handlers raise and the builders for form errors."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any


class ApiError(Exception):
    """An HTTP error the fake answers with; ``body`` is Discord's JSON error object."""

    def __init__(
        self, status: int, code: int, message: str, errors: dict[str, Any] | None = None
    ) -> None:
        """Build an error with Discord's ``{"code", "message"[, "errors"]}`` body."""
        super().__init__(f"{status} {code} {message}")
        self.status = status
        self.body: dict[str, Any] = {"message": message, "code": code}
        if errors:
            self.body["errors"] = errors
        self.headers: dict[str, str] = {}

    @property
    def code(self) -> int:
        """Discord's JSON error code."""
        return int(self.body["code"])


def unauthorized() -> ApiError:
    """401 for a missing or wrong bot token."""
    return ApiError(401, 0, "401: Unauthorized")


def not_found() -> ApiError:
    """404 for a route Discord does not have (or the fake does not implement)."""
    return ApiError(404, 0, "404: Not Found")


def method_not_allowed() -> ApiError:
    """405 for a known path used with the wrong HTTP method."""
    return ApiError(405, 0, "405: Method Not Allowed")


def unknown(kind: str) -> ApiError:
    """404 ``Unknown <kind>`` with the matching Discord code."""
    codes = {
        "Channel": 10003,
        "Guild": 10004,
        "Member": 10007,
        "Message": 10008,
        "Role": 10011,
        "User": 10013,
        "Webhook": 10015,
        "Application": 10002,
        "application command": 10063,
        "interaction": 10062,
    }
    return ApiError(404, codes[kind], f"Unknown {kind}")


def missing_access() -> ApiError:
    """403 50001: the bot cannot see the channel."""
    return ApiError(403, 50001, "Missing Access")


def missing_permissions() -> ApiError:
    """403 50013: the bot lacks a permission."""
    return ApiError(403, 50013, "Missing Permissions")


def already_acknowledged() -> ApiError:
    """400 40060: a second callback for the same interaction."""
    return ApiError(400, 40060, "Interaction has already been acknowledged.")


def invalid_webhook_token() -> ApiError:
    """401 50027: wrong or expired webhook/interaction token."""
    return ApiError(401, 50027, "Invalid Webhook Token")


def empty_message() -> ApiError:
    """400 50006: no content, embeds, components, attachments, stickers or poll."""
    return ApiError(400, 50006, "Cannot send an empty message")


def cannot_edit_others() -> ApiError:
    """403 50005: PATCH on a message another user wrote."""
    return ApiError(403, 50005, "Cannot edit a message authored by another user")


def wrong_channel_type() -> ApiError:
    """400 50024: e.g. a webhook on a thread, or a thread on a thread."""
    return ApiError(400, 50024, "Cannot execute action on this channel type")


def non_text_channel() -> ApiError:
    """400 50008: posting a message into a category or forum channel."""
    return ApiError(400, 50008, "Cannot send messages in a non-text channel")


def archived_thread() -> ApiError:
    """400 50083: acting on a locked, archived thread."""
    return ApiError(400, 50083, "Thread is archived")


def max_webhooks() -> ApiError:
    """400 30007: the 16th webhook in a channel."""
    return ApiError(400, 30007, "Maximum number of webhooks reached (15)")


def bad_request(message: str = "400: Bad Request") -> ApiError:
    """A plain 400 with code 0."""
    return ApiError(400, 0, message)


class FormErrors:
    """Collects field errors into Discord's nested ``errors`` tree (``{"a": {"0": {"_errors": []}}}``)."""

    def __init__(self) -> None:
        """Start with no errors."""
        self.tree: dict[str, Any] = {}

    def add(self, path: Iterable[str | int], code: str, message: str) -> None:
        """Record an error for the field at ``path`` (keys and list indexes)."""
        node = self.tree
        for key in path:
            node = node.setdefault(str(key), {})
        node.setdefault("_errors", []).append({"code": code, "message": message})

    def max_length(self, path: Iterable[str | int], limit: int) -> None:
        """Record Discord's ``BASE_TYPE_MAX_LENGTH`` error."""
        self.add(path, "BASE_TYPE_MAX_LENGTH", f"Must be {limit} or fewer in length.")

    def bad_length(self, path: Iterable[str | int], low: int, high: int) -> None:
        """Record Discord's ``BASE_TYPE_BAD_LENGTH`` error."""
        self.add(path, "BASE_TYPE_BAD_LENGTH", f"Must be between {low} and {high} in length.")

    def required(self, path: Iterable[str | int]) -> None:
        """Record Discord's ``BASE_TYPE_REQUIRED`` error."""
        self.add(path, "BASE_TYPE_REQUIRED", "This field is required")

    def __bool__(self) -> bool:
        """True when at least one error was recorded."""
        return bool(self.tree)

    def raise_if_any(self) -> None:
        """Raise 400 50035 ``Invalid Form Body`` if any error was recorded."""
        if self.tree:
            raise ApiError(400, 50035, "Invalid Form Body", self.tree)
