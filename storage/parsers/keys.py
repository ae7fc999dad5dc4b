"""Article keys: made from file names and source ids, so reduced to characters that are safe
wherever a key is shown or typed (code spans, slash-command options, terminals, file names)."""

from __future__ import annotations

import hashlib
import re

# Letters, digits, `_`, `.`, `-`, parentheses and the space; everything else (backticks, `@`, `<`,
# `*`, newlines and other control characters, `/`) becomes `_`.
_UNSAFE = re.compile(r"[^\w. ()-]")
MAX_KEY = 100  # Discord's limit for an option value: a key must fit an autocomplete choice


def safe_key(raw: str) -> str:
    """`raw` if it is already safe, else a safe form that stays distinct: the cleaned text and a
    short hash of the original (two ids that clean to the same text keep different keys)."""
    cleaned = _UNSAFE.sub("_", raw).strip()
    if cleaned == raw and 0 < len(raw) <= MAX_KEY:
        return raw
    digest = hashlib.sha256(raw.encode("utf-8", "surrogatepass")).hexdigest()[:10]
    return f"{cleaned[: MAX_KEY - 11]}-{digest}" if cleaned else digest
