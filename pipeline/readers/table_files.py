"""Tables Polars scans: CSV, TSV, Parquet, Arrow (file or stream format), `datasets` folders and folders of Parquet
shards."""

from collections.abc import Callable
from pathlib import Path

import polars as pl

from pipeline.errors import InputError
from pipeline.readers.arrow_views import file_schema, has_view_types, read_by_pyarrow, scan_arrow
from pipeline.readers.column_names import csv_header, refuse_missing_columns, refuse_repeated_names
from pipeline.readers.csv_quotes import first_bad_utf8
from pipeline.readers.json_files import JSON_LINES_SUFFIXES, JSON_SUFFIX
from pipeline.readers.line_endings import refuse_cr_line_endings
from pipeline.readers.table_folders import (
    files_of_split,
    folder_shards,
    is_datasets_folder,
    is_parquet_folder,
    parquet_splits,
    split_not_found,
)


def scan_table(path: Path, split: str) -> pl.LazyFrame:
    if is_datasets_folder(path):
        return scan_datasets_folder(path, split)
    if is_parquet_folder(path):
        return scan_parquet_folder(path, split)
    scan = SCANNERS.get(path.suffix.lower())
    if scan is None:
        raise unsupported_file_type(path)
    if path.suffix.lower() in {".csv", ".tsv"}:
        refuse_cr_line_endings(path)
        if bad_header := first_bad_utf8(path, lines=1):  # Polars decodes names lossily: a column would be lost
            raise bad_header
        refuse_repeated_names(path, csv_header(path))
    elif (schema := file_schema(path)) is not None:  # before the scan, which panics on both in an Arrow file
        refuse_repeated_names(path, schema.names)
        if has_view_types(schema):
            return as_strings(read_by_pyarrow(path))
    return scan(path)


def unsupported_file_type(path: Path, accepted: tuple[str, ...] = ()) -> InputError:
    """The error for a file of a suffix no reader takes, listing those they take (and `accepted`, a caller's own)."""
    suffixes = (*TABLE_SUFFIXES, *accepted)
    return InputError(path, f"unsupported file type '{path.suffix.lower()}'; use {', '.join(suffixes[:-1])} or "
                            f"{suffixes[-1]}")


# The cells pandas reads as missing, and so datasets' CSV loader, which trains on them as nulls: read so here too,
# never as the text "NULL" (pandas' STR_NA_VALUES but the empty cell, which is an empty text below).
MISSING = ["#N/A", "#N/A N/A", "#NA", "-1.#IND", "-1.#QNAN", "-NaN", "-nan", "1.#IND", "1.#QNAN", "<NA>", "N/A", "NA",
           "NULL", "NaN", "None", "n/a", "nan", "null"]


def _scan_csv(path: Path) -> pl.LazyFrame:
    # CSV cannot tell a missing value from an empty one: both are empty texts, counted as such.
    return pl.scan_csv(path, glob=False, infer_schema=False, empty_string_is_null=False, null_values=MISSING)


def _scan_tsv(path: Path) -> pl.LazyFrame:
    # TSV has no quoting (IANA; MS MARCO, BEIR): a text may start with a quote, which CSV rules would read as a
    # quoted field running on over the next tabs and lines.
    return pl.scan_csv(path, glob=False, separator="\t", quote_char=None, infer_schema=False,
                       empty_string_is_null=False, null_values=MISSING)


SCANNERS: dict[str, Callable[[Path], pl.LazyFrame]] = {
    ".csv": _scan_csv, ".tsv": _scan_tsv, ".parquet": lambda path: as_strings(pl.scan_parquet(path, glob=False)),
    **dict.fromkeys((".arrow", ".feather", ".ipc"), lambda path: as_strings(scan_arrow(path))),
}
# Every file suffix a table is read from: JSON (json_files parses it) and what Polars scans above.
TABLE_SUFFIXES = (*JSON_LINES_SUFFIXES, JSON_SUFFIX, *SCANNERS)


def as_strings(scan: pl.LazyFrame) -> pl.LazyFrame:
    """Dictionary-encoded texts (pandas' category dtype), in lists too, as plain strings and fixed-size lists as
    lists, as `datasets` loads them."""
    plain = {name: _plain(dtype) for name, dtype in scan.collect_schema().items()}
    return scan.with_columns(pl.col(name).cast(dtype) for name, dtype in plain.items() if dtype is not None)


def _plain(dtype: pl.DataType) -> pl.DataType | None:
    """The type `dtype` is read as, None where it is read as it is."""
    if isinstance(dtype, pl.Categorical | pl.Enum):
        return pl.String
    if isinstance(dtype, pl.List | pl.Array):
        inner = _plain(dtype.inner)
        return pl.List(inner or dtype.inner) if inner is not None or isinstance(dtype, pl.Array) else None
    return None


def scan_datasets_folder(path: Path, split: str) -> pl.LazyFrame:
    import datasets

    loaded = datasets.load_from_disk(str(path))
    if isinstance(loaded, datasets.DatasetDict):
        if split not in loaded:
            raise split_not_found(path, split, loaded)
        loaded = loaded[split]
    return pl.from_arrow(loaded.data.table).lazy()


def scan_parquet_folder(path: Path, split: str) -> pl.LazyFrame:
    """Its shards as one table, rows numbered on through them in name order; of split folders, the `split` one."""
    splits = parquet_splits(path)
    if splits and split not in splits:
        raise split_not_found(path, split, splits)
    shards = splits[split] if splits else files_of_split(path, folder_shards(path), split)
    schemas = [file_schema(shard) for shard in shards]
    for shard, schema in zip(shards, schemas, strict=True):
        if schema is not None:
            refuse_repeated_names(shard, schema.names)
    refuse_missing_columns({shard: schema.names for shard, schema in zip(shards, schemas, strict=True)
                            if schema is not None})
    if any(schema is not None and has_view_types(schema) for schema in schemas):  # Polars' scan panics on a list view
        return as_strings(pl.concat([read_by_pyarrow(shard) for shard in shards], how="vertical_relaxed"))
    return as_strings(pl.scan_parquet(shards, glob=False))
