"""Folders of tables: `datasets` save_to_disk folders (a DatasetDict's splits), folders of Parquet shards (one
table, a folder per split, or files whose names say splits) and prep's buckets; which splits they hold."""

import json
from pathlib import Path

from pipeline.errors import InputError
from pipeline.readers.file_splits import file_splits


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
    (data/neg1, data/neg2...); {} for anything else, and for folders whose shards' paths say splits by datasets'
    rules (the Hub's data/train-00000-of-00001.parquet): those are read by the names (`folder_shards`). Buckets
    stay buckets, though their shards are train-00000-of-00001.parquet too: one table of them has no one schema."""
    splits = _shard_folders(path)
    if not splits or all(map(_is_bucket, splits)):
        return splits
    return {} if file_splits(path, [shard for shards in splits.values() for shard in shards]) else splits


def _shard_folders(path: Path) -> dict[str, list[Path]]:
    if not path.is_dir():
        return {}
    # a Hub clone's README.md (the dataset card) sits beside data/: datasets reads no data from it
    folders = sorted(child for child in path.iterdir()
                     if not child.name.startswith(".") and not (child.name.lower() == "readme.md" and child.is_file()))
    splits = {folder.name: parquet_shards(folder) for folder in folders if folder.is_dir()}
    return splits if folders and len(splits) == len(folders) and all(splits.values()) else {}


def folder_shards(path: Path) -> list[Path]:
    """The Parquet shards of a folder: its own, or those of its folders of shards where their paths say splits
    (data/train-00000-of-00001.parquet under the Hub's root: a folder per split here would read data/ as one
    split, train and test together); [] for any other folder."""
    if shards := parquet_shards(path):
        return shards
    return [shard for shards in _shard_folders(path).values() for shard in shards] if not parquet_splits(path) else []


def is_parquet_folder(path: Path) -> bool:
    """Parquet shards, read as `load_dataset("parquet", data_dir=FOLDER)` reads them (the split's files where their
    names say splits, else all of them as one table), or one folder of them per split."""
    return path.is_dir() and bool(folder_shards(path) or parquet_splits(path))


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
