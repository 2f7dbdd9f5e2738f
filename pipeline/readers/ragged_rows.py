"""CSV and TSV rows with another number of fields than the header. Polars reads a short row as if its missing
fields were empty texts and fails on a long one without saying where; these passes name the row, and run only
when a read frame or a failed read calls for them.
"""

import csv
from collections.abc import Iterable, Iterator
from itertools import takewhile
from pathlib import Path
from typing import TYPE_CHECKING

import polars as pl

from pipeline.errors import InputError
from pipeline.readers.names import separator_hint

if TYPE_CHECKING:
    import _csv


def first_short_row(path: Path, candidates: pl.Series) -> InputError | None:
    """The first of the `candidates` (ascending rows whose last field read as empty) that is short of fields:
    missing fields are always the last ones, so every short row is among them."""
    if candidates.is_empty():
        return None
    last = int(candidates[-1])
    if path.suffix.lower() == ".tsv":
        header, rows = _tsv_rows(path, last)
        return _tsv_error(path, header, rows.filter(pl.col("number").is_in(candidates.implode())
                                                    & (pl.col("fields") < header)))
    wanted = set(candidates.to_list())
    header, rows = _csv_rows(path)
    found = ((number, fields) for number, fields in takewhile(lambda row: row[0] <= last, rows)
             if number in wanted and fields < len(header))
    return _csv_error(path, header, next(found, None))


def first_long_row(path: Path) -> InputError | None:
    """The first row with more fields than the header, which is what makes Polars fail. Short rows are not
    looked for: Polars reads them without failing, so another problem is to blame."""
    if path.suffix.lower() == ".tsv":
        header, rows = _tsv_rows(path)
        try:
            return _tsv_error(path, header, rows.filter(pl.col("fields") > header))
        except pl.exceptions.PolarsError:  # invalid UTF-8: first_bad_utf8 names its line
            return None
    header, rows = _csv_rows(path)
    return _csv_error(path, header, next(((number, fields) for number, fields in rows if fields > len(header)), None))


def _tsv_rows(path: Path, last: int | None = None) -> tuple[int, pl.LazyFrame]:
    """The header's fields and the (number, fields) of rows 1 to `last`, blank ones aside: TSV has no quoting, so
    a line is a row and its fields are its tabs + 1, counted by Polars. Rows are numbered as `read_columns` numbers
    them: an empty line is no row."""
    with path.open("rb") as handle:
        header = handle.readline().count(b"\t") + 1
    line = pl.col("line")
    rows = (pl.scan_lines(path, glob=False).slice(1)
            .with_columns(number=(line.str.strip_chars_end("\r") != "").cum_sum().cast(pl.UInt32))
            .filter((line.str.strip_chars() != "") & (pl.col("number") <= (last or 2**32 - 1)))
            .select("number", (line.str.count_matches("\t", literal=True) + 1).alias("fields")))
    return header, rows


def _tsv_error(path: Path, header: int, found: pl.LazyFrame) -> InputError | None:
    first = found.head(1).collect()
    if first.is_empty():
        return None
    number, fields = first.row(0)
    return InputError(path, f"{fields} tab-separated fields, the header has {header}", row=number)


def _csv_rows(path: Path) -> tuple[list[str], Iterator[tuple[int, int]]]:
    """The header's names and the (number, fields) of every row, blank ones aside, counted by the csv module: a
    quoted field may hold commas and newlines, and a record is numbered as `read_columns` numbers it (an empty
    line, which the csv module reads as no field at all, is no record)."""
    with path.open(encoding="utf-8-sig", errors="replace", newline="") as handle:
        header = next(csv_reader(handle), [])

    def rows() -> Iterator[tuple[int, int]]:
        with path.open(encoding="utf-8-sig", errors="replace", newline="") as handle:
            records = (record for record in csv_reader(handle) if record)
            for number, record in enumerate(records):
                if number and any(record):
                    yield number, len(record)

    return header, rows()


def csv_reader(lines: Iterable[str], strict: bool = False) -> "_csv.Reader":
    """Python's CSV reader without its limit of 128 KiB on a field: a passage may be longer."""
    csv.field_size_limit(2**31 - 1)
    return csv.reader(lines, strict=strict)


def _csv_error(path: Path, header: list[str], found: tuple[int, int] | None) -> InputError | None:
    if found is None:
        return None
    number, fields = found
    hint = separator_hint(header)  # a ';'-separated export: the header is one name
    return InputError(path, f"{fields} comma-separated fields, the header has {len(header)}"
                      f"{f'. {hint}' if hint else ''}", row=number)
