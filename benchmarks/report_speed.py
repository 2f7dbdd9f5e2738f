"""Rows/s of `prep report` on generated inputs of 100k and 1M rows, in two shapes: FlagEmbedding rows with
0 to 10 negatives each (7 texts a row on average), and ST (anchor, positive) pairs.

Anchor: Polars parsing the same file into a DataFrame, measured in the same run. Target: 1M rows within 10 s.
Each figure is the median of --repeat runs (this machine's timings vary by +-20% from run to run).
Usage: python benchmarks/report_speed.py [--rows 100000 1000000] [--repeat 3] [--keep DIR]
"""

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import polars as pl

WORDS = np.array(
    [
        "the",
        "of",
        "and",
        "to",
        "in",
        "is",
        "was",
        "for",
        "on",
        "that",
        "with",
        "as",
        "by",
        "at",
        "from",
        "his",
        "an",
        "were",
        "are",
        "which",
        "this",
        "be",
        "or",
        "has",
        "had",
        "not",
        "but",
        "its",
        "also",
        "after",
        "first",
        "new",
        "their",
        "one",
        "two",
        "who",
        "been",
        "other",
        "all",
        "into",
        "year",
        "more",
        "when",
        "over",
        "time",
        "rate",
        "bank",
        "loan",
        "tax",
        "fund",
        "price",
        "market",
        "stock",
        "bond",
        "cash",
        "card",
        "debt",
        "income",
        "cost",
        "pay",
        "buy",
        "sell",
    ]
)


def generate(rows: int, path: Path, shape: str, seed: int = 0) -> None:
    """Unique queries, one positive each, and for `flag` 0 to 10 negatives, drawn from a shared passage pool
    (as mined data is)."""
    rng = np.random.default_rng(seed)
    pool_size = max(rows // 5, 1000)
    words = rng.integers(0, len(WORDS), size=(pool_size, 30))
    pool = pl.Series("passage", [" ".join(WORDS[row]) for row in words])
    negatives = rng.integers(0, 11, size=rows)
    frame = pl.DataFrame(
        {
            "query": [f"question {i} about {WORDS[i % len(WORDS)]} {WORDS[(i * 7) % len(WORDS)]}" for i in range(rows)],
            "pos_index": rng.integers(0, pool_size, size=rows),
            "neg_index": np.split(rng.integers(0, pool_size, size=int(negatives.sum())), np.cumsum(negatives)[:-1]),
        }
    )
    frame = frame.select(
        "query",
        pos=pl.concat_list(pool.gather(frame["pos_index"])),
        neg=pl.col("neg_index").list.eval(
            pl.element().replace_strict(pl.int_range(pool_size, eager=True), pool, return_dtype=pl.String)
        ),
    )
    if shape == "pairs":
        frame = frame.select(anchor="query", positive=pl.col("pos").list.first())
    frame.write_ndjson(path)


def time_report(path: Path, out: Path) -> float:
    prep = Path(sys.executable).parent / "prep"
    start = time.perf_counter()
    subprocess.run([str(prep), "report", str(path), "--json", str(out)], check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def time_parse(path: Path) -> float:
    start = time.perf_counter()
    pl.scan_ndjson(path).collect()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--keep", type=Path, help="keep generated inputs here")
    args = parser.parse_args()
    folder = args.keep or Path(tempfile.mkdtemp(prefix="prep-bench-"))
    folder.mkdir(parents=True, exist_ok=True)
    print(
        f"{'shape':>6} {'rows':>10} {'MB':>5} {'parse s':>8} {'report s':>9} {'rows/s':>10} {'report/parse':>13} "
        f"{'target':>7}"
    )
    for shape, rows in [(shape, rows) for shape in ("pairs", "flag") for rows in args.rows]:
        path = folder / f"{shape}_{rows}.jsonl"
        if not path.exists():
            generate(rows, path, shape)
        parse = statistics.median(time_parse(path) for _ in range(args.repeat))
        report = statistics.median(time_report(path, folder / f"report_{rows}.json") for _ in range(args.repeat))
        target = "ok" if rows < 1_000_000 or report <= 10 else "MISSED"
        print(
            f"{shape:>6} {rows:>10,} {path.stat().st_size / 1e6:>5.0f} {parse:>8.2f} {report:>9.2f} "
            f"{rows / report:>10,.0f} {report / parse:>12.1f}x {target:>7}"
        )


if __name__ == "__main__":
    main()
