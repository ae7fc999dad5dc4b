"""End to end: large reads are built off the event loop, so other members are answered meanwhile."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from types import TracebackType

from tests.bot.conftest import StartBot, World
from tests.bot.e2e import client_errors, visible_text
from tests.fakediscord import FakeDiscord

DEPTH = 20_000  # a reply chain this deep held the loop for 0.8 s while its tree was built

# The longest the event loop may stand still while the tree is built. Built on the loop, this tree
# stalled it 0.8 s (and 50,000 comments 2 s); built off it, the longest stall measured was 0.1 s
# (a garbage collection). Discord's own limit for answering another member is 3 s.
MAX_STALL = 0.4


class LoopStalls:
    """The longest time the event loop did not run a 5 ms timer, while inside `async with`."""

    def __init__(self) -> None:
        self.longest = 0.0
        self._task: asyncio.Task[None] | None = None

    async def _tick(self) -> None:
        last = time.perf_counter()
        while True:
            await asyncio.sleep(0.005)
            now = time.perf_counter()
            self.longest = max(self.longest, now - last)
            last = now

    async def __aenter__(self) -> LoopStalls:
        self._task = asyncio.create_task(self._tick())
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        assert self._task is not None
        self._task.cancel()


def _parent(i: int) -> str:
    return f'<parent dsq:id="{99 + i}"/>' if i else ""


def deep_chain_export(depth: int) -> str:
    """A Disqus export of one thread whose comments each reply to the one before."""
    posts = "".join(
        f'<post dsq:id="{100 + i}"><message>reply number {i}</message>'
        f"<createdAt>2024-03-04T09:00:00Z</createdAt><author><name>user{i % 7}</name></author>"
        f'<thread dsq:id="1"/>{_parent(i)}</post>\n'
        for i in range(depth)
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n'
        '<disqus xmlns="http://disqus.com" xmlns:dsq="http://disqus.com/disqus-internals">\n'
        '<thread dsq:id="1"><id>deep</id><link>https://x.example/deep</link><title>Deep</title>'
        "<message/><createdAt>2024-03-04T08:00:00Z</createdAt></thread>\n"
        f"{posts}</disqus>\n"
    )


async def test_a_huge_tree_is_built_without_stalling_the_bot(
    fake_discord: FakeDiscord, world: World, bot_env: Path, start_bot: StartBot
) -> None:
    (bot_env / "seeds" / "deep.xml").write_text(deep_chain_export(DEPTH), "utf-8")
    await start_bot()
    async with LoopStalls() as stalls:
        tree = await fake_discord.invoke("article tree", {"article": "Deep"}, user_id=world.member)
        await tree.wait_done(timeout=60)
    assert stalls.longest < MAX_STALL  # the bot, and the fake Discord beside it, kept running
    footer = tree.embeds[0]["footer"]["text"]
    assert footer.startswith("Page 1/") and int(footer.split("/")[1]) > 100
    first = visible_text(tree.message)
    assert "• **user0** — reply number 0" in first
    assert client_errors(fake_discord) == []
