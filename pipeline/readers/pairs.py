"""Scored pairs (sentence1, sentence2, score|label), as AnglE, CoSENT and CosineSimilarityLoss read them.

A pair with a score above 0 is a positive of sentence1, one at or below 0 a negative; the score is kept.
"""

from pathlib import Path

import polars as pl

from pipeline.canonical import InputRows
from pipeline.errors import InputError
from pipeline.readers.files import check_kinds, collect_rows, line_unit, scan_table

SCORE_NAMES = ("score", "label", "similarity_score")


def read_pairs(path: Path, columns: dict[str, str] | None = None, split: str = "train") -> InputRows:
    frame = collect_rows(scan_table(path, split), path, {})
    names = resolve_pair_columns(frame.columns, columns or {}, path)
    check_kinds(frame, path, {names["sentence1"]: "text", names["sentence2"]: "text"})
    score = pl.col(names["score"]).cast(pl.Float64)
    if not frame.schema[names["score"]].is_numeric() and frame.schema[names["score"]] != pl.Null:
        raise InputError(path, f"expected numbers, the column holds {frame.schema[names['score']]}",
                         field=names["score"])
    one = pl.concat_list(names["sentence2"])
    is_positive = score > 0
    frame = frame.select(
        "row",
        query=names["sentence1"],
        positive=pl.when(is_positive).then(one).otherwise(pl.lit([], pl.List(pl.String))),
        negative=pl.when(is_positive).then(pl.lit([], pl.List(pl.String))).otherwise(one),
        positive_score=pl.when(is_positive).then(pl.concat_list(score)),
        negative_score=pl.when(is_positive).then(None).otherwise(pl.concat_list(score)),
    )
    fields = {"query": names["sentence1"], "positive": names["sentence2"], "negative": names["sentence2"],
              "positive_score": names["score"], "negative_score": names["score"]}
    return InputRows(frame, path, fields, line_unit(path))


def resolve_pair_columns(available: list[str], mapped: dict[str, str], path: Path) -> dict[str, str]:
    names = {"sentence1": mapped.get("sentence1", mapped.get("anchor", "sentence1")),
             "sentence2": mapped.get("sentence2", mapped.get("positive", "sentence2")),
             "score": mapped.get("score") or mapped.get("label")
             or next((name for name in SCORE_NAMES if name in available), "score")}
    for role, name in names.items():
        if name not in available:
            raise InputError(path, f"missing column '{name}' for {role}; columns are {available}. "
                             f"Map yours with --columns {role}=COLUMN")
    return names
