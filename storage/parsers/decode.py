"""Turn a file's bytes into text: BOMs, CRLF, Windows-1252 fallback, and refusing empty or binary files."""

from __future__ import annotations

import codecs
import re

from storage.errors import ParseError
from storage.models import ParseWarning


# A few bytes (0x81, 0x8D, 0x8F, 0x90, 0x9D) have no Windows-1252 character; keep them as their
# Latin-1 code points instead of failing or replacing them, so no input byte is ever lost.
def _latin1(exc: UnicodeError) -> tuple[str, int]:
    assert isinstance(exc, UnicodeDecodeError)  # registered for decoding only
    return exc.object[exc.start : exc.end].decode("latin-1"), exc.end


codecs.register_error("threadreplay-latin1", _latin1)

_SNIFF = 8192
_TEXT_CONTROLS = b"\t\n\r\f\v\x1b"
_NOT_CONTROL = bytes(b for b in range(256) if b >= 32 or b in _TEXT_CONTROLS)


def _looks_binary(data: bytes) -> bool:
    """True for data that is not text: NUL bytes, or many control characters near the start."""
    head = data[:_SNIFF]
    if b"\x00" in head:
        return True
    controls = len(head.translate(None, _NOT_CONTROL))  # bytes below 32 but text's own controls
    return controls > max(2, len(head) // 20)


_ESCAPED = re.compile("[\udc80-\udcff]+")  # bad bytes, as surrogateescape decodes them
_NON_ASCII = re.compile("[^\x00-\x7f\udc80-\udcff]")
_SHOWN_LINES = 5


def _mostly_utf8(data: bytes, exc: UnicodeDecodeError) -> tuple[str, ParseWarning]:
    """A file that is not valid UTF-8 throughout: UTF-8 with the bad bytes replaced (U+FFFD) when
    it is UTF-8 as a whole (more valid non-ASCII characters than bad runs), otherwise Windows-1252.
    One stray byte must not turn every `•` and `’` of a UTF-8 file into mojibake."""
    escaped = data.decode("utf-8", errors="surrogateescape")
    runs = [m.start() for m in _ESCAPED.finditer(escaped)]
    if len(_NON_ASCII.findall(escaped)) >= len(runs):
        lines: list[int] = []
        at = line = 0
        for position in runs[: _SHOWN_LINES + 1]:
            line += escaped.count("\n", at, position)
            at = position
            lines.append(line + 1)
        shown = ", ".join(map(str, lines[:_SHOWN_LINES])) + (
            ", …" if len(runs) > _SHOWN_LINES else ""
        )
        what = "an invalid byte" if len(runs) == 1 else f"{len(runs)} runs of invalid bytes"
        return _ESCAPED.sub("\ufffd", escaped), ParseWarning(
            line=lines[0],
            code="encoding",
            message=f"UTF-8 with {what} (line {shown}); shown as \ufffd",
        )
    line = data.count(b"\n", 0, exc.start) + 1
    text = data.decode("cp1252", errors="threadreplay-latin1")
    return text, ParseWarning(
        line=line,
        code="encoding",
        message=f"not valid UTF-8 (first bad byte on line {line}); decoded as Windows-1252",
    )


def decode_bytes(data: bytes, path: str) -> tuple[str, list[ParseWarning]]:
    """Decode a dump to text with `\\n` line endings, or raise ParseError for empty/binary files."""
    warnings: list[ParseWarning] = []
    if not data:
        raise ParseError(path, None, "file is empty")
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            text = data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise ParseError(
                path, None, f"file starts with a UTF-16 mark but is not UTF-16 ({exc.reason})"
            ) from None
    else:
        data = data.removeprefix(codecs.BOM_UTF8)
        if _looks_binary(data):
            raise ParseError(path, None, "file is binary (NUL or control bytes), not a text dump")
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            text, warning = _mostly_utf8(data, exc)
            warnings.append(warning)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if not text.strip():
        raise ParseError(path, None, "file is blank (only white space)")
    return text, warnings
