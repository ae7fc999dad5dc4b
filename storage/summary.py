"""A short extractive summary: the lead sentence plus the most representative ones, in order."""

from __future__ import annotations

import re
from collections import Counter

_SENTENCE_END = re.compile(r"(?<=[.!?])[\"'”’)]?\s+(?=[\"'“‘(]?[A-Z0-9])")
_WORD = re.compile(r"[^\W\d_]{4,}")
_STOP = frozenset(
    {
        "that",
        "this",
        "with",
        "from",
        "have",
        "were",
        "been",
        "their",
        "there",
        "they",
        "them",
        "which",
        "would",
        "could",
        "should",
        "about",
        "after",
        "also",
        "into",
        "more",
        "most",
        "such",
        "than",
        "then",
        "these",
        "those",
        "what",
        "when",
        "where",
        "while",
        "will",
        "your",
        "said",
        "says",
    }
)
MAX_SUMMARY = 400


def sentences(paragraphs: list[str]) -> list[str]:
    """Split paragraphs into sentences (a simple rule that suits news prose)."""
    out: list[str] = []
    for para in paragraphs:
        out.extend(s.strip() for s in _SENTENCE_END.split(para.replace("\n", " ")) if s.strip())
    return out


def summarize(paragraphs: list[str], limit: int = MAX_SUMMARY) -> str:
    """Lead sentence plus the best-scoring others (word frequency), kept in reading order."""
    sents = sentences(paragraphs)
    if not sents:
        return ""
    # Each sentence's words, lower-cased once (each word alone: `lower()` may reshape a text).
    words = [
        [w for w in (found.lower() for found in _WORD.findall(s)) if w not in _STOP] for s in sents
    ]
    freq = Counter(w for ws in words for w in ws)

    def score(i: int) -> float:
        return sum(freq[w] for w in words[i]) / (len(words[i]) ** 0.5) if words[i] else 0.0

    chosen = {0}
    used = len(sents[0])
    for i in sorted(range(1, len(sents)), key=lambda i: (-score(i), i)):
        if len(chosen) >= 3:
            break
        if used + 1 + len(sents[i]) <= limit:
            chosen.add(i)
            used += 1 + len(sents[i])
    text = " ".join(sents[i] for i in sorted(chosen))
    if (
        len(text) > limit
    ):  # a single overlong lead sentence: cut at a word and say so with an ellipsis
        text = text[: limit - 1].rsplit(" ", 1)[0] + "…"
    return text
