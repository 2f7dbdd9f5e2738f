"""`prep report`: the profile of a dataset, in the terminal and as JSON or HTML."""

import json
from dataclasses import replace
from pathlib import Path
from typing import Annotated

import typer

from pipeline.cli_app import (
    ColumnsOpt,
    DataArg,
    FormatOpt,
    SplitOpt,
    console,
    parse_columns,
    path_option,
)
from pipeline.cli_output import check_not_input, write_text
from pipeline.errors import ConfigError


def report(
    data: DataArg,
    fmt: FormatOpt = None,
    split: SplitOpt = "train",
    columns: ColumnsOpt = None,
    json_path: Annotated[Path | None, path_option("--json", "Also write the report as JSON here.")] = None,
    html_path: Annotated[Path | None, path_option("--html", "Also write a self-contained HTML page.")] = None,
    model: Annotated[str | None, typer.Option(help="Encoder folder whose tokenizer measures lengths "
                                                   "(default: the offline all-MiniLM-L6-v2).")] = None,
) -> None:
    """Profile a dataset: negatives and positives per query, duplicates, token lengths, empty texts."""
    from pipeline.readers import read_dataset
    from pipeline.readers.split_names import split_names_warning
    from pipeline.report.html import render_html
    from pipeline.report.profile import profile
    from pipeline.report.terminal import render_terminal
    from pipeline.report.tokens import load_token_counter, output_prompts

    check_not_input(json_path, "--json", {"DATA": data})
    check_not_input(html_path, "--html", {"DATA": data})
    if json_path and html_path and json_path.expanduser().resolve() == html_path.expanduser().resolve():
        raise ConfigError(f"--json {json_path} and --html {html_path} are one file: the HTML would overwrite the JSON; "
                          "give two files")
    canon = read_dataset(data, fmt, split, parse_columns(columns))
    counter = load_token_counter(model)
    mined = output_prompts(data, model) if data.is_dir() else None
    result = profile(canon, counter if mined is None else replace(counter, prompts=mined))
    result |= _split_read(data, split)
    if warning := split_names_warning(canon.sources[0]):  # a folder read whole, test.jsonl and all: said
        result["split_names_warning"] = warning
    render_terminal(result, console)
    if json_path:
        write_text(json_path, json.dumps(result, indent=2) + "\n")
    if html_path:
        write_text(html_path, render_html(result))


def _split_read(data: Path, split: str) -> dict:
    """The split of a folder of splits that was read, which the sources (the folder) do not say: a BEIR folder's
    qrels file (its rows are the split's queries), a DatasetDict's or a Parquet folder's split; of a folder whose file
    names say splits, also the files read and the splits left (their rows are not in the report). Nothing for a file,
    nor for a buckets output read whole."""
    from pipeline.lint.prep_output import train_data
    from pipeline.readers.beir import is_beir_folder
    from pipeline.readers.detect import folder_splits
    from pipeline.readers.table_folders import dataset_dict_splits, in_order, parquet_splits

    if not data.is_dir():
        return {}
    if is_beir_folder(data):
        return {"split": split, "qrels": f"qrels/{split}.tsv"}
    if named := folder_splits(folder := train_data(data)):  # a prep output's data/ folder too
        return {"split": split, "files": [file.relative_to(folder).as_posix() for file in named[split]],
                "other_splits": in_order(name for name in named if name != split)}
    if split != "train" or split in (dataset_dict_splits(data) or parquet_splits(data)):
        return {"split": split}
    return {}
