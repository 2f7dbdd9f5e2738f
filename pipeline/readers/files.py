"""Read the columns a reader needs from any supported file, strictly typed, and name the line and field that break.

Readers first `peek_columns` (names and types from the first rows), decide which columns they need and what
kind each must be ("text", "texts" = list of strings, "number", "numbers" = list of numbers), then
`read_columns`.
JSON Lines go through pyarrow's reader with an explicit schema: unlike Polars' inference, it refuses a list
where a string belongs (or the reverse) instead of turning it into text.
"""

import json
from pathlib import Path

import numpy as np
import polars as pl

from pipeline.errors import InputError
from pipeline.readers.json_errors import KINDS, describe_record, located, type_change
from pipeline.readers.ragged_rows import first_long_row, first_short_row

ROW = "__row"  # 1-based row (the line number for JSON Lines), added to every table read
EMPTY_LAST = "__empty_last"  # a CSV/TSV row whose last field reads as empty: perhaps a row short of fields


class LateColumns(Exception):
    """A JSON Lines field that first appears after the rows `peek_columns` reads: a reader that chooses its
    columns by name chooses again from `schema`, the peeked columns and those."""

    def __init__(self, schema: pl.Schema) -> None:
        super().__init__(f"fields first seen after the peeked rows; the file's fields are {schema.names()}")
        self.schema = schema


def is_datasets_folder(path: Path) -> bool:
    return path.is_dir() and any((path / name).exists() for name in ("state.json", "dataset_dict.json"))


def line_unit(path: Path) -> str:
    """How a location in this file is named in errors: JSON lines have lines, other tables have rows."""
    return "line" if _is_json_lines(path) else "row"


def is_blank(path: Path) -> bool:
    """An empty file, or one with nothing but whitespace: it holds 0 rows."""
    if not path.is_file():
        return False
    with path.open("rb") as handle:
        head = handle.read(1 << 16)
    return not head.strip() and path.stat().st_size <= len(head)


def peek_columns(path: Path, split: str = "train") -> pl.Schema:
    """Column names and types as the first rows suggest; later rows are checked by `read_columns`."""
    if not path.exists():
        raise InputError(path, "no such file or folder")
    if is_blank(path):
        return pl.Schema()
    try:
        if _is_json_lines(path):
            return pl.scan_ndjson(path, infer_schema_length=1000).collect_schema()
        if path.suffix.lower() == ".json":
            return pl.Schema({k: v for k, v in _json_array(path, {}).schema.items()})
        return _scan(path, split).collect_schema()
    except pl.exceptions.PolarsError as error:
        raise located(path, {}, error, _is_json_lines(path)) from None


def read_columns(path: Path, expected: dict[str, str], split: str = "train",
                 known: pl.Schema | None = None) -> pl.DataFrame:
    """`ROW` plus the `expected` columns that the file has, each checked to be of its kind. With `known` (the
    columns the reader chose from), a JSON Lines field outside it raises LateColumns."""
    if is_blank(path):
        return pl.DataFrame(schema={ROW: pl.UInt32})
    try:
        if _is_json_lines(path):
            frame = _json_lines(path, expected, known)
        elif path.suffix.lower() == ".json":
            frame = _json_array(path, expected)
        else:
            scan = _scan(path, split).with_row_index(ROW, offset=1)  # opened once: Arrow and datasets load eagerly
            available = scan.collect_schema().names()
            columns: list[str | pl.Expr] = [name for name in expected if name in available]
            if path.suffix.lower() in {".csv", ".tsv"}:
                scan = scan.filter(~blank_row(ROW))
                columns.append((pl.col(available[-1]) == "").alias(EMPTY_LAST))
            frame = scan.select(ROW, *columns).collect()
    except (pl.exceptions.PolarsError, OSError, ValueError) as error:
        if path.suffix.lower() in {".csv", ".tsv"}:
            raise first_long_row(path) or located(path, expected, error, False) from None
        raise located(path, expected, error, _is_json_lines(path)) from None
    if EMPTY_LAST in frame.columns:
        # Polars reads a short row's missing fields as empty texts, the last among them: only rows whose last
        # field is empty are counted again, so a file without any is read once.
        if short := first_short_row(path, frame.filter(EMPTY_LAST)[ROW]):
            raise short
        frame = frame.drop(EMPTY_LAST)
    _check_kinds(frame, path, expected)
    if ROW in frame.columns:
        return frame
    lines = _line_numbers(path, frame.height) if _is_json_lines(path) else None
    if lines is not None:
        return frame.with_columns(pl.Series(ROW, lines, dtype=pl.UInt32))
    return frame.with_row_index(ROW, offset=1)


def blank_row(numbering: str) -> pl.Expr:
    """A CSV/TSV row whose every field (but the `numbering` column) is empty: a blank line, not a record (as in
    JSON Lines); a row of empty fields reads the same."""
    return pl.all_horizontal(pl.exclude(numbering).is_null() | (pl.exclude(numbering) == ""))


def _line_numbers(path: Path, records: int) -> np.ndarray | None:
    """Physical line numbers of the records when blank lines sit between them (pyarrow skips those), else None."""
    newlines = 0
    with path.open("rb") as handle:
        while block := handle.read(1 << 26):
            newlines += block.count(b"\n")
            last = block[-1:]
    if records == newlines + (last != b"\n"):  # one record per line: no blank line anywhere
        return None
    with path.open("rb") as handle:
        numbers = [number for number, raw in enumerate(handle, start=1) if raw.strip()]
    return np.array(numbers[:records], dtype=np.uint32)


def _is_json_lines(path: Path) -> bool:
    """`.jsonl`, or a `.json` file that holds one object per line (FlagEmbedding ships those)."""
    suffix = path.suffix.lower()
    if suffix in {".jsonl", ".ndjson"}:
        return True
    if suffix != ".json" or not path.is_file():
        return False
    with path.open("rb") as handle:
        head = handle.read(4096).lstrip()
    return not head.startswith(b"[")


def _json_lines(path: Path, expected: dict[str, str], known: pl.Schema | None = None) -> pl.DataFrame:
    import pyarrow as pa
    import pyarrow.json as pa_json

    peeked = known or peek_columns(path)
    present = peeked.names()
    id_column = next((name for name, kind in expected.items() if kind == "id"), "")
    id_type = pa.int64() if peeked.get(id_column, pl.String).is_integer() \
        else pa.string()
    types = {"text": pa.string(), "texts": pa.list_(pa.string()), "number": pa.float64(), "bool": pa.bool_(),
             "numbers": pa.list_(pa.float64()), "id": id_type}
    # Every expected field is asked for, so one that first appears after the peeked rows is still read.
    schema = pa.schema([(name, types[kind]) for name, kind in expected.items()])
    options = pa_json.ParseOptions(explicit_schema=schema,
                                   unexpected_field_behavior="ignore" if known is None else "infer")
    try:
        table = pa_json.read_json(path, parse_options=options)
    except pa.ArrowInvalid as error:
        # An id that is a number on some lines and a string on others (BEIR allows either) cannot be typed by
        # pyarrow: read it on its own, as strings, and the other fields without it.
        if not id_column or f"Column(/{id_column})" not in str(error):
            raise
        options = pa_json.ParseOptions(explicit_schema=schema.remove(schema.get_field_index(id_column)),
                                       unexpected_field_behavior=options.unexpected_field_behavior)
        table = pa_json.read_json(path, parse_options=options)
        ids = pl.scan_ndjson(path, schema={id_column: pl.String}).collect()[id_column]
        table = table.append_column(id_column, ids.to_arrow().cast(pa.string()))
    table.validate(full=True)  # pyarrow does not check UTF-8 while parsing
    late = [name for name in table.column_names if name not in expected and name not in present]
    if late:
        raise LateColumns(pl.Schema({**peeked, **pl.from_arrow(table.select(late)).schema}))
    frame = pl.from_arrow(table.select(list(expected)))
    return frame.drop([name for name in expected if name not in present and frame[name].null_count() == len(frame)])


def _json_array(path: Path, expected: dict[str, str]) -> pl.DataFrame:
    """A `.json` file holding one array of objects; it cannot stream, so it is checked record by record."""
    try:
        records = json.loads(path.read_bytes().decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise InputError(path, f"invalid JSON: {error}") from None
    if not isinstance(records, list):
        raise InputError(path, "expected a JSON array of objects or one object per line")
    seen: dict[str, tuple[str, int]] = {}
    for number, record in enumerate(records, start=1):
        problem = describe_record(record, expected) or (None if expected else type_change(record, number, seen, "row"))
        if problem:
            field, message = problem
            raise InputError(path, message, row=number, field=field)
    names = [name for name in expected if any(name in record for record in records)] if expected else None
    return pl.from_dicts(records, schema=names, infer_schema_length=None)


def _scan(path: Path, split: str) -> pl.LazyFrame:
    if is_datasets_folder(path):
        return _scan_datasets_folder(path, split)
    suffix = path.suffix.lower()
    if suffix == ".csv":
        # CSV cannot tell a missing value from an empty one: both are empty texts, counted as such.
        return pl.scan_csv(path, infer_schema=False, empty_string_is_null=False)
    if suffix == ".tsv":
        # TSV has no quoting (IANA; MS MARCO, BEIR): a text may start with a quote, which CSV rules would read
        # as a quoted field running on over the next tabs and lines.
        return pl.scan_csv(path, separator="\t", quote_char=None, infer_schema=False, empty_string_is_null=False)
    if suffix == ".parquet":
        return pl.scan_parquet(path)
    if suffix in {".arrow", ".feather", ".ipc"}:
        return _scan_arrow(path)
    raise InputError(path, f"unsupported file type '{suffix}'; use .jsonl, .json, .csv, .tsv, .parquet or .arrow")


def _scan_arrow(path: Path) -> pl.LazyFrame:
    import pyarrow as pa

    with path.open("rb") as handle:
        is_file_format = handle.read(6) == b"ARROW1"
    if is_file_format:
        return pl.scan_ipc(path)
    # `datasets` writes the Arrow IPC stream format, which scan_ipc (file format) does not read.
    with pa.memory_map(str(path)) as source:
        return pl.from_arrow(pa.ipc.open_stream(source).read_all()).lazy()


def _scan_datasets_folder(path: Path, split: str) -> pl.LazyFrame:
    import datasets

    loaded = datasets.load_from_disk(str(path))
    if isinstance(loaded, datasets.DatasetDict):
        if split not in loaded:
            raise InputError(path, f"split '{split}' not found; the folder has {sorted(loaded)}")
        loaded = loaded[split]
    return pl.from_arrow(loaded.data.table).lazy()


def _check_kinds(frame: pl.DataFrame, path: Path, expected: dict[str, str]) -> None:
    """Typed formats (Parquet, Arrow, datasets) fail here when a column's type does not fit its role."""
    for field, kind in expected.items():
        if field not in frame.columns:
            continue
        dtype = frame.schema[field]
        fits = {"text": dtype == pl.String,
                "texts": dtype == pl.List(pl.String),
                "number": dtype.is_numeric() or dtype == pl.String,  # CSV numbers are parsed by the reader
                "bool": dtype == pl.Boolean,
                "id": dtype.is_integer() or dtype == pl.String,
                "numbers": isinstance(dtype, pl.List) and (dtype.inner.is_numeric() or dtype.inner == pl.Null)}
        if not (fits[kind] or dtype == pl.Null):
            raise InputError(path, f"expected {KINDS[kind]}, the column holds {dtype}", field=field)
