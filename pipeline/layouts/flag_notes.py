"""What a flag output cannot carry from its input, said: FlagEmbedding's no_in_batch_neg mark on the input's name,
and the types that FlagEmbedding trains with fewer negatives than train_group_size - 1."""

from pathlib import Path

import polars as pl

from pipeline.layouts.selection import Selection
from pipeline.wording import counted

MARK = "no_in_batch_neg"  # AbsEmbedderSameDatasetTrainDataset: a --train_data file or folder named so
FEWER = ("only_1neg", "symmetric_class")  # _get_train_group_size: 2, and min(negatives + 1, train_group_size)


def unmarked_note(path: Path) -> str | None:
    """The input's name marks it as data without in-batch negatives; the output's name does not."""
    if not any(name.endswith(MARK) for name in (path.stem, path.name, path.parent.name)):
        return None
    return (f"the input's name ends in {MARK}, FlagEmbedding's mark for data trained without in-batch negatives "
            f"(with --same_dataset_within_batch), and the output's does not: give --train_data a name that ends so "
            f"(rename OUT/train.jsonl to OUT/train-{MARK}.jsonl, or OUT/train to OUT/train-{MARK})")


def typed_short_note(selection: Selection, k: int) -> str | None:
    """Queries of a type that FlagEmbedding trains with fewer than K negatives, rejected for holding fewer."""
    if "type" not in selection.instructions.columns:
        return None
    typed = selection.instructions.filter(pl.col("type").is_in(FEWER)).select("query_id", "type")
    short = selection.counts().filter(pl.col("negatives").is_between(1, k - 1)).join(typed, on="query_id")
    if short.is_empty():
        return None
    kinds = " and ".join(sorted(short["type"].unique()))
    return (f"{counted(short.height, 'query', 'queries')} of FlagEmbedding type {kinds} hold fewer than {k} "
            "negatives and are rejected, though FlagEmbedding trains only_1neg with 1 negative and symmetric_class "
            "with as many as a row has, whatever --train_group_size says: --fill repeat keeps them")
