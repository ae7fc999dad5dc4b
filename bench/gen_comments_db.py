"""Build (once, then reuse) a deterministic SQLite store of synthetic articles and comments for bench_bot.

The database is created by the project's own `Storage.open` (so the schema, FTS5 tables and triggers are
exactly the migrations'), then filled with stdlib `sqlite3`, one `BEGIN IMMEDIATE … COMMIT` per article
as `storage.articles.save_article` does, with the same columns; the comment index is built once at the
end with FTS5's 'rebuild' (since migration 0008 no trigger feeds it per row).

Words follow a Zipf law (rank r has weight 1/r^1.05) over a 50,000-word vocabulary: real English
function words and news words first, then made-up words, so "the" is in most comments, words ranked
around 100 in a few percent, and the tail in a handful. Authors are Zipf-distributed too (some prolific).

    python bench/gen_comments_db.py --articles 10000 --comments 100 --seed 1
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import random
import sqlite3
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from storage.db import Storage

GENERATOR_VERSION = 5  # bump when the output changes, so cached databases are not reused
OUT = Path(__file__).parent / "out"
VOCABULARY_SIZE = 50_000
AUTHORS = 20_000
MAX_DEPTH = 8

_HEAD = (
    "the of and to a in is that it for on was with as be this are not have but they at by from you "
    "he his or an i we had there all their so what if about will can more one would has no which were "
    "been people who just like do when them some out up than only other should into its how also now "
    "our any could these because my me even what time because after very many most over think right "
    "government army forces region agreement ceasefire talks officials opposition town province border "
    "report sources claimed attack convoy village airport checkpoint fighters militants group ministry "
    "statement spokesman negotiations withdrawal weapons coalition strike drone troops civilians "
    "refugees humanitarian aid corridor highway oil field pipeline city district council election court "
    "sanctions economy prices market currency inflation budget allies partners diplomats summit "
    "security deal treaty frontier river valley mountain desert coast harbour observers analysts media "
    "channel footage photos witnesses residents evacuation shelter winter never again against without "
    "between under through across toward near beyond new old big small long short early late strong "
    "weak local foreign western eastern northern southern war peace news world country president"
)
_ONSETS = ("b", "br", "c", "ch", "d", "dr", "f", "g", "gr", "h", "k", "l", "m", "n", "p", "pl", "r",
           "s", "sh", "st", "t", "tr", "v", "w", "z")  # fmt: skip
_VOWELS = ("a", "e", "i", "o", "u", "ai", "ea", "ou")
_CODAS = ("", "", "n", "r", "s", "t", "l", "m", "x", "nd", "rk")
# fmt: off
_FIRST = (
    "Anna", "Ben", "Carla", "Dmitri", "Elif", "Farid", "Grace", "Hiro", "Ines", "Jonas", "Kofi",
    "Lena", "Marco", "Nadia", "Omar", "Petra", "Quinn", "Rosa", "Sami", "Tomas", "Uma", "Vera",
    "Wen", "Ximena", "Yusuf", "Zoë", "José", "Łukasz", "Ólafur", "Ελένη", "Дмитрий", "李雷",
)
_LAST = (
    "Smith", "Novak", "Haddad", "Tanaka", "Okafor", "Müller", "García", "Rossi", "Kowalski",
    "Ivanova", "Chen", "Silva", "O'Brien", "Nguyễn", "Dubois", "Larsen", "Yilmaz", "Cohen",
    "Singh", "Murphy", "Ahmed", "Santos", "Berg", "Costa",
)
# fmt: on


def db_path(articles: int, comments: int, seed: int) -> Path:
    """Where the database for these parameters is cached."""
    return OUT / f"comments-a{articles}-c{comments}-s{seed}-g{GENERATOR_VERSION}.db"


def vocabulary(seed: int) -> list[str]:
    """The words by rank: the real head first, then made-up words, all distinct."""
    words = list(dict.fromkeys(_HEAD.split()))
    seen = set(words)
    rng = random.Random(f"{seed}:vocabulary")
    while len(words) < VOCABULARY_SIZE:
        syllables = rng.choice((1, 2, 2, 2, 3, 3))
        word = "".join(
            rng.choice(_ONSETS) + rng.choice(_VOWELS) + rng.choice(_CODAS) for _ in range(syllables)
        )
        if word not in seen:
            seen.add(word)
            words.append(word)
    return words


def zipf_weights(n: int, s: float) -> list[float]:
    """Cumulative weights of ranks 1..n under a Zipf law with exponent `s` (for random.choices)."""
    return list(itertools.accumulate(1 / r**s for r in range(1, n + 1)))


def author_names(seed: int) -> list[str]:
    """Distinct author names, most prolific first."""
    rng = random.Random(f"{seed}:authors")
    names: dict[str, None] = {}
    while len(names) < AUTHORS:
        style = rng.random()
        first, last = rng.choice(_FIRST), rng.choice(_LAST)
        if style < 0.5:
            name = f"{first} {last}"
        elif style < 0.8:
            name = f"{first.lower()}{rng.randint(1, 9999)}"
        else:
            name = f"{first} {last[0]}. {rng.randint(1, 999)}"
        names[name] = None
    return list(names)


class Writer:
    """Text and rows for one article, from its own random generator (so article i never changes)."""

    def __init__(
        self, seed: int, words: list[str], word_cw: list[float], authors: list[str]
    ) -> None:
        self.seed = seed
        self.words = words
        self.word_cw = word_cw
        self.authors = authors
        self.author_cw = zipf_weights(len(authors), 0.9)

    def text(self, rng: random.Random, count: int) -> str:
        """`count` Zipf words as sentences of 5-20 words."""
        picked = rng.choices(self.words, cum_weights=self.word_cw, k=count)
        sentences, i = [], 0
        while i < len(picked):
            n = rng.randint(5, 20)
            chunk = picked[i : i + n]
            sentence = " ".join(chunk)
            sentences.append(sentence[0].upper() + sentence[1:] + ".")
            i += n
        return " ".join(sentences)

    def comment_text(self, rng: random.Random) -> tuple[str, bool, bool]:
        """A body (short, medium, long or multi-paragraph), whether it is spam and deleted."""
        roll = rng.random()
        if roll < 0.01:
            return "[deleted]", False, True
        if roll < 0.04:
            pitch = f"I earn ${rng.randint(80, 400)} a day from home!! See www.easy-cash{rng.randint(1, 99)}.biz"
            return pitch, True, False
        length = int(min(300, max(3, rng.lognormvariate(3.2, 0.7))))
        if length > 80 and rng.random() < 0.5:
            half = length // 2
            return self.text(rng, half) + "\n\n" + self.text(rng, length - half), False, False
        return self.text(rng, length), False, False

    def article(self, index: int, comments: int) -> tuple[tuple[object, ...], tuple, list[tuple]]:
        """The article row, its FTS row and its comment rows (pre-order tree, up to MAX_DEPTH deep)."""
        rng = random.Random(f"{self.seed}:{index}")
        title = " ".join(
            rng.choices(self.words, cum_weights=self.word_cw, k=rng.randint(5, 10))
        ).title()
        caption = self.text(rng, rng.randint(6, 14))
        paragraphs = [self.text(rng, rng.randint(40, 90)) for _ in range(rng.randint(3, 8))]
        slug = "-".join(title.lower().split()[:4])
        key = f"{index:05d}_{slug}"[:80]
        created = datetime(2024, 1, 1, tzinfo=UTC) + timedelta(minutes=37 * index)
        stamp = created.isoformat(timespec="milliseconds")
        article = (
            index + 1, "textdump", f"synthetic/{key}.txt", None, f"{self.seed}:{index}", title,
            caption, json.dumps(paragraphs), paragraphs[0].split(". ")[0] + ".", "[]", comments,
            key, stamp, stamp,
        )  # fmt: skip
        fts = (index + 1, title, caption, "\n\n".join(paragraphs))
        rows: list[tuple] = []
        path: list[int] = []  # positions of the open ancestors of the next comment
        for position in range(comments):
            roll = rng.random()
            if not path or roll < 0.25:
                depth = 0
            elif roll < 0.65 and len(path) < MAX_DEPTH:
                depth = len(path)
            else:
                depth = rng.randint(0, len(path) - 1)
            del path[depth:]
            parent = path[-1] if path else None
            path.append(position)
            author = rng.choices(self.authors, cum_weights=self.author_cw)[0]
            text, spam, deleted = self.comment_text(rng)
            when = created + timedelta(seconds=90 * position + rng.randint(0, 80))
            rows.append((
                position, parent, depth, author, text, int(spam),
                json.dumps(["link", "money"] if spam else []), int(deleted), None, None,
                when.isoformat(), index + 1, f"k{index}-{position}",
            ))  # fmt: skip
        return article, fts, rows


_INSERT_ARTICLE = (
    "INSERT INTO articles (id, format, source_path, source_url, content_hash, title, caption,"
    " paragraphs, summary, warnings, comment_count, key, created_at, updated_at)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
_INSERT_ARTICLE_FTS = "INSERT INTO articles_fts (rowid, title, caption, body) VALUES (?, ?, ?, ?)"
_INSERT_COMMENT = (
    "INSERT INTO comments (position, parent, depth, author, text, spam, spam_reasons, deleted, line,"
    " source_id, created_at, article_id, key) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)


async def _create_schema(path: Path) -> None:
    """Create the database with the project's own migrations."""
    store = await Storage.open(path)
    await store.close()


def generate(articles: int, comments: int, seed: int, *, progress: bool = True) -> Path:
    """Build the database for these parameters unless it is cached; return its path."""
    final = db_path(articles, comments, seed)
    if final.exists():
        return final
    OUT.mkdir(parents=True, exist_ok=True)
    partial = final.with_suffix(".partial")
    for leftover in (partial, Path(f"{partial}-wal"), Path(f"{partial}-shm")):
        leftover.unlink(missing_ok=True)
    asyncio.run(_create_schema(partial))
    words = vocabulary(seed)
    writer = Writer(seed, words, zipf_weights(len(words), 1.05), author_names(seed))
    conn = sqlite3.connect(partial, isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = OFF")  # a crash just leaves a .partial to delete
    conn.execute("PRAGMA cache_size = -262144")
    started = time.perf_counter()
    for index in range(articles):
        article, fts, rows = writer.article(index, comments)
        conn.execute("BEGIN IMMEDIATE")
        conn.execute(_INSERT_ARTICLE, article)
        conn.execute(_INSERT_ARTICLE_FTS, fts)
        conn.executemany(_INSERT_COMMENT, rows)
        conn.execute("COMMIT")
        if progress and (index + 1) % 500 == 0:
            rate = (index + 1) * comments / (time.perf_counter() - started)
            print(f"  {index + 1}/{articles} articles, {rate:,.0f} comments/s", file=sys.stderr)
    # What the loader keeps beside the rows (migrations 0013 and 0014): filled here in one pass each.
    conn.execute(
        "UPDATE articles SET max_depth ="
        " (SELECT coalesce(max(depth), 0) FROM comments WHERE article_id = articles.id)"
    )
    conn.execute(
        "INSERT INTO author_counts (author, comments, not_spam, spam, deleted)"
        " SELECT author, count(*), count(*) - sum(spam), sum(spam), sum(deleted) FROM comments"
        " GROUP BY author"
    )
    conn.execute("INSERT INTO comments_fts (comments_fts) VALUES ('rebuild')")
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    partial.rename(final)
    return final


def main(argv: list[str] | None = None) -> int:
    """Command line: build (or find) the cached database and print its path."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--articles", type=int, default=10_000)
    parser.add_argument("--comments", type=int, default=100, help="comments per article")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    started = time.perf_counter()
    path = generate(args.articles, args.comments, args.seed)
    print(f"{path} ({path.stat().st_size / 1e6:,.0f} MB, {time.perf_counter() - started:.0f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
