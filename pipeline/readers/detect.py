"""Which format an input is, when --format does not say: a BEIR folder, else the names of its columns."""

from pathlib import Path

import polars as pl

from pipeline.errors import ConfigError, InputError, missing
from pipeline.readers.beir import is_beir_folder
from pipeline.readers.file_splits import file_splits
from pipeline.readers.files import is_blank, peek_columns
from pipeline.readers.flag import refuse_flag_fields
from pipeline.readers.json_folder import json_folder_files
from pipeline.readers.lists import list_columns
from pipeline.readers.pairs import is_labeled_pair
from pipeline.readers.table_folders import (
    dataset_dict_splits,
    folder_shards,
    is_datasets_folder,
    is_parquet_folder,
    parquet_splits,
)


def refuse_split(path: Path, split: str | None, flag: str = "--split") -> None:
    """--split other than train on data without splits (a file, a folder of JSON files or of Parquet shards whose
    names say no split, one saved Dataset) is an error: the data was read whole, as if it were that split."""
    if split in (None, "train") or not path.exists() or is_beir_folder(path) or dataset_dict_splits(path) is not None \
            or parquet_splits(path) or folder_splits(path):
        return
    json_folder = path.is_dir() and not is_datasets_folder(path) and not is_parquet_folder(path)
    hint = f"name the split's file instead ({path / split}.jsonl, say)" if json_folder else "leave it out"
    raise ConfigError(f"{flag} {split}: {path} has no splits ({flag} names a BEIR folder's qrels file, or a split "
                      "of a DatasetDict folder, of a Parquet folder of split folders, or of a Parquet folder whose "
                      f"file names say splits: train-00000-of-00001.parquet); {hint}")


def folder_splits(path: Path) -> dict[str, list[Path]]:
    """{split: files} of a folder of Parquet shards whose names say splits, as datasets finds them (`file_splits`);
    {} for any other path (a folder of JSON files is read whole, as FlagEmbedding reads its --train_data)."""
    if not path.is_dir() or is_beir_folder(path) or is_datasets_folder(path) or parquet_splits(path):
        return {}
    shards = folder_shards(path)
    return file_splits(path, shards) if shards else {}


def detect_format(path: Path, columns: dict[str, str] | None = None, split: str = "train") -> str:
    """beir for a BEIR folder; else by column names (a folder of JSON Lines files: those of every file, which must
    agree): pos -> flag, sentence1/sentence2 -> pairs, a query, a list of texts and a list of labels or scores ->
    lists (`list_columns`), st's anchor and positive names with a score or label that is no list and no negatives
    -> pairs, else st."""
    if is_beir_folder(path):
        return "beir"
    if not path.exists():
        raise missing(path)
    if is_blank(path):
        return "st"
    if path.is_dir() and not is_datasets_folder(path) and not is_parquet_folder(path):
        return folder_format(path, columns)
    return format_of_columns(peek_columns(path, split), columns, path)


def folder_format(path: Path, columns: dict[str, str] | None = None) -> str:
    """The one format of a folder of JSON Lines files, blank files
    aside (they fit any): the folder is read as one dataset, so files of two formats are an error that names the first
    file of each."""
    first: dict[str, Path] = {}
    for file in json_folder_files(path):
        if not is_blank(file):
            first.setdefault(format_of_columns(peek_columns(file), columns, file), file)
    if len(first) > 1:
        found = ", ".join(f"{file.name} is {fmt}" for fmt, file in first.items())
        raise InputError(path, f"holds files of different formats ({found}); the folder is read as one dataset, "
                         "so give it files of one format")
    return next(iter(first), "st")


def format_of_columns(schema: pl.Schema, columns: dict[str, str] | None, where: Path | str,
                      fmt: str | None = None) -> str:
    """The format of a table: `fmt` where --format gives it, else by its column names and the --columns mapping;
    lint takes it from here too, so that both read a table alike. A FlagEmbedding file that --format or a mapping
    would read as st or pairs is refused where it has fields they drop (`refuse_flag_fields`)."""
    found = fmt or _format_by_names(schema, columns, where)
    refuse_flag_fields(schema.names(), found, where, columns, given=fmt is not None)
    return found


def _format_by_names(schema: pl.Schema, columns: dict[str, str] | None, where: Path | str) -> str:
    names = set(schema.names())
    mapped = set((columns or {}).keys())
    if {"query", "pos"} <= names and not mapped:
        return "flag"
    if {"sentence1", "sentence2"} <= names or {"sentence1", "sentence2"} <= mapped:
        return "pairs"
    if not mapped and list_columns(schema, where):
        return "lists"
    if is_labeled_pair(schema, columns):
        return "pairs"
    return "st"
