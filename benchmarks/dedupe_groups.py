"""Cost of linking near-duplicates on templated data: every text in a group of --group near-duplicates (cosine
about 0.94), so each is searched to the deepest neighbour allowed (`most`, dedupe.MOST_NEIGHBOURS by default).
Prints wall time, links and the process's peak RSS per setting, each in its own child process.

Usage: python benchmarks/dedupe_groups.py [--texts 100000] [--group 500] [--most 16 64]
"""

import argparse
import resource
import subprocess
import sys
import time

import numpy as np


def run_one(texts: int, group: int, most: int) -> None:
    from pipeline.config import MiningConfig
    from pipeline.stages.dedupe import link_similar
    from pipeline.stages.link_index import link_index

    rng = np.random.default_rng(0)
    centres = rng.standard_normal((texts // group, 64)).astype(np.float32)
    vectors = np.repeat(centres, group, axis=0) + 0.15 * rng.standard_normal((texts, 64)).astype(np.float32)
    vectors = np.ascontiguousarray(vectors / np.linalg.norm(vectors, axis=1, keepdims=True))
    started = time.perf_counter()
    links = link_similar(vectors, 0.9, link_index(vectors, 0.9, MiningConfig()), most=most)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"| {most} | {time.perf_counter() - started:.1f} | {len(links.source):,} | {peak:,.0f} |", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--texts", type=int, default=100_000)
    parser.add_argument("--group", type=int, default=500)
    parser.add_argument("--most", type=int, nargs="+", default=[16, 64])
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child is not None:
        run_one(args.texts, args.group, args.child)
        return
    print(f"{args.texts:,} texts in groups of {args.group}\n\n| most | s | links | peak RSS MiB |\n|---|---|---|---|")
    for most in args.most:
        subprocess.run([sys.executable, __file__, "--texts", str(args.texts), "--group", str(args.group),
                        "--child", str(most)], check=True)


if __name__ == "__main__":
    main()
