"""Which files a load reads: source files named, or found in folders (sorted, hidden ones skipped)."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable, Iterator
from pathlib import Path

log = logging.getLogger(__name__)

DUMP_SUFFIXES = frozenset({".txt", ".text", ".dump"})
SOURCE_SUFFIXES = DUMP_SUFFIXES | {".xml", ".json"}  # Disqus exports; Reddit pages and HN items


def iter_files(paths: Iterable[Path]) -> Iterator[Path]:
    """Files named directly, and source files found recursively in directories (hidden ones skipped).

    A generator that holds one directory's names at a time, never the whole tree: a load's memory
    does not grow with the number of files.
    """
    for path in paths:
        if path.is_dir():
            yield from _walk(path)
        else:
            yield path


def _walk(folder: Path) -> Iterator[Path]:
    """Source files under `folder` in sorted order, depth first, skipping hidden entries."""
    try:
        with os.scandir(folder) as entries:
            names = sorted(
                (e.name, e.is_dir(follow_symlinks=False))
                for e in entries
                if not e.name.startswith(".")
            )
    except OSError as exc:
        log.warning("cannot list %s: %s", folder, exc)
        return
    for name, is_dir in names:
        child = folder / name
        if is_dir:
            yield from _walk(child)
        elif child.suffix.lower() in SOURCE_SUFFIXES and child.is_file():
            yield child
