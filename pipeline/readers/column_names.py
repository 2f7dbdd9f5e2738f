"""Tables whose header names a column twice. Polars renames a CSV's second one (`anchor_duplicated_0`), so a reader
took the first without a word, and it panics on such an Arrow file: the repeated name is an error instead, for
Parquet too."""

from pathlib import Path

import polars as pl

from pipeline.errors import InputError


def refuse_repeated_names(path: Path, names: list[str]) -> None:
    """Unnamed columns aside (an index that pandas wrote, a header's trailing separator): no role maps to one."""
    seen: set[str] = set()
    repeated = next((name for name in names if name and (name in seen or seen.add(name))), None)
    if repeated is not None:
        first, second = [number for number, name in enumerate(names, start=1) if name == repeated][:2]
        raise InputError(path, f"names two columns '{repeated}' (columns {first} and {second}); rename one",
                         field=repeated)


def header_names(path: Path) -> list[str]:
    """A CSV, TSV, Parquet or Arrow (IPC file or stream) file's column names as its header or schema gives them
    (Polars renames a CSV's repeats); [] where it is no such file (its scan says so)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    suffix = path.suffix.lower()
    if suffix in {".csv", ".tsv"}:  # the header line as written, read as data: Polars renames repeated names
        tsv = suffix == ".tsv"  # TSV has no quoting
        try:
            header = pl.read_csv(path, has_header=False, n_rows=1, infer_schema=False, separator="\t" if tsv else ",",
                                 quote_char=None if tsv else '"', truncate_ragged_lines=True)
        except (pl.exceptions.PolarsError, OSError):
            return []  # its scan says what is wrong
        return [value or "" for value in header.row(0)] if header.height else []
    try:
        if suffix == ".parquet":
            return pq.read_schema(path).names
        with pa.memory_map(str(path)) as source:
            is_file_format = source.read(6) == b"ARROW1"
            source.seek(0)
            return (pa.ipc.open_file(source) if is_file_format else pa.ipc.open_stream(source)).schema.names
    except pa.ArrowInvalid:
        return []
