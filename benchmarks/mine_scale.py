"""Scale of `prep run`: 100k, 300k and 1M queries against a 1M-text corpus with a fast static encoder.

The encoder is a StaticEmbedding (random 64-d token embeddings over MiniLM's tokenizer), so the run measures
prep itself: reading, encoding bookkeeping, the IVF index, chunked search and selection, layout and writing.
Each size runs in a child process; wall time and peak RSS are the child's. Time should grow near linearly
with the queries, and memory stay near flat (chunks bound the search).
Usage: python benchmarks/mine_scale.py [--sizes 100000 300000 1000000] [--corpus 1000000]
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import polars as pl


def build_static_model(folder: Path) -> Path:
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.sentence_transformer.modules import StaticEmbedding
    from tokenizers import Tokenizer

    from pipeline.report.tokens import default_model_path

    tokenizer = Tokenizer.from_file(str(default_model_path() / "tokenizer.json"))
    model = SentenceTransformer(modules=[StaticEmbedding(tokenizer, embedding_dim=64)], device="cpu")
    model.save(str(folder))
    return folder


def synthetic_texts(count: int, rng: np.random.Generator, words: int) -> pl.Series:
    vocabulary = np.array([f"w{i}" for i in range(5000)])
    picks = vocabulary[rng.integers(0, len(vocabulary), size=(count, words))]
    return pl.Series("text", [" ".join(row) for row in picks])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 300_000, 1_000_000])
    parser.add_argument("--corpus", type=int, default=1_000_000)
    args = parser.parse_args()
    os.environ["HF_HUB_OFFLINE"] = "1"
    work = Path(tempfile.mkdtemp(prefix="prep-scale-"))
    rng = np.random.default_rng(0)
    model = build_static_model(work / "static")
    corpus = synthetic_texts(args.corpus, rng, words=12)
    corpus.to_frame().write_csv(work / "corpus.txt", include_header=False, quote_style="never")
    config = work / "prep.toml"
    config.write_text("[encoder]\nbatch_size = 4096\n")  # a static encoder is cheap per text, not per batch
    print(f"corpus {args.corpus:,} texts; encoder StaticEmbedding 64-d")
    print(f"{'queries':>10} {'wall s':>8} {'s per 100k':>11} {'peak RSS MiB':>13} {'rows out':>10}")
    anchor = None
    for size in args.sizes:
        queries = synthetic_texts(size, rng, words=6)
        positives = corpus.gather(rng.integers(0, args.corpus, size=size))
        path = work / f"queries_{size}.jsonl"
        pl.DataFrame({"anchor": queries, "positive": positives}).write_ndjson(path)
        command = [str(Path(sys.executable).parent / "prep"), "run", str(path), "--corpus", str(work / "corpus.txt"),
                   "--model", str(model), "--out", str(work / f"out_{size}"), "--config", str(config),
                   "--cache-dir", str(work / f"cache_{size}")]  # cold: every size encodes everything
        start = time.perf_counter()
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - start
        if status:
            raise SystemExit(process.stderr.read()[-3000:])
        per = wall / size * 100_000
        anchor = anchor or per
        stages = json.loads((work / f"out_{size}" / "manifest.json").read_text())["stages"]
        rows = stages[-1]["rows_out"]
        print(f"{size:>10,} {wall:>8.1f} {per:>11.1f} {usage.ru_maxrss / 1024:>13.0f} {rows:>10,}"
              f"   ({per / anchor:.2f}x the 100k cost per query)")


if __name__ == "__main__":
    main()
