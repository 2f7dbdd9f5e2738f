"""Empty lines of a CSV or TSV file. Polars reads an empty line as a row of empty fields, as it reads a line of
separators (`,,`): the first is no record (as a blank line between JSON Lines records), the second is a row whose
fields are empty, which is counted and rejected like any other row with empty texts.
"""

from pathlib import Path

import polars as pl

from pipeline.readers.ragged_rows import csv_reader

TAIL_BYTES = 1 << 16


def empty_lines(path: Path, candidates: pl.Series, rows: int) -> pl.Series:
    """Of the `candidates` (ascending rows, of `rows` in all, whose every field read as empty) those that are empty
    lines. Trailing candidates (a file ending in blank lines, the common case) are read from the file's tail; others
    from the start of the file up to the last of them."""
    numbers = candidates.to_list()
    trailing = 0
    while trailing < len(numbers) and numbers[-1 - trailing] == rows - trailing:
        trailing += 1
    tail = _empty_tail(path, rows - trailing + 1, trailing)
    if tail is None:
        tail, trailing = [], 0
    inner = numbers[:len(numbers) - trailing]
    if not inner:
        return pl.Series(tail, dtype=pl.UInt32)
    if path.suffix.lower() == ".tsv":  # no quoting: a line is a row, line 1 the header
        lines = pl.scan_lines(path, glob=False, row_index_name="number").filter(
            pl.col("number").is_in(inner) & (pl.col("line").str.strip_chars_end("\r") == ""))
        return pl.Series([*lines.collect()["number"], *tail], dtype=pl.UInt32)
    found, wanted = [], set(inner)
    with path.open(encoding="utf-8-sig", errors="replace", newline="") as handle:
        for number, record in enumerate(csv_reader(handle)):
            if number in wanted and not record:  # the csv module reads an empty line as no field at all
                found.append(number)
            if number >= inner[-1]:
                break
    return pl.Series(found + tail, dtype=pl.UInt32)


def _empty_tail(path: Path, first: int, count: int) -> list[int] | None:
    """Which of the file's last `count` rows (numbered from `first`) are empty lines. Rows of nothing but empty
    fields hold no quoted line break, so they are the file's last lines; None where the tail read is too short."""
    if not count:
        return []
    with path.open("rb") as handle:
        size = handle.seek(0, 2)
        handle.seek(max(0, size - TAIL_BYTES))
        tail = handle.read()
    lines = tail.split(b"\n")
    if tail.endswith(b"\n"):
        lines.pop()
    if len(lines) <= count:  # the first line read may be cut: it must not be one of the rows
        return None
    return [first + index for index, line in enumerate(lines[-count:]) if not line.rstrip(b"\r")]
