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
    re.IGNORECASE,
)
_PITCH = re.compile(
    r"work(?:ing)?\s+(?:from|at)\s+home|weekly\s+payouts?|home\s+(?:based\s+)?(?:job|business)"
    r"|online\s+job|no\s+experience\s+(?:needed|required)|part[-\s]time\s+job"
    r"|you\s+won'?t\s+forgive\s+yourself|sounds\s+unbelievable|most[-\s]comfortable\s+job"
    r"|easiest\s+job|check\s+it\s+out\s+here|go\s+to\s+this\s+site|copy\s+this\s+link",
    re.IGNORECASE,
)
_URL = re.compile(r"\b(?:https?://|www\.)\S+", re.IGNORECASE)
_BAIT_URL = re.compile(r"cash|earn|money|jobs?|income|profit|bitcoin|payout", re.IGNORECASE)


def _symbol_run(text: str) -> bool:
    """True when the text holds a run of 8+ decorative symbols (★✫➽…), a hallmark of link spam."""
    run = 0
    for ch in text:
        if unicodedata.category(ch) in ("So", "Sm"):
            run += 1
            if run >= 8:
                return True
        elif ch.isalnum():
            run = 0
    return False


def spam_reasons(text: str) -> list[str]:
    """Every spam signal found in `text`, as short human-readable reasons (empty: looks fine)."""
    reasons: list[str] = []
    if _EARNINGS.search(text):
        reasons.append("promises earnings")
    if _PITCH.search(text):
        reasons.append("job-offer pitch")
    urls = _URL.findall(text)
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
