"""Keep secrets out of the log at every level.

discord.py logs request URLs, request and response bodies and gateway events at DEBUG. Those carry
webhook tokens (`/webhooks/{id}/{token}`), interaction tokens (`/interactions/{id}/{token}/callback`,
follow-ups at `/webhooks/{application_id}/{token}`, `"token"` in INTERACTION_CREATE and in a created
webhook) and, in a connection string, a database password. A logging filter rewrites each record
before any handler sees it.
"""

from __future__ import annotations

import logging
import re

REDACTED = "[redacted]"

_PATTERNS = (
    # /webhooks/{id}/{token} and /interactions/{id}/{token}: the token is the path segment after the id
    (re.compile(r"(/(?:webhooks|interactions)/\d+/)[^/?\s'\"]+"), rf"\1{REDACTED}"),
    # "token": "…" in JSON, 'token': '…' in a Python dict's repr
    (re.compile(r"""(["']token["']\s*:\s*)(["'])[^"']*\2"""), rf"\1\2{REDACTED}\2"),
    # a bot token: three dot-separated base64url parts
    (re.compile(r"[A-Za-z0-9_-]{20,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{20,}"), REDACTED),
    # scheme://user:password@host
    (re.compile(r"(\b[a-z][a-z0-9+.-]*://[^:/@\s]*:)[^@/\s]+@"), rf"\1{REDACTED}@"),
)

# The loggers of discord.py that log URLs, bodies or payloads. A filter on a logger applies only to
# records made on that logger, so each one gets it (for a host bot that has its own handlers).
DISCORD_LOGGERS = (
    "discord.http",
    "discord.webhook.async_",
    "discord.webhook.sync",
    "discord.gateway",
    "discord.client",
    "discord.state",
)


def redact(text: str) -> str:
    """`text` with every token, webhook or interaction secret and password replaced."""
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


class Redactor(logging.Filter):
    """Rewrites a record's message (and its traceback text) with the secrets taken out."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        return True


def install(*targets: logging.Logger | logging.Handler) -> None:
    """Add one Redactor to each of discord.py's loggers and to `targets` (idempotent)."""
    for target in (*(logging.getLogger(name) for name in DISCORD_LOGGERS), *targets):
        if not any(isinstance(f, Redactor) for f in target.filters):
            target.addFilter(Redactor())
