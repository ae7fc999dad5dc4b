"""The aiohttp front door: parse, authenticate, inject faults, rate-limit, route and record."""

from __future__ import annotations

import json
import logging
from typing import TYPE_CHECKING, Any

from aiohttp import BodyPartReader, web

from . import errors
from .calls import Call
from .errors import ApiError
from .messages import Upload
from .router import Ctx, Router, json_response

if TYPE_CHECKING:
    from .fake import FakeDiscord

log = logging.getLogger(__name__)
API_PREFIX = "/api/v10"
# discord.py treats a 429 without ``Via`` as a Cloudflare ban, so every answer carries it.
_ALWAYS = {"Via": "1.1 google"}


async def read_body(request: web.Request) -> tuple[Any, list[Upload]]:
    """Return the JSON body (``payload_json`` for multipart requests) and uploaded files."""
    if request.content_type == "multipart/form-data":
        payload: Any = None
        files: list[Upload] = []
        reader = await request.multipart()
        async for part in reader:
            if not isinstance(part, BodyPartReader):
                continue
            data = await part.read()
            if part.name == "payload_json":
                payload = _loads(bytes(data))
            else:
                content_type = part.headers.get("Content-Type", "application/octet-stream")
                files.append(
                    Upload(part.name or "", part.filename or "", content_type, bytes(data))
                )
        return payload, files
    raw = await request.read()
    if not raw:
        return None, []
    return _loads(raw), []


def _loads(raw: bytes) -> Any:
    try:
        return json.loads(raw)
    except ValueError:
        raise ApiError(400, 50109, "The request body contains invalid JSON.") from None


class RestServer:
    """Dispatches ``/api/v10/...`` requests to the registered routes and records every call."""

    def __init__(self, fake: FakeDiscord, router: Router) -> None:
        """Serve ``router``'s routes for ``fake``."""
        self.fake = fake
        self.router = router

    async def handle(self, request: web.Request) -> web.StreamResponse:
        """Answer one request; unknown routes get Discord's 404 and are recorded too."""
        fake = self.fake
        path = request.path[len(API_PREFIX) :] or "/"
        method = request.method
        call = Call(
            method, f"{method} {path}", path, None, dict(request.query), fake.clock.monotonic()
        )
        headers: dict[str, str] = {}
        try:
            body, files = await read_body(request)
            call.json = body
            call.files = [f.filename for f in files]
            matched = self.router.match(method, path)
            if matched is None:
                raise errors.not_found()
            route, params = matched
            call.route = route.key
            authorized = request.headers.get("Authorization") == f"Bot {fake.token}"
            if route.auth and not authorized:
                raise errors.unauthorized()
            ctx = Ctx(fake, method, path, route.key, params, dict(request.query), body, files)
            interaction = route.interaction or self._is_interaction_webhook(params)
            injected = fake.faults.take(route.key, interaction=interaction)
            if injected is not None:
                call.injected = True
                raise injected
            token_key = None if interaction else (request.headers.get("Authorization") or "ip")
            decision = fake.limiter.check(
                template=route.key,
                path=path,
                params=params,
                token_key=token_key,
                hidden_key=self._hidden_key(route.key, params),
            )
            headers = decision.headers
            if decision.error is not None:
                raise decision.error
            response = await route.handler(ctx)
            if fake.on_handled is not None:
                await fake.on_handled(route.key, path)
        except ApiError as exc:
            headers = {**headers, **exc.headers}
            response = json_response(exc.body, exc.status)
        except Exception as exc:  # a bug in the fake: fail the request fast and loudly
            log.exception("fakediscord crashed on %s %s", method, path)
            fake.internal_errors.append(f"{method} {path}: {exc!r}")
            # 400, not 500: discord.py retries 5xx with 1-9 s sleeps, which would hide the bug.
            response = json_response(
                {"message": f"fakediscord internal error: {exc!r}", "code": 0}, 400
            )
        response.headers.update({**headers, **_ALWAYS})
        call.status = response.status
        call.headers = {
            k: v for k, v in response.headers.items() if k.startswith(("X-RateLimit", "Retry"))
        }
        if isinstance(response, web.Response) and response.body is not None:
            call.response = _loads_quiet(response.body)
        fake.calls.append(call)
        return response

    def _is_interaction_webhook(self, params: dict[str, str]) -> bool:
        return params.get("webhook_id") == str(self.fake.app_id)

    def _hidden_key(self, route: str, params: dict[str, str]) -> int | None:
        """The channel a webhook execute counts toward (``None`` for other routes)."""
        if route != "POST /webhooks/{webhook_id}/{webhook_token}":
            return None
        raw = params.get("webhook_id", "")
        hook = self.fake.world.webhooks.get(int(raw)) if raw.isdigit() else None
        return None if hook is None else hook.channel_id


def _loads_quiet(body: Any) -> Any:
    if isinstance(body, bytes | bytearray):
        try:
            return json.loads(body)
        except ValueError:
            return None
    return None
