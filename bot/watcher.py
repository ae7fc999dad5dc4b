"""The watched folder: archive files dropped into it are loaded once they stop changing."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from watchfiles import Change, awatch

from storage.db import Storage
from storage.files import SOURCE_SUFFIXES
from storage.loader import load_source
from storage.models import FileReport, LoadReport

log = logging.getLogger(__name__)

WATCH_DEBOUNCE_MS = 200


@dataclass
class WatchState:
    """What the folder watcher is doing."""

    folder: Path
    running: bool = False
    articles_loaded: int = 0
    waiting: dict[str, float] = field(default_factory=dict)  # path -> time of its last change
    failures: list[FileReport] = field(default_factory=list)


class FolderWatcher:
    """Loads settled archive files from one folder and reports each load."""

    def __init__(
        self,
        store: Storage,
        folder: Path,
        settle: float,
        on_load: Callable[[str, LoadReport], None],
    ) -> None:
        self.store = store
        self.settle = settle  # seconds a file must stay unchanged before it is loaded
        self.on_load = on_load
        self.state = WatchState(folder)

    async def run(self, stop: asyncio.Event) -> None:
        """Watch until `stop` is set."""
        state = self.state
        if not state.folder.is_dir():
            log.warning("watch: %s is not a folder; not watching", state.folder)
            return
        state.running = True
        try:
            async for changes in awatch(
                state.folder,
                stop_event=stop,
                debounce=WATCH_DEBOUNCE_MS,
                step=50,
                rust_timeout=max(100, int(self.settle * 250)),
                yield_on_timeout=True,
            ):
                now = time.monotonic()
                for change, raw in changes:
                    path = Path(raw)
                    if (
                        change is not Change.deleted
                        and path.suffix.lower() in SOURCE_SUFFIXES
                        and not path.name.startswith(".")
                    ):
                        state.waiting[raw] = now  # wait until it has been quiet for `settle` s
                await self._load_settled(now)
        finally:
            state.running = False

    async def _load_settled(self, now: float) -> None:
        """Load files that stopped changing `settle` seconds ago (a file being written is left alone)."""
        state = self.state
        for raw, changed in list(state.waiting.items()):
            if now - changed < self.settle:
                continue
            del state.waiting[raw]
            path = Path(raw)
            if not await asyncio.to_thread(path.is_file):
                continue
            try:  # one report per article: a Disqus export holds many
                reports = [r async for r in load_source(self.store, path)]
            except Exception:  # the watcher must outlive any one bad file
                log.exception("watch: loading %s failed", path)
                continue
            for report in reports:
                if report.status == "failed":
                    log.warning("watch: %s", report.error)
                    state.failures = [*state.failures[-9:], report]
                elif report.status != "unchanged":
                    state.articles_loaded += 1
            self.on_load("watched folder", LoadReport(files=reports))
