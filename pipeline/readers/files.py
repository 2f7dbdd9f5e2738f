"""Open any supported table file lazily, and say exactly where a broken JSON line is when Polars cannot."""

import json
from pathlib import Path

import polars as pl

from pipeline.errors import InputError

JSON_LINES = {".jsonl", ".ndjson"}
TABULAR = {".csv", ".tsv", ".parquet", ".arrow", ".feather", ".ipc"}


def is_datasets_folder(path: Path) -> bool:
    return path.is_dir() and any((path / name).exists() for name in ("state.json", "dataset_dict.json"))


def line_unit(path: Path) -> str:
    """How a location in this file is named in errors: JSON lines have lines, other tables have rows."""
    return "line" if _is_json_lines(path) else "row"


def scan_table(path: Path, split: str = "train") -> pl.LazyFrame:
    """A LazyFrame over the file with a 1-based `row` index (the line number for JSON Lines)."""
    if not path.exists():
        raise InputError(path, "no such file or folder")
    return _scan(path, split).with_row_index("row", offset=1)


def _scan(path: Path, split: str) -> pl.LazyFrame:
    if is_datasets_folder(path):
        return _scan_datasets_folder(path, split)
    suffix = path.suffix.lower()
    if path.stat().st_size == 0:
        return pl.LazyFrame()
    if _is_json_lines(path):
        return pl.scan_ndjson(path, infer_schema_length=1000)
    if suffix == ".json":
        return pl.read_json(path).lazy()
    if suffix in {".csv", ".tsv"}:
        return pl.scan_csv(path, separator="\t" if suffix == ".tsv" else ",", quote_char='"')
    if suffix == ".parquet":
        return pl.scan_parquet(path)
    if suffix in {".arrow", ".feather", ".ipc"}:
        return _scan_arrow(path)
    raise InputError(path, f"unsupported file type '{suffix}'; use .jsonl, .json, .csv, .tsv, .parquet or .arrow")


def _is_json_lines(path: Path) -> bool:
    """`.jsonl`, or a `.json` file that holds one object per line (FlagEmbedding ships those)."""
    suffix = path.suffix.lower()
    if suffix in JSON_LINES:
        return True
    if suffix != ".json" or not path.is_file():
        return False
    with path.open("rb") as handle:
        head = handle.read(4096).lstrip()
    return not head.startswith(b"[")


def _scan_arrow(path: Path) -> pl.LazyFrame:
    import pyarrow as pa

    try:
        return pl.scan_ipc(path)
    except pl.exceptions.PolarsError:
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


def collect_rows(frame: pl.LazyFrame, path: Path, expected: dict[str, str]) -> pl.DataFrame:
    """Collect a scan; if Polars rejects the file, name the first line and field that broke it."""
    try:
        return frame.collect(engine="streaming")
    except pl.exceptions.PolarsError as error:
        if _is_json_lines(path):
            locate_json_lines_error(path, expected)
        raise InputError(path, f"cannot be read: {str(error).splitlines()[0]}") from None


def locate_json_lines_error(path: Path, expected: dict[str, str]) -> None:
    """Raise an InputError for the first bad line: invalid UTF-8 or JSON, or a field of the wrong kind.

    `expected` maps a field to "text", "texts" (list of strings) or "numbers" (list of numbers).
    Runs only after Polars has failed, so a Python loop over lines is fine here.
    """
    with path.open("rb") as handle:
        for number, raw in enumerate(handle, start=1):
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError as error:
                raise InputError(path, f"invalid UTF-8 at byte {error.start}", line=number) from None
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as error:
                raise InputError(path, f"invalid JSON: {error.msg} at column {error.colno}", line=number) from None
            if not isinstance(record, dict):
                raise InputError(path, f"expected a JSON object, got {type(record).__name__}", line=number)
            for field, kind in expected.items():
                problem = describe_wrong_kind(record.get(field), kind)
                if problem:
                    raise InputError(path, problem, line=number, field=field)


def describe_wrong_kind(value: object, kind: str) -> str | None:
    """A message when a JSON value is not of the expected kind; None (missing) is checked elsewhere."""
    if value is None:
        return None
    if kind == "text":
        return None if isinstance(value, str) else f"expected a string, got {type(value).__name__}"
    if not isinstance(value, list):
        hint = " (a string here becomes one-character texts)" if isinstance(value, str) else ""
        return f"expected a list, got {type(value).__name__}{hint}"
    want = str if kind == "texts" else (int, float)
    for item in value:
        if not isinstance(item, want) or isinstance(item, bool):
            return f"expected a list of {'strings' if kind == 'texts' else 'numbers'}, found {item!r}"
    return None


_DTYPES = {"text": pl.String, "texts": pl.List(pl.String)}


def check_kinds(frame: pl.DataFrame, path: Path, expected: dict[str, str]) -> None:
    """Fail when a column's type is not what its role needs (Polars may read a list as its JSON text)."""
    for field, kind in expected.items():
        if field not in frame.columns:
            continue
        dtype = frame.schema[field]
        if dtype == pl.Null or (kind != "numbers" and dtype == _DTYPES[kind]):
            continue
        if kind == "numbers" and isinstance(dtype, pl.List) and (dtype.inner.is_numeric() or dtype.inner == pl.Null):
            continue
        if line_unit(path) == "line":
            locate_json_lines_error(path, expected)
        raise InputError(path, f"expected {_describe(kind)}, the column holds {dtype}", field=field)


def _describe(kind: str) -> str:
    return {"text": "strings", "texts": "lists of strings", "numbers": "lists of numbers"}[kind]
