"""The gateway websocket: HELLO, heartbeats, IDENTIFY/READY, RESUME with replay, op 7 and op 9."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import secrets
import zlib
from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from aiohttp import WSMsgType, web

from . import intents as gi
from .gateway_payloads import guild_create, members_chunk, ready

if TYPE_CHECKING:
    from .fake import FakeDiscord

log = logging.getLogger(__name__)
HEARTBEAT_ACK = {"op": 11, "d": None, "s": None, "t": None}
REPLAY_BUFFER = 10_000


def event_guild(event: str, data: dict[str, Any]) -> int | None:
    """The guild an event belongs to (None for a DM or an event of no guild)."""
    if event in ("GUILD_CREATE", "GUILD_UPDATE", "GUILD_DELETE"):
        return int(data["id"])
    guild_id = data.get("guild_id")
    return int(guild_id) if guild_id is not None else None


def parse_shard(value: Any) -> tuple[int, int] | None:
    """IDENTIFY's ``shard``: ``(id, count)``, None when absent; ValueError when Discord refuses it."""
    if value is None:
        return None
    if (
        isinstance(value, list)
        and len(value) == 2
        and all(isinstance(v, int) and not isinstance(v, bool) for v in value)
        and 0 <= value[0] < value[1]
    ):
        return value[0], value[1]
    raise ValueError(f"invalid shard {value!r}")


class Session:
    """A gateway session: survives disconnects so RESUME can replay what was missed."""

    def __init__(self, intents: int, shard: tuple[int, int] | None = None) -> None:
        """Create a session with a fresh id, on ``shard`` (id, count) or unsharded."""
        self.id = secrets.token_hex(16)
        self.intents = intents
        self.shard = shard
        self.seq = 0
        self.events: deque[dict[str, Any]] = deque(maxlen=REPLAY_BUFFER)
        self.conn: Connection | None = None
        self.invalid = False

    def owns(self, guild_id: int | None) -> bool:
        """Discord's sharding: a guild's events go to shard ``(guild_id >> 22) % count``; DMs and
        events of no guild to shard 0; an unsharded session gets everything."""
        if self.shard is None:
            return True
        shard_id, count = self.shard
        return shard_id == (0 if guild_id is None else (guild_id >> 22) % count)

    def dispatch(self, event: str, data: Any) -> None:
        """Number the event, keep it for replay and send it if connected."""
        self.seq += 1
        payload = {"op": 0, "t": event, "s": self.seq, "d": data}
        self.events.append(payload)
        if self.conn is not None:
            self.conn.send(payload)


def _zstd_stream() -> Callable[[bytes], bytes] | None:
    """A zstd-stream encoder, if a zstd module is importable (discord.py asks for zstd then)."""
    try:
        import zstandard  # type: ignore[import-not-found]
    except ImportError:
        try:
            from compression import zstd  # type: ignore[import-not-found]
        except ImportError:
            return None
        encoder = zstd.ZstdCompressor()
        return lambda data: encoder.compress(data, mode=zstd.ZstdCompressor.FLUSH_BLOCK)
    stream = zstandard.ZstdCompressor().compressobj()
    return lambda data: stream.compress(data) + stream.flush(zstandard.COMPRESSOBJ_FLUSH_BLOCK)


def compressor(kind: str | None) -> Callable[[bytes], bytes] | None:
    """Transport compression for ``?compress=``: one shared context per connection, as Discord.

    zlib-stream ends every message with Z_SYNC_FLUSH (discord.py waits for ``00 00 ff ff``);
    zstd-stream flushes a block per message. ``None`` means plain text frames.
    """
    if kind == "zlib-stream":
        deflate = zlib.compressobj()
        return lambda data: deflate.compress(data) + deflate.flush(zlib.Z_SYNC_FLUSH)
    if kind == "zstd-stream":
        return _zstd_stream()
    return None


class Connection:
    """One websocket; a writer task keeps frames in order (and the compression stream consistent)."""

    def __init__(self, ws: web.WebSocketResponse, compress: str | None, path: str) -> None:
        """Wrap ``ws``; ``compress`` is ``zlib-stream``, ``zstd-stream`` or ``None``."""
        self.ws = ws
        self.path = path
        self.compress = compress
        self._encode = compressor(compress)
        self._queue: asyncio.Queue[dict[str, Any] | None] = asyncio.Queue()
        self._writer = asyncio.create_task(self._write())
        self.session: Session | None = None
        self.closed_by_server = False

    def send(self, payload: dict[str, Any]) -> None:
        """Queue ``payload`` for sending."""
        self._queue.put_nowait(payload)

    async def _write(self) -> None:
        while (payload := await self._queue.get()) is not None:
            text = json.dumps(payload, separators=(",", ":"))
            try:
                if self._encode is not None:
                    await self.ws.send_bytes(self._encode(text.encode()))
                else:
                    await self.ws.send_str(text)
            except (ConnectionError, RuntimeError):
                return

    async def close(self, code: int = 1000, message: str = "") -> None:
        """Close the socket and stop the writer."""
        if not self.ws.closed:
            self.closed_by_server = True
        await self.stop()
        if not self.ws.closed:
            await self.ws.close(code=code, message=message.encode())

    async def stop(self) -> None:
        """Let queued frames go out, then end the writer task."""
        self._queue.put_nowait(None)
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.wait_for(asyncio.shield(self._writer), timeout=1.0)
        if not self._writer.done():
            self._writer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._writer


class Gateway:
    """Serves ``/gateway`` (and ``/resume``, the ``resume_gateway_url``) for one fake."""

    def __init__(self, fake: FakeDiscord) -> None:
        """Create a gateway with no sessions."""
        self.fake = fake
        self.sessions: dict[str, Session] = {}
        self.connections: set[Connection] = set()
        self.heartbeat_interval_ms = 41_250
        self.identifies = 0
        self.resumes = 0
        self.received: list[dict[str, Any]] = []
        self.connect_log: list[str] = []

    # ----- test-facing controls ----------------------------------------------------------
    def dispatch(self, event: str, data: dict[str, Any]) -> None:
        """Send ``event`` to every live session of the event's shard whose intents ask for it."""
        guild_id = event_guild(event, data)
        for session in list(self.sessions.values()):
            if session.invalid or not session.owns(guild_id):
                continue
            shaped = gi.shape_for(session.intents, event, data, self.fake.world)
            if shaped is not None:
                session.dispatch(event, shaped)

    def request_reconnect(self) -> None:
        """Send op 7 RECONNECT on every open connection."""
        for conn in list(self.connections):
            conn.send({"op": 7, "d": None, "s": None, "t": None})

    def invalidate_session(self, *, resumable: bool = False) -> None:
        """Send op 9 INVALID_SESSION; a non-resumable session is forgotten."""
        for conn in list(self.connections):
            if conn.session is not None and not resumable:
                conn.session.invalid = True
            conn.send({"op": 9, "d": resumable, "s": None, "t": None})

    async def disconnect(self, code: int = 4000) -> None:
        """Close every connection with ``code`` (the session stays resumable)."""
        for conn in list(self.connections):
            await conn.close(code, "fake disconnect")

    async def close(self) -> None:
        """Close every connection (server shutdown)."""
        for conn in list(self.connections):
            await conn.close(1001, "server shutting down")

    @property
    def connected(self) -> bool:
        """True when at least one identified or resumed connection is open."""
        return any(c.session is not None for c in self.connections)

    def connected_for(self, guild_id: int | None) -> bool:
        """True when an open connection's session is on the shard of ``guild_id``."""
        return any(c.session is not None and c.session.owns(guild_id) for c in self.connections)

    def recommended_shards(self) -> int:
        """What ``GET /gateway/bot`` recommends: Discord's 1,000 guilds per shard, at least 1
        (``fake.recommended_shards`` overrides it)."""
        if self.fake.recommended_shards is not None:
            return self.fake.recommended_shards
        return max(1, -(-len(self.fake.world.guilds) // 1000))

    # ----- the websocket -----------------------------------------------------------------
    async def handle(self, request: web.Request) -> web.StreamResponse:
        """Run one gateway connection until either side closes it."""
        ws = web.WebSocketResponse(max_msg_size=0)
        await ws.prepare(request)
        self.connect_log.append(str(request.rel_url))
        query = request.query
        compress = query.get("compress")
        if query.get("encoding", "json") != "json" or (compress and compressor(compress) is None):
            await ws.close(code=4002, message=b"Error while decoding payload.")
            return ws
        if query.get("v", "10") != "10":
            await ws.close(code=4012, message=b"Invalid API version.")
            return ws
        conn = Connection(ws, compress, request.path)
        self.connections.add(conn)
        conn.send(
            {
                "op": 10,
                "d": {
                    "heartbeat_interval": self.heartbeat_interval_ms,
                    "_trace": ['["fake-gateway",{"micros":0}]'],
                },
                "s": None,
                "t": None,
            }
        )
        try:
            async for msg in ws:
                if msg.type is not WSMsgType.TEXT:
                    break
                try:
                    keep_going = await self._on_payload(conn, json.loads(msg.data))
                except Exception as exc:  # a bug in the fake: record it, drop the connection
                    log.exception("fakediscord gateway crashed")
                    self.fake.internal_errors.append(f"gateway: {exc!r}")
                    keep_going = False
                if not keep_going:
                    break
        finally:
            self.connections.discard(conn)
            session = conn.session
            if session is not None and session.conn is conn:
                session.conn = None
                if not conn.closed_by_server and ws.close_code in (1000, 1001):
                    session.invalid = True  # a clean close by the client ends the session
            await conn.close(1000)
        return ws

    async def _on_payload(self, conn: Connection, payload: dict[str, Any]) -> bool:
        """Handle one client payload; return False once the connection was closed."""
        self.received.append(payload)
        op, data = payload.get("op"), payload.get("d")
        if op == 1:
            conn.send(HEARTBEAT_ACK)
        elif op == 2:
            return await self._identify(conn, data or {})
        elif op == 6:
            self._resume(conn, data or {})
        elif conn.session is None:
            await conn.close(4003, "Not authenticated.")
            return False
        elif op == 8:
            for guild_id in _as_list((data or {}).get("guild_id")):
                if not conn.session.owns(int(guild_id)):
                    continue  # another shard's guild: Discord answers only for this shard's
                conn.session.dispatch(
                    "GUILD_MEMBERS_CHUNK", members_chunk(self.fake, int(guild_id), data)
                )
        elif op not in (3, 4):
            await conn.close(4001, "Unknown opcode.")
            return False
        return True

    async def _identify(self, conn: Connection, data: dict[str, Any]) -> bool:
        if conn.session is not None:
            await conn.close(4005, "Already authenticated.")
            return False
        if data.get("token") != self.fake.token:
            await conn.close(4004, "Authentication failed.")
            return False
        intents = data.get("intents")
        if not isinstance(intents, int) or intents >= 1 << 26:
            await conn.close(4013, "Invalid intent(s).")
            return False
        if intents & gi.PRIVILEGED & ~self.fake.allowed_privileged_intents:
            await conn.close(4014, "Disallowed intent(s).")
            return False
        try:
            shard = parse_shard(data.get("shard"))
        except ValueError:
            await conn.close(4010, "Invalid shard.")
            return False
        self.identifies += 1
        session = Session(intents, shard)
        self.sessions[session.id] = session
        session.conn = conn
        conn.session = session
        guilds = [g for g in self.fake.world.guilds.values() if session.owns(g.id)]
        session.dispatch("READY", ready(self.fake, session.id, shard, [g.id for g in guilds]))
        for guild in guilds:
            session.dispatch("GUILD_CREATE", guild_create(self.fake, guild, intents))
        return True

    def _resume(self, conn: Connection, data: dict[str, Any]) -> None:
        session = self.sessions.get(str(data.get("session_id")))
        if session is None or session.invalid or data.get("token") != self.fake.token:
            conn.send({"op": 9, "d": False, "s": None, "t": None})
            return
        if session.conn is not None and session.conn is not conn:
            session.conn.session = None
        self.resumes += 1
        session.conn = conn
        conn.session = session
        last = int(data.get("seq") or 0)
        for payload in list(session.events):
            if payload["s"] > last:
                conn.send(payload)
        session.dispatch("RESUMED", {"_trace": ['["fake-gateway",{"micros":0}]']})


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]
