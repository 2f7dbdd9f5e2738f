"""The parts of `manifest.json` that describe a run: inputs, versions, row accounting, filters, scores."""

from importlib import metadata
from pathlib import Path

import numpy as np
import polars as pl

from pipeline.canonical import ROLES, Canonical
from pipeline.config import RunConfig
from pipeline.fingerprint import files_under, hash_file
from pipeline.input_rows import FilePart, row_place
from pipeline.layouts.flag import FLAG_FILE, FLAG_FOLDER, flag_file_rows, short_file_note
from pipeline.layouts.layout import Layout
from pipeline.lint.prep_output import train_data
from pipeline.stages.mine import MiningResult
from pipeline.stages.write import is_prep_manifest

# what prep writes beside the data of an output folder: an Arrow output given as DATA is read without them
PREP_FILES = ("manifest.json", "rejects.parquet", "report.json", "report.html")
PACKAGES = ("prep", "polars", "pyarrow", "datasets", "faiss-cpu", "sentence-transformers", "torch", "pandera", "ray")


def rejected_rows(canon: Canonical, negatives_kept: bool = False) -> pl.DataFrame:
    """Input rows that yield nothing: an empty query, or no positive at all (with `negatives_kept`, for the
    labeled layouts, a query with only negatives still yields its pairs scored 0, unless its only negative is its
    own text: `negative_is_anchor`)."""
    anchor_negatives = canon.negatives.filter(pl.col("doc_id") == pl.col("query_id"))["query_id"].implode()
    rows = canon.rows.with_columns(
        reason=pl.when(pl.col("query_id").is_null()).then(pl.lit("empty_query"))
        .when(pl.col("query_id").is_in(_yielding(canon, negatives_kept).implode())).then(None)
        .when(negatives_kept & pl.col("query_id").is_in(anchor_negatives)).then(pl.lit("negative_is_anchor"))
        .otherwise(pl.lit("no_positive")))
    return rows.filter(pl.col("reason").is_not_null()).select(
        pl.col("row").cast(pl.Int64), "reason",
        detail=pl.when(pl.col("reason") == "negative_is_anchor")
        .then(pl.lit("the input row's only negative is its query's own text, which is never a pair"))
        .otherwise(pl.lit("the input row has no usable (query, positive) pair")))


def _yielding(canon: Canonical, negatives_kept: bool) -> pl.Series:
    negatives = canon.negatives.filter(pl.col("doc_id") != pl.col("query_id"))  # the query's own text: no pair
    queries = [canon.positives["query_id"], *([negatives["query_id"]] if negatives_kept else [])]
    return pl.concat(queries).unique()


def stage_counts(canon: Canonical, rows_out: int, pair_rejects: pl.DataFrame,
                 negatives_kept: bool = False) -> list[dict]:
    """rows_in == rows_out + rows_rejected, per stage, with the check written down."""
    rejected = rejected_rows(canon, negatives_kept)
    # Counted apart from the rejects: input rows whose query kept at least one pair.
    with_pairs = int(canon.rows["query_id"].is_in(_yielding(canon, negatives_kept).implode()).sum())
    pairs = canon.positives.height
    read = {"stage": "read", "unit": "input rows", "rows_in": canon.rows.height, "rows_out": with_pairs,
            "rows_rejected": rejected.height, "reconciled": canon.rows.height == with_pairs + rejected.height,
            "rejected_by_reason": _by_reason(rejected),
            # empty or whitespace-only texts are not texts: counted here (report.json lists them), never paired
            "empty_texts": {role: int((canon.empty["role"] == role).sum()) for role in ROLES},
            # null negative_k cells (a CSV empty cell among them): negatives the row lacks, not texts
            "missing_negatives": canon.missing_negatives,
            "repeated_pairs": _repeated(canon.repeated, canon.parts),
            "note": "rows repeating a query are merged into that query; their positives and negatives are kept, "
                    "a (query, text) pair given again once, with its first score"}
    read |= _empty_texts(canon, read["empty_texts"])
    other = canon.repeated.filter("other_score").sort("row")
    if other.height:
        read["message"] = (f"{other.height:,} repeated (query, text) pairs have another score than their first "
                           "occurrence, which is kept (the first such repeat: "
                           f"{row_place(canon.parts, other['row'][0])}); manifest: stages.read.repeated_pairs")
    return [
        read,
        {"stage": "layout", "unit": "(query, positive) pairs", "rows_in": pairs, "rows_out": rows_out,
         "rows_rejected": pair_rejects.height, "reconciled": pairs == rows_out + pair_rejects.height,
         "rejected_by_reason": _by_reason(pair_rejects)},
    ]


def _empty_texts(canon: Canonical, counts: dict[str, int]) -> dict:
    """Where the empty texts were (each text's own line, as a BEIR qrels line), and the console line that says
    they are left out: without it a pair with an empty text vanished from the output without a word."""
    empty = canon.empty.filter(pl.col("role").is_in(ROLES))  # not a BEIR corpus's unjudged documents
    if empty.is_empty():
        return {}
    rows = empty["line" if "line" in empty.columns else "row"].cast(pl.Int64).unique().sort()
    roles = ", ".join(f"{role} {n:,}" for role, n in counts.items() if n)
    return {"rows_with_empty_texts": rows.head(20).to_list(),
            "empty_texts_message": f"left out {empty.height:,} empty or whitespace-only "
                                   f"text{'s' if empty.height > 1 else ''} ({roles}) from the output "
                                   f"(the first: {row_place(canon.parts, rows[0])}); "
                                   "manifest: stages.read.empty_texts"}


def _by_reason(rejects: pl.DataFrame) -> dict[str, int]:
    """{reason: count}, the most frequent first."""
    counts = rejects["reason"].value_counts().sort(["count", "reason"], descending=[True, False])
    return dict(counts.iter_rows())


def _repeated(repeated: pl.DataFrame, parts: tuple[FilePart, ...]) -> dict:
    """Counts per role; the first 20 rows with another score, and for a folder where each is (`FILE line L`)."""
    counts = {role: int((repeated["role"] == role).sum()) for role in ROLES[1:]}
    rows = repeated.filter("other_score").sort("row")["row"].cast(pl.Int64)
    places = {"places_with_another_score": [row_place(parts, row) for row in rows.head(20)]} if parts else {}
    return counts | {"with_another_score": rows.len(), "rows_with_another_score": rows.head(20).to_list()} | places


def filter_summary(mined: MiningResult, config: RunConfig) -> dict:
    margin = config.mining.relative_margin
    phrases = {
        "is_positive": "because they are known positives of the query or of a near-duplicate query, or its own "
                       "text",
        "near_duplicate_of_positive": f"as near-duplicates (cosine >= {config.mining.near_duplicate}) of a positive",
        "above_relative_margin": f"above {1 - (margin or 0):.0%} of the query's lowest positive score",
        "above_absolute_margin": f"within {config.mining.absolute_margin} of the query's lowest positive score",
        "neighbor_of_positive": f"as one of the {config.mining.positive_neighbors} nearest documents of a positive",
        "above_max_score": f"above max_score {config.mining.max_score}",
        "below_min_score": f"below min_score {config.mining.min_score}",
    }
    summary: dict = {"range_max": mined.range_max, "queries_searched_deeper": mined.deepened,
                     "positives_ranked_low": mined.ranked_low.height,
                     "queries_searched_for_positive_rank": mined.rank_searches}
    if mined.ranked_low.height:
        summary["ranked_low_message"] = (
            f"rejected {mined.ranked_low.height:,} (query, positive) pairs whose positive has "
            f"{config.mining.max_positive_rank} or more documents ranked above it (mining.max_positive_rank)")
    for source, counts in mined.skipped.items():
        total = mined.candidates.get(source, 0)
        summary[source] = {"candidates": total, "skipped": counts, "messages": [
            f"skipped {n:,} {source} candidates ({n / total:.1%}) {phrases[reason]}"
            for reason, n in counts.items() if n and total]}
    return summary


def layout_summary(layout: Layout, config: RunConfig, scores_note: str | None = None) -> dict:
    """What was written and how to load it; fill policy additions are stated, never hidden, and so is a
    `scores_note` on input scores the output does not hold."""
    settings = config.layout
    splits = layout.splits if layout.splits is not None else {"train": layout.rows}
    files = flag_file_rows(layout.rows) if settings.layout == "flag" else {}
    if files:
        train_data = FLAG_FILE if FLAG_FILE in files else FLAG_FOLDER
        load = f"FlagEmbedding: --train_data OUT/{train_data} --train_group_size {config.mining.negatives + 1}"
    elif settings.shard_format == "parquet" and layout.splits is not None:
        load = ('DatasetDict({name: load_dataset("parquet", data_dir=f"OUT/data/{name}", split="train") '
                f"for name in {sorted(splits)}}})")
    elif settings.shard_format == "parquet":
        load = 'datasets.load_dataset("parquet", data_dir="OUT/data")'
    else:
        load = "datasets.load_from_disk(OUT)"
    summary = {"layout": settings.layout, "load": load,
               "splits": {name: {"rows": rows.height, "columns": rows.columns} for name, rows in splits.items()}}
    if len(files) > 1:
        summary["files"] = files
        summary["files_note"] = short_file_note(files)
    if scores_note:
        summary["scores_note"] = scores_note
    if settings.layout in ("n-tuple", "flag"):
        summary["negatives_per_row"] = config.mining.negatives
        summary["fill"] = settings.fill
        summary["negatives_added_by_fill"] = layout.filled
        if layout.filled.get("repeated"):
            summary["note"] = (f"{layout.filled['repeated']:,} negatives (counted once per query, in each of its "
                               "rows) are repeats of the same query's negatives (fill 'repeat'), as FlagEmbedding "
                               "does for rows short of train_group_size - 1")
        if layout.filled.get("padding"):
            summary["warning"] = (f"{layout.filled['padding']:,} negatives (counted once per query, in each of its "
                                  "rows) are empty strings (fill 'pad'): the trainer uses them as real negatives")
    return summary


def score_stats(values: np.ndarray) -> dict:
    if len(values) == 0:
        return {"count": 0}
    quantiles = np.quantile(values, [0.1, 0.5, 0.9])
    return {"count": len(values), "mean": round(float(values.mean()), 4),
            **{f"p{q}": round(float(v), 4) for q, v in zip((10, 50, 90), quantiles, strict=True)}}


def describe_inputs(paths: list[Path]) -> list[dict]:
    """Each input file with its size and hash; in a folder, the files under it but dotfiles (.DS_Store), which no
    reader reads; of a prep output folder, those of the data in it that is read (`train_data`; an Arrow dataset
    beside them), not its manifest, report and rejects."""
    return [{"path": str(file), "bytes": file.stat().st_size, "xxh64": hash_file(file)}
            for path in paths for file in _read_files(train_data(Path(path)))]


def _read_files(path: Path) -> list[Path]:
    written = PREP_FILES if path.is_dir() and is_prep_manifest(path / "manifest.json") else ()
    return [file for file in files_under(path) if not any(part.startswith(".") for part in file.relative_to(path).parts)
            and not (file.parent == path and file.name in written)]


def package_versions() -> dict[str, str]:
    versions = {}
    for package in PACKAGES:
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package] = "not installed"
    return versions
