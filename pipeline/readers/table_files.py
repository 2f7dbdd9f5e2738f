"""Tables Polars scans: CSV, TSV, Parquet, Arrow (file or stream format) and `datasets` folders."""

from pathlib import Path

import polars as pl

from pipeline.errors import InputError


def is_datasets_folder(path: Path) -> bool:
    return path.is_dir() and any((path / name).exists() for name in ("state.json", "dataset_dict.json"))


def scan_table(path: Path, split: str) -> pl.LazyFrame:
    if is_datasets_folder(path):
        return scan_datasets_folder(path, split)
    suffix = path.suffix.lower()
    if suffix == ".csv":
        # CSV cannot tell a missing value from an empty one: both are empty texts, counted as such.
        return pl.scan_csv(path, infer_schema=False, empty_string_is_null=False)
    if suffix == ".tsv":
        # TSV has no quoting (IANA; MS MARCO, BEIR): a text may start with a quote, which CSV rules would read
        # as a quoted field running on over the next tabs and lines.
        return pl.scan_csv(path, separator="\t", quote_char=None, infer_schema=False, empty_string_is_null=False)
    if suffix == ".parquet":
        return as_strings(pl.scan_parquet(path))
    if suffix in {".arrow", ".feather", ".ipc"}:
        return as_strings(scan_arrow(path))
    raise InputError(path, f"unsupported file type '{suffix}'; use .jsonl, .json, .csv, .tsv, .parquet or .arrow")


def as_strings(scan: pl.LazyFrame) -> pl.LazyFrame:
    """Dictionary-encoded texts (pandas' category dtype) as plain strings, as `datasets` loads them."""
    return scan.with_columns(pl.col(name).cast(pl.String) for name, dtype in scan.collect_schema().items()
                             if isinstance(dtype, pl.Categorical | pl.Enum))


def scan_arrow(path: Path) -> pl.LazyFrame:
    import pyarrow as pa

    with path.open("rb") as handle:
        is_file_format = handle.read(6) == b"ARROW1"
    if is_file_format:
        return pl.scan_ipc(path)
    # `datasets` writes the Arrow IPC stream format, which scan_ipc (file format) does not read.
    with pa.memory_map(str(path)) as source:
        return pl.from_arrow(pa.ipc.open_stream(source).read_all()).lazy()


def scan_datasets_folder(path: Path, split: str) -> pl.LazyFrame:
    import datasets

    loaded = datasets.load_from_disk(str(path))
    if isinstance(loaded, datasets.DatasetDict):
        if split not in loaded:
            raise InputError(path, f"split '{split}' not found; the folder has {sorted(loaded)}")
        loaded = loaded[split]
    return pl.from_arrow(loaded.data.table).lazy()

