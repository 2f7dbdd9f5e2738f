"""How full the conflict-free blocks of `prep run --batch-size B` are, and how long packing takes.

Real data: `prep run` (default settings, --batch-size) on the FiQA sample and on SciFact train (all of it, and a
slice: the first 300 lines of its qrels); the layout's rows, links and canonical tables are taken from that run and
packed again at each B with `plan_batches`. Synthetic: 1M rows, rows per query Zipf(1.6) up to 1,000 (most
queries 1 row, a few hundreds), each row one positive and three negatives drawn from all positives (cross-query
conflicts). `bound` is the most full blocks any packing can reach: sum over queries of min(rows, F) >= F * B.
Usage: python benchmarks/batch_packing.py [--data ../shared/data] [--cache-dir DIR] [--synthetic 1000000] [--no-real]
"""

import argparse
import os
import tempfile
import time
from pathlib import Path

import numpy as np
import polars as pl

REPO = Path(__file__).resolve().parents[1]
SIZES = (8, 32, 64, 128)


def captured_inputs(data: Path, fmt: str | None, columns: dict | None, cache_dir: str) -> tuple:
    """(canon, layout, query_links, doc_links) that `prep run --batch-size 8` hands to `plan_batches`."""
    import pipeline.stages.batches as batches
    from pipeline.config import EncoderConfig, RunConfig
    from pipeline.config_layout import LayoutConfig
    from pipeline.run import RunInputs, run_pipeline

    seen: list[tuple] = []
    plan = batches.plan_batches

    def capture(*args):
        seen.append(args[:4])
        return plan(*args)

    batches.plan_batches = capture
    try:
        config = RunConfig(encoder=EncoderConfig(cache_dir=cache_dir), layout=LayoutConfig(batch_size=8))
        with tempfile.TemporaryDirectory() as out:
            run_pipeline(RunInputs(data, fmt, columns=columns), config, Path(out) / "out")
    finally:
        batches.plan_batches = plan
    return seen[0]


def full_block_bound(anchor_ids: pl.Series, batch_size: int) -> int:
    sizes = np.sort(anchor_ids.value_counts()["count"].to_numpy())
    low, high = 0, len(anchor_ids) // batch_size
    while low < high:  # the largest F with sum(min(g, F)) >= F * B (monotone in F)
        middle = (low + high + 1) // 2
        low, high = (middle, high) if np.minimum(sizes, middle).sum() >= middle * batch_size else (low, middle - 1)
    return low


def synthetic(rows: int, seed: int = 0) -> tuple:
    from pipeline.canonical import Canonical
    from pipeline.layouts.layout import Layout, as_list, no_rejects
    from pipeline.output import no_links

    rng = np.random.default_rng(seed)
    per_query = np.minimum(rng.zipf(1.6, rows), 1000)  # heavy tail: the largest about as many rows as blocks of 1024
    anchors = np.repeat(np.arange(len(per_query)), per_query)[:rows].astype(np.uint64)
    positives = np.arange(rows, dtype=np.uint64) + 10_000_000
    negatives = rng.choice(positives, (rows, 3))
    ids = pl.DataFrame({"anchor_id": anchors, "text_ids": np.column_stack([positives, negatives]).tolist()},
                       schema={"anchor_id": pl.UInt64, "text_ids": pl.List(pl.UInt64)})
    pairs = pl.DataFrame({"query_id": anchors, "doc_id": positives})
    queries, docs = np.unique(anchors), positives
    canon = Canonical(queries=pl.DataFrame({"query_id": queries, "text": queries.astype(str)}),
                      corpus=pl.DataFrame({"doc_id": docs, "text": docs.astype(str)}), positives=pairs,
                      negatives=pl.DataFrame(), rows=pl.DataFrame(), empty=pl.DataFrame())
    texts = pl.DataFrame({"anchor": anchors.astype(str), "positive": positives.astype(str)})
    view = texts.lazy().select(query="anchor", positive=as_list("positive"), negative=as_list())
    layout = Layout(rows=texts, pairs=pairs, rejects=no_rejects(), view=view, ids=ids)
    return canon, layout, no_links(len(queries)), no_links(len(docs))


def report(name: str, inputs: tuple, sizes: tuple[int, ...]) -> None:
    """One table row per B; `pack s` times the packing function alone (the plan also counts conflicts)."""
    import pipeline.stages.batches as batches

    pack = batches.pack_blocks
    packing_seconds = []

    def timed(*args):
        start = time.perf_counter()
        packing = pack(*args)
        packing_seconds.append(time.perf_counter() - start)
        return packing

    anchor_ids = inputs[1].ids["anchor_id"]
    largest = anchor_ids.value_counts()["count"].max()
    batches.pack_blocks = timed
    try:
        for batch_size in sizes:
            start = time.perf_counter()
            stats = batches.plan_batches(*inputs, batch_size, "short-blocks").stats
            seconds = time.perf_counter() - start
            print(f"| {name} | {len(anchor_ids):,} | {largest} | {batch_size} "
                  f"| {full_block_bound(anchor_ids, batch_size)} | {stats['full_blocks']} | {stats['shorter_blocks']} "
                  f"| {stats['rows_in_shorter_blocks']} | {stats['conflicts_after_layout']} "
                  f"| {packing_seconds[-1]:.2f} | {seconds:.2f} |", flush=True)
    finally:
        batches.pack_blocks = pack


def scifact_slice(data: Path, folder: Path) -> Path:
    (folder / "qrels").mkdir(parents=True)
    for name in ("corpus.jsonl", "queries.jsonl"):
        (folder / name).symlink_to(data / "scifact" / name)
    lines = (data / "scifact" / "qrels" / "train.tsv").read_text().splitlines(keepends=True)
    (folder / "qrels" / "train.tsv").write_text("".join(lines[:301]))
    return folder


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data")
    parser.add_argument("--cache-dir", default=str(Path.home() / ".cache" / "prep" / "embeddings"))
    parser.add_argument("--synthetic", type=int, default=1_000_000, help="rows of the synthetic case (0: none)")
    parser.add_argument("--real", action=argparse.BooleanOptionalAction, default=True, help="the real data sets")
    args = parser.parse_args()
    os.environ["HF_HUB_OFFLINE"] = "1"
    print("| data | rows | largest query | B | bound | full blocks | shorter blocks | rows in shorter | conflicts "
          "| pack s | plan s |\n|---|---|---|---|---|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as folder:
        runs = [("FiQA sample", REPO / "data" / "sample" / "fiqa_sample.jsonl", None,
                 {"anchor": "question", "positive": "documents"}),
                ("SciFact slice", scifact_slice(args.data, Path(folder) / "slice"), "beir", None),
                ("SciFact train", args.data / "scifact", "beir", None)] if args.real else []
        for name, data, fmt, columns in runs:
            report(name, captured_inputs(data, fmt, columns, args.cache_dir), SIZES)
    if args.synthetic:
        report("synthetic", synthetic(args.synthetic), (64, 1024))


if __name__ == "__main__":
    main()
