"""Search snippets built in one pass over the text, for documents too long for FTS5's `snippet()`.

FTS5 scores every window of a document against every hit in it, which is quadratic in the hits of
one document: a 1 MB comment made every broad search take seconds. Short documents keep FTS5's
snippet (it picks the best window); long ones get the window around their first hit, found here in
time linear in the text. Words are compared the way the `unicode61 remove_diacritics 2` tokenizer
compares them: letters and digits, case and accents folded.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

# Documents longer than this (in characters) get the linear snippet. At this size FTS5's own
# snippet() costs well under a millisecond even when every word is a hit.
FTS_SNIPPET_MAX = 4000

_TOKEN = re.compile(r"[^\W_]+")
_TERM = re.compile(r"([^\W_]+)(\*?)")
_OPERATORS = frozenset({"AND", "OR", "NOT", "NEAR"})


def fold(word: str) -> str:
    """A word as the tokenizer indexes it: lower case, without diacritics."""
    decomposed = unicodedata.normalize("NFD", word.lower())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


@dataclass(frozen=True)
class Terms:
    """The words of a query: exact words, and prefixes (`word*`)."""

    exact: frozenset[str]
    prefixes: tuple[str, ...]

    def matches(self, token: str) -> bool:
        folded = fold(token)
        return folded in self.exact or any(folded.startswith(p) for p in self.prefixes)


def query_terms(query: str) -> Terms:
    """The words a query looks for (operators and column names are not words of the text)."""
    exact: set[str] = set()
    prefixes: list[str] = []
    for m in _TERM.finditer(query):
        word, star = m.group(1), m.group(2)
        if word in _OPERATORS or query[m.end() : m.end() + 1] == ":":
            continue
        if star:
            prefixes.append(fold(word))
        else:
            exact.add(fold(word))
    return Terms(frozenset(exact), tuple(prefixes))


def snippet(
    columns: Iterable[str], terms: Terms, *, start: str, end: str, ellipsis: str, tokens: int = 12
) -> str:
    """About `tokens` words around the first hit of the first column that has one, hits marked.

    Linear in the text: tokens are read once, up to the end of the window. A document with no
    recognisable hit (a match through an operator we do not model) shows its first words.
    """
    texts = list(columns)
    for text in texts:
        found = _window(text, terms, start=start, end=end, ellipsis=ellipsis, tokens=tokens)
        if found is not None:
            return found
    first = next((t for t in texts if t), "")
    return _window(first, None, start=start, end=end, ellipsis=ellipsis, tokens=tokens) or ""


def _window(
    text: str, terms: Terms | None, *, start: str, end: str, ellipsis: str, tokens: int
) -> str | None:
    before = max(tokens // 4, 1)
    recent: list[re.Match[str]] = []  # the last `before` tokens ahead of the first hit
    window: list[re.Match[str]] = []
    dropped = False  # a word before the window was left out
    for m in _TOKEN.finditer(text):
        if not window:
            if terms is None or terms.matches(m.group()):
                window = [*recent, m]
            else:
                dropped = dropped or len(recent) == before
                recent = [*recent[-(before - 1) :], m] if before > 1 else [m]
                continue
        else:
            window.append(m)
        if len(window) >= tokens:
            break
    if not window:
        return None
    lo, hi = window[0].start(), window[-1].end()
    parts: list[str] = [ellipsis] if dropped else []
    at = lo
    for m in window:
        parts.append(text[at : m.start()])
        if terms is not None and terms.matches(m.group()):
            parts.append(start + m.group() + end)
        else:
            parts.append(m.group())
        at = m.end()
    if _TOKEN.search(text, hi):
        parts.append(ellipsis)
    return "".join(parts)
