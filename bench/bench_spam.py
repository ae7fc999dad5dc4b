"""spam_reasons alone: the original rules (tests/storage/spam_oracle.py) against storage/spam.py.

Parses the first `--files` dumps of the load benchmark's corpus, then times both implementations on
its comments, interleaved, `--rounds` times; prints CPU µs per comment and the medians.

    PYTHONPATH=. .venv/bin/python bench/bench_spam.py --files 300
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time

from bench_load import BENCH, corpus

from storage import spam
from storage.batch import prepare_many
from tests.storage import spam_oracle


def main(argv: list[str] | None = None) -> int:
    """Time both implementations on the same comments, interleaved."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)
    files = sorted(corpus(BENCH / ".work", 2000, 100, 1).glob("*.txt"))[: args.files]
    items = prepare_many([(str(p), None) for p in files], False)
    texts = [str(c[4]) for i in items if i.rows for c in i.rows.comments]
    times: dict[str, list[float]] = {"old (oracle)": [], "new": []}
    for _ in range(args.rounds):
        for name, module in (("old (oracle)", spam_oracle), ("new", spam)):
            cpu = time.process_time()
            for text in texts:
                module.spam_reasons(text)
            times[name].append((time.process_time() - cpu) * 1e6 / len(texts))
    print(f"{len(texts)} comments of {len(files)} files; CPU µs per comment")
    for name, runs in times.items():
        rounds = ", ".join(f"{t:.1f}" for t in runs)
        print(f"{name}: {rounds}; median {statistics.median(runs):.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
