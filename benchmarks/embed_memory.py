"""Peak memory of `Encoder.embed_all` gathering N embeddings: from the embedding cache (a re-run) and as they are
encoded (a cold run, with a stand-in engine that yields random vectors per job, so no model runs).

Each case runs in a child process; the figure is the child's peak RSS above its RSS before the call, next to the
size of the array returned (the anchor: no gathering can hold less). The cache is written first, in parts of
4,096 as a real run writes it.
Usage: python benchmarks/embed_memory.py [--texts 500000] [--dimension 384]
"""

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import polars as pl

REPO = Path(__file__).resolve().parents[1]


def ids(count: int) -> pl.Series:
    return pl.Series("id", np.arange(1, count + 1, dtype=np.uint64) * np.uint64(2654435761) % np.uint64(2**63))


def rss_mib() -> float:
    return int(Path("/proc/self/statm").read_text().split()[1]) * 4096 / 2**20


def child(case: str, count: int, dimension: int, root: Path) -> None:
    sys.path.insert(0, str(REPO))
    from pipeline.config import EncoderConfig
    from pipeline.stage_clock import peak_rss_mib  # this process's own peak (ru_maxrss would start at the parent's)
    from pipeline.stages.encode import Encoder

    texts = pl.DataFrame({"id": ids(count).shuffle(seed=1), "text": "x"})
    Encoder.dimension = dimension  # no model is loaded: the stand-in engine gives the vectors
    encoder = Encoder(EncoderConfig(cache_dir=str(root / case)))
    encoder.fingerprint = "benchmark"

    def engine(jobs):
        generator = np.random.default_rng(0)
        for job in jobs:
            yield pl.DataFrame({"id": job.texts["id"], "embedding": pl.Series(
                generator.standard_normal((job.texts.height, dimension), dtype=np.float32))})

    before = rss_mib()
    vectors = encoder.embed_all([(texts, None)], engine)[0]
    peak = peak_rss_mib()
    print(json.dumps({"peak_above_start": peak - before, "result": vectors.nbytes / 2**20,
                      "from_cache": encoder.stats.cached}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--texts", type=int, default=500_000)
    parser.add_argument("--dimension", type=int, default=384)
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child[0], args.texts, args.dimension, Path(args.child[1]))
        return
    sys.path.insert(0, str(REPO))
    from pipeline.stages.embedding_cache import EmbeddingCache
    from pipeline.stages.encode import CHUNK

    with tempfile.TemporaryDirectory(prefix="prep-embed-memory-") as folder:
        root = Path(folder)
        cache, all_ids = EmbeddingCache(root / "cached", "benchmark", None, args.dimension), ids(args.texts).to_numpy()
        generator = np.random.default_rng(0)
        for start in range(0, args.texts, CHUNK):
            part = all_ids[start:start + CHUNK]
            cache.save(part, generator.standard_normal((len(part), args.dimension), dtype=np.float32))
        print(f"{args.texts:,} embeddings of {args.dimension} floats")
        print(f"{'case':<8} {'peak MiB above start':>21} {'result MiB':>11} {'ratio':>6}")
        for case in ("cached", "cold"):
            result = subprocess.run([sys.executable, __file__, "--texts", str(args.texts), "--dimension",
                                     str(args.dimension), "--child", case, str(root)],
                                    capture_output=True, text=True, check=True)
            figures = json.loads(result.stdout.strip().splitlines()[-1])
            print(f"{case:<8} {figures['peak_above_start']:>21,.0f} {figures['result']:>11,.0f} "
                  f"{figures['peak_above_start'] / figures['result']:>5.2f}x")


if __name__ == "__main__":
    main()
