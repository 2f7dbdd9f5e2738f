"""Tables whose header names a column twice. Polars renames a CSV's second one (`anchor_duplicated_0`), so a reader
took the first without a word, and it panics on such an Arrow file: the repeated name is an error instead, for
Parquet too."""

import re
from pathlib import Path

import polars as pl

from pipeline.errors import InputError

RENAMED = re.compile(r"(.+)_duplicated_\d+")  # how Polars renames a CSV column whose name was taken


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
    (Polars' renamed repeats named back); [] where it is no such file (its scan says so)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    suffix = path.suffix.lower()
    if suffix in {".csv", ".tsv"}:  # the header alone is read; TSV has no quoting
        names = pl.scan_csv(path, separator="\t" if suffix == ".tsv" else ",", quote_char=None if suffix == ".tsv"
                            else '"', infer_schema=False).collect_schema().names()
        return [found.group(1) if (found := RENAMED.fullmatch(name)) and found.group(1) in names else name
                for name in names]
    try:
        if suffix == ".parquet":
            return pq.read_schema(path).names
        with pa.memory_map(str(path)) as source:
            is_file_format = source.read(6) == b"ARROW1"
            source.seek(0)
            return (pa.ipc.open_file(source) if is_file_format else pa.ipc.open_stream(source)).schema.names
    except pa.ArrowInvalid:
        return []
