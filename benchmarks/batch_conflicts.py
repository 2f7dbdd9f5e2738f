"""In-batch false negatives per epoch: ST's default sampler, ST's NO_DUPLICATES, and prep's conflict-free blocks.

Data: (query, positive) pairs of the FiQA sample (1 to 20 positives per question) and of SciFact train.
A conflict is prep's rule: near-duplicate queries, or a text that is the other row's anchor, or a positive of its
query or of a near-duplicate query, or a near-duplicate of such a positive (all-MiniLM-L6-v2 at the threshold).
ST's samplers run as they are (NoDuplicatesBatchSampler from sentence_transformers); prep's layout is
pack_blocks + BlockBatchSampler.
Usage: python benchmarks/batch_conflicts.py [--data ../shared/data] [--threshold 0.9]
"""

import argparse
import json
import os
from pathlib import Path

import numpy as np
import polars as pl

REPO = Path(__file__).resolve().parents[1]


def pairs_dataset(data: Path, name: str):
    from pipeline.readers import read_dataset

    if name == "fiqa":
        return read_dataset(data / "fiqa_nemo_sample" / "hard-neg-input-data.jsonl",
                            columns={"anchor": "question", "positive": "documents"})
    return read_dataset(data / "scifact", "beir")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data")
    parser.add_argument("--threshold", type=float, default=0.90)
    parser.add_argument("--seed", type=int, default=12)
    args = parser.parse_args()
    os.environ["HF_HUB_OFFLINE"] = "1"
    import datasets
    from sentence_transformers.base.sampler import NoDuplicatesBatchSampler

    from pipeline.config import EncoderConfig, MiningConfig
    from pipeline.sampler import BlockBatchSampler
    from pipeline.stages.conflicts import conflict_documents, conflicting_pairs, forbidden_ids, row_sets
    from pipeline.stages.dedupe import link_rows, link_similar
    from pipeline.stages.encode import Encoder
    from pipeline.stages.link_index import link_index
    from pipeline.stages.pack import pack_blocks

    encoder = Encoder(EncoderConfig()).setup()
    print(f"{'data':<8} {'B':>4} {'sampler':<16} {'conflicts/epoch':>16} {'rows used':>10} {'of':>6} "
          f"{'batches':>8} {'short':>6}")
    for name in ("fiqa", "scifact"):
        canon = pairs_dataset(args.data, name)
        queries = encoder.embed(canon.queries.rename({"query_id": "id"}), None)
        docs = encoder.embed(canon.corpus.rename({"doc_id": "id"}), None)
        config = MiningConfig()
        query_links = link_similar(queries, args.threshold, link_index(queries, args.threshold, config))
        # as prep run: links among the documents that define conflicts (pairs: the positives)
        doc_links, _, _ = link_rows(docs, conflict_documents(canon, canon.negatives), args.threshold, config)
        forbidden_by_query = forbidden_ids(canon.queries["query_id"], query_links, canon.corpus["doc_id"], doc_links,
                                           canon.positives)
        rows = canon.positives.select(anchor_id="query_id", text_ids=pl.concat_list("doc_id"))
        keys, forbidden = row_sets(rows, forbidden_by_query)
        texts = (canon.positives.join(canon.queries.rename({"text": "anchor"}), on="query_id", maintain_order="left")
                 .join(canon.corpus.rename({"text": "positive"}), on="doc_id", maintain_order="left"))
        for batch_size in (32, 128):
            packing = pack_blocks(keys, forbidden, rows["anchor_id"].to_list(), batch_size)
            laid_out = datasets.Dataset.from_polars(texts[pl.Series(packing.order, dtype=pl.UInt32)]
                                                    .select("anchor", "positive"))
            laid_out.info.description = json.dumps(
                {"prep_batch_size": batch_size, "prep_blocks": [len(b) for b in packing.full + packing.short]})
            # ST's default: the trainer's RandomSampler cut into batches.
            permutation = np.random.default_rng(args.seed).permutation(len(rows))
            pairs = datasets.Dataset.from_polars(texts.select("anchor", "positive"))
            batches = {
                "default": [permutation[start:start + batch_size].tolist()
                            for start in range(0, len(rows), batch_size)],
                "NO_DUPLICATES": [list(batch) for batch in NoDuplicatesBatchSampler(
                    pairs, batch_size=batch_size, drop_last=False, seed=args.seed)],
                "prep blocks": [[packing.order[i] for i in batch] for batch in BlockBatchSampler(
                    laid_out, batch_size=batch_size, drop_last=False, seed=args.seed)],
            }
            for sampler_name, epoch in batches.items():
                conflicts = sum(conflicting_pairs(batch, keys, forbidden) for batch in epoch)
                used = len({row for batch in epoch for row in batch})
                short = sum(len(batch) < batch_size for batch in epoch)
                print(f"{name:<8} {batch_size:>4} {sampler_name:<16} {conflicts:>16,} {used:>10,} {len(rows):>6,} "
                      f"{len(epoch):>8} {short:>6}")


if __name__ == "__main__":
    main()
