"""Property tests of the Disqus, Reddit and HN parsers: no input crashes them, only ParseError."""

from __future__ import annotations

import json
import re
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from storage.errors import ParseError
from storage.models import Article
from storage.parsers import parse_any

SETTINGS = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])


SAFE_KEY = re.compile(r"[\w. ()-]{1,100}")


def storable(text: str | None) -> bool:
    """Text the store and Discord take as it is: no NUL, no lone surrogate."""
    return text is None or ("\x00" not in text and text.encode("utf-8", "strict") is not None)


def check(articles: list[Article]) -> None:
    """Invariants of any successful parse: a tree in pre-order, unique comment keys, safe article
    keys, and text without NUL bytes or lone surrogates."""
    for article in articles:
        assert article.title
        assert SAFE_KEY.fullmatch(article.key), article.key
        assert all(storable(t) for t in (article.title, article.caption, *article.paragraphs))
        assert all(storable(c.text) and storable(c.author) for c in article.comments)
        keys = [c.key for c in article.comments]
        assert len(keys) == len(set(keys))
        for i, c in enumerate(article.comments):
            assert c.index == i
            if c.parent is None:
                assert c.depth == 0
            else:
                assert 0 <= c.parent < i
                assert c.depth == article.comments[c.parent].depth + 1


def parse_or_refuse(data: bytes, name: str) -> None:
    """Parse `data` as a file called `name`: a ParseError is fine, any other exception fails."""
    try:
        articles = parse_any(data, name)
    except ParseError as exc:
        assert str(exc).startswith(name)
        return
    check(articles)


# --- any bytes -------------------------------------------------------------------------------------


@SETTINGS
@given(
    st.one_of(
        st.binary(),
        st.binary().map(lambda b: b"<?xml version='1.0'?><disqus>" + b),
        st.binary().map(lambda b: b"[" + b),
        st.binary().map(lambda b: b"{" + b),
    ),
    st.sampled_from(["f.xml", "f.json", "f.txt", "f.bin"]),
)
def test_sources_any_bytes_parse_or_raise_parse_error(data: bytes, name: str) -> None:
    parse_or_refuse(data, name)


# --- any JSON value, and JSON shaped like the sources -----------------------------------------------

leaves = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=20),
    st.sampled_from(["", "[deleted]", "[removed]", "Listing", "t1", "t3", "more", "_", "&amp;<p>"]),
    # Lone surrogates (JSON's "\ud800") and NUL: valid JSON that no store or Discord takes as it is.
    st.text(st.characters(categories=("Cs", "Cc", "Ll")), max_size=6),
    st.sampled_from(["a\x00b", "\ud800", "x\udfff y", "`key` @everyone\n"]),
)
json_values = st.recursive(
    leaves,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=30,
)


def dumps(value: Any) -> bytes:
    """JSON text of a value (NaN and infinities as Python writes them, which Python reads back)."""
    return json.dumps(value).encode()


@SETTINGS
@given(json_values)
def test_sources_any_json_value_parses_or_raises_parse_error(value: Any) -> None:
    parse_or_refuse(dumps(value), "v.json")


REDDIT_FIELDS = ["id", "author", "body", "created_utc", "replies", "count", "children", "title",
                 "selftext", "permalink", "url", "is_self"]  # fmt: skip


def reddit_things(children: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """A `t1`/`more`/other thing whose members are drawn from Reddit's names and odd values."""
    data = st.dictionaries(
        st.sampled_from(REDDIT_FIELDS),
        st.one_of(leaves, children.map(lambda c: {"kind": "Listing", "data": {"children": c}})),
        max_size=8,
    )
    return st.one_of(
        st.fixed_dictionaries(
            {"kind": st.sampled_from(["t1", "t1", "more", "t3", "x"]), "data": data}
        ),
        leaves,
    )


reddit_trees = st.recursive(
    st.just([]), lambda inner: st.lists(reddit_things(inner), max_size=4), max_leaves=20
)


@st.composite
def reddit_pages(draw: st.DrawFn) -> Any:
    """A two-Listing page: a post of random members, then a random comment tree."""
    post = draw(st.dictionaries(st.sampled_from(REDDIT_FIELDS), leaves, max_size=8))
    post.setdefault("id", draw(st.sampled_from(["p1", 7, None])))
    post.setdefault("title", draw(st.sampled_from(["T &amp; t", "", None])))
    page = [
        {"kind": "Listing", "data": {"children": [{"kind": "t3", "data": post}]}},
        {"kind": "Listing", "data": {"children": draw(reddit_trees)}},
    ]
    return draw(st.sampled_from([page, page[:1], [*page, {}], page]))


@SETTINGS
@given(reddit_pages())
def test_reddit_shaped_json_parses_or_raises_parse_error(page: Any) -> None:
    parse_or_refuse(dumps(page), "r.json")


HN_FIELDS = ["id", "type", "author", "by", "text", "title", "url", "time", "created_at_i",
             "created_at", "deleted", "dead", "children", "kids"]  # fmt: skip
# Few ids, so that comments repeat each other's and the story's id.
hn_ids = st.one_of(st.integers(0, 5), st.sampled_from(["1", "", " ", "a`b", "\ud800"]))
hn_items = st.recursive(
    st.dictionaries(st.sampled_from(HN_FIELDS), st.one_of(leaves, hn_ids), max_size=8),
    lambda inner: st.dictionaries(
        st.sampled_from(HN_FIELDS),
        st.one_of(leaves, hn_ids, st.lists(st.one_of(inner, hn_ids), max_size=4)),
        max_size=8,
    ),
    max_leaves=20,
)


@SETTINGS
@given(hn_items, hn_ids)
def test_hn_shaped_json_parses_or_raises_parse_error(item: dict[str, Any], item_id: Any) -> None:
    item.setdefault("id", item_id)
    item.setdefault("type", "story")
    parse_or_refuse(dumps(item), "hn.json")


# --- XML-ish text ----------------------------------------------------------------------------------

TAGS = ["disqus", "category", "thread", "post", "id", "link", "title", "message", "createdAt",
        "isDeleted", "isSpam", "author", "name", "username", "parent", "forum"]  # fmt: skip
xml_text = st.one_of(
    st.sampled_from(["", "true", "false", "2024-03-04T09:00:00Z", "2024-13-99", "<p>a<br>b</p>",
                     "&amp;", "&lt;p&gt;hi", "🦊 Zoë", "<![CDATA[<p>x</p>]]>", "&bogus;", "<"]),
    st.text(max_size=10),
)  # fmt: skip
ids = st.sampled_from(["1", "2", "3", "", "x y"])


def xml_elements(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    """An element with an optional dsq:id, holding text and/or other elements, sometimes unclosed."""
    return st.builds(
        lambda tag, ref, body, close: (
            f"<{tag}{'' if ref is None else f' dsq:id={json.dumps(ref)}'}>"
            + "".join(body)
            + (f"</{tag}>" if close else "")
        ),
        st.sampled_from(TAGS),
        st.none() | ids,
        st.lists(inner | xml_text, max_size=4),
        st.booleans() | st.just(True),
    )


xml_bodies = st.recursive(xml_text, xml_elements, max_leaves=25)


@st.composite
def disqus_ish(draw: st.DrawFn) -> bytes:
    """Text that looks like an export: a `<disqus>` root (usually) around XML-ish elements."""
    body = "\n".join(draw(st.lists(xml_bodies, max_size=8)))
    ns = draw(st.sampled_from(['xmlns:dsq="http://disqus.com/disqus-internals"', ""]))
    root = draw(st.sampled_from(["disqus", "disqus", "rss"]))
    encoding = draw(
        st.sampled_from(
            ["utf-8", "utf-8", "bogus-9", "utf-7", "utf-16", "ascii", "cp1252", "x" * 300]
        )
    )
    head = draw(st.sampled_from([f'<?xml version="1.0" encoding="{encoding}"?>\n', ""]))
    return f"{head}<{root} {ns}>\n{body}\n</{root}>".encode()


@SETTINGS
@given(disqus_ish())
def test_disqus_like_xml_parses_or_raises_parse_error(data: bytes) -> None:
    parse_or_refuse(data, "d.xml")


# Characters XML allows: no controls, surrogates or non-characters.
xml_chars = st.text(st.characters(blacklist_categories=("Cc", "Cs", "Cn")), max_size=10)


@st.composite
def well_formed_exports(draw: st.DrawFn) -> bytes:
    """Valid exports with random threads, posts and parent links (loops and orphans included)."""
    threads = draw(st.lists(st.sampled_from(["1", "2", "3"]), min_size=1, max_size=3))
    out = ['<disqus xmlns:dsq="http://disqus.com/disqus-internals">']
    out += [f'<thread dsq:id="{t}"><title>T{t}</title></thread>' for t in threads]
    for _ in range(draw(st.integers(0, 12))):
        pid = draw(st.sampled_from([str(i) for i in range(10)] + [""]))
        parent = draw(st.none() | st.sampled_from([str(i) for i in range(12)]))
        thread = draw(st.sampled_from([*threads, "9"]))
        flags = "".join(
            f"<{name}>{draw(st.sampled_from(['true', 'false']))}</{name}>"
            for name in draw(st.lists(st.sampled_from(["isSpam", "isDeleted"]), unique=True))
        )
        when = draw(st.sampled_from(["", "2024-03-04T09:00:00Z", "2024-03-04T08:00:00", "bad"]))
        out.append(
            f"<post{f' dsq:id={json.dumps(pid)}' if pid else ''}>"
            f"<message><![CDATA[{draw(xml_chars).replace(']]>', '')}]]></message>"
            f"<createdAt>{when}</createdAt>{flags}<author><name>a</name></author>"
            f'<thread dsq:id="{thread}"/>'
            + (f'<parent dsq:id="{parent}"/>' if parent is not None else "")
            + "</post>"
        )
    out.append("</disqus>")
    return "\n".join(out).encode()


@SETTINGS
@given(well_formed_exports())
def test_disqus_valid_export_always_parses_to_trees(data: bytes) -> None:
    articles = parse_any(data, "ok.xml")
    check(articles)
    posts = data.count(b"<post")
    assert sum(len(a.comments) for a in articles) == posts


@SETTINGS
@given(well_formed_exports(), st.data())
def test_disqus_export_with_a_stray_byte_or_deep_nesting_parses_or_raises(
    data: bytes, draw: st.DataObject
) -> None:
    """A valid export broken one way: an invalid byte, a deep or wide element, a cut."""
    at = draw.draw(st.integers(0, len(data)))
    damage = draw.draw(
        st.sampled_from([b"\xff", b"\x00", b"\xc3", b"<a>" * 200, b"<x/>" * 1200, b"</post>", b""])
    )
    cut = draw.draw(st.booleans())
    broken = data[:at] + damage + (b"" if cut else data[at:])
    parse_or_refuse(broken, "damaged.xml")
