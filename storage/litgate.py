"""Large regex alternations made cheap: each alternative searched only when a literal it needs is there.

Python's `re` tries every alternative of `a|b|c|…` at every position of the text, so a pattern of 60
alternatives costs about 60 passes over each comment. `Gated(pattern)` splits the pattern at its
top-level `|`, reads in each alternative (with `re`'s own parser) a set of literal strings of which
any match must contain at least one, and at search time runs an alternative only when one of its
literals is in the text (a `str` substring test, a fast C scan). Alternatives sharing the same
literals are searched as one pattern. `Gated(p).search(text)` is true exactly when
`re.compile(p).search(text)` finds a match: a match of `a|b` anywhere is a match of `a` or of `b`
there, and a literal that every match contains is in the text whenever a match is.

`Literals` finds which of many strings a text holds in one pass (Aho-Corasick, `ahocorasick_rs`: the
Rust `aho-corasick` crate's DFA, which hands back the matches as one list), so that a caller with
many gates pays one scan of each comment rather than one per literal; `Gated.search` takes that set
in place of its own substring tests.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

import ahocorasick_rs

from storage.models import LONE_SURROGATE

# `re`'s own parser (Python 3.11+; the sre_parse module is deprecated), untyped in typeshed.
sre_constants: Any = getattr(re, "_constants")  # noqa: B009
sre_parse: Any = getattr(re, "_parser")  # noqa: B009

Needs = frozenset[str]  # at least one of these strings is in any text the pattern matches


def split_top(pattern: str) -> list[str]:
    """`pattern` cut at its top-level `|` (outside groups, classes and escapes)."""
    parts: list[str] = []
    depth, start, i, in_class = 0, 0, 0, False
    while i < len(pattern):
        ch = pattern[i]
        if ch == "\\":
            i += 2
            continue
        if in_class:
            if ch == "]":
                in_class = False
        elif ch == "[":
            in_class = True
            if pattern[i + 1 : i + 2] == "^":
                i += 1
            if pattern[i + 1 : i + 2] == "]":  # a `]` first in a class is a literal
                i += 1
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif ch == "|" and depth == 0:
            parts.append(pattern[start:i])
            start = i + 1
        i += 1
    parts.append(pattern[start:])
    return parts


def _rarity(s: str) -> int:
    """How selective a literal is: its length, a symbol (`%`, `@`, `$`…) counting as three
    characters, as prose holds far fewer of them than letters (`%` against `off`, `@` against `dm`)."""
    return sum(1 if ch.isalnum() or ch.isspace() else 3 for ch in s)


def _best(options: list[Needs]) -> Needs | None:
    """The most selective of several sets of needs that a match meets all of: rare strings first
    (long ones, or holding symbols), then few of them (each string is one scan of the text)."""
    if not options:
        return None
    return max(options, key=lambda n: (min(_rarity(s) for s in n), -len(n)))


_CLASS_MOST = 4  # a class of at most this many characters extends a literal run (one string each)
_RUN_MOST = 8  # strings a run may branch into


def _needs(items: Any) -> Needs | None:
    """Literals of which a match of the parsed sequence `items` holds at least one (None: unknown)."""
    return _best(_options(items))


def _options(items: Any) -> list[Needs]:
    """Every set of literals of which a match of the parsed sequence `items` holds one: one set per
    literal run, group or repeat that a match must pass through.

    A run of literal characters is one string; a small class inside it (`cha[îi]ne`) branches it
    into one string per character (`chaîne`, `chaine`) rather than ending it at `cha`."""
    options: list[Needs] = []
    run: list[str] = [""]

    def close_run() -> None:
        if run != [""]:
            options.append(_prune(set(run)))
        run[:] = [""]

    arg: Any
    for op, arg in items:
        if op is sre_constants.LITERAL:
            run[:] = [r + chr(arg) for r in run]
            continue
        chars: list[int] = []
        if op is sre_constants.IN:
            chars = [a for o, a in arg if o is sre_constants.LITERAL]
            if len(chars) != len(arg):
                chars = []
        if chars and len(chars) <= _CLASS_MOST and len(run) * len(chars) <= _RUN_MOST:
            run[:] = [r + chr(c) for r in run for c in chars]
            continue
        close_run()
        found: Needs | None = None
        if op is sre_constants.SUBPATTERN:
            _group, add_flags, del_flags, sub = arg
            if not add_flags and not del_flags:
                found = _needs(sub)
        elif op is sre_constants.BRANCH:
            _, branches = arg
            found = _union([_needs(b) for b in branches])
        elif op in (sre_constants.MAX_REPEAT, sre_constants.MIN_REPEAT):
            low, _high, sub = arg
            if low >= 1:
                found = _needs(sub)
        elif chars:
            found = frozenset(chr(c) for c in chars)
        if found:
            options.append(found)
    close_run()
    return options


def _union(needs: list[Needs | None]) -> Needs | None:
    """Needs of an alternation: one of each branch's (unknown if any branch's is)."""
    out: set[str] = set()
    for n in needs:
        if not n:
            return None
        out |= n
    return _prune(out)


def _prune(needs: set[str]) -> Needs:
    """Drop strings that hold another of the set: the shorter one is in the text whenever they are."""
    return frozenset(s for s in needs if not any(o != s and o in s for o in needs))


def needs_of(pattern: str, flags: int = 0) -> Needs | None:
    """Literals of which any match of `pattern` holds one; None when none is known."""
    return _best(all_needs_of(pattern, flags))


_ALSO_RARITY = 3  # a second set of needs is tested only if each of its strings is at least this rare


def all_needs_of(pattern: str, flags: int = 0) -> list[Needs]:
    """Every set of literals of which any match of `pattern` holds one (empty: none known), the most
    selective first, then those of rare strings only: a match needs one of *each* set, so the rare
    second set of `mon\\s+nom` ("nom") shuts the gate that the first ("mon") leaves open in a text
    about money."""
    if flags & ~re.UNICODE:
        return []  # case-insensitive, verbose, …: not read here
    options = _options(list(sre_parse.parse(pattern, flags)))
    first = _best(options)
    if first is None:
        return []
    also = {
        n
        for n in options
        if n != first and min(_rarity(s) for s in n) >= _ALSO_RARITY and not first <= n
    }
    return [first, *sorted(also, key=sorted)]


_QUANTIFIERS = frozenset("?*+{")


def literal_led(alternative: str) -> str:
    r"""`\bc…` (c a letter or digit) written as `c(?<!\wc)…`: the same matches, but a pattern that
    starts with a literal lets `re` skip ahead to that letter instead of trying every position
    (about 9x faster on a comment without a match). `\b` before a word character means "not after
    one", which is what the look-behind checks once `c` is matched."""
    if (
        len(alternative) > 3
        and alternative.startswith("\\b")
        and alternative[2].isascii()
        and alternative[2].isalnum()
        and alternative[3] not in _QUANTIFIERS
    ):
        c = alternative[2]
        return f"{c}(?<!\\w{c}){alternative[3:]}"
    return alternative


class Gated:
    """`re.compile(pattern).search(text) is not None`, searching only alternatives whose needs hold."""

    def __init__(self, pattern: str, flags: int = 0, most: int = 12) -> None:
        """`most`: an alternative that needs any of more literals than this is searched always (so
        many substring tests would cost more than the search)."""
        self.pattern = pattern
        groups: dict[tuple[Needs, ...] | None, list[str]] = {}
        for alternative in split_top(pattern):
            needs = all_needs_of(alternative, flags)
            key = tuple(needs) if needs and len(needs[0]) <= most else None
            groups.setdefault(key, []).append(literal_led(alternative))
        self.always = [re.compile("|".join(a), flags) for n, a in groups.items() if n is None]
        # (the first set's strings, the other sets, the alternatives' pattern): the first set is
        # tested first, as it alone shuts most gates.
        self.parts = [
            (
                tuple(sorted(n[0], key=len, reverse=True)),
                tuple(tuple(sorted(o, key=len, reverse=True)) for o in n[1:]),
                re.compile("|".join(a), flags),
            )
            for n, a in groups.items()
            if n is not None
        ]

    def literals(self) -> set[str]:
        """Every literal the gates test (for a `Literals` scanner shared by several patterns)."""
        return {s for first, also, _ in self.parts for needs in (first, *also) for s in needs}

    def search(self, text: str, found: frozenset[str] | set[str] | None = None) -> bool:
        """Whether the pattern matches anywhere in `text`. `found`: which of `literals()` the text
        holds (from `Literals.found`), to skip the substring tests."""
        for first, also, rx in self.parts:
            if found is None:
                if (
                    any(s in text for s in first)
                    and all(any(s in text for s in n) for n in also)
                    and rx.search(text)
                ):
                    return True
            elif (
                not found.isdisjoint(first)
                and (not also or all(not found.isdisjoint(n) for n in also))
                and rx.search(text)
            ):
                return True
        return any(rx.search(text) for rx in self.always)


class Literals:
    """Which of a fixed set of strings occur in a text, found in one pass over it.

    The loader's hottest scan (every comment, ~365 strings): 7.4 µs a comment with `pyahocorasick`,
    whose matches come back one Python step each (~17 a comment), against 2.9 µs here
    (bench/RESULTS.md, sixth pass).
    """

    def __init__(self, strings: Iterable[str]) -> None:
        self._automaton = ahocorasick_rs.AhoCorasick(
            sorted(set(strings)),
            implementation=ahocorasick_rs.Implementation.DFA,
            store_patterns=True,
        )

    def found(self, text: str) -> set[str]:
        """The strings of the set that occur in `text` (overlapping ones included)."""
        try:
            return set(self._automaton.find_matches_as_strings(text, overlapping=True))
        except UnicodeEncodeError:
            # A lone surrogate (from a JSON "\ud800" escape) has no UTF-8 form, which the matcher
            # works on. No string of the set holds one, so none can match across it either.
            return self.found(LONE_SURROGATE.sub("\ufffd", text))
