"""Scored pairs (sentence1, sentence2, score|label), as AnglE, CoSENT and CosineSimilarityLoss read them.

A pair with a score above 0 is a positive of sentence1, one at or below 0 a negative; the score is kept.
"""

from pathlib import Path

import polars as pl

from pipeline.canonical import InputRows
from pipeline.errors import InputError
from pipeline.readers.files import ROW, line_unit, peek_columns, read_columns

SCORE_NAMES = ("score", "label", "labels", "scores", "similarity_score")


def read_pairs(path: Path, columns: dict[str, str] | None = None, split: str = "train") -> InputRows:
    schema = peek_columns(path, split)
    names = resolve_pair_columns(schema.names(), columns or {}, path)
    frame = read_columns(path, {names["sentence1"]: "text", names["sentence2"]: "text", names["score"]: "number"},
                         split)
    score = _scores(frame, names["score"], path, line_unit(path))
    one = pl.concat_list(names["sentence2"])
    no_texts = pl.lit([], pl.List(pl.String))
    is_positive = score > 0
    frame = frame.select(
        row=ROW,
        query=names["sentence1"],
        positive=pl.when(is_positive).then(one).otherwise(no_texts),
        negative=pl.when(is_positive).then(no_texts).otherwise(one),
        positive_score=pl.when(is_positive).then(pl.concat_list(score)),
        negative_score=pl.when(is_positive).then(None).otherwise(pl.concat_list(score)),
    )
    fields = {"query": names["sentence1"], "positive": names["sentence2"], "negative": names["sentence2"],
              "positive_score": names["score"], "negative_score": names["score"]}
    return InputRows(frame, path, fields, line_unit(path))


def _scores(frame: pl.DataFrame, column: str, path: Path, unit: str) -> pl.Series:
    """The score column as floats; a missing or non-numeric score is an error, never a silent negative."""
    raw = frame[column]
    score = raw.cast(pl.Float64, strict=False) if raw.dtype == pl.String or raw.dtype.is_numeric() else None
    if score is None:
        raise InputError(path, f"expected numbers, the column holds {raw.dtype}", field=column)
    bad = frame.filter(score.is_null() | score.is_nan())
    if bad.height:
        value = bad[column][0]
        message = "is null; expected a number" if value is None else f"'{value}' is not a number"
        if isinstance(value, float):
            message = "is NaN; expected a number"
        raise InputError(path, message, field=column, **{unit: bad[ROW][0]})
    return score


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
