"""Comment bodies in HTML (Disqus messages, Hacker News text) turned into plain text.

Paragraphs become blank-line separated, `<br>` a line break, links keep their text (and their address
when it says something the text does not), entities are decoded. Stdlib `html.parser` only.
"""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser

_BLOCKS = frozenset(
    {
        "p", "div", "blockquote", "pre", "ul", "ol", "dl", "dt", "dd", "table", "tr",
        "h1", "h2", "h3", "h4", "h5", "h6", "hr", "section", "article", "header", "footer",
        "figure", "figcaption", "aside", "details", "summary",
    }
)  # fmt: skip
_HIDDEN = frozenset({"script", "style", "template", "head", "title"})
_SPACES = re.compile(r"\s+")
_TAG = re.compile(r"<[^>]*>")
_ELLIPSIS = ("...", "…")


def unescape_fully(text: str) -> str:
    """Decode HTML entities until nothing changes: forums imported from WordPress store them
    encoded twice (`&amp;#8220;`), which one decoding leaves as `&#8220;`."""
    for _ in range(4):  # each round removes one level; real exports have at most two or three
        if "&" not in text:
            break
        decoded = html.unescape(text)
        if decoded == text:
            break
        text = decoded
    return text


def _bare(url: str) -> str:
    url = re.sub(r"^(?:https?://|mailto:)", "", url.strip(), flags=re.IGNORECASE)
    return url.removeprefix("www.").rstrip("/").casefold()


def _same_address(text: str, href: str) -> bool:
    """True when a link's text already says its address (scheme, `www.`, trailing slash aside)."""
    return _bare(text) == _bare(href)


class _TextMaker(HTMLParser):
    """Collects paragraphs of lines of text pieces while the HTML is fed in."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.paragraphs: list[list[list[str]]] = [[[]]]  # paragraph -> line -> pieces
        self.hidden = 0
        self.pre = 0
        self.link: tuple[str, list[str], int, list[str]] | None = None  # href, line, start, text
        # Whether the current line / paragraph holds any non-space text, kept as flags: looking
        # again at everything written so far on each tag made `<br><div></div>`×n quadratic.
        self.line_has_text = False
        self.paragraph_has_text = False

    @property
    def line(self) -> list[str]:
        """The line being written."""
        return self.paragraphs[-1][-1]

    def new_line(self) -> None:
        """A hard line break (`<br>`, or a newline inside `<pre>`)."""
        self.paragraphs[-1].append([])
        self.line_has_text = False

    def new_paragraph(self) -> None:
        """A block boundary: start a new paragraph unless the current one is still empty."""
        if self.paragraph_has_text:
            self.paragraphs.append([[]])
            self.line_has_text = self.paragraph_has_text = False

    def write(self, piece: str) -> None:
        """Add a piece of text to the current line."""
        self.line.append(piece)
        if not piece.isspace() and piece:
            self.line_has_text = self.paragraph_has_text = True

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        """Open a tag: blocks break paragraphs, `br` breaks lines, `a` starts collecting link text."""
        if tag in _HIDDEN:
            self.hidden += 1
        elif tag == "br":
            self.new_line()
        elif tag in _BLOCKS:
            self.new_paragraph()
            if tag == "pre":
                self.pre += 1
        elif tag == "li":  # list items are lines of one paragraph, like a text dump's lists
            if self.line_has_text:
                self.new_line()
            self.write("- ")
        elif tag == "a":
            href = next((v for k, v in attrs if k == "href" and v), "")
            self.link = (href.strip(), self.line, len(self.line), [])
        elif tag == "img":
            alt = next((v for k, v in attrs if k == "alt" and v), "")
            src = next((v for k, v in attrs if k == "src" and v), "")
            if alt or src:
                self.handle_data(f"[image: {alt or src}]")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        """`<br/>`, `<img/>`: a start without an end."""
        self.handle_starttag(tag, attrs)
        if tag in _HIDDEN:
            self.hidden -= 1

    def handle_endtag(self, tag: str) -> None:
        """Close a tag: blocks end paragraphs, `a` adds its address where the text does not say it."""
        if tag in _HIDDEN:
            self.hidden = max(0, self.hidden - 1)
        elif tag in _BLOCKS:
            if tag == "pre":
                self.pre = max(0, self.pre - 1)
            self.new_paragraph()
        elif tag == "a" and self.link is not None:
            self.close_link()

    def close_link(self) -> None:
        """Finish a link: keep its text; add the address when it differs, or replace a cut-off one."""
        assert self.link is not None
        href, line, start, pieces = self.link
        self.link = None
        text = "".join(pieces).strip()
        if not href or href.startswith(("#", "javascript:")) or _same_address(text, href):
            return
        cut = next((text[: -len(e)] for e in _ELLIPSIS if text.endswith(e)), None)
        if cut and _bare(href).startswith(_bare(cut)) and line is self.line:
            # Disqus shortens long link texts ("github.com/paypal/gatt/exam..."): the whole
            # address, once, in their place.
            line[start:] = [href]
        elif not text:
            self.write(href)
        else:
            self.write(f" ({href.removeprefix('mailto:')})")

    def handle_data(self, data: str) -> None:
        """Text: white space collapsed as a browser would, except inside `<pre>`."""
        if self.hidden:
            return
        if self.pre:
            first, *rest = data.split("\n")
            self.write(first)
            for piece in rest:
                self.new_line()
                self.write(piece)
        else:
            data = _SPACES.sub(" ", data)
            if not self.line_has_text:
                data = data.lstrip()
            self.write(data)
        if self.link is not None:
            self.link[3].append(data)

    def text(self) -> str:
        """The collected text: lines right-trimmed, empty lines and paragraphs dropped."""
        out: list[str] = []
        for para in self.paragraphs:
            lines = ["".join(line).rstrip() for line in para]
            kept = [i for i, line in enumerate(lines) if line.strip()]
            if kept:
                out.append("\n".join(lines[kept[0] : kept[-1] + 1]))
        return "\n\n".join(out)


def html_to_text(markup: str) -> str:
    """Plain text of an HTML fragment (see the module docstring for the rules)."""
    maker = _TextMaker()
    try:
        maker.feed(markup)
        maker.close()
    except AssertionError:
        # html.parser still asserts on a few malformed declarations (`<![if x]>`); such a body
        # gets the crude treatment instead of failing the whole file.
        return unescape_fully(_SPACES.sub(" ", html.unescape(_TAG.sub(" ", markup))).strip())
    if maker.link is not None:
        maker.close_link()
    return unescape_fully(maker.text())
