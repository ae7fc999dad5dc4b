"""Which files a load reads, and in which order (storage/files.py)."""

from __future__ import annotations

import os
from pathlib import Path

from storage.files import iter_files


def test_folders_are_walked_depth_first_in_sorted_order_with_any_file_name(tmp_path: Path) -> None:
    root = tmp_path / "root"
    for folder in ("dir.txt", "m/n", ".hidden"):
        (root / folder).mkdir(parents=True)
    for name in (
        "b.txt", "a.TXT", "ä.txt", "data.json", "e.xml", "m.txt", "notes.md", ".dot.txt",
        "dir.txt/inner.txt", "m/c.txt", "m/.skipped.txt", "m/n/d.dump", ".hidden/x.txt",
    ):  # fmt: skip
        (root / name).write_text("x", "utf-8")
    (root / "alias.txt").symlink_to(root / "b.txt")
    # A name that is not UTF-8: os.scandir gives it with a surrogate escape, and it must open.
    fd = os.open(os.fsencode(root) + b"/z\xff.txt", os.O_CREAT | os.O_WRONLY)
    os.close(fd)

    found = [p.relative_to(root).as_posix() for p in iter_files([root])]

    assert found == [
        "a.TXT", "alias.txt", "b.txt", "data.json", "dir.txt/inner.txt", "e.xml",
        "m/c.txt", "m/n/d.dump", "m.txt", "z\udcff.txt", "ä.txt",
    ]  # fmt: skip
    assert all(p.is_file() for p in iter_files([root]))
