"""Arrow files and Parquet whose schema has view types (string_view, binary_view, list_view), which pyarrow writes
and Polars' own Arrow and Parquet readers panic on: pyarrow reads those, and Polars takes the table from it."""

from pathlib import Path

import polars as pl

from pipeline.errors import InputError

VIEW_TYPES = ("string_view", "binary_view", "list_view")  # large_list_view too


def has_view_types(path: Path) -> bool:
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        if path.suffix.lower() == ".parquet":
            schema = pq.read_schema(path)
        else:
            with pa.memory_map(str(path)) as source:
                if source.read(6) != b"ARROW1":
                    return False  # the stream format is read by pyarrow anyway
                schema = pa.ipc.open_file(source).schema
    except pa.ArrowInvalid:
        return False  # no such file: its scan says so
    return any(view in str(field.type) for field in schema for view in VIEW_TYPES)


def read_by_pyarrow(path: Path) -> pl.LazyFrame:
    import pyarrow as pa
    import pyarrow.parquet as pq

    if path.suffix.lower() == ".parquet":
        table = pq.read_table(path)
    else:
        with pa.memory_map(str(path)) as source:
            table = pa.ipc.open_file(source).read_all()
    for field in table.schema:  # string and binary views Polars takes; list views it has no type for
        if "list_view" in str(field.type):
            raise InputError(path, f"holds {field.type}, which Polars cannot read; write it as a list (pyarrow's "
                             "pa.list_)", field=field.name)
    return pl.from_arrow(table).lazy()
