"""Write a deterministic synthetic corpus of text dumps (the seed's format) for the load benchmark.

Each file is generated from its own `random.Random(f"{seed}:{index}")`, so file i is the same whatever
`--files` is: a corpus of 2,000 files is the first 2,000 files of a corpus of 10,000.

    python bench/gen_corpus.py --files 10000 --comments 100 --out bench/.work/corpus --seed 1
"""

from __future__ import annotations

import argparse
import random
import sys
from dataclasses import dataclass
from pathlib import Path

NBSP = "\u00a0"
MAX_DEPTH = 8  # the seed goes five deep; scraped threads rarely exceed eight

_VOCABULARY = (
    "the government army forces region agreement ceasefire talks officials opposition town province "
    "border report sources claimed attack convoy village airport checkpoint fighters militants group "
    "ministry statement spokesman negotiations withdrawal weapons coalition strike drone troops "
    "civilians refugees humanitarian aid corridor highway oil field pipeline city district council "
    "election court sanctions economy prices market currency inflation budget allies partners "
    "diplomats summit security deal treaty frontier river valley mountain desert coast harbour "
    "observers analysts media channel footage photos witnesses residents evacuation shelter winter "
    "is was are were has have had will would could might must should can may not never again "
    "and or but so because while after before during against with without between over under "
    "in on at by for from to of about into through across toward near far beyond "
    "new old big small long short early late strong weak local foreign western eastern northern"
)
_WORDS = _VOCABULARY.split()

_NAMES = (
    "Jordan Katz",
    "Terra Cotta Woolpuller",
    "RGtz98",
    "RTA (Bob or Al)",
    "Vitex",
    "Ronald",
    "Melotte 22",
    "MD Ranix",
    "Langaniso Mhlobo",
    "Zoë Ångström",
    "José Núñez",
    "Дмитрий Соколов",
    "李雷",
    "محمد الأحمد",
    "Søren K.",
    "Guest",
    "Anonymous",
    "北風",
    "Ólafur",
    "🦅 Eagle Eye",
    "Jean-Luc D'Arcy",
    "o'brien",
    "Mr. Smith, Jr.",
    "Ελένη",
    "Nguyễn Văn A",
    "शिव",
    "the_real_truth",
    "PeaceNow!",
    "Kim",
    "Ana-María",
    "Ürgüp",
    "Çelik",
    "Łukasz",
    "Ægir",
)

_FOREIGN = (
    "Это правда, я видел репортаж вчера вечером.",
    "Die Lage ist unübersichtlich, aber die Straße ist wieder offen.",
    "C'est la même histoire qu'à l'été dernier, rien n'a changé.",
    "هذا الخبر غير صحيح على الإطلاق",
    "这条新闻我昨天已经看过了。",
    "ニュースは本当ですか？",
    "Ελπίζω να τελειώσει σύντομα.",
    "Ça suffit ! 😡😡",
    "Great analysis 👍🏽 thanks SF team 🙏",
    "Naïve coöperation with the façade of a café — déjà vu.",
    "Ñandú, pingüino, acción: ¿por qué no?",
    "Zażółć gęślą jaźń.",
)

_LINKS = (
    "https://www.almasdarnews.com/article/{n}/",
    "http://example.org/news/{n}?ref=comments",
    "https://en.wikipedia.org/wiki/Qalamoun_Mountains",
    "www.reuters.com/world/middle-east/{n}",
)

_SPAM = (
    "Google is paying {a}$ per hour,with weekly payouts.You can also avail this.",
    "I am making ${b} a month working from home. It sounds unbelievable but you wont forgive "
    "yourself if you don't check it",
    "On tuesday I got a brand new car from having earned ${b} this last four weeks.. "
    "with-out any doubt it's the most-comfortable job I have ever done",
    "Start earning {a} dollars per hour with this online job, no experience needed!",
)
_SPAM_LINKS = (
    "http://GoogleHomeCashJobsLivingOpportunity/earn/hourly",
    "https://www.EasyCashPayout.example/jobs/{a}",
    "www.HomeIncomeProfit.example/earn",
)
_SYMBOLS = "★✫☆➽✪✦✧❤☛"

_CTA = "Do you like this content? Consider helping us!"
_DELETED = ("This comment was deleted.", "[deleted]", "Comment removed by moderator.")


@dataclass(frozen=True)
class Expected:
    """What a correct parse of a generated file holds: each comment's depth, parent and author."""

    depths: list[int]
    parents: list[int | None]
    authors: list[str]


def _sentence(rng: random.Random, lo: int = 6, hi: int = 24) -> str:
    """A news-ish sentence, sometimes with a link, a price, a quote or a no-break space in it."""
    words = [rng.choice(_WORDS) for _ in range(rng.randint(lo, hi))]
    roll = rng.random()
    if roll < 0.04:
        words.insert(rng.randrange(len(words)), rng.choice(_LINKS).format(n=rng.randint(1, 99999)))
    elif roll < 0.08:
        words.insert(rng.randrange(len(words)), f"${rng.randint(2, 900)}")
    elif roll < 0.12:
        words.insert(rng.randrange(len(words)), "“moderate”")
    elif roll < 0.15:
        i = rng.randrange(1, len(words))
        words[i - 1] = words[i - 1] + NBSP + words.pop(i)
    text = " ".join(words)
    return text[0].upper() + text[1:] + rng.choice(".....!?")


def _paragraph(rng: random.Random, sentences: tuple[int, int]) -> list[str]:
    """One paragraph as lines: mostly one long line, sometimes hard-wrapped into several."""
    parts = [
        rng.choice(_FOREIGN) if rng.random() < 0.08 else _sentence(rng)
        for _ in range(rng.randint(*sentences))
    ]
    if len(parts) > 1 and rng.random() < 0.25:
        cut = rng.randint(1, len(parts) - 1)
        return [" ".join(parts[:cut]), " ".join(parts[cut:])]
    return [" ".join(parts)]


def _body(rng: random.Random) -> list[list[str]]:
    """A comment body as paragraphs of lines: short, long, multi-paragraph, spam or deleted."""
    roll = rng.random()
    if roll < 0.03:
        pitch = rng.choice(_SPAM).format(a=rng.randint(70, 99), b=rng.randint(5000, 19999))
        link = rng.choice(_SPAM_LINKS).format(a=rng.randint(1, 999))
        symbols = "".join(rng.choice(_SYMBOLS) for _ in range(rng.randint(10, 40)))
        return [[pitch, f"{link} {symbols}"]]
    if roll < 0.04:
        return [[rng.choice(_DELETED)]]
    if roll < 0.10:
        return [[rng.choice(_FOREIGN)]]
    if roll < 0.40:
        return [[_sentence(rng, 2, 12)]]
    if roll < 0.85:
        return [_paragraph(rng, (1, 4))]
    return [_paragraph(rng, (1, 5)) for _ in range(rng.randint(2, 5))]


def _depths(rng: random.Random, count: int) -> list[int]:
    """Depths of `count` comments in pre-order: each one a reply, a sibling or back up the tree."""
    depths: list[int] = []
    for _ in range(count):
        if not depths:
            depths.append(0)
            continue
        prev = depths[-1]
        roll = rng.random()
        if roll < 0.45 and prev < MAX_DEPTH:
            depths.append(prev + 1)
        elif roll < 0.70:
            depths.append(prev)
        else:
            depths.append(rng.randint(0, prev))
    return depths


def _blank(rng: random.Random) -> str:
    """The blank lines between blocks: usually one, sometimes two (as scraped pages have)."""
    return "\n\n\n" if rng.random() < 0.1 else "\n\n"


def render_file(index: int, comments: int, seed: int) -> tuple[str, str, Expected]:
    """File name, content and expected comment tree of corpus file `index`."""
    rng = random.Random(f"{seed}:{index}")
    name = f"{index:06d}_{rng.getrandbits(64):016x}.txt"
    title = " ".join(rng.choice(_WORDS) for _ in range(rng.randint(5, 12))).title()
    curly = title.replace(" ", " ‘", 1) + "’" if rng.random() < 0.5 else title
    straight = curly.replace("‘", "'").replace("’", "'")
    out = [f"{rng.randint(0, 9)},{rng.randint(0, 999):03d} $\n" for _ in range(rng.randint(0, 4))]
    out.append(f"\n{curly}\n\n\n{straight}\n\n")
    out.append(f"FILE IMAGE: {_sentence(rng, 4, 10)}\n\n")
    for _ in range(rng.randint(3, 8)):
        out.append("\n".join(_paragraph(rng, (1, 5))) + "\n\n")
    out.append(f"\n\n{_CTA}\n\n")

    count = max(1, round(comments * rng.uniform(0.8, 1.2)))
    depths = _depths(rng, count)
    parents: list[int | None] = []
    authors: list[str] = []
    last_at: dict[int, int] = {}
    for i, depth in enumerate(depths):
        parents.append(last_at[depth - 1] if depth else None)
        last_at[depth] = i
        author = rng.choice(_NAMES)
        authors.append(author)
        pad = " " * (2 + 2 * depth)
        out.append(f"{pad}• {author}{_blank(rng)}")
        paragraphs = _body(rng)
        out.append(
            _blank(rng).join("\n".join(f"{pad}  {line}" for line in para) for para in paragraphs)
        )
        out.append(_blank(rng))
    return name, "".join(out).rstrip("\n") + "\n", Expected(depths, parents, authors)


def write_corpus(out: Path, files: int, comments: int, seed: int) -> int:
    """Write `files` dumps into `out` (created if needed); returns the number of comments written."""
    out.mkdir(parents=True, exist_ok=True)
    total = 0
    for index in range(files):
        name, text, expected = render_file(index, comments, seed)
        (out / name).write_text(text, encoding="utf-8")
        total += len(expected.depths)
    return total


def main(argv: list[str] | None = None) -> int:
    """Command line: write the corpus and print one summary line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=1000, help="number of dumps (default 1000)")
    parser.add_argument("--comments", type=int, default=100, help="mean comments per dump (±20%%)")
    parser.add_argument("--out", type=Path, required=True, help="folder to write the dumps into")
    parser.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    args = parser.parse_args(argv)
    total = write_corpus(args.out, args.files, args.comments, args.seed)
    print(f"wrote {args.files} files, {total} comments to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
