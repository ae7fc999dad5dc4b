"""A fake Discord (REST API v10 + gateway) for end-to-end tests with the real discord.py client."""

from .calls import Call
from .errors import ApiError
from .fake import FakeDiscord
from .harness import patched_discord, running
from .models import Channel, Message, Webhook
from .options import InvocationError
from .permissions import ALL, DEFAULT_BOT, DEFAULT_EVERYONE, P
from .ratelimit import Limit, RateLimitConfig, Refusal
from .results import InteractionResult

__all__ = [
    "ALL",
    "DEFAULT_BOT",
    "DEFAULT_EVERYONE",
    "ApiError",
    "Call",
    "Channel",
    "FakeDiscord",
    "InteractionResult",
    "InvocationError",
    "Limit",
    "Message",
    "P",
    "RateLimitConfig",
    "Refusal",
    "Webhook",
    "patched_discord",
    "running",
]
