"""Arrow files (the IPC file or stream format), and Arrow and Parquet files whose schema has view types
(string_view, binary_view, list_view), which pyarrow writes and Polars' own Arrow and Parquet readers panic on:
pyarrow reads those, and Polars takes the table from it."""

from pathlib import Path
from typing import TYPE_CHECKING

import polars as pl

from pipeline.errors import InputError

if TYPE_CHECKING:
    import pyarrow as pa

VIEW_TYPES = ("string_view", "binary_view", "list_view")  # large_list_view too


def file_schema(path: Path) -> "pa.Schema | None":
    """The schema of a Parquet or Arrow (IPC file or stream) file, read without its rows; None where it is no such
    file (its scan says so)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        if path.suffix.lower() == ".parquet":
            return pq.read_schema(path)
        with pa.memory_map(str(path)) as source:
            return _open(pa, source).schema
    except pa.ArrowInvalid:
        return None


def has_view_types(schema: "pa.Schema") -> bool:
    return any(view in str(field.type) for field in schema for view in VIEW_TYPES)


def read_by_pyarrow(path: Path) -> pl.LazyFrame:
    import pyarrow as pa
    import pyarrow.parquet as pq

    if path.suffix.lower() == ".parquet":
        table = pq.read_table(path)
    else:
        with pa.memory_map(str(path)) as source:
            table = _open(pa, source).read_all()
    for field in table.schema:  # string and binary views Polars takes; list views it has no type for
        if "list_view" in str(field.type):
            raise InputError(path, f"holds {field.type}, which Polars cannot read; write it as a list (pyarrow's "
                             "pa.list_)", field=field.name)
    return pl.from_arrow(table).lazy()


def scan_arrow(path: Path) -> pl.LazyFrame:
    import pyarrow as pa

    with path.open("rb") as handle:
        is_file_format = handle.read(6) == b"ARROW1"
    if is_file_format:
        return pl.scan_ipc(path, glob=False)
    # `datasets` writes the Arrow IPC stream format, which scan_ipc (file format) does not read.
    try:
        with pa.memory_map(str(path)) as source:
            return pl.from_arrow(pa.ipc.open_stream(source).read_all()).lazy()
    except pa.ArrowInvalid as error:
        raise InputError(path, f"not an Arrow file (IPC file or stream format): {error}") from None


def _open(pa, source: "pa.MemoryMappedFile") -> object:
    """A reader of the IPC file format, or of the stream format that `datasets` writes."""
    is_file_format = source.read(6) == b"ARROW1"
    source.seek(0)
    return pa.ipc.open_file(source) if is_file_format else pa.ipc.open_stream(source)
