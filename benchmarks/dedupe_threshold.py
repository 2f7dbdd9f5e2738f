"""How the dedupe threshold was chosen: paraphrase detection by all-MiniLM-L6-v2 cosine on STS-B dev.

Pairs scored >= 4.5 of 5 count as the same question or statement said twice ("paraphrase"); pairs below 3 as
different. For each threshold: precision (paraphrases among pairs at or above it), recall (paraphrases found),
and how many SciFact train claims it would merge into clusters.
Usage: python benchmarks/dedupe_threshold.py [--data ../shared/data]
"""

import argparse
import os
from pathlib import Path

import numpy as np
import polars as pl

REPO = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data")
    args = parser.parse_args()
    os.environ["HF_HUB_OFFLINE"] = "1"
    from sentence_transformers import SentenceTransformer

    from pipeline.config import MiningConfig
    from pipeline.report.tokens import default_model_path
    from pipeline.stages.dedupe import link_similar
    from pipeline.stages.index import build_index

    model = SentenceTransformer(str(default_model_path()), device="cpu")
    pairs = pl.read_ndjson(args.data / "stsbenchmark" / "dev.jsonl")
    first = model.encode(pairs["sentence1"].to_list(), normalize_embeddings=True, batch_size=64)
    second = model.encode(pairs["sentence2"].to_list(), normalize_embeddings=True, batch_size=64)
    cosine = np.sum(first * second, axis=1)
    same, different = pairs["score"].to_numpy() >= 4.5, pairs["score"].to_numpy() < 3
    claims = pl.read_ndjson(args.data / "scifact" / "queries.jsonl")["text"].to_list()
    claim_vectors = model.encode(claims, normalize_embeddings=True, batch_size=64)
    index = build_index(claim_vectors, MiningConfig())
    print(f"STS-B dev: {same.sum()} paraphrase pairs (score >= 4.5), {different.sum()} different (< 3)")
    print(f"{'threshold':>9} {'precision':>10} {'recall':>7} {'different pairs above':>22} "
          f"{'SciFact claims merged':>22}")
    for threshold in (0.80, 0.85, 0.90, 0.92, 0.95, 0.97):
        above = cosine >= threshold
        precision = (above & same).sum() / max((above & (same | different)).sum(), 1)
        recall = (above & same).sum() / same.sum()
        labels = link_similar(claim_vectors, threshold, index).clusters()
        merged = len(labels) - len(np.unique(labels))
        print(f"{threshold:>9.2f} {precision:>10.1%} {recall:>7.1%} {(above & different).sum():>22} {merged:>22}")


if __name__ == "__main__":
    main()
