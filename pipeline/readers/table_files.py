"""Tables Polars scans: CSV, TSV, Parquet, Arrow (file or stream format), `datasets` folders and folders of Parquet
shards."""

import json
from collections.abc import Callable
from pathlib import Path

import polars as pl

from pipeline.errors import InputError
from pipeline.readers.arrow_views import file_schema, has_view_types, read_by_pyarrow, scan_arrow
from pipeline.readers.column_names import csv_header, refuse_missing_columns, refuse_repeated_names
from pipeline.readers.csv_quotes import first_bad_utf8
from pipeline.readers.file_splits import file_splits
from pipeline.readers.json_files import JSON_LINES_SUFFIXES, JSON_SUFFIX
from pipeline.readers.line_endings import refuse_cr_line_endings


def is_datasets_folder(path: Path) -> bool:
    return path.is_dir() and any((path / name).exists() for name in ("state.json", "dataset_dict.json"))


def dataset_dict_splits(folder: Path) -> list[str] | None:
    """The splits that a DatasetDict folder's dataset_dict.json lists (as datasets' save_to_disk writes it), None
    for a folder without one."""
    info = folder / "dataset_dict.json"
    if not info.is_file():
        return None
    try:
        splits = json.loads(info.read_text(encoding="utf-8"))["splits"]
    except (ValueError, TypeError, KeyError) as error:
        raise InputError(info, f"not a DatasetDict's description ({type(error).__name__}: {error}); datasets' "
                         'save_to_disk writes {"splits": ["train", ...]}') from None
    if not isinstance(splits, list) or not all(isinstance(name, str) for name in splits):
        raise InputError(info, f'"splits" must be a list of split names, got {splits!r}')
    return splits


def parquet_shards(folder: Path) -> list[Path]:
    """The folder's files in name order where they are all Parquet (dotfiles aside); [] for any other folder."""
    entries = sorted(child for child in folder.iterdir() if not child.name.startswith("."))
    return entries if entries and all(e.is_file() and e.suffix.lower() == ".parquet" for e in entries) else []


def parquet_splits(path: Path) -> dict[str, list[Path]]:
    """{split: shards} of a folder of one folder of Parquet shards per split, as prep writes Parquet buckets
    (data/neg1, data/neg2...); {} for anything else."""
    if not path.is_dir():
        return {}
    folders = sorted(child for child in path.iterdir() if not child.name.startswith("."))
    splits = {folder.name: parquet_shards(folder) for folder in folders if folder.is_dir()}
    return splits if folders and len(splits) == len(folders) and all(splits.values()) else {}


def is_parquet_folder(path: Path) -> bool:
    """Parquet shards, read as `load_dataset("parquet", data_dir=FOLDER)` reads them (the split's files where their
    names say splits, else all of them as one table), or one folder of them per split."""
    return path.is_dir() and bool(parquet_shards(path) or parquet_splits(path))


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


def bucket_splits(path: Path) -> list[str]:
    """The splits of a buckets output (neg1, neg2, ...: one per negative count) in number order; [] for any other
    data."""
    splits = (dataset_dict_splits(path) if is_datasets_folder(path) else list(parquet_splits(path))) or []
    return in_order(splits) if splits and all(map(_is_bucket, splits)) else []


def _is_bucket(split: str) -> bool:
    return split.startswith("neg") and split[3:].isdigit()


def in_order(splits) -> list[str]:
    """Split names sorted, buckets by their number (neg2 before neg10)."""
    return sorted(splits, key=lambda name: (0, int(name[3:]), "") if _is_bucket(name) else (1, 0, name))


def split_not_found(path: Path, split: str, splits) -> InputError:
    """A missing split, named with the folder's; a buckets folder (splits neg0, neg1, ...) is read one at a time."""
    hint = " (a buckets layout: read one with --split NAME)" if all(map(_is_bucket, splits)) else ""
    return InputError(path, f"split '{split}' not found; the folder has {in_order(splits)}{hint}")


def files_of_split(folder: Path, files: list[Path], split: str) -> list[Path]:
    """The `split`'s files where the file names say splits (`file_splits`), else all of them, as the train split."""
    splits = file_splits(folder, files)
    if not splits:
        return files
    if split not in splits:
        raise split_not_found(folder, split, splits)
    return splits[split]


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
    shards = splits[split] if splits else files_of_split(path, parquet_shards(path), split)
    schemas = [file_schema(shard) for shard in shards]
    for shard, schema in zip(shards, schemas, strict=True):
        if schema is not None:
            refuse_repeated_names(shard, schema.names)
    refuse_missing_columns({shard: schema.names for shard, schema in zip(shards, schemas, strict=True)
                            if schema is not None})
    if any(schema is not None and has_view_types(schema) for schema in schemas):  # Polars' scan panics on a list view
        return as_strings(pl.concat([read_by_pyarrow(shard) for shard in shards], how="vertical_relaxed"))
    return as_strings(pl.scan_parquet(shards, glob=False))
