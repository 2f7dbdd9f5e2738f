"""Read DATA for linting through the readers' file layer: every column, typed by kind, one table per split.

Unlike the readers, lint keeps every column (an extra column is a finding, not noise) and keeps the user's
column names and order (the trainers read columns by position).
"""

import json
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from pipeline.errors import missing
from pipeline.lint.column_types import as_float, declared_type, kind_of, numbers_from_text
from pipeline.readers.beir import is_beir_folder, read_beir
from pipeline.readers.class_labels import class_columns
from pipeline.readers.detect import folder_format, folder_splits, refuse_split
from pipeline.readers.files import ROW, is_blank, line_unit, peek_columns, read_columns
from pipeline.readers.json_files import LateColumns, file_suffix
from pipeline.readers.json_folder import json_folder_files
from pipeline.readers.table_folders import (
    dataset_dict_splits,
    is_datasets_folder,
    is_parquet_folder,
    parquet_splits,
    split_not_found,
)


@dataclass(frozen=True)
class Source:
    """One table to lint: `frame` has `ROW` (the row or line number errors name) and the readable columns,
    numbers as Float64; `schema` has every column as the file declares it, in the file's order (a list column
    whose every list is empty as a list of texts)."""

    name: str
    frame: pl.DataFrame
    schema: pl.Schema
    unit: str
    is_beir: bool = False
    lines_of: str = ""  # a BEIR table's qrels file: its rows are queries, but findings name the qrels lines
    written: dict = field(default_factory=dict)  # prep_batch_size and prep_blocks of a `prep run` datasets folder
    classes: dict = field(default_factory=dict)  # the class names of ClassLabel columns, as `datasets` wrote them


def read_sources(path: Path, split: str | None = None, columns: dict[str, str] | None = None,
                 fmt: str | None = None, split_flag: str = "--split") -> list[Source]:
    """The tables of DATA: a file, every split of a DatasetDict folder or of a folder of Parquet split folders (or
    `split`), a BEIR folder's split, or each file of a folder of JSON Lines files, in name order, once they are known
    to be of one format (by their columns and the --columns mapping, as `read_dataset` detects it; with --format, as
    given): a finding names the file and its own lines."""
    if is_beir_folder(path):
        rows, _ = read_beir(path, split or "train")
        frame = rows.frame.rename({"row": ROW})
        return [Source(f"{path} [{split or 'train'}]", frame, frame.drop(ROW).schema, rows.unit, is_beir=True,
                       lines_of=str(rows.path.relative_to(path)))]
    if not path.exists():
        raise missing(path)
    refuse_split(path, split, split_flag)
    if is_blank(path):
        return [_read_table(path, split or "train", str(path))]
    if is_json_folder(path):
        if fmt is None:
            folder_format(path, columns)
        return [_read_table(file, split or "train", str(file)) for file in json_folder_files(path)]
    splits = dataset_dict_splits(path)
    splits = list(parquet_splits(path) or folder_splits(path)) if splits is None else splits
    if splits:
        if split is not None and split not in splits:
            raise split_not_found(path, split, splits)
        return [_read_table(path, name, f"{path} [{name}]") for name in splits if split in (None, name)]
    return [_read_table(path, split or "train", str(path))]


def is_json_folder(path: Path) -> bool:
    """Whether DATA is a folder of JSON (Lines) files, linted file by file: not BEIR, a datasets folder or Parquet
    shards."""
    return path.is_dir() and not is_beir_folder(path) and not is_datasets_folder(path) and not is_parquet_folder(path)


def _read_table(path: Path, split: str, name: str) -> Source:
    try:
        schema, frame = _read_all(path, peek_columns(path, split), split)
    except LateColumns as late:  # a JSON Lines field first seen after the peeked rows: a column, as the readers see it
        schema, frame = _read_all(path, late.schema, split)
    frame = frame.with_columns(as_float(frame, column) for column in frame.columns if column != ROW)
    if file_suffix(path) in {".csv", ".tsv"}:
        frame = frame.with_columns(numbers_from_text(frame, column) for column in frame.columns if column != ROW)
        # datasets' CSV loader (pandas) reads an empty cell as null, and so does the trainer that gets it.
        frame = frame.with_columns(pl.when(pl.col(column) != "").then(pl.col(column)).alias(column)
                                   for column, dtype in frame.schema.items() if dtype == pl.String)
        schema = pl.Schema({column: declared_type(frame[column]) for column in schema})
    return Source(name, frame, schema, line_unit(path), written=_written(path, split),
                  classes=class_columns(path, split))


def _read_all(path: Path, columns: pl.Schema, split: str) -> tuple[pl.Schema, pl.DataFrame]:
    # A list column with no element in any row (JSON's [] has no type) counts as a list of texts, as the readers
    # read it; layout-schema lets it stand for a list of numbers too.
    schema = pl.Schema({column: pl.List(pl.String) if dtype == pl.List(pl.Null) else dtype
                        for column, dtype in columns.items()})
    kinds = {column: kind for column, dtype in schema.items() if (kind := kind_of(dtype))}
    if is_blank(path):
        return schema, pl.DataFrame(schema={ROW: pl.UInt32})
    return schema, read_columns(path, kinds, split, known=schema, inferred=True)


def _written(path: Path, split: str) -> dict:
    """What `prep run --batch-size` wrote into a datasets folder's description (prep_batch_size, prep_blocks), where
    `pipeline.sampler.BlockBatchSampler` reads it; {} for anything else."""
    if not is_datasets_folder(path):
        return {}
    folder = path / split if (path / "dataset_dict.json").exists() else path
    try:
        written = json.loads(json.loads((folder / "dataset_info.json").read_text()).get("description") or "{}")
    except (OSError, ValueError, AttributeError):
        return {}
    return written if isinstance(written, dict) else {}
