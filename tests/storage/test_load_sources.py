"""The loader over a folder of mixed sources: dumps, a Disqus export, Reddit and HN pages, bad files."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from storage import queries
from storage.db import Storage
from storage.files import iter_files
from storage.loader import load_file, load_paths
from storage.models import FileReport
from storage.parsers import iter_file
from storage.read import fetch_all

DATA = Path(__file__).resolve().parents[1] / "data"
SOURCES = ["disqus_forum.xml", "reddit_thread.json", "hn_story.json", "plain.txt"]


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """A folder holding one file of every format, a broken JSON file and a file the loader ignores."""
    root = tmp_path / "sources"
    (root / "sub").mkdir(parents=True)
    for name in SOURCES:
        shutil.copy(DATA / name, root / name)
    shutil.copy(DATA / "hn_bad.json", root / "sub" / "hn_bad.json")
    (root / "notes.md").write_text("not a source", "utf-8")
    return root


def by_key(report_files: list[FileReport]) -> dict[str, FileReport]:
    """Reports by article key (failed whole files under their file name)."""
    return {f.key or Path(f.path).name: f for f in report_files}


async def rows(store: Storage) -> list[tuple[Any, ...]]:
    """Every article and comment row, for before/after comparisons."""
    found = await fetch_all(
        store.reader,
        "SELECT a.key, a.content_hash, a.updated_at, c.id, c.key, c.text FROM articles a"
        " LEFT JOIN comments c ON c.article_id = a.id ORDER BY a.key, c.position",
    )
    return [tuple(r) for r in found]


def test_iter_files_finds_xml_and_json_sources(folder: Path) -> None:
    names = sorted(p.name for p in iter_files([folder]))
    assert names == sorted([*SOURCES, "hn_bad.json"])


async def test_load_mixed_folder_one_report_per_article_bad_file_fails_alone(
    target: str, folder: Path
) -> None:
    async with await Storage.open(target) as store:
        report = await load_paths(store, [folder])
        bridge = await queries.get_article(store, "disqus-1001")
        reddit = await queries.get_article(store, "reddit-1abc2d")
    found = by_key(report.files)
    assert set(found) == {
        "disqus-1001", "disqus-1002", "reddit-1abc2d", "hn-39000001", "plain", "hn_bad.json"
    }  # fmt: skip
    assert {k: f.status for k, f in found.items() if k != "hn_bad.json"} == dict.fromkeys(
        ["disqus-1001", "disqus-1002", "reddit-1abc2d", "hn-39000001", "plain"], "added"
    )
    assert found["disqus-1001"].path == str(folder / "disqus_forum.xml")
    assert found["disqus-1001"].comments == 7
    assert [w.code for w in found["disqus-1001"].warnings] == ["orphan"]
    bad = found["hn_bad.json"]
    assert bad.status == "failed" and bad.key is None
    assert bad.error is not None and bad.error.startswith(f"{folder / 'sub' / 'hn_bad.json'}:5:")
    assert bridge is not None and reddit is not None
    assert bridge.article.source_url == "https://harbour.example/2024/bridge-reopens"
    assert bridge.article == next(iter_file(DATA / "disqus_forum.xml"))  # read back as parsed
    assert (
        reddit.article.comments[1].created_at
        == next(iter_file(DATA / "reddit_thread.json")).comments[1].created_at
    )


async def test_reload_mixed_folder_unchanged_changes_nothing(target: str, folder: Path) -> None:
    async with await Storage.open(target) as store:
        await load_paths(store, [folder])
        before = await rows(store)
    async with await Storage.open(target) as store:
        report = await load_paths(store, [folder])
        after = await rows(store)
    assert {f.key: f.status for f in report.files if f.key} == dict.fromkeys(
        ["disqus-1001", "disqus-1002", "reddit-1abc2d", "hn-39000001", "plain"], "unchanged"
    )
    assert after == before


async def test_disqus_new_post_updates_its_thread_only_keeping_comment_ids(
    target: str, folder: Path
) -> None:
    async with await Storage.open(target) as store:
        await load_paths(store, [folder])
        ids = {(r[0], r[4]): r[3] for r in await rows(store)}
    export = folder / "disqus_forum.xml"
    new_post = (
        '  <post dsq:id="6003"><message><![CDATA[<p>Thanks!</p>]]></message>'
        "<createdAt>2024-03-05T11:00:00Z</createdAt><author><name>Zoë Ångström</name></author>"
        '<thread dsq:id="1002"/><parent dsq:id="6002"/></post>\n</disqus>'
    )
    export.write_text(export.read_text("utf-8").replace("</disqus>", new_post), "utf-8")
    async with await Storage.open(target) as store:
        report = await load_paths(store, [export])
        ferry = await queries.get_article(store, "disqus-1002")
        after = {(r[0], r[4]): r[3] for r in await rows(store)}
    assert {f.key: f.status for f in report.files} == {
        "disqus-1001": "unchanged",
        "disqus-1002": "updated",
    }
    assert ferry is not None and [c.key for c in ferry.article.comments] == ["6001", "6002", "6003"]
    assert set(after) - set(ids) == {("disqus-1002", "6003")}  # one new comment row, no other
    assert all(after[k] == v for k, v in ids.items())  # every old comment kept its row


async def test_broken_disqus_export_stores_nothing_and_keeps_what_was_there(
    target: str, folder: Path
) -> None:
    async with await Storage.open(target) as store:
        await load_paths(store, [folder])
        before = await rows(store)
    export = folder / "disqus_forum.xml"
    text = export.read_text("utf-8")
    # Every thread but the last changed, then the file breaks off: nothing of it may be stored.
    broken = text.replace("Finally!", "Finally, edited!")[: text.rindex("<post")]
    export.write_text(broken, "utf-8")
    async with await Storage.open(target) as store:
        report = await load_paths(store, [export])
        after = await rows(store)
    assert [(f.status, f.key) for f in report.files] == [("failed", None)]
    assert "not well-formed XML" in (report.files[0].error or "")
    assert after == before


async def test_same_thread_in_two_exports_second_fails(target: str, folder: Path) -> None:
    shutil.copy(folder / "disqus_forum.xml", folder / "sub" / "again.xml")
    async with await Storage.open(target) as store:
        report = await load_paths(store, [folder])
    again = [f for f in report.files if f.path.endswith("again.xml")]
    assert [f.status for f in again] == ["failed", "failed"]
    assert all("already taken" in (f.error or "") for f in again)


async def test_load_file_sums_up_an_export_in_one_report(target: str, folder: Path) -> None:
    async with await Storage.open(target) as store:
        report = await load_file(store, folder / "disqus_forum.xml")
        single = await load_file(store, folder / "hn_story.json")
    assert (report.status, report.key, report.comments) == ("added", None, 9)
    assert (single.status, single.key) == ("added", "hn-39000001")


async def test_export_without_commented_threads_reports_nothing_to_load(
    tmp_path: Path, target: str
) -> None:
    empty = tmp_path / "empty.xml"
    empty.write_text("<disqus><thread><id>a</id><title>Quiet</title></thread></disqus>", "utf-8")
    async with await Storage.open(target) as store:
        report = await load_paths(store, [empty])
    assert [(f.status, f.key) for f in report.files] == [("unchanged", None)]
    assert [w.code for w in report.files[0].warnings] == ["no-articles"]


def test_cli_load_json_reports_each_article_with_its_key(target: str, folder: Path) -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "bot.cli",
            "load",
            str(folder),
            "--db",
            target,
            "--json",
        ],
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=60,
        check=False,
    )
    assert result.returncode == 1, result.stderr  # the broken file
    out = json.loads(result.stdout)
    assert (out["added"], out["failed"]) == (5, 1)
    assert {f["key"] for f in out["files"]} == {
        "disqus-1001", "disqus-1002", "reddit-1abc2d", "hn-39000001", "plain", None
    }  # fmt: skip
    assert set(out["files"][0]) == {"path", "status", "key", "comments", "error", "warnings"}


def _titled(folder: Path, count: int) -> None:
    for i in range(count):
        (folder / f"art_{i:02d}.txt").write_text(
            f"Article number {i}\n\nText.\n\n  • Ann\n\n    Hi.\n", "utf-8"
        )


def test_cli_load_names_added_articles_with_key_and_title(
    tmp_path: Path, target: str, capsys: pytest.CaptureFixture[str]
) -> None:
    from bot.cli import main

    folder = tmp_path / "many"
    folder.mkdir()
    _titled(folder, 22)
    assert main(["load", str(folder), "--db", target]) == 0
    out = capsys.readouterr().out.splitlines()
    named = [line for line in out if line.startswith("added: art_")]
    assert len(named) == 20
    assert named[0] == "added: art_00  Article number 0  (1 comment)"
    assert "added: … and 2 more (--list-all names every one)" in out
    assert out[-1].startswith("22 added, 0 updated, 0 unchanged, 0 failed")
    (folder / "art_00.txt").write_text("Article number 0\n\nNew text.\n", "utf-8")
    assert main(["load", str(folder), "--db", target, "--list-all"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert "updated: art_00  Article number 0  (0 comments)" in out


def test_cli_load_list_all_names_every_article(
    tmp_path: Path, target: str, capsys: pytest.CaptureFixture[str]
) -> None:
    from bot.cli import main

    folder = tmp_path / "many"
    folder.mkdir()
    _titled(folder, 22)
    assert main(["load", str(folder), "--db", target, "--list-all"]) == 0
    out = capsys.readouterr().out
    assert out.count("added: art_") == 22 and "more (--list-all" not in out


@pytest.mark.parametrize("what", ["missing", "empty"])
def test_cli_load_of_nothing_loadable_says_so_and_exits_1(
    tmp_path: Path, target: str, capsys: pytest.CaptureFixture[str], what: str
) -> None:
    from bot.cli import main

    path = tmp_path / what
    if what == "empty":
        path.mkdir()
        (path / "notes.md").write_text("not a dump", "utf-8")
    assert main(["load", str(path), "--db", target]) == 1
    err = capsys.readouterr().err
    says = "no such file or directory" if what == "missing" else "no loadable files in"
    assert err.startswith(f"threadreplay: {says}") and str(path) in err
