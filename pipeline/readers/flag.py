"""FlagEmbedding JSONL: {query, pos: [..], neg: [..], pos_scores?, neg_scores?, prompt?, type?}."""

from pathlib import Path

import polars as pl

from pipeline.canonical import InputRows
from pipeline.errors import InputError
from pipeline.readers.files import check_kinds, collect_rows, line_unit, scan_table

EXPECTED = {"query": "text", "pos": "texts", "neg": "texts", "pos_scores": "numbers", "neg_scores": "numbers"}
FIELDS = {"query": "query", "positive": "pos", "negative": "neg",
          "positive_score": "pos_scores", "negative_score": "neg_scores"}


def read_flag(path: Path) -> InputRows:
    frame = collect_rows(scan_table(path), path, EXPECTED)
    for required in ("query", "pos"):
        if required not in frame.columns:
            raise InputError(path, f"missing required field '{required}' (FlagEmbedding rows are "
                             "{query, pos: [...], neg: [...]})")
    check_kinds(frame, path, EXPECTED)
    rename = {theirs: ours for ours, theirs in FIELDS.items() if theirs in frame.columns}
    frame = frame.select("row", *rename).rename(rename)
    if "negative" not in frame.columns:
        frame = frame.with_columns(negative=pl.lit([], pl.List(pl.String)))
    return InputRows(frame, path, FIELDS, line_unit(path))
