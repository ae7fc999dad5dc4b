"""The Disqus export parser: threads to articles, posts to a tree, HTML to text, streaming, errors."""

from __future__ import annotations

import io
import json
import subprocess
import sys
import tempfile
import tracemalloc
from datetime import UTC, datetime
from pathlib import Path

import pytest

from storage.errors import ParseError
from storage.models import Article, Comment
from storage.parsers import iter_file, parse_any, parse_bytes
from storage.parsers.disqus import iter_disqus
from storage.parsers.htmltext import html_to_text

DATA = Path(__file__).resolve().parents[1] / "data"
FORUM = DATA / "disqus_forum.xml"


def articles(name: str = "disqus_forum.xml", *, strict: bool = False) -> dict[str, Article]:
    """The articles of one export in tests/data/, by key."""
    return {a.key: a for a in iter_file(DATA / name, strict=strict)}


def tree(article: Article) -> list[tuple[str, int, int | None]]:
    """(key, depth, parent) of every comment, in order."""
    return [(c.key, c.depth, c.parent) for c in article.comments]


def comment(article: Article, key: str) -> Comment:
    """The comment with source key `key`."""
    return next(c for c in article.comments if c.key == key)


# --- threads and trees -----------------------------------------------------------------------------


def test_disqus_export_every_thread_with_posts_becomes_its_own_article() -> None:
    found = articles()
    assert list(found) == ["disqus-1001", "disqus-1002"]  # 1003 has no posts: a page view only
    bridge = found["disqus-1001"]
    assert bridge.format == "disqus"
    assert bridge.title == "Harbour Bridge “Reopens” After Repairs"
    assert bridge.source_url == "https://harbour.example/2024/bridge-reopens"
    assert bridge.paragraphs == [
        "The bridge reopened on Monday after six months of repairs.",
        "Traffic was light.",
    ]
    assert found["disqus-1002"].title == "Ferry fares & timetables"


def test_disqus_posts_linked_by_parent_ids_in_pre_order_with_siblings_by_time() -> None:
    # The file lists 5001, 5003, 5002, 5004, 5005, 5006, 5007, interleaved with another thread's.
    assert tree(articles()["disqus-1001"]) == [
        ("5003", 0, None),  # 08:30
        ("5001", 0, None),  # 09:00
        ("5006", 1, 1),  # 09:06, reply to 5001
        ("5002", 1, 1),  # 09:10, reply to 5001
        ("5004", 2, 3),  # reply to 5002
        ("5005", 0, None),  # 09:05 but top level, so after 5001's subtree
        ("5007", 0, None),  # its parent 4999 is not in the file
    ]
    assert tree(articles()["disqus-1002"]) == [("6001", 0, None), ("6002", 1, 0)]


def test_disqus_comment_keeps_source_id_author_time_and_line() -> None:
    ana = comment(articles()["disqus-1001"], "5001")
    assert ana.source_id == "5001"
    assert ana.author == "Ana Lima"
    assert ana.created_at == datetime(2024, 3, 4, 9, 0, tzinfo=UTC)
    assert ana.line == 51  # the line of its <post>


def test_disqus_html_message_becomes_paragraphs_lines_and_link_text() -> None:
    bridge = articles()["disqus-1001"]
    assert comment(bridge, "5001").text == (
        "Finally! Took them long enough.\n\n"
        "Second paragraph with a timeline (https://harbour.example/timeline)."
    )
    assert comment(bridge, "5002").text == "Long enough?\nIt was six months.\nSix!"


def test_disqus_entities_and_unicode_decoded() -> None:
    found = articles()
    assert comment(found["disqus-1002"], "6001").text == (
        "Is the 7:15 still running? Prices < 5 € & rising."
    )
    assert comment(found["disqus-1002"], "6001").author == "Zoë Ångström"
    assert comment(found["disqus-1001"], "5003").text == "Chris here 🦊 — works fine for me."


def test_disqus_is_spam_and_is_deleted_win_over_our_heuristics() -> None:
    bridge = articles()["disqus-1001"]
    flagged = comment(bridge, "5005")  # isSpam true, text harmless to our heuristics
    assert flagged.spam and flagged.spam_reasons == ["marked as spam in Disqus"]
    pitch = comment(bridge, "5006")  # isSpam false, text our heuristics would call spam
    assert not pitch.spam and pitch.spam_reasons == []
    gone = comment(bridge, "5004")
    assert gone.deleted and gone.text == ""  # a deleted post's words are not kept
    assert not comment(bridge, "5001").deleted


def test_disqus_missing_parent_becomes_top_level_with_warning() -> None:
    bridge = articles()["disqus-1001"]
    assert [(w.code, w.line) for w in bridge.warnings] == [("orphan", 140)]
    assert "4999" in bridge.warnings[0].message


def test_disqus_strict_refuses_missing_parent_naming_line() -> None:
    with pytest.raises(ParseError) as caught:
        articles(strict=True)
    assert caught.value.line == 140
    assert "4999" in caught.value.problem


def test_disqus_import_format_without_default_namespace_and_thread_by_id() -> None:
    found = articles("disqus_import_format.xml")
    page = found["disqus-2"]
    assert tree(page) == [("1", 0, None), ("2", 1, 0), ("3", 0, None)]
    assert page.comments[0].spam  # isSpam true
    assert page.comments[2].author == "qux"  # no name: the username
    assert page.comments[0].created_at == datetime(2012, 12, 12, 12, 12, 12, tzinfo=UTC)


def test_disqus_posts_of_undeclared_thread_become_article_with_warning() -> None:
    stray = articles("disqus_import_format.xml")["disqus-777"]
    assert [c.key for c in stray.comments] == ["9"]
    assert [w.code for w in stray.warnings] == ["thread-missing"]


def test_disqus_parent_cycle_placed_at_top_level_with_warning() -> None:
    xml = _export([_post("1", "7", parent="2"), _post("2", "7", parent="1"), _post("3", "7")])
    (article,) = parse_any(xml, "cycle.xml")
    assert sorted(c.key for c in article.comments) == ["1", "2", "3"]
    assert [w.code for w in article.warnings] == ["parent-cycle"]


def test_disqus_duplicate_post_ids_kept_with_unique_keys() -> None:
    xml = _export([_post("1", "7"), _post("1", "7")])
    (article,) = parse_any(xml, "dup.xml")
    assert [c.key for c in article.comments] == ["1", "1~2"]
    assert [w.code for w in article.warnings] == ["duplicate-id"]


# --- errors ------------------------------------------------------------------------------------------


def test_disqus_broken_xml_names_file_line_and_problem() -> None:
    with pytest.raises(ParseError) as caught:
        list(iter_file(DATA / "disqus_broken.xml"))
    assert caught.value.path == str(DATA / "disqus_broken.xml")
    assert caught.value.line == 14
    assert "mismatched tag" in caught.value.problem


@pytest.mark.parametrize(
    ("xml", "line", "says"),
    [
        (b'<?xml version="1.0"?>\n<rss><channel/></rss>', 2, "not <disqus>"),
        (b'<?xml version="1.0"?>\n<disqus>\n<post dsq:id="1"/></disqus>', 3, "unbound prefix"),
        (b"<disqus>\n  <post><message>x</message></post>\n</disqus>", 2, "without a <thread>"),
        (b"<disqus>\n  <thread>", 2, "no element found"),
        (b'<?xml version="1.0"?>', 1, "no element found"),
        (b"<disqus>\n<post>" + b"<a>" * 100_000, 2, "nested more than 32 deep"),
        (b"<disqus>\n<post>\n" + b"<x/>" * 100_000 + b"</post></disqus>", 2, "<post> holds more"),
    ],
)
def test_disqus_malformed_export_is_parse_error_with_line(xml: bytes, line: int, says: str) -> None:
    with pytest.raises(ParseError) as caught:
        parse_any(xml, "bad.xml")
    assert caught.value.line == line
    assert says in caught.value.problem


def test_disqus_parse_bytes_refuses_export_of_several_threads() -> None:
    with pytest.raises(ParseError, match="2 threads"):
        parse_bytes(FORUM.read_bytes(), path=str(FORUM), key="forum")


# --- streaming -----------------------------------------------------------------------------------------


def test_disqus_streamed_from_disk_equals_parsed_from_bytes() -> None:
    assert list(iter_file(FORUM)) == parse_any(FORUM.read_bytes(), str(FORUM))


def test_disqus_one_line_export_streams_with_line_one() -> None:
    one_line = b" ".join(line.strip() for line in FORUM.read_bytes().splitlines())
    found = {a.key: a for a in parse_any(one_line, "flat.xml")}
    assert tree(found["disqus-1001"]) == tree(articles()["disqus-1001"])
    assert {c.line for c in found["disqus-1001"].comments} == {1}


def test_disqus_scratch_database_is_removed_after_reading(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    stream = iter_file(FORUM)
    next(stream)
    assert list(scratch.iterdir())  # in use while reading
    stream.close()  # a reader that stops early
    assert list(scratch.iterdir()) == []
    list(iter_file(FORUM))
    assert list(scratch.iterdir()) == []


def generated_export(threads: int, posts_per_thread: int, body: int) -> bytes:
    """An export whose posts interleave across every thread (as real exports, listed by time)."""
    out = io.BytesIO()
    out.write(b'<?xml version="1.0" encoding="utf-8"?>\n<disqus xmlns="http://disqus.com"')
    out.write(b' xmlns:dsq="http://disqus.com/disqus-internals">\n')
    for t in range(threads):
        out.write(
            f'<thread dsq:id="{t}"><link>https://x.example/{t}</link><title>T{t}</title>'
            "</thread>\n".encode()
        )
    text = ("word " * (body // 5)).strip()
    for p in range(posts_per_thread):
        for t in range(threads):
            parent = f'<parent dsq:id="{t}-{p - 1}"/>' if p else ""
            out.write(
                f'<post dsq:id="{t}-{p}"><message><![CDATA[<p>{text}</p>]]></message>'
                f"<createdAt>2024-01-01T00:00:{p % 60:02d}Z</createdAt><isDeleted>false</isDeleted>"
                f'<isSpam>false</isSpam><author><name>u{p}</name></author><thread dsq:id="{t}"/>'
                f"{parent}</post>\n".encode()
            )
    out.write(b"</disqus>\n")
    return out.getvalue()


def test_disqus_streaming_memory_is_bounded_by_a_thread_not_the_file(tmp_path: Path) -> None:
    path = tmp_path / "forum.xml"
    path.write_bytes(generated_export(threads=300, posts_per_thread=20, body=600))
    size = path.stat().st_size  # about 5 MB; one thread is about 17 kB of XML
    count = 0
    tracemalloc.start()
    try:
        for article in iter_file(path):
            count += len(article.comments)
            del article
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert count == 300 * 20
    # The bound: a 256 kB insert buffer, one element, one thread's article (Python objects only;
    # SQLite's page cache is capped at 8 MB and is not Python memory).
    assert peak < 1_000_000 < size / 5, f"peak {peak} bytes for a {size}-byte export"


def test_disqus_iter_reads_a_stream_without_seeking() -> None:
    class Forward(io.RawIOBase):
        """A non-seekable stream, like a pipe."""

        def __init__(self, data: bytes) -> None:
            self.inner = io.BytesIO(data)

        def readable(self) -> bool:
            return True

        def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
            chunk = self.inner.read(len(buffer))
            buffer[: len(chunk)] = chunk
            return len(chunk)

    stream = io.BufferedReader(Forward(FORUM.read_bytes()))
    assert [a.key for a in iter_disqus(stream, path="pipe")] == ["disqus-1001", "disqus-1002"]


# --- HTML to text ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("markup", "text"),
    [
        ("<p>one</p><p>two</p>", "one\n\ntwo"),
        ("a<br>b<br/>c", "a\nb\nc"),
        ('<a href="https://x.example/a">the page</a>', "the page (https://x.example/a)"),
        ('<a href="https://x.example/">x.example</a>', "x.example"),
        (
            '<a href="https://x.example/a/long/path">https://x.example/a/l...</a>',
            "https://x.example/a/long/path",
        ),
        ("&lt;b&gt; &amp; &quot;q&quot; caf&eacute; &#x1F98A;", '<b> & "q" café 🦊'),
        ("<ul><li>one</li><li>two</li></ul>", "- one\n- two"),
        ("<pre><code>  x = 1\n    y</code></pre>", "  x = 1\n    y"),
        ("<p>  spaced\n   out  </p><script>alert(1)</script>", "spaced out"),
        ('<img src="https://x.example/i.png" alt="a fox">', "[image: a fox]"),
        ("<![if x]> text", "text"),
        ("", ""),
    ],
)
def test_html_to_text_rules(markup: str, text: str) -> None:
    assert html_to_text(markup) == text


# --- the command line ------------------------------------------------------------------------------


def test_cli_parse_disqus_export_prints_format_and_articles() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "bot.cli", "parse", str(FORUM)],
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    assert out["format"] == "disqus"
    assert [a["key"] for a in out["articles"]] == ["disqus-1001", "disqus-1002"]
    first = out["articles"][0]
    assert first == articles()["disqus-1001"].to_parse_json()
    assert first["source_url"] == "https://harbour.example/2024/bridge-reopens"
    assert first["comments"][0]["created_at"] == "2024-03-04T08:30:00Z"


# --- helpers to write small exports inline ----------------------------------------------------------


def _post(pid: str, thread: str, *, parent: str | None = None) -> str:
    """One <post> element."""
    ref = f'<parent dsq:id="{parent}"/>' if parent else ""
    return (
        f'<post dsq:id="{pid}"><message>post {pid}</message>'
        f'<author><name>a{pid}</name></author><thread dsq:id="{thread}"/>{ref}</post>'
    )


def _export(posts: list[str], threads: tuple[str, ...] = ("7",)) -> bytes:
    """A small export with the given threads and posts."""
    head = '<disqus xmlns:dsq="http://disqus.com/disqus-internals">'
    body = "".join(f'<thread dsq:id="{t}"><title>T{t}</title></thread>' for t in threads)
    return (head + body + "\n".join(posts) + "</disqus>").encode()


def _one_post_export(title: str, message: str, before: bytes = b"") -> bytes:
    return (
        before
        + (
            '<?xml version="1.0" encoding="utf-8"?>\n'
            '<disqus xmlns="http://disqus.com" xmlns:dsq="http://disqus.com/disqus-internals">\n'
            f'<thread dsq:id="1"><title>{title}</title></thread>\n'
            f'<post dsq:id="2"><message><![CDATA[{message}]]></message><thread dsq:id="1"/></post>\n'
            "</disqus>\n"
        ).encode()
    )


@pytest.mark.parametrize(
    ("title", "message", "want_title", "want_text"),
    [
        ("A &amp;#8220;quoted&amp;#8221; word", "<p>fine</p>", "A “quoted” word", "fine"),
        (
            "Cats &amp;amp;amp; dogs",
            "<p>it&amp;#8217;s &amp;amp; so</p>",
            "Cats & dogs",
            "it’s & so",
        ),
        ("Plain &amp; simple", "<p>5 &lt; 6</p>", "Plain & simple", "5 < 6"),
    ],
)
def test_disqus_entities_encoded_twice_are_decoded_until_stable(
    title: str, message: str, want_title: str, want_text: str
) -> None:
    [article] = parse_any(_one_post_export(title, message), "e.xml")
    assert article.title == want_title
    assert article.comments[0].text == want_text


@pytest.mark.parametrize(
    ("text", "href"),
    [
        ("github.com/paypal/gatt/exam...", "https://github.com/paypal/gatt/examples/server.go"),
        ("http://www.example.org/a/very/lo…", "http://www.example.org/a/very/long/path?q=1"),
        ("example.net/x...", "https://www.example.net/x/y"),
    ],
)
def test_disqus_shortened_link_text_shows_the_whole_link_once(text: str, href: str) -> None:
    message = f'<p>See <a href="{href}" rel="nofollow">{text}</a> now.</p>'
    [article] = parse_any(_one_post_export("T", message), "l.xml")
    assert article.comments[0].text == f"See {href} now."


@pytest.mark.parametrize("before", [b"\n", b"   \n\n", b"\t\r\n  "])
def test_disqus_white_space_before_the_xml_declaration_is_accepted(before: bytes) -> None:
    [article] = parse_any(_one_post_export("T", "<p>hi</p>", before), "w.xml")
    assert article.comments[0].text == "hi"
    assert article.comments[0].line == 1 + before.count(b"\n") + 3
