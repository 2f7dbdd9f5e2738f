"""The parts of `manifest.json` that describe a run: filters, layout, scores (`pipeline.provenance`: inputs and
versions; `pipeline.row_accounting`: the rows in, out and rejected per stage)."""

import shlex

import numpy as np
import polars as pl

from pipeline.config import RunConfig
from pipeline.layouts.flag import FLAG_FILE, FLAG_FOLDER, flag_file_rows, short_file_note
from pipeline.layouts.layout import Layout
from pipeline.stages.mine import MiningResult
from pipeline.wording import counted


def filter_summary(mined: MiningResult, config: RunConfig) -> dict:
    margin = config.mining.relative_margin
    phrases = {
        "is_positive": "because they are known positives of the query or of a near-duplicate query, or its own "
                       "text",
        "near_duplicate_of_positive": f"as near-duplicates (cosine >= {config.mining.near_duplicate}) of a positive",
        "near_copy_of_query": f"as near-copies (cosine >= {config.mining.near_duplicate}) of the query itself",
        "above_relative_margin": f"above {1 - (margin or 0):.0%} of the query's lowest positive score" + (
            f" ({1 + (margin or 0):.0%} of one below 0: the margin is sign-safe)"
            if len(mined.positive_scores) and mined.positive_scores.min() < 0 else ""),
        "above_absolute_margin": f"within {config.mining.absolute_margin} of the query's lowest positive score",
        "neighbor_of_positive": f"as one of the {config.mining.positive_neighbors} nearest documents of a positive",
        "above_max_score": f"above max_score {config.mining.max_score}",
        "below_min_score": f"below min_score {config.mining.min_score}",
        "copy_of_a_candidate": "as the same text to the encoder as an earlier candidate of the query (they differ "
                               "only in case or accents, which its tokenizer folds)",
    }
    summary: dict = {"range_max": mined.range_max, "queries_searched_deeper": mined.deepened,
                     "positives_ranked_low": mined.ranked_low.height,
                     "queries_searched_for_positive_rank": mined.rank_searches}
    if mined.ranked_low.height:
        summary["ranked_low_message"] = (
            f"rejected {counted(mined.ranked_low.height, '(query, positive) pair', '(query, positive) pairs')} whose "
            f"positive has "
            f"{config.mining.max_positive_rank} or more documents ranked above it (mining.max_positive_rank)")
    for source, counts in mined.skipped.items():
        total = mined.candidates.get(source, 0)
        summary[source] = {"candidates": total, "skipped": counts, "messages": [
            f"skipped {n:,} {source} {'candidate' if n == 1 else 'candidates'} ({_share(n, total)}) {phrases[reason]}"
            for reason, n in counts.items() if n and total]}
    return summary


def _share(part: int, total: int) -> str:
    """part of total as a percentage; one that rounds to 0.0% or 100.0% but is neither says so ("<0.1%", ">99.9%")."""
    if part > 0 and part / total < 0.0005:
        return "<0.1%"
    return ">99.9%" if part < total and part / total >= 0.9995 else f"{part / total:.1%}"


def layout_summary(layout: Layout, config: RunConfig, scores_note: str | None = None,
                   prompts: tuple[str | None, str | None] = (None, None)) -> dict:
    """What was written and how to load it; fill policy additions are stated, never hidden, and so is a
    `scores_note` on input scores the output does not hold. `prompts`: the (query, document) prompts mined with."""
    settings = config.layout
    splits = layout.splits if layout.splits is not None else {"train": layout.rows}
    files = flag_file_rows(layout.rows) if settings.layout == "flag" else {}
    if files:
        train_data = FLAG_FILE if FLAG_FILE in files else FLAG_FOLDER
        load = (f"FlagEmbedding: --train_data OUT/{train_data} --train_group_size {config.mining.negatives + 1}"
                f"{flag_instructions(layout.rows.columns, *prompts)}")
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
    if settings.layout == "labeled-pair" and layout.rows.height and layout.rows[:, 2].n_unique() == 1:
        summary["warning"] = (f"every pair is labelled {layout.rows[0, 2]:g}: a pair loss learns nothing from one "
                              "label; give the queries negatives (prep run mines them) or keep graded scores")
    if settings.layout in ("n-tuple", "flag"):
        summary["negatives_per_row"] = config.mining.negatives  # train_group_size - 1 for flag
        if settings.all_negatives and layout.rows.height:
            held = layout.rows["neg"].list.len()
            summary["negatives_held"] = {"min": int(held.min()), "max": int(held.max()), "total": int(held.sum()),
                                         "note": "all_negatives: FlagEmbedding samples negatives_per_row of a "
                                                 "row's negatives each epoch"}
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


def chosen_stats(negatives: pl.DataFrame) -> dict:
    """Score statistics of the chosen negatives, and apart for those the input gave and those mined where both are."""
    stats = score_stats(negatives["score"].to_numpy())
    if negatives["source"].n_unique() > 1:
        stats["by_source"] = {source: score_stats(part["score"].to_numpy()) for (source,), part in
                              sorted(negatives.partition_by("source", as_dict=True).items())}
    return stats


def score_stats(values: np.ndarray) -> dict:
    if len(values) == 0:
        return {"count": 0}
    quantiles = np.quantile(values, [0.1, 0.5, 0.9])
    return {"count": len(values), "mean": round(float(values.mean()), 4),
            **{f"p{q}": round(float(v), 4) for q, v in zip((10, 50, 90), quantiles, strict=True)}}


def flag_instructions(columns: list[str], query: str | None, document: str | None) -> str:
    """FlagEmbedding's instruction flags for the load line: the prompts mined with, and a query instruction always.
    Where rows hold a prompt, FlagEmbedding reads it in place of the instruction, but outside
    --same_dataset_within_batch only once the instruction is set (to anything); where none does,
    --same_dataset_within_batch (which the per-type files are for) puts the text 'None' before each query without it."""
    instruction = query if query and "prompt" not in columns else ""
    flags = f" --query_instruction_for_retrieval {shlex.quote(instruction)} --query_instruction_format '{{}}{{}}'"
    if document:
        flags += f" --passage_instruction_for_retrieval {shlex.quote(document)} --passage_instruction_format '{{}}{{}}'"
    return flags
