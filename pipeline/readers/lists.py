"""Labeled lists (query, docs: list, labels: list), as CrossEncoder listwise losses read them.

A document labeled above 0 is a positive of the query, one at or below 0 a negative; the label is kept as its score.
"""

from pathlib import Path

import polars as pl

from pipeline.canonical import InputRows
from pipeline.errors import InputError
from pipeline.readers.files import ROW, line_unit, peek_columns, read_columns

EXPECTED = {"query": "text", "docs": "texts", "labels": "numbers"}


def read_lists(path: Path, split: str = "train") -> InputRows:
    available = peek_columns(path, split).names()
    for required in EXPECTED:
        if required not in available:
            raise InputError(path, f"missing required field '{required}' (labeled lists are "
                             "{query, docs: [...], labels: [...]}); fields are " + str(available))
    frame = read_columns(path, EXPECTED, split)
    unit = line_unit(path)
    for field in ("docs", "labels"):
        missing = frame.filter(pl.col(field).is_null())
        if missing.height:
            raise InputError(path, f"no '{field}' list; labeled lists are {{query, docs: [...], labels: [...]}}",
                             field=field, **{unit: missing[ROW][0]})
    uneven = frame.filter(pl.col("docs").list.len() != pl.col("labels").list.len())
    if uneven.height:
        row = uneven.row(0, named=True)
        raise InputError(path, f"{len(row['docs'])} docs but {len(row['labels'])} labels; each doc needs its label",
                         field="labels", **{unit: row[ROW]})
    null_label = frame.filter(pl.col("labels").list.eval(pl.element().is_null()).list.any())
    if null_label.height:
        raise InputError(path, "a label is null; every doc needs a number", field="labels",
                         **{unit: null_label[ROW][0]})
    pairs = frame.select(ROW, "query", pl.col("docs").alias("doc"), pl.col("labels").cast(pl.List(pl.Float64))
                         .alias("label")).explode("doc", "label")
    positive = pl.col("label") > 0
    grouped = pairs.group_by(ROW, maintain_order=True).agg(
        positive=pl.col("doc").filter(positive),
        negative=pl.col("doc").filter(~positive),
        positive_score=pl.col("label").filter(positive),
        negative_score=pl.col("label").filter(~positive),
    )
    # A row with empty lists has no pairs: it keeps its query, with no positive (rejected as no_positive).
    roles = ("positive", "negative", "positive_score", "negative_score")
    frame = (frame.select(ROW, "query").join(grouped, on=ROW, how="left", maintain_order="left")
             .with_columns(pl.col(role).fill_null(pl.lit([], grouped.schema[role])) for role in roles)
             .rename({ROW: "row"}))
    fields = {"query": "query", "positive": "docs", "negative": "docs", "positive_score": "labels",
              "negative_score": "labels"}
    return InputRows(frame, path, fields, unit)
