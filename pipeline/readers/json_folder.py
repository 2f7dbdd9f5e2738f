"""A folder of JSON Lines files (FlagEmbedding's --train_data folder, as prep's flag layout writes one per `type`):
its files in name order, read one by one and joined into one input whose rows keep their own file and line."""

from pathlib import Path

import polars as pl

from pipeline.errors import InputError
from pipeline.input_rows import FilePart, InputRows
from pipeline.readers.json_files import is_json_lines
from pipeline.readers.line_numbers import count_lines

JSON_SUFFIXES = (".jsonl", ".json")


def json_folder_files(path: Path) -> list[Path]:
    """The folder's .jsonl and .json files in name order, the files FlagEmbedding reads from it (suffixes matched
    as it does, case and all), other dotfiles aside (.DS_Store, editor files); anything else in it, and a JSON dotfile
    (macOS's `._x.jsonl`, which FlagEmbedding would read), is an error that names it rather than data left out or
    read without a word. Every file, whatever its name says (hotpot_dev.jsonl), as FlagEmbedding's --train_data
    folder is read; a Parquet folder's file names say its splits (`file_splits`)."""
    entries = sorted(child for child in path.iterdir()
                     if not child.name.startswith(".") or child.name.endswith(JSON_SUFFIXES))
    files = [entry for entry in entries if entry.is_file() and entry.name.endswith(JSON_SUFFIXES)]
    if not files:
        raise unreadable_folder(path)
    hidden = next((entry for entry in files if entry.name.startswith(".")), None)
    if hidden is not None:
        raise InputError(hidden, "a hidden JSON file, which FlagEmbedding's --train_data would read as data too: "
                         "delete it or move it out of the folder")
    other = next((entry for entry in entries if entry not in files), None)
    if other is not None:
        kind = "a folder" if other.is_dir() else f"a '{other.suffix or other.name}' file"
        raise InputError(other, f"{kind} beside the JSON Lines files of {path}, which is read as one dataset of "
                         f"its {', '.join(JSON_SUFFIXES)} files: move it out of the folder")
    return files


def unreadable_folder(path: Path) -> InputError:
    return InputError(path, "a folder that is neither BEIR (corpus.jsonl, queries.jsonl, qrels/), a datasets "
                      "save_to_disk folder, Parquet shards, nor a folder of JSON Lines files (.jsonl, .json: "
                      "FlagEmbedding's --train_data folder)")


def join_rows(path: Path, parts: list[InputRows]) -> InputRows:
    """The files' rows as one input. Rows are numbered on through the files, as the lines of the files joined in
    name order (`cat`) would be, so that each stays distinct; `InputRows.parts` maps a row back to its file."""
    frames, located, offset = [], [], 0
    for rows in parts:
        frames.append(rows.frame.with_columns((pl.col("row").cast(pl.UInt32) + offset).cast(pl.UInt32)))
        located.append(FilePart(rows.path, offset, rows.unit, tuple(rows.fields.items())))
        offset += count_lines(rows.path) if is_json_lines(rows.path) else rows.frame.height
    fields = {role: name for rows in reversed(parts) for role, name in rows.fields.items()}  # the first file's win
    unit = "line" if all(rows.unit == "line" for rows in parts) else "row"
    return InputRows(pl.concat(frames, how="diagonal_relaxed"), path, fields, unit,
                     missing_negatives=sum(rows.missing_negatives for rows in parts), parts=tuple(located))

