"""JSON inputs: JSON Lines through pyarrow's reader with an explicit schema (unlike Polars' inference, it refuses a
list where a string belongs, or the reverse, instead of turning it into text); `.json` arrays are json_arrays'."""

import codecs
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from itertools import islice
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

import polars as pl

from pipeline.readers.json_fields import refuse_deep_late_fields
from pipeline.readers.null_lines import refuse_null_lines

if TYPE_CHECKING:
    import pyarrow as pa
    import pyarrow.json as pa_json


class LateColumns(Exception):
    """A JSON Lines field that first appears after the rows `peek_columns` reads: a reader that chooses its
    columns by name chooses again from `schema`, the peeked columns and those."""

    def __init__(self, schema: pl.Schema) -> None:
        super().__init__(f"fields first seen after the peeked rows; the file's fields are {schema.names()}")
        self.schema = schema


JSON_LINES_SUFFIXES = (".jsonl", ".ndjson")
JSON_SUFFIX = ".json"  # an array of objects, or one object per line


def file_suffix(path: Path) -> str:
    """The suffix that says how a file is read, lower case; none for a folder, which is read as the folder it is
    (`prep run DATA --out shards.jsonl` writes a datasets folder of that name)."""
    return "" if path.is_dir() else path.suffix.lower()


def is_json_lines(path: Path) -> bool:
    """`.jsonl`, or a `.json` file that holds one object per line (FlagEmbedding ships those)."""
    suffix = file_suffix(path)
    if suffix in JSON_LINES_SUFFIXES:
        return True
    if suffix != JSON_SUFFIX or not path.is_file():
        return False
    with path.open("rb") as handle:
        head = handle.read(4096).removeprefix(codecs.BOM_UTF8).lstrip()
    return not head.startswith(b"[")


@contextmanager
def polars_source(path: Path, lines: int | None = None) -> Iterator[BinaryIO | bytes]:
    """What Polars' JSON Lines reader is given: the open file, or, after a UTF-8 byte order mark (which Polars refuses
    while pyarrow and `datasets` skip it), the first `lines` of its bytes or a copy of the whole without the mark,
    on disk: the file may be larger than memory. Never its path: Polars reads a path as a glob pattern, and its JSON
    Lines scan has no glob=False, so `data[1].jsonl` or `run[2]/train.jsonl` would match no file (a handle is read
    from its file descriptor, as a path is)."""
    with path.open("rb") as handle:
        if handle.read(3) != codecs.BOM_UTF8:
            handle.seek(0)
            yield handle
        elif lines is not None:
            yield b"".join(islice(handle, lines))
        else:
            with tempfile.NamedTemporaryFile(suffix=".jsonl") as copy:
                shutil.copyfileobj(handle, copy)
                copy.flush()
                copy.seek(0)
                yield copy


def read_json_lines(path: Path, expected: dict[str, str], peeked: pl.Schema, known: bool) -> pl.DataFrame:
    import pyarrow as pa
    import pyarrow.json as pa_json

    present = peeked.names()
    id_column = next((name for name, kind in expected.items() if kind == "id"), "")
    id_type = pa.int64() if peeked.get(id_column, pl.String).is_integer() \
        else pa.string()
    types = {"text": pa.string(), "texts": pa.list_(pa.string()), "number": pa.float64(), "bool": pa.bool_(),
             "numbers": pa.list_(pa.float64()), "id": id_type}
    # Every expected field is asked for, so one that first appears after the peeked rows is still read.
    schema = pa.schema([(name, types[kind]) for name, kind in expected.items()])
    options = pa_json.ParseOptions(explicit_schema=schema,
                                   unexpected_field_behavior="infer" if known else "ignore")
    refuse_null_lines(path)  # before pyarrow, which crashes on one
    try:
        table = _read_table(path, options)
    except pa.ArrowInvalid as error:
        # An id that is a number on some lines and a string on others (BEIR allows either) cannot be typed by
        # pyarrow: read it on its own, as strings, and the other fields without it.
        if not id_column or f"Column(/{id_column})" not in str(error):
            raise
        options = pa_json.ParseOptions(explicit_schema=schema.remove(schema.get_field_index(id_column)),
                                       unexpected_field_behavior=options.unexpected_field_behavior)
        table = _read_table(path, options)
        with polars_source(path) as source:
            ids = pl.scan_ndjson(source, schema={id_column: pl.String}).collect()[id_column]
        table = table.append_column(id_column, ids.to_arrow().cast(pa.string()))
    table.validate(full=True)  # pyarrow does not check UTF-8 while parsing
    late = [name for name in table.column_names if name not in expected and name not in present]
    if late:
        refuse_deep_late_fields(path, table.schema, late)
        raise LateColumns(pl.Schema({**peeked, **pl.from_arrow(table.select(late)).schema}))
    frame = pl.from_arrow(table.select(list(expected)))
    return frame.drop([name for name in expected if name not in present and frame[name].null_count() == len(frame)])


def _read_table(path: Path, options: "pa_json.ParseOptions") -> "pa.Table":
    """pyarrow parses in blocks (1 MiB by default) that must each hold a whole line: a file with a longer line (a
    long passage) is read again with blocks that fit its longest."""
    import pyarrow as pa
    import pyarrow.json as pa_json

    try:
        return pa_json.read_json(path, parse_options=options)
    except pa.ArrowInvalid as error:
        if "straddling object" not in str(error):
            raise
    with path.open("rb") as handle:
        longest = max(map(len, handle))
    return pa_json.read_json(path, read_options=pa_json.ReadOptions(block_size=longest + 1), parse_options=options)
