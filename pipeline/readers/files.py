"""Read the columns a reader needs from any supported file, strictly typed, and name the line and field that break.

Readers first `peek_columns` (names and types from the first rows), decide which columns they need and what
kind each must be ("text", "texts" = list of strings, "number", "numbers" = list of numbers), then
`read_columns`. JSON files are parsed in `json_files`, the other tables scanned in `table_files`.
"""

import codecs
from pathlib import Path

import polars as pl

from pipeline.errors import InputError, missing
from pipeline.readers.csv_quotes import first_bad_quote, first_bad_utf8
from pipeline.readers.empty_lines import empty_lines
from pipeline.readers.json_arrays import json_array_schema, read_json_array
from pipeline.readers.json_errors import KINDS, located
from pipeline.readers.json_files import (
    file_suffix,
    is_json_lines,
    polars_source,
    read_json_lines,
)
from pipeline.readers.line_numbers import line_numbers
from pipeline.readers.ragged_rows import first_long_row, first_short_row
from pipeline.readers.table_files import scan_table
from pipeline.readers.table_folders import dataset_dict_splits
from pipeline.readers.text_encoding import refuse_other_encodings

ROW = "__row"  # 1-based row (the line number for JSON Lines), added to every table read
EMPTY_LAST = "__empty_last"  # a CSV/TSV row whose last field reads as empty: perhaps a row short of fields
BLANK = "__blank"  # a CSV/TSV row whose every field reads as empty: perhaps an empty line, which is no row


def line_unit(path: Path) -> str:
    """How a location in this file is named in errors: JSON lines have lines, other tables have rows."""
    return "line" if is_json_lines(path) else "row"


def is_blank(path: Path) -> bool:
    """An empty file, or one with nothing but whitespace, or a `.json` file holding `[]`, or a prep output that holds
    no table (a buckets output where no query has a negative: a DatasetDict of no split, or an empty Parquet data/
    folder beside its manifest): 0 rows. Any other empty folder is no dataset (an error where it is read)."""
    if path.is_dir():
        from pipeline.stages.write import is_prep_manifest

        splits = dataset_dict_splits(path)
        if splits is not None:
            return splits == []
        return not any(path.iterdir()) and is_prep_manifest(path.parent / "manifest.json")
    if not path.is_file():
        return False
    with path.open("rb") as handle:
        head = handle.read(1 << 16)
    content = b"".join(head.removeprefix(codecs.BOM_UTF8).split())
    empty = content in (b"", b"[]") if file_suffix(path) == ".json" else not content
    return empty and path.stat().st_size <= len(head)


def peek_columns(path: Path, split: str = "train") -> pl.Schema:
    """Column names and types as the first rows suggest; later rows are checked by `read_columns`."""
    if not path.exists():
        raise missing(path)
    refuse_other_encodings(path)
    if is_blank(path):
        return pl.Schema()
    try:
        if is_json_lines(path):
            with polars_source(path, 1000) as source:
                schema = pl.scan_ndjson(source, infer_schema_length=1000).collect_schema()
            if any(dtype in (pl.Null, pl.List(pl.Null)) for dtype in schema.values()):
                # Nulls or empty lists leave a field's type open: the whole file decides it (a list from line 5,000)
                with polars_source(path) as source:
                    schema = pl.scan_ndjson(source, infer_schema_length=None).collect_schema()
            return schema
        if file_suffix(path) == ".json":
            return json_array_schema(path)
        return scan_table(path, split).collect_schema()
    except pl.exceptions.PolarsError as error:
        raise located(path, {}, error, is_json_lines(path)) from None


def read_columns(path: Path, expected: dict[str, str], split: str = "train",
                 known: pl.Schema | None = None, inferred: bool = False) -> pl.DataFrame:
    """`ROW` plus the `expected` columns that the file has, each checked to be of its kind. With `known` (the
    columns the reader chose from), a JSON Lines field outside it raises LateColumns. `inferred`: `expected` holds
    the kinds the file's first lines showed (lint), not those its format needs."""
    if is_blank(path):
        return pl.DataFrame(schema={ROW: pl.UInt32})
    try:
        if is_json_lines(path):
            frame = read_json_lines(path, expected, known or peek_columns(path), known is not None)
        elif file_suffix(path) == ".json":
            frame = read_json_array(path, expected)
        else:
            scan = scan_table(path, split).with_row_index(ROW, offset=1)  # opened once: Arrow and datasets load eagerly
            available = scan.collect_schema().names()
            columns: list[str | pl.Expr] = [name for name in expected if name in available]
            if file_suffix(path) in {".csv", ".tsv"}:
                columns += [(pl.col(available[-1]) == "").alias(EMPTY_LAST), blank_row(ROW).alias(BLANK)]
            frame = scan.select(ROW, *columns).collect()
    except (pl.exceptions.PolarsError, OSError, ValueError) as error:
        if file_suffix(path) in {".csv", ".tsv"}:
            raise (first_bad_utf8(path) or first_long_row(path) or first_bad_quote(path)
                   or located(path, expected, error, False)) from None
        raise located(path, expected, error, is_json_lines(path), inferred) from None
    if EMPTY_LAST in frame.columns:
        blank = frame.filter(BLANK)[ROW]
        if blank.len():
            frame = frame.filter(~pl.col(ROW).is_in(empty_lines(path, blank, frame.height).implode()))
            # rows numbered as records, as pandas and datasets count them: a blank line is none (`ragged_rows` too)
            frame = frame.with_columns(pl.int_range(1, pl.len() + 1, dtype=pl.UInt32).alias(ROW))
        # Polars reads a short row's missing fields as empty texts, the last among them: only rows whose last
        # field is empty are counted again, so a file without any is read once (a row of separators only is
        # taken as a row of empty fields, however many).
        if short := first_short_row(path, frame.filter(pl.col(EMPTY_LAST) & ~pl.col(BLANK))[ROW]):
            raise short
        frame = frame.drop(EMPTY_LAST, BLANK)
    _check_kinds(frame, path, expected)
    # A column of nothing but empty lists (and nulls) has no element type: as texts, it is a list of strings.
    frame = frame.with_columns(pl.col(field).cast(pl.List(pl.String)) for field, kind in expected.items()
                               if kind == "texts" and frame.schema.get(field) == pl.List(pl.Null))
    if ROW in frame.columns:
        return frame
    lines = line_numbers(path, frame.height) if is_json_lines(path) else None
    if lines is not None:
        return frame.with_columns(pl.Series(ROW, lines, dtype=pl.UInt32))
    return frame.with_row_index(ROW, offset=1)


def blank_row(numbering: str) -> pl.Expr:
    """A CSV/TSV row whose every field (but the `numbering` column) is empty or null: a blank line, or a row of
    separators only, which Polars reads the same (`empty_lines` tells them apart)."""
    return pl.all_horizontal(pl.exclude(numbering).is_null() | (pl.exclude(numbering) == ""))


def _check_kinds(frame: pl.DataFrame, path: Path, expected: dict[str, str]) -> None:
    """Typed formats (Parquet, Arrow, datasets) fail here when a column's type does not fit its role."""
    for field, kind in expected.items():
        if field not in frame.columns:
            continue
        dtype = frame.schema[field]
        fits = {"text": dtype == pl.String,
                "texts": dtype in (pl.List(pl.String), pl.List(pl.Null)),
                "number": dtype.is_numeric() or dtype == pl.String,  # CSV numbers are parsed by the reader
                "bool": dtype == pl.Boolean,
                "id": dtype.is_integer() or dtype == pl.String,
                "numbers": isinstance(dtype, pl.List) and (dtype.inner.is_numeric() or dtype.inner == pl.Null)}
        if not (fits[kind] or dtype == pl.Null):
            raise InputError(path, f"expected {KINDS[kind]}, the column holds {dtype}", field=field)
