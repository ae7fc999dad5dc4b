"""The fast spam heuristics give exactly the reasons of the original ones (tests/storage/spam_oracle.py).

Checked on every labelled comment, on comments like the benchmark corpus's, on texts built from the
rules' own words (so that every gate opens, alone and together) and on hypothesis-generated text.
"""

from __future__ import annotations

import importlib.util
import json
import random
import re
import sys
import unicodedata
from pathlib import Path
from types import ModuleType

from hypothesis import given, settings
from hypothesis import strategies as st

from storage import spam
from storage.litgate import Gated, Literals, all_needs_of, literal_led, needs_of, split_top

from . import spam_oracle

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "data"


def _gen_corpus() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "gen_corpus_for_spam", ROOT / "bench" / "gen_corpus.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def same(text: str) -> None:
    assert spam.spam_reasons(text) == spam_oracle.spam_reasons(text), text


def labelled() -> list[str]:
    return [
        str(json.loads(line)["text"])
        for path in sorted(DATA.glob("spam_*.jsonl"))
        for line in path.read_text("utf-8").splitlines()
        if line
    ]


def test_labelled_comments_same_reasons() -> None:
    texts = labelled()
    assert len(texts) > 500
    for text in texts:
        same(text)
        same(text.upper())
        same(f"> quoted line\n{text}")


def test_corpus_like_comments_same_reasons() -> None:
    gen = _gen_corpus()
    rng = random.Random(14)
    for _ in range(3000):
        same("\n\n".join("\n".join(p) for p in gen._body(rng)))


def _gated() -> list[Gated]:
    return [v for v in vars(spam).values() if isinstance(v, Gated)]


def rule_words() -> list[str]:
    """Every literal the gates look for, and the top-level alternatives' own words."""
    words: set[str] = set()
    for g in _gated():
        words |= g.literals()
    for g in _gated():
        for alternative in split_top(g.pattern):
            words |= set(re.findall(r"[^\W\d_]{2,}", alternative))
    for name in ("_MESSAGING_GATE", "_PROFILE_GATE", "_URL_GATE"):
        words |= set(getattr(spam, name))
    return sorted(words)


FILLER = [
    "the", "my", "me", "us", "him", "her", "on", "at", "to", "this", "site", "link", "from", "home",
    "$500", "5k", "£20", "+234 803 555 0199", "(555) 123-4567", "555-0187", "0803 555 0199",
    "a@b.co", "@handle_1", "www.x.com", "http://cash.example/earn", "Mr Smith", "Dr. Okun",
    "★★★★★★★★★", "💰💰💰", ".", ",", "!", ":", "\n", "\n> quoted\n", "'", '"', "“", "”", "-", "/",
    "100%", "per", "day", "weekly", "a month", "scam", "spam", "don't", "report",
]  # fmt: skip


def test_rule_word_soup_same_reasons() -> None:
    words = rule_words() + FILLER
    rng = random.Random(1414)
    for _ in range(6000):
        parts = [rng.choice(words) for _ in range(rng.randint(1, 14))]
        text = rng.choice([" ", "", "  "]).join(parts)
        same(text)
        same(text.capitalize())


def test_each_rule_alternative_alone() -> None:
    for word in rule_words():
        for text in (word, f"x {word} y", f"{word}s", f"un{word}", f"{word}: 12345", f"{word} me"):
            same(text)


@settings(max_examples=400, deadline=None)
@given(st.text(max_size=200))
def test_any_text_same_reasons(text: str) -> None:
    same(text)


@settings(max_examples=400, deadline=None)
@given(
    st.lists(st.sampled_from(rule_words() + FILLER), max_size=16), st.sampled_from([" ", "", "\n"])
)
def test_rule_words_any_order_same_reasons(parts: list[str], sep: str) -> None:
    same(sep.join(parts))


def test_gated_patterns_match_exactly_as_compiled() -> None:
    texts = labelled()
    for g in _gated():
        plain = re.compile(g.pattern)
        for text in texts:
            lower = text.lower()
            assert g.search(lower) == bool(plain.search(lower)), (g.pattern[:60], text)
            assert g.search(text) == bool(plain.search(text)), (g.pattern[:60], text)


def test_gated_patterns_with_one_pass_literals_match_as_compiled() -> None:
    """`search(text, found)` with the literals a `Literals` scan found equals the plain search."""
    words = rule_words() + FILLER
    rng = random.Random(1415)
    soups = [" ".join(rng.choice(words) for _ in range(rng.randint(1, 10))) for _ in range(2000)]
    texts = [t.lower() for t in labelled()] + soups
    for g in _gated():
        plain = re.compile(g.pattern)
        scanner = Literals(g.literals())
        opened = 0
        for text in texts:
            found = scanner.found(text)
            opened += bool(found)
            assert g.search(text, found) == bool(plain.search(text)), (g.pattern[:60], text)
        if g.parts:
            assert opened > 0, g.pattern[:60]  # the scan found something: the gates were exercised


def test_literals_finds_overlapping_and_repeated_strings() -> None:
    scanner = Literals(["wa", "whatsapp", "app", "@", "t.me"])
    assert scanner.found("whatsapp me at t.me/x @ wa") == {"wa", "whatsapp", "app", "@", "t.me"}
    assert scanner.found("swap tme") == {"wa"}  # inside a word too: gates are substrings
    assert scanner.found("w a tme ap") == set()
    assert scanner.found("") == set()


SCANNED = ["wa", "whatsapp", "app", "@", "t.me", "été", "é", "💰", "ap"]


@settings(max_examples=800, deadline=None)
@given(st.text(alphabet=st.sampled_from("waphst.me@é💰 \ud800\udfffx"), max_size=40))
def test_literals_finds_exactly_the_strings_the_text_holds(text: str) -> None:
    """The one-pass scan against its definition (`s in text` for each string), on texts with
    overlapping strings, characters beyond ASCII and beyond the BMP, and lone surrogates (which a
    JSON escape can produce and UTF-8 cannot encode)."""
    assert Literals(SCANNED).found(text) == {s for s in SCANNED if s in text}


def test_needs_read_through_small_classes_and_prefer_symbols() -> None:
    """A small class inside a literal run branches it (`cha[îi]ne` needs `chaîne` or `chaine`, not
    the `cha` of every "chance"), and a symbol beats a short word (`%`, not the `off` of "office")."""
    assert needs_of("cha[îi]ne") == frozenset({"chaîne", "chaine"})
    assert needs_of(r"x[ab]y|zz") == frozenset({"xay", "xby", "zz"})
    assert needs_of(r"\d+\s?%\s+off\b") == frozenset({"%"})
    assert needs_of("[abcde]x") == frozenset({"x"})  # a class of five ends the run
    assert needs_of("[^ab]cd") == frozenset({"cd"})
    for text in ("chaîne", "chaine", "la chaine", "chance", "chaune"):
        assert Gated("cha[îi]ne").search(text) == bool(re.search("cha[îi]ne", text))


def test_a_gate_can_need_one_of_each_of_several_sets() -> None:
    """`mon\\s+nom` needs `mon` *and* `nom`: the second set shuts the gate in a text about money;
    a set of short strings (`en`, `no`) is not worth a test and is left out."""
    assert all_needs_of(r"\bmon\s+(?:nom|profil)") == [
        frozenset({"mon"}),
        frozenset({"nom", "profil"}),
    ]
    assert all_needs_of(r"\b(?:en|no)\s+mon\s+nom") == [frozenset({"mon"}), frozenset({"nom"})]
    assert all_needs_of(r"\bmon\b") == [frozenset({"mon"})]
    gate = Gated(r"\b(?:en|no)\s+mon\s+nom|\bzz")
    scanner = Literals(gate.literals())
    for text in ("money in the economy", "en mon nom", "no  mon\tnom!", "mon nom", "zz", "nom mon"):
        expected = bool(re.search(gate.pattern, text))
        assert gate.search(text) == gate.search(text, scanner.found(text)) == expected, text
    assert not gate.search("money and the economy", scanner.found("money and the economy"))


LEADING_WORDS = st.text(alphabet="abcmywé_1 -.\n", max_size=30)


@settings(max_examples=600, deadline=None)
@given(LEADING_WORDS)
def test_literal_led_alternatives_match_as_written(text: str) -> None:
    """`\\bc…` rewritten as `c(?<!\\wc)…` finds the same matches, at the start, after a word
    character (ASCII, `é`, `_`, a digit) and after a separator."""
    for alternative in (r"\bmy\s+c", r"\bab\b", r"\b1a", r"\bwa\s+\+?\d", r"\bc(?:a|b)"):
        rewritten = literal_led(alternative)
        assert rewritten != alternative
        assert [m.span() for m in re.finditer(rewritten, text)] == [
            m.span() for m in re.finditer(alternative, text)
        ], (alternative, text)
    for kept in (r"\b(?:a|b)", r"\ba?b", r"\b\d", r"a\b"):
        assert literal_led(kept) == kept


@settings(max_examples=600, deadline=None)
@given(st.text(alphabet="ab-_.c/o:mwe ntgrwé1İK", max_size=40))
def test_url_pattern_finds_what_the_original_found(text: str) -> None:
    assert spam._URL.findall(text) == spam_oracle._URL.findall(text)
    same(f"earn $500 daily, see {text}")


@given(st.text(alphabet="ab-_.c/o:mwe ntgrwé1İK\t\n\u00a0\u2003\x1c", max_size=60))
def test_links_word_by_word_are_the_links_of_the_whole_text(text: str) -> None:
    links = [u.lower() for u in spam._links(text, text.lower())]
    assert links == [u.lower() for u in spam_oracle._URL.findall(text)]


def test_every_symbol_that_can_be_in_a_run_counts_towards_the_gate() -> None:
    """`_symbol_run` looks for runs only in a text with 8+ `_SYMBOLISH` characters: every character
    of Unicode's So and Sm that a run (`[\\W_]`) can hold must be one of them."""
    missed = [
        hex(c)
        for c in range(sys.maxunicode + 1)
        if unicodedata.category(chr(c)) in ("So", "Sm")
        and re.fullmatch(r"[\W_]", chr(c))
        and not spam._SYMBOLISH.fullmatch(chr(c))
    ]
    assert missed == []
    assert spam._SYMBOLISH.findall("a+b<c=d>e|f~g_h-i.j★k∑l é \u00a0") == [*"+<=>|~★∑"]


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(codec=None, categories=["Cs", "So", "Ll", "Zs", "Nd"])))
def test_lone_surrogates_and_symbols_same_reasons(text: str) -> None:
    """JSON sources can hold lone surrogates; they must not break the one-pass scan or the gates."""
    same(text)
    same(f"{text} call me on +234 803 555 0199, earn $500 daily ★★★★★★★★★")


def test_shortest_phone_numbers_in_any_script_same_reasons() -> None:
    """Every phone number of the rules holds 6 digits; the digit count that gates them counts
    `\\d` as the rules do (any script's digits), so the shortest ones are still found."""
    for number in ("+1 2 34 56", "+١ ٢ ٣٤ ٥٦", "+1 2 34 5", "555-0187", "٥٥٥-٠١٨٧", "(555) 123-4567"):
        text = f"Earn $500 daily from home, call {number}"
        same(text)
        assert ("phone number or e-mail" in spam.spam_reasons(text)) == (
            number not in ("+1 2 34 5",)
        ), number
