"""English for counts in messages: `1 comment`, `2 comments`."""

from __future__ import annotations


def plural(count: int, word: str, many: str | None = None) -> str:
    """`count` and `word`, in the plural unless count is 1 (`many` for irregular plurals)."""
    return f"{count} {word}" if count == 1 else f"{count} {many or word + 's'}"
