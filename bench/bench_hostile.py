"""Issue 10's benchmark: the expensive shapes of hostile input, each at three sizes (1x, 4x, 16x).

Cost must grow linearly with input. For each shape the 1x run is the baseline of the same run; the
table gives the time per unit of input at 4x and 16x divided by the time per unit at 1x (about 1.0
when linear; 4 and 16 when quadratic), on CPU time and wall time, medians of `--runs` runs.

    python bench/bench_hostile.py               # ~1-2 min
    python bench/bench_hostile.py --runs 5 --json bench/.work/hostile.json

Shapes (the ones the red-team pass found, issue 10):
- `html`: `<br><div></div>` repeated (HTML to text; minutes at 40,000 repeats before the fix).
- `snippet`: `/article search` over one huge comment where every fourth word matches (FTS5's own
  snippet() is quadratic in one document's hits: 5-24 s for one 1 MB comment).
- `deep-chain`: a Disqus export whose comments each reply to the one before: parse, then the
  `/article tree` pages (12 s at 20,000 deep, 138 s and 2.7 GB at 50,000 before the fix).
- `title`: a huge title shown in `/article list` (escaped only as far as it is shown).
- `escape`: escaping a long text full of markup (`[x](y) **b** # h` repeated), as a comment body.
- `nested-xml`: elements nested N deep in a Disqus export (refused at depth 32 now; memory was about
  43x the file). Peak memory (tracemalloc) per byte of input is given for the parse shapes.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import platform
import sqlite3
import statistics
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot import render
from storage import queries
from storage.db import Storage
from storage.errors import ParseError
from storage.loader import load_paths
from storage.parsers import parse_any
from storage.parsers.htmltext import html_to_text

SCALES = (1, 4, 16)


@dataclass
class Shape:
    """One hostile shape: `make(n)` builds the input of size n, `run(input)` is the timed work."""

    name: str
    unit: str
    base: int
    make: Callable[[int], object]
    run: Callable[[object], object]
    size: Callable[[object], int] = lambda _: 0  # bytes of input, for memory per byte


def _deep_chain(n: int) -> bytes:
    posts = "".join(
        f'<post dsq:id="{100 + i}"><message>reply {i}</message><author><name>u{i % 7}</name>'
        f'</author><thread dsq:id="1"/>'
        + (f'<parent dsq:id="{99 + i}"/>' if i else "")
        + "</post>\n"
        for i in range(n)
    )
    return (
        '<disqus xmlns="http://disqus.com" xmlns:dsq="http://disqus.com/disqus-internals">\n'
        '<thread dsq:id="1"><title>Deep</title></thread>\n' + posts + "</disqus>\n"
    ).encode()


def _chain_tree(data: object) -> int:
    assert isinstance(data, bytes)
    [article] = parse_any(data, "deep.xml")
    return len(render.tree_pages(article.comments))


def _nested(n: int) -> bytes:
    return (
        b'<disqus xmlns:dsq="http://disqus.com/disqus-internals">\n<post>'
        + b"<a>" * n
        + b"</a>" * n
        + b"</post></disqus>"
    )


def _refused(data: object) -> str:
    assert isinstance(data, bytes)
    try:
        parse_any(data, "nested.xml")
    except ParseError as exc:
        return exc.problem
    raise AssertionError("a nested export was accepted")


class SnippetStore:
    """A store holding one Hacker News thread with one huge comment (built outside the timing)."""

    def __init__(self, words: int) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix="threadreplay-bench-"))
        text = " ".join(["the word and more"] * (words // 4)) + " needle"
        doc = {"id": 1, "type": "story", "title": "Big", "author": "op", "created_at_i": 0,
               "children": [{"id": 2, "type": "comment", "author": "w", "text": text,
                             "created_at_i": 1, "children": []}]}  # fmt: skip
        (self.folder / "big.json").write_text(json.dumps(doc))
        self.db = self.folder / "t.db"
        asyncio.run(self._load())
        self.size = len(text)

    async def _load(self) -> None:
        async with await Storage.open(self.db) as store:
            await load_paths(store, [self.folder / "big.json"])

    def search(self) -> int:
        async def go() -> int:
            async with await Storage.open(self.db) as store:
                hits = await queries.search(store, "the")
                hits += await queries.search(store, "needle")
            return len(hits)

        return asyncio.run(go())


SHAPES = [
    Shape("html", "repeats", 10_000, lambda n: "<br><div></div>" * n,
          lambda s: html_to_text(str(s)), lambda s: len(str(s))),
    Shape("snippet", "words", 25_000, SnippetStore, lambda s: s.search(),  # type: ignore[attr-defined]
          lambda s: s.size),  # type: ignore[attr-defined]
    Shape("deep-chain", "comments", 2_000, _deep_chain, _chain_tree, lambda b: len(b)),  # type: ignore[arg-type]
    Shape("title", "characters", 1_000_000, lambda n: "**t** [x](y) " * (n // 13),
          lambda t: render.shown(str(t), 200)),
    Shape("escape", "characters", 100_000, lambda n: "[x](y) **b** # h\n" * (n // 17),
          lambda t: render.escape(str(t))),
    Shape("nested-xml", "levels", 100_000, _nested, _refused, lambda b: len(b)),  # type: ignore[arg-type]
]  # fmt: skip


def measure(shape: Shape, scale: int, runs: int) -> dict[str, float]:
    """Median wall and CPU seconds of `runs` runs of a shape at `scale`, and peak memory per byte."""
    n = shape.base * scale
    data = shape.make(n)
    walls, cpus = [], []
    for _ in range(runs):
        w, c = time.perf_counter(), time.process_time()
        shape.run(data)
        walls.append(time.perf_counter() - w)
        cpus.append(time.process_time() - c)
    peak_per_byte = float("nan")
    size = shape.size(data)
    if size and shape.name in ("deep-chain", "nested-xml", "html"):
        tracemalloc.start()
        shape.run(data)
        peak_per_byte = tracemalloc.get_traced_memory()[1] / size
        tracemalloc.stop()
    return {
        "n": n,
        "wall": statistics.median(walls),
        "cpu": statistics.median(cpus),
        "peak_per_byte": peak_per_byte,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--only", nargs="*", help="shape names to run")
    parser.add_argument("--json", type=Path, help="write every figure here")
    args = parser.parse_args()
    results: dict[str, list[dict[str, float]]] = {}
    print(f"Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}, runs={args.runs}")
    print(
        "| shape | 1x input | 1x wall (s) | 1x CPU (s) | per unit 4x / 1x (CPU, wall) |"
        " per unit 16x / 1x (CPU, wall) | peak bytes per input byte (1x, 16x) |"
    )
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for shape in SHAPES:
        if args.only and shape.name not in args.only:
            continue
        rows = [measure(shape, scale, args.runs) for scale in SCALES]
        results[shape.name] = rows
        base = rows[0]

        def ratio(
            row: dict[str, float], key: str, scale: int, base: dict[str, float] = base
        ) -> str:
            return f"{row[key] / scale / max(base[key], 1e-9):.2f}"

        growth = [
            f"{ratio(r, 'cpu', s)}, {ratio(r, 'wall', s)}"
            for r, s in zip(rows[1:], SCALES[1:], strict=True)
        ]
        memory = (
            "–"
            if base["peak_per_byte"] != base["peak_per_byte"]
            else f"{base['peak_per_byte']:.1f}, {rows[-1]['peak_per_byte']:.1f}"
        )
        print(
            f"| `{shape.name}` | {base['n']:,} {shape.unit} | {base['wall']:.4f} | {base['cpu']:.4f}"
            f" | {growth[0]} | {growth[1]} | {memory} |",
            flush=True,
        )
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
