"""The splits that a Parquet folder's file names give (train-00000-of-00001.parquet, test.parquet), found by
datasets' own rules, so that prep reads the files that `load_dataset("parquet", data_dir=FOLDER)` reads as a split."""

import glob
from functools import lru_cache
from pathlib import Path

from pipeline.errors import InputError


def file_splits(folder: Path, files: list[Path]) -> dict[str, list[Path]]:
    """{split: its files, in name order} of a folder of data files whose names say splits; {} where no name does
    (datasets reads every file as the train split). A file that no split claims is an error that names it: datasets
    would leave its rows out without a word."""
    # By their paths under the folder: the Hub's data/train-00000-of-00001.parquet is found from the folder above.
    paths = {file: file.relative_to(folder).as_posix() for file in files}
    splits = _resolved(folder.resolve(), tuple(paths.values()))
    if not splits:
        return {}
    claimed = {name for names in splits.values() for name in names}
    if left := next((file for file in files if paths[file] not in claimed), None):
        found = ", ".join(f"{split}: {names[0]}" for split, names in splits.items())
        raise InputError(left, f"its name says no split, while the other files' do ({found}); load_dataset(data_dir="
                         "...) would leave its rows out: rename it for its split (train-00000-of-00001.parquet, "
                         "test.parquet) or move it out of the folder")
    chosen = {split: [file for file in files if paths[file] in split_names] for split, split_names in splits.items()}
    return {split: chosen_files for split, chosen_files in chosen.items() if chosen_files}


def other_split_files(folder: Path, files: list[Path]) -> dict[str, list[Path]]:
    """{split: its files} of the `files` whose names say a split other than train, by datasets' rules, for a folder
    read whole (JSON files, as FlagEmbedding reads its --train_data): load_dataset(data_dir=...) would read them
    apart from the train rows. {} where no name says one (only train, or no split at all). A file no split claims is
    no error here: the folder is read whole."""
    splits = _resolved(folder.resolve(), tuple(file.name for file in files))
    chosen = {split: [file for file in files if file.name in names] for split, names in splits.items()
              if split != "train"}
    return {split: chosen_files for split, chosen_files in chosen.items() if chosen_files}


@lru_cache(maxsize=64)  # one folder is looked at by detection, every reader, the report and the manifest
def _resolved(folder: Path, names: tuple[str, ...]) -> dict[str, tuple[str, ...]]:
    # datasets takes a second or two to import: only for a folder, never for a file.
    from datasets.data_files import DEFAULT_PATTERNS_ALL, DataFilesDict, EmptyDatasetError, get_data_patterns

    if glob.has_magic(folder.as_posix()):  # datasets reads the folder's path as a glob pattern: run[1] matches no file
        return {}
    try:
        patterns = get_data_patterns(folder.as_posix())
    except EmptyDatasetError:
        return {}
    if patterns == DEFAULT_PATTERNS_ALL:
        return {}
    resolved = DataFilesDict.from_patterns(patterns, base_path=folder.as_posix())
    return {str(split): tuple(Path(file).relative_to(folder).as_posix() for file in files)
            for split, files in resolved.items()}
