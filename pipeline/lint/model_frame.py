"""The frame a layout's pandera model validates (schemas/layouts.py): the role columns under the model's names, and
columns without a single value typed as the model wants them, so that what is checked is the data, not its reading."""

from typing import TYPE_CHECKING

import polars as pl

from pipeline.lint.layouts import LABEL_COLUMNS

if TYPE_CHECKING:
    from pipeline.lint.table import LintTable


def model_names(table: "LintTable") -> dict[str, str]:
    """A labeled pair named with st's names, (query, answer, label), is checked as (sentence1, sentence2, label):
    the trainer reads its columns by position, so the names do not matter to it. A score column of another name
    (--columns score=sim) is checked as `score`; label-column-name says that ST will not take it as the label.
    A labeled list is checked as (query, docs, labels) whatever ST named its columns."""
    if table.layout == "labeled-list":  # ST's own shapes too: {anchor, positive: [..], scores}, {documents, ...}
        wanted = {table.roles.anchor: "query", table.roles.positives[0]: "docs"}
        wanted |= {table.roles.label: "labels"} if table.roles.label else {}
    elif table.layout == "labeled-pair":
        wanted = {table.roles.anchor: "sentence1", table.roles.positives[0]: "sentence2"}
        if table.roles.label and table.roles.label not in LABEL_COLUMNS:
            wanted[table.roles.label] = "score"
    else:
        return {}
    return {old: new for old, new in wanted.items() if old != new and new not in table.frame.columns}


def typed_by_model(frame: pl.DataFrame, model: type) -> pl.DataFrame:
    """A column without a single value takes the type the model wants: JSON types neither null nor `[]` (a list of
    texts or of numbers alike), so only its nulls are left to check."""
    wanted = {name: column.dtype.type for name, column in model.to_schema().columns.items()
              if name in frame.columns and _holds_nothing(frame[name])}
    # An all-empty list column stays a list where the model wants a text or a number: the check then reports it
    wanted = {name: dtype for name, dtype in wanted.items()
              if isinstance(dtype, pl.List) or frame[name].null_count() == frame.height}
    return frame.with_columns(pl.lit(None, dtype).alias(name) if frame[name].null_count() == frame.height
                              else pl.col(name).cast(dtype) for name, dtype in wanted.items())


def _holds_nothing(values: pl.Series) -> bool:
    """Every row null or an empty list."""
    if values.null_count() == values.len():
        return True
    return isinstance(values.dtype, pl.List) and values.list.len().fill_null(0).max() == 0
