"""Hostile files: each ends as one failed (or repaired) file in the report, the others load, and the
database holds only what the good files say."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

import storage.parsers
from storage import queries
from storage.db import Storage
from storage.loader import load_paths
from storage.parsers import parse_any
from storage.parsers.disqus_spool import SPOOL_PREFIX, remove_stale_spools
from storage.parsers.keys import safe_key

DATA = Path(__file__).resolve().parents[1] / "data"
SEED = Path(__file__).resolve().parents[2] / "seeds" / "000_e7a44f8a370d07ea.txt"


def hn_with(text: str, story: int = 1) -> bytes:
    """The HN story of tests/data as story `story`, its first comment's text raw JSON `text`."""
    doc = json.loads((DATA / "hn_story.json").read_text("utf-8"))
    doc["id"] = doc["story_id"] = story
    doc["children"][0]["text"] = "@@TEXT@@"
    return json.dumps(doc).replace('"@@TEXT@@"', text).encode()


@pytest.fixture
def hostile(tmp_path: Path) -> Path:
    root = tmp_path / "in"
    root.mkdir()
    shutil.copy(SEED, root / "good.txt")
    (root / "surrogate.json").write_bytes(hn_with(r'"a lone \ud800 surrogate"'))
    (root / "nul.json").write_bytes(hn_with(r'"a NUL \u0000 inside"', story=2))
    (root / "bogus.xml").write_bytes(b'<?xml version="1.0" encoding="bogus-9"?><disqus/>')
    (root / "utf7.xml").write_bytes(b'<?xml version="1.0" encoding="utf-7"?><disqus/>')
    data = SEED.read_bytes()
    cut = data.index(b"\n", len(data) // 2)
    (root / "one-bad-byte.txt").write_bytes(data[:cut] + b"\xff" + data[cut:])
    return root


async def test_hostile_folder_loads_the_good_and_reports_each_bad_file(
    target: str, hostile: Path
) -> None:
    async with await Storage.open(target) as store:
        report = await load_paths(store, [hostile])
        files = {Path(f.path).name: f for f in report.files}
        assert files["good.txt"].status == "added" and files["good.txt"].comments == 16
        for name in ("bogus.xml", "utf7.xml"):
            assert files[name].status == "failed"
            assert files[name].error is not None
            assert files[name].error.startswith(f"{hostile / name}:1: the XML declaration names")
        # Repaired, not refused: the character that cannot be stored is replaced or removed.
        assert files["surrogate.json"].status == "added"
        assert files["nul.json"].status == "added"
        first = await queries.get_article(store, "hn-1")
        second = await queries.get_article(store, "hn-2")
        assert first is not None and second is not None
        assert "a lone \ufffd surrogate" in [c.text for c in first.article.comments]
        assert "a NUL  inside" in [c.text for c in second.article.comments]
        bad = files["one-bad-byte.txt"]
        assert bad.status == "added" and bad.comments == 16
        [warning] = [w for w in bad.warnings if w.code == "encoding"]
        assert warning.line is not None and "UTF-8 with an invalid byte" in warning.message
        stored = await queries.get_article(store, "one-bad-byte")
        assert stored is not None
        good = await queries.get_article(store, "good")
        assert good is not None
        # No mojibake: the file stayed UTF-8 (read as Windows-1252, "’" would be "â€™").
        assert stored.article.title == good.article.title and "’" in stored.article.title
        assert any("’" in c.text for c in stored.article.comments)
        assert "â€" not in stored.article.model_dump_json()


def test_lone_surrogate_and_nul_are_made_storable() -> None:
    [article] = parse_any(hn_with(r'"x \ud800 y \u0000 z"'), "h.json")
    [text] = [c.text for c in article.comments if c.text.startswith("x ")]
    assert "\ufffd" in text and "\x00" not in text
    text.encode("utf-8")  # would raise on a lone surrogate


def test_windows_1252_file_is_still_read_as_windows_1252() -> None:
    data = "Caf\u00e9 \u2019quoted\u2019 \u2013 na\u00efve".encode("cp1252")
    dump = b"Title\n\n" + data + b"\n"
    [article] = parse_any(dump, "w.txt")
    assert any(w.code == "encoding" and "Windows-1252" in w.message for w in article.warnings)
    assert "Caf\u00e9 \u2019quoted\u2019" in " ".join([article.title, *article.paragraphs])


async def test_the_size_limit_applies_to_load(
    tmp_path: Path, target: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(storage.parsers, "MAX_FILE_BYTES", 1000)
    folder = tmp_path / "in"
    folder.mkdir()
    shutil.copy(SEED, folder / "big.txt")
    async with await Storage.open(target) as store:
        report = await load_paths(store, [folder])
        [big] = report.files
        assert big.status == "failed" and "larger than 1000" in (big.error or "")
        assert await queries.count_articles(store) == 0


def test_stale_spool_folders_of_dead_processes_are_removed(tmp_path: Path) -> None:
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    stale = tmp_path / f"{SPOOL_PREFIX}{int(dead.stdout)}-abc"
    live = tmp_path / f"{SPOOL_PREFIX}{os.getpid()}-def"
    other = tmp_path / "unrelated-123-x"
    for folder in (stale, live, other):
        folder.mkdir()
        (folder / "spool.db").write_bytes(b"x" * 100)
    assert remove_stale_spools(tmp_path) == 1
    assert not stale.exists() and live.exists() and other.exists()


SAFE_KEY = re.compile(r"[\w. ()-]{1,100}")


@pytest.mark.parametrize(
    "source_id", ["`x` @everyone", "a\nb", "../../etc/passwd", "<@123>", "x" * 300, "\x1b[31m"]
)
def test_article_keys_from_source_ids_are_reduced_to_a_safe_set(source_id: str) -> None:
    doc = json.loads((DATA / "hn_story.json").read_text("utf-8"))
    doc["id"] = doc["story_id"] = source_id
    [article] = parse_any(json.dumps(doc).encode(), "hn.json")
    assert SAFE_KEY.fullmatch(article.key), article.key
    assert article.key.startswith("hn-")
    other = dict(doc, id=source_id + "!", story_id=source_id + "!")
    [second] = parse_any(json.dumps(other).encode(), "hn.json")
    assert second.key != article.key  # two ids that clean alike keep apart


@given(st.text(max_size=300))
def test_safe_key_is_safe_short_and_keeps_safe_keys(raw: str) -> None:
    key = safe_key(raw)
    assert SAFE_KEY.fullmatch(key)
    if SAFE_KEY.fullmatch(raw) and raw.strip() == raw:
        assert key == raw  # keys already stored keep their value
