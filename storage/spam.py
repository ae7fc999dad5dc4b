"""Spam heuristics for comments: a comment is spam only when several independent signals agree.

A link or a dollar amount alone is never enough: readers quote prices and cite sources all the time.
"""

from __future__ import annotations

import re
import unicodedata

_MONEY = r"(?:[$€£]\s?\d[\d,.]*|\d[\d,.]*\s?(?:[$€£]|usd|dollars?|bucks))"
_EARNINGS = re.compile(
    rf"{_MONEY}\s*(?:/|per|an?|each|every)\s*(?:hour|hr|day|week|month)"
    rf"|(?:earn(?:ed|ing|s)?|mak(?:e|es|ing)|made|paid|pays?|paying|income\s+of)\b[^.\n]{{0,40}}{_MONEY}",
)
_PITCH = re.compile(
    r"work(?:ing)?\s+(?:from|at)\s+home|weekly\s+payouts?|home\s+(?:based\s+)?(?:job|business)"
    r"|online\s+job|no\s+experience\s+(?:needed|required)|part[-\s]time\s+job"
    r"|you\s+won'?t\s+forgive\s+yourself|sounds\s+unbelievable|most[-\s]comfortable\s+job"
    r"|easiest\s+job|check\s+it\s+out\s+here|go\s+to\s+this\s+site|copy\s+this\s+link",
)
_URL = re.compile(r"\b(?:https?://|www\.)\S+", re.IGNORECASE)
_BAIT_URL = re.compile(r"cash|earn|money|jobs?|income|profit|bitcoin|payout", re.IGNORECASE)


_NON_ALNUM_RUN = re.compile(r"[\W_]{8,}")
_DIGIT = re.compile(r"\d")


def _symbol_run(text: str) -> bool:
    """True when the text holds 8+ decorative symbols (★✫➽…) with no letter or digit between them.

    Only stretches of 8+ non-alphanumeric characters can hold such a run, so the per-character
    Unicode lookups run on those stretches alone (this is the loader's hottest loop).
    """
    return any(
        sum(unicodedata.category(ch) in ("So", "Sm") for ch in run) >= 8
        for run in _NON_ALNUM_RUN.findall(text)
    )


def spam_reasons(text: str) -> list[str]:
    """Every spam signal found in `text`, as short human-readable reasons (empty: looks fine)."""
    reasons: list[str] = []
    # Case-insensitive alternations are slow in `re`; matching lower-cased text is the same here.
    lower = text.lower()
    if _DIGIT.search(text) and _EARNINGS.search(lower):
        reasons.append("promises earnings")
    if _PITCH.search(lower):
        reasons.append("job-offer pitch")
    urls = _URL.findall(text) if ("://" in text or "www." in lower) else []
    if any(_BAIT_URL.search(u) for u in urls):
        reasons.append("money-bait link")
    if _symbol_run(text):
        reasons.append("decorative symbol run")
    return reasons


# Signals of one kind are not independent: a reader who says someone "paid $300 million" and links a
# finance page (money.cnn.com, …/earnings/…) trips both money signals without selling anything.
_KIND = {"promises earnings": "money", "money-bait link": "money"}


def is_spam(reasons: list[str]) -> bool:
    """Spam needs two independent kinds of signal; money talk with a link alone is ordinary talk."""
    return len({_KIND.get(r, r) for r in reasons}) >= 2
