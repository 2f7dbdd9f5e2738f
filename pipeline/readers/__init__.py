"""Read any supported input into the canonical model; `--format` picks a reader or detection does."""

import importlib
import threading
from dataclasses import replace
from pathlib import Path

import polars as pl

from pipeline.canonical import Canonical, InputRows, build_canonical
from pipeline.errors import ConfigError, InputError
from pipeline.lint.prep_output import refuse_model_scores, train_data
from pipeline.readers.beir import is_beir_folder, read_beir
from pipeline.readers.corpus import read_corpus_texts
from pipeline.readers.detect import detect_format, refuse_split
from pipeline.readers.files import is_blank, line_unit, peek_columns
from pipeline.readers.flag import read_flag, refuse_flag_fields
from pipeline.readers.json_files import LateColumns
from pipeline.readers.json_folder import join_rows, json_folder_files
from pipeline.readers.lists import read_lists
from pipeline.readers.pairs import read_pairs
from pipeline.readers.st import read_st
from pipeline.readers.table_folders import bucket_splits, is_datasets_folder, is_parquet_folder

FORMATS = ("st", "flag", "beir", "pairs", "lists")


def read_dataset(path: Path | str, fmt: str | None = None, split: str = "train",
                 columns: dict[str, str] | None = None, corpus: Path | None = None) -> Canonical:
    """Read DATA in format `fmt` (detected when None) into validated canonical tables; `corpus` adds texts
    (BEIR corpus.jsonl, a table with a `text` column, or .txt lines) that no row mentions."""
    refuse_model_scores(Path(path))
    path = train_data(Path(path))  # a prep output folder is read as the data in it, as lint reads it
    # pandera takes about a second to import: let it load while the input is parsed (both release the GIL).
    threading.Thread(target=importlib.import_module, args=("schemas.canonical",), daemon=True).start()
    refuse_split(path, split)
    extra = read_corpus_texts(corpus) if corpus else None
    detected = fmt is None
    # A buckets output without a split asked for is every bucket, as its own report.json counts them.
    buckets = bucket_splits(path) if split == "train" else []
    fmt = fmt or detect_format(path, columns, buckets[0] if buckets else split)
    if fmt not in FORMATS:
        raise ConfigError(f"--format must be one of {', '.join(FORMATS)}; got '{fmt}'")
    check_roles(columns or {}, fmt)
    if is_blank(path):
        return build_canonical(_no_rows(path), extra)
    if fmt == "beir":
        if not is_beir_folder(path):
            raise InputError(path, "not a BEIR folder: expected corpus.jsonl, queries.jsonl and qrels/<split>.tsv")
        rows, own_corpus = read_beir(path, split)
        texts = own_corpus if extra is None else pl.concat([own_corpus, extra])
        return build_canonical(rows, texts, sources=(path, *([Path(corpus)] if corpus else []))).validate()
    if is_beir_folder(path):  # else read as a folder of JSON files, which qrels/ is not welcome in
        raise InputError(path, f"a BEIR folder (corpus.jsonl, queries.jsonl, qrels/), which --format {fmt} does not "
                               "read: use --format beir, or leave --format out")
    if buckets:  # each bucket's rows keep their own numbers, named by the bucket's folder
        rows = join_rows(path, [replace(_read_rows(path, fmt, columns, name, detected), path=path / name)
                                for name in buckets])
    elif path.is_dir() and not is_datasets_folder(path) and not is_parquet_folder(path):
        rows = join_rows(path, [_read_rows(file, fmt, columns, split, detected)
                                 for file in json_folder_files(path)])
    else:
        rows = _read_rows(path, fmt, columns, split, detected)
    return build_canonical(rows, extra, sources=(path, *([Path(corpus)] if corpus else []))).validate()


def _read_rows(path: Path, fmt: str, columns: dict[str, str] | None, split: str, detected: bool) -> InputRows:
    if is_blank(path):
        return _no_rows(path)
    if fmt == "flag":
        return read_flag(path, split)
    if fmt == "lists":
        return read_lists(path, split)
    read = read_pairs if fmt == "pairs" else read_st
    schema = peek_columns(path, split)
    if not detected:  # detection refused flag's fields in the peeked rows already; --format st or pairs is here
        refuse_flag_fields(schema.names(), fmt, path, columns, given=True)
    try:
        return read(path, columns, split, schema)
    except LateColumns as late:
        # st and pairs choose their columns by name: again from all of the file's fields, so flag's fields from line
        # 5,000 on are refused here as from line 1 (the file is parsed once more only to read it, never to look for
        # them).
        refuse_flag_fields(late.schema.names(), fmt, path, columns, given=not detected)
        return read(path, columns, split, late.schema)


ROLES = {"st": ("anchor", "positive", "negative", "score", "label"),
         "pairs": ("sentence1", "sentence2", "score", "anchor", "positive", "label")}
# Two names of one role: pairs' own and st's, and the score's two.
SAME_ROLE = (("sentence1", "anchor"), ("sentence2", "positive"), ("score", "label"))


def check_roles(columns: dict[str, str], fmt: str | None) -> None:
    """--columns maps the roles of st and pairs tables; a misspelt role, or a mapping for a format whose field
    names are fixed, would otherwise be ignored without a word. With no format yet (it is detected from the
    columns and the mapping), a role of either is fine."""
    if not columns:
        return
    if fmt is None:
        known = dict.fromkeys(role for roles in ROLES.values() for role in roles)
        if unknown := sorted(set(columns) - set(known)):
            raise ConfigError(f"--columns roles are {', '.join(known)}; got {', '.join(unknown)}")
        return
    if fmt not in ROLES:
        fixed = (f"{fmt} input has fixed field names" if fmt != "lists" else "lists input is found by the names ST "
                 "gives it (query|anchor|question, docs|documents or a positive list, labels|scores)")
        raise ConfigError(f"--columns maps the columns of st and pairs tables; {fixed}")
    unknown = sorted(set(columns) - set(ROLES[fmt]))
    if unknown:
        raise ConfigError(f"--columns roles for {fmt} input are {', '.join(ROLES[fmt])}; got {', '.join(unknown)}")
    # A reader reads one column per role: which of the two it took would be a silent guess.
    for role, alias in SAME_ROLE:
        if role in columns and alias in columns:
            raise ConfigError(f"--columns maps {role} and {alias}, two names of one {fmt} role, to "
                              f"'{columns[role]}' and '{columns[alias]}'; give one")


def _no_rows(path: Path) -> InputRows:
    texts = pl.List(pl.String)
    frame = pl.DataFrame(schema={"row": pl.UInt32, "query": pl.String, "positive": texts, "negative": texts})
    return InputRows(frame, path, {}, line_unit(path))
