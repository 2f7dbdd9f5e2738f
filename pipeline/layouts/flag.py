"""FlagEmbedding's training JSONL: {query, pos: [...], neg: [...]} with exactly train_group_size - 1 negatives,
and with scores `pos_scores` / `neg_scores` for distillation. One row per query holding all its positives, with the
input's `prompt` and `type` where every row written has them (`complete_instructions`, once the partitions are
joined)."""

import re

import polars as pl

from pipeline.layouts.layout import Layout
from pipeline.layouts.selection import Selection, short_rejects

FLAG_FILE = "train.jsonl"
FLAG_FOLDER = "train"
UNTYPED = "untyped"  # the file name of the empty type


def lay_out_flag(selection: Selection, scores: bool, all_negatives: bool = False) -> Layout:
    """With `all_negatives`, a row holds every negative of its query (at least K): FlagEmbedding samples
    train_group_size - 1 of them each epoch."""
    k = selection.k
    counts = selection.counts()
    complete = counts.filter(pl.col("negatives") >= k).select("query_id")
    pairs = selection.pairs()
    kept = pairs.join(complete, on="query_id", how="semi", maintain_order="left")
    negatives = (selection.negative_texts().filter(pl.lit(all_negatives) | (pl.col("rank") <= k))
                 .group_by("query_id").agg(neg=pl.col("text").sort_by("rank"),
                                           neg_scores=pl.col("score").sort_by("rank")))
    rows = (kept.group_by("query_id", maintain_order=True).agg(query=pl.col("anchor").first(), pos="positive",
                                                                 pos_scores="score")
            .join(negatives, on="query_id", maintain_order="left")
            .join(selection.instructions, on="query_id", how="left", maintain_order="left"))
    extra = ["pos_scores", "neg_scores"] if scores else []
    instructions = [name for name in selection.instructions.columns if name != "query_id"]
    return Layout(
        rows=rows.select("query", "pos", "neg", *extra, *instructions),
        pairs=kept.select("query_id", "doc_id"),
        rejects=short_rejects(pairs, counts, k, "fewer_than_group_size_negatives"),
        view=rows.lazy().select("query", positive="pos", negative="neg"),
    )


def flag_files(rows: pl.DataFrame) -> dict[str, pl.DataFrame]:
    """The layout's files by path: train.jsonl, or with more than one `type` one train/<type>.jsonl per type (the
    folder is the --train_data). FlagEmbedding's --same_dataset_within_batch draws each batch from one file, takes
    the file's first type for all of them and fails on a batch that mixes types; without it the folder reads as one
    file would."""
    if not _by_type(rows):
        return {FLAG_FILE: rows}
    parts = rows.partition_by("type", as_dict=True, maintain_order=True)
    return dict(zip(_paths([kind for (kind,) in parts]), parts.values(), strict=True))


def flag_file_rows(rows: pl.DataFrame) -> dict[str, int]:
    """flag_files' paths with their row counts, counted without copying the rows into partitions."""
    if not _by_type(rows):
        return {FLAG_FILE: rows.height}
    counts = rows.group_by("type", maintain_order=True).len()  # first appearance, as partition_by orders them
    return dict(zip(_paths(counts["type"].to_list()), counts["len"].to_list(), strict=True))


def short_file_note(files: dict[str, int]) -> str:
    """FlagEmbedding (AbsEmbedderSameDatasetTrainDataset.refresh_epoch) cuts each file into full batches and drops
    the rest, so a file smaller than one batch is never trained on; the batch size is the trainer's, so the
    smallest file is named for the user to compare."""
    path, rows = min(files.items(), key=lambda item: item[1])
    return (f"with --same_dataset_within_batch FlagEmbedding skips every file with fewer rows than "
            f"per_device_train_batch_size x GPUs (half that for a type containing 'symmetric'); the smallest, "
            f"{path}, has {rows:,} {'row' if rows == 1 else 'rows'}")


def _by_type(rows: pl.DataFrame) -> bool:
    return "type" in rows.columns and rows["type"].n_unique() > 1


def _paths(kinds: list[str]) -> list[str]:
    """A file per type, in the order given: characters a file name cannot hold and a leading dot (a hidden file)
    become _, an empty type is `untyped`; where two names are equal ignoring case (as on macOS and Windows file
    systems) every name starts with its index instead, so an empty type and a real `untyped` stay apart too."""
    names = [re.sub(r"^\.|[^\w.-]", "_", kind) or UNTYPED for kind in kinds]
    if len({name.casefold() for name in names}) < len(names):
        names = [f"{index}-{name}" for index, name in enumerate(names)]
    return [f"{FLAG_FOLDER}/{name}.jsonl" for name in names]
