"""The warning for a folder of JSON files, read whole, whose file names say a split other than train (test.jsonl,
dev.jsonl): datasets would read those files as that split, while prep (as FlagEmbedding) trains on them."""

from pathlib import Path

from pipeline.readers.beir import is_beir_folder
from pipeline.readers.file_splits import other_split_files
from pipeline.readers.json_folder import json_folder_files
from pipeline.readers.table_folders import is_datasets_folder, is_parquet_folder


def split_names_warning(path: Path) -> str | None:
    """For DATA as read (a prep output's own data, `train_data`): said where it is a folder of JSON files and
    datasets' get_data_patterns finds a split other than train in its file names; None for anything else. Not
    refused: FlagEmbedding's --train_data folders (nq_train.jsonl + hotpot_dev.jsonl) are training data whole."""
    if not path.is_dir() or is_beir_folder(path) or is_datasets_folder(path) or is_parquet_folder(path):
        return None
    files = json_folder_files(path)
    named = other_split_files(path, files)
    if not named:
        return None
    given = " and ".join(f"{', '.join(file.name for file in chosen)} the {split} split"
                         for split, chosen in named.items())
    moved = ", ".join(file.name for chosen in named.values() for file in chosen)
    rest = [file for file in files if not any(file in chosen for chosen in named.values())]
    alone = f"give {rest[0]} alone as DATA, or " if len(rest) == 1 else ""
    return (f"{path} is read whole, every file as training data (as FlagEmbedding reads its --train_data), but "
            f"load_dataset(\"json\", data_dir=...) would give {given}, by their names: here their rows are "
            f"trained on with the rest. If they are eval data, {alone}move {moved} out of the folder")
