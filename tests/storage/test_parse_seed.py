"""The shipped seed parses to exactly the structure a reader sees in it."""

from __future__ import annotations

from pathlib import Path

import pytest

from storage.models import Article
from storage.parsers import parse_file
from storage.summary import sentences

SEED = Path(__file__).resolve().parents[2] / "seeds" / "000_e7a44f8a370d07ea.txt"
TITLE = "Syrian Government Is Forcing ‘Opposition’ To Accept Reconciliation Agreement In Eastern Qalamun"
RTA = "RTA (Bob or Al)"

# (author, depth, parent index), in file order, read off the seed's indentation by eye:
# headers at 2 + 2·depth columns.
EXPECTED_TREE: list[tuple[str, int, int | None]] = [
    ("Jordan Katz", 0, None),  # 0
    ("Terra Cotta Woolpuller", 1, 0),  # 1
    ("BarbaraESchacher", 2, 1),  # 2  the spam
    ("RGtz98", 1, 0),  # 3
    (RTA, 2, 3),  # 4
    ("RGtz98", 3, 4),  # 5
    (RTA, 4, 5),  # 6
    (RTA, 1, 0),  # 7
    ("Vitex", 0, None),  # 8
    ("Ronald", 1, 8),  # 9
    (RTA, 2, 9),  # 10
    ("RGtz98", 1, 8),  # 11
    ("Melotte 22", 0, None),  # 12
    (RTA, 1, 12),  # 13
    ("MD Ranix", 0, None),  # 14
    ("Langaniso Mhlobo", 0, None),  # 15
]


@pytest.fixture(scope="module")
def seed() -> Article:
    """The seed, parsed once for every test of this module."""
    return parse_file(SEED)


def test_parse_seed_comment_tree_matches_file(seed: Article) -> None:
    assert len(seed.comments) == 16
    assert [(c.author, c.depth, c.parent) for c in seed.comments] == EXPECTED_TREE
    assert [c.index for c in seed.comments] == list(range(16))


def test_parse_seed_parent_is_one_level_up(seed: Article) -> None:
    for c in seed.comments:
        if c.parent is not None:
            assert c.parent < c.index
            assert seed.comments[c.parent].depth == c.depth - 1


def test_parse_seed_exactly_one_spam_comment_with_reasons(seed: Article) -> None:
    spam = [c for c in seed.comments if c.spam]
    assert [c.author for c in spam] == ["BarbaraESchacher"]
    assert spam[0].spam_reasons
    assert all(not c.spam_reasons for c in seed.comments if not c.spam)


def test_parse_seed_no_comment_deleted_and_no_warnings(seed: Article) -> None:
    assert not any(c.deleted for c in seed.comments)
    assert seed.warnings == []


def test_parse_seed_six_paragraphs_without_widgets_or_call_to_action(seed: Article) -> None:
    assert len(seed.paragraphs) == 6
    assert seed.paragraphs[0].startswith("On September 29, representatives")
    assert seed.paragraphs[-1].startswith("Jaish al-Islam is the biggest armed group")
    for para in seed.paragraphs:
        assert "$" not in para
        assert "Consider helping us" not in para


def test_parse_seed_caption_kept(seed: Article) -> None:
    assert seed.caption == "FILE IMAGE: Jaish al-Islam members are in Eastern Qalamoun"
    assert seed.caption not in seed.paragraphs


def test_parse_seed_title_kept_once_with_first_spelling(seed: Article) -> None:
    assert seed.title == TITLE
    straight = TITLE.replace("‘", "'").replace("’", "'")
    for para in seed.paragraphs:
        assert TITLE not in para
        assert straight not in para


def test_parse_seed_multi_paragraph_comment_joined_with_blank_line(seed: Article) -> None:
    assert seed.comments[7].text == (
        "No I am via Duckduckwhatever – https://www.almasdarnews.com/\n\nWell worth a read NOW"
    )
    assert seed.comments[13].text == (
        "I would not even waste my time negotiating. Line them up; shoot them.\n\nEnd of."
    )


def test_parse_seed_multi_line_comment_joined_with_newline(seed: Article) -> None:
    lines = seed.comments[2].text.split("\n")
    assert len(lines) == 3
    assert lines[0] == "Google is paying 97$ per hour,with weekly payouts.You can also avail this."
    assert lines[2].startswith("➽➽;➽➽ http://GoogleHomeCashJobsLivingOpportunity/earn/hourly")


def test_parse_seed_comment_text_keeps_characters(seed: Article) -> None:
    assert seed.comments[0].text == "What’s up with Al-Masdar news? Is their site down?"
    assert seed.comments[4].text == "Definitely back on now…. just have a check"


def test_parse_seed_no_break_spaces_stripped_at_line_edges_only(seed: Article) -> None:
    texts = [*seed.paragraphs, *(c.text for c in seed.comments)]
    for text in texts:
        for line in text.split("\n"):
            assert line == line.strip()
    # The seed's first paragraph holds a no-break space inside a line: kept as it is.
    assert "pro-opposition\u00a0sources." in seed.paragraphs[0]


def test_parse_seed_summary_made_of_paragraph_sentences(seed: Article) -> None:
    assert seed.summary
    body = " ".join(seed.paragraphs)
    parts = sentences([seed.summary])
    assert parts
    for sentence in parts:
        assert sentence in body
    assert parts[0] == sentences(seed.paragraphs)[0]


def test_parse_seed_comment_lines_point_at_headers(seed: Article) -> None:
    lines = SEED.read_text(encoding="utf-8").split("\n")
    for c in seed.comments:
        assert c.line is not None
        assert lines[c.line - 1].strip() == f"• {c.author}"
