"""Text for a terminal: what the CLI prints from archives shows as itself (no discord import)."""

from __future__ import annotations

import re

# Characters a terminal acts on instead of showing: C0/C1 controls (escape sequences start with
# ESC or CSI) except newline and tab, DEL, and the bidirectional overrides that reorder a line.
_TERMINAL_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def terminal_safe(text: str) -> str:
    """Text that prints as itself: each control character shown as its escape (`\\x1b`)."""
    return _TERMINAL_CONTROL.sub(lambda m: m.group().encode("unicode_escape").decode(), text)
