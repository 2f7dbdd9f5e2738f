"""Sentence-transformers style tables: anchor, positive, and negatives as one column, a list, or negative_1..k."""

import re
from pathlib import Path

import polars as pl

from pipeline.canonical import InputRows
from pipeline.errors import InputError
from pipeline.readers.files import check_kinds, collect_rows, line_unit, scan_table

SYNONYMS = {
    "anchor": ("anchor", "query", "question"),
    "positive": ("positive", "pos", "answer"),
    "negative": ("negative", "neg"),
}
_NUMBERED_NEGATIVE = re.compile(r"^negative_(\d+)$")


def read_st(path: Path, columns: dict[str, str] | None = None, split: str = "train") -> InputRows:
    frame = collect_rows(scan_table(path, split), path, {})
    mapped = columns or {}
    anchor = _find(frame.columns, mapped, "anchor", path, required=True)
    positive = _find(frame.columns, mapped, "positive", path, required=True)
    negatives = _negative_columns(frame.columns, mapped, path)
    check_kinds(frame, path, {anchor: "text"})
    frame = frame.select(
        "row",
        query=anchor,
        positive=_as_list(frame, positive, path),
        negative=_negatives(frame, negatives, path),
    )
    fields = {"query": anchor, "positive": positive, "negative": "/".join(negatives) or "negative"}
    return InputRows(frame, path, fields, line_unit(path))


def _find(available: list[str], mapped: dict[str, str], role: str, path: Path, required: bool) -> str | None:
    if role in mapped:
        if mapped[role] not in available:
            raise InputError(path, f"--columns maps {role} to '{mapped[role]}', which is not a column; "
                             f"columns are {available}")
        return mapped[role]
    found = next((name for name in SYNONYMS[role] if name in available), None)
    if found is None and required:
        raise InputError(path, f"no {role} column: looked for {'|'.join(SYNONYMS[role])} in {available}. "
                         f"Map yours with --columns {role}=COLUMN")
    return found


def _negative_columns(available: list[str], mapped: dict[str, str], path: Path) -> list[str]:
    single = _find(available, mapped, "negative", path, required=False)
    if single:
        return [single]
    numbered = [(int(m.group(1)), name) for name in available if (m := _NUMBERED_NEGATIVE.match(name))]
    return [name for _, name in sorted(numbered)]


def _as_list(frame: pl.DataFrame, column: str, path: Path) -> pl.Expr:
    dtype = frame.schema[column]
    if dtype in (pl.String, pl.Null):
        return pl.concat_list(pl.col(column).cast(pl.String))
    check_kinds(frame, path, {column: "texts"})
    return pl.col(column)


def _negatives(frame: pl.DataFrame, columns: list[str], path: Path) -> pl.Expr:
    if not columns:
        return pl.lit([], pl.List(pl.String))
    if len(columns) == 1:
        return _as_list(frame, columns[0], path)
    check_kinds(frame, path, {column: "text" for column in columns})
    return pl.concat_list(columns)
