"""CSV records that break the quoting rules or UTF-8. Polars fails on them with a message that quotes the bad field,
cut off at its first newline, or names no place at all; these passes, run only after a failed read, name the line
and the problem instead.
"""

import csv
from collections.abc import Iterator
from itertools import islice
from pathlib import Path

from pipeline.errors import InputError
from pipeline.readers.ragged_rows import csv_reader

HINT = 'write a quote inside a field as two ("") and quote the whole field'


def first_bad_quote(path: Path) -> InputError | None:
    """The first record with a quote left open, text after a closing quote, or a lone quote in an unquoted field
    (an odd number of quotes: Python's reader takes it as text, Polars as the start of a quoted field)."""
    if path.suffix.lower() != ".csv":
        return None
    record: list[str] = []  # the lines of the record being read
    with path.open(encoding="utf-8-sig", errors="replace", newline="") as handle:
        reader = csv_reader(_kept(handle, record), strict=True)
        try:
            for _ in reader:
                if "".join(record).count('"') % 2:
                    return InputError(path, f"a lone quote inside a field that is not quoted; {HINT}",
                                      line=reader.line_num - len(record) + 1)
                record.clear()
        except csv.Error as error:
            if str(error) == "unexpected end of data":
                return InputError(path, f"a quote opened in the record on this line is never closed; {HINT}",
                                  line=reader.line_num - len(record) + 1)
            if str(error).endswith("expected after '\"'"):
                return InputError(path, f"text follows the closing quote of a field; {HINT}", line=reader.line_num)
            return InputError(path, f"invalid CSV: {error}", line=reader.line_num)
    return None


def first_bad_utf8(path: Path, lines: int | None = None) -> InputError | None:
    """The first line of a CSV, TSV or text file (of its first `lines`) that is not valid UTF-8; in a CSV or TSV file,
    with the field the byte is in: the header's name for its column, or in the header itself, the column's number
    (Polars decodes a name lossily)."""
    table = path.suffix.lower() in {".csv", ".tsv"}
    column, quoted = 0, False  # where the line starts: a quoted field may carry a record over lines
    header = b""
    with path.open("rb") as handle:
        for number, raw in enumerate(islice(handle, lines), start=1):
            header = header or raw
            try:
                raw.decode("utf-8")
            except UnicodeDecodeError as error:
                at, where, field = column + _separators(path, raw[:error.start], quoted)[0], "", None
                if table and number == 1:
                    where = f", in the name of column {at + 1}"
                elif table:
                    names = _names(path, header)
                    field = names[at] if at < len(names) and names[at] else None
                    where = "" if field else f", in column {at + 1}"
                return InputError(path, f"invalid UTF-8 at byte {error.start}{where}; save the file as UTF-8",
                                  line=number, field=field)
            if table and (quoted or b'"' in raw):  # else the record ends with the line
                separators, quoted = _separators(path, raw, quoted)
                column = column + separators if quoted else 0
    return None


def _names(path: Path, header: bytes) -> list[str]:
    """The column names of a header line that is valid UTF-8 (Polars' reader of it fails on a later bad byte)."""
    line = header.decode("utf-8-sig").rstrip("\r\n")
    return line.split("\t") if path.suffix.lower() == ".tsv" else next(csv.reader([line]), [])


def _separators(path: Path, text: bytes, quoted: bool) -> tuple[int, bool]:
    """The separators in `text`, a line of a CSV or TSV record (from inside a quoted field where `quoted`), outside
    quoted fields, and whether it ends inside one. TSV has no quoting."""
    if path.suffix.lower() == ".tsv":
        return text.count(b"\t"), False
    parts = text.split(b'"')  # a doubled quote "" leaves an empty part
    return sum(part.count(b",") for part in parts[quoted::2]), (len(parts) - 1 + quoted) % 2 == 1


def _kept(lines: Iterator[str], kept: list[str]) -> Iterator[str]:
    """The lines, each also appended to `kept`."""
    for line in lines:
        kept.append(line)
        yield line
