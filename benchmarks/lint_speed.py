"""Rows/s of `prep lint` (without --deep) on generated JSONL of 1M rows, in the two shapes of report_speed.py:
ST (anchor, positive) pairs, and FlagEmbedding rows with 0 to 10 negatives (7 texts a row on average).

The whole CLI is timed (start-up, reading, normalising and hashing every text, every rule, with --batch-size 32 so
the batch rules run too). Anchor: Polars alone parsing the same file. The target is "seconds" for 1M rows.
Usage: python benchmarks/lint_speed.py [--rows 1000000] [--repeat 1] [--keep DIR]
"""

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from report_speed import generate, time_parse


def time_lint(path: Path, out: Path) -> float:
    prep = Path(sys.executable).parent / "prep"
    start = time.perf_counter()
    done = subprocess.run([str(prep), "lint", str(path), "--batch-size", "32", "--json", str(out)],
                          stdout=subprocess.DEVNULL)
    if done.returncode not in (0, 1):  # 1 is "the data has errors", a normal outcome of linting
        raise SystemExit(f"prep lint failed with exit code {done.returncode}")
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, nargs="+", default=[1_000_000])
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--keep", type=Path, help="keep generated inputs here")
    args = parser.parse_args()
    folder = args.keep or Path(tempfile.mkdtemp(prefix="prep-bench-"))
    folder.mkdir(parents=True, exist_ok=True)
    print(f"{'shape':>6} {'rows':>10} {'MB':>5} {'parse s':>8} {'lint s':>7} {'rows/s':>10} {'lint/parse':>11}")
    for shape, rows in [(shape, rows) for shape in ("pairs", "flag") for rows in args.rows]:
        path = folder / f"{shape}_{rows}.jsonl"
        if not path.exists():
            generate(rows, path, shape)
        parse = statistics.median(time_parse(path) for _ in range(args.repeat))
        lint = statistics.median(time_lint(path, folder / f"lint_{shape}_{rows}.json") for _ in range(args.repeat))
        print(f"{shape:>6} {rows:>10,} {path.stat().st_size / 1e6:>5.0f} {parse:>8.2f} {lint:>7.2f} "
              f"{rows / lint:>10,.0f} {lint / parse:>10.1f}x")


if __name__ == "__main__":
    main()
