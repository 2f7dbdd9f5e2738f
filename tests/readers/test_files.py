"""Every supported container gives the same tables: JSONL, .json (array or lines), CSV, Parquet, Arrow IPC and
`datasets` save_to_disk folders."""

import json
import re
import shutil
from collections.abc import Callable
from pathlib import Path

import datasets
import pyarrow as pa
import pytest

from pipeline.canonical import Canonical
from pipeline.errors import InputError
from pipeline.readers import read_dataset
from pipeline.readers.files import line_unit

RECORDS = [
    {"anchor": "what is bm25", "positive": "BM25 ranks documents.", "negative": "Dune is a novel."},
    {"anchor": "who wrote dune", "positive": "Frank Herbert wrote Dune.", "negative": "BM25 ranks documents."},
    {"anchor": "what is  bm25", "positive": "BM25 uses term frequency.", "negative": "Paris is in France."},
    {"anchor": "capital of france", "positive": "Paris is the capital of France.", "negative": "Berlin is big."},
    {"anchor": "largest planet", "positive": "Jupiter is the largest planet.", "negative": "Mars is red."},
    {"anchor": "speed of light", "positive": "Light travels fast.", "negative": "Sound is slower."},
]


def content(canon: Canonical) -> tuple:
    """What a reader produced, independent of row order."""
    return tuple(sorted(table.rows()) for table in (canon.queries, canon.corpus, canon.positives,
                                                     canon.negatives, canon.rows, canon.empty))


def json_lines_in_json(tmp_path: Path, records: list[dict]) -> Path:
    path = tmp_path / "flag_style.json"
    path.write_text("".join(json.dumps(record) + "\n" for record in records), encoding="utf-8")
    return path


def dataset_folder(tmp_path: Path, records: list[dict]) -> Path:
    datasets.Dataset.from_list(records).save_to_disk(str(tmp_path / "dataset"))
    return tmp_path / "dataset"


def dataset_dict_folder(tmp_path: Path, records: list[dict]) -> Path:
    dataset = datasets.Dataset.from_list(records)
    datasets.DatasetDict({"train": dataset, "test": dataset.select([0])}).save_to_disk(str(tmp_path / "dict"))
    return tmp_path / "dict"


@pytest.mark.parametrize("name", ["in.json", "in.csv", "in.parquet", "in.arrow"])
def test_tables_match_jsonl(write_table, name: str) -> None:
    reference = read_dataset(write_table("in.jsonl", RECORDS))
    assert reference.queries.height == 5
    assert content(read_dataset(write_table(name, RECORDS))) == content(reference)


@pytest.mark.parametrize("make", [json_lines_in_json, dataset_folder, dataset_dict_folder])
def test_json_lines_in_json_and_datasets_folders_match_jsonl(write_table, tmp_path: Path,
                                                              make: Callable[[Path, list[dict]], Path]) -> None:
    reference = read_dataset(write_table("in.jsonl", RECORDS))
    assert content(read_dataset(make(tmp_path, RECORDS))) == content(reference)


def test_datasets_dict_split_picks_the_split(tmp_path: Path) -> None:
    folder = dataset_dict_folder(tmp_path, RECORDS)
    canon = read_dataset(folder, "st", split="test")
    assert canon.queries["text"].to_list() == ["what is bm25"]


def test_datasets_dict_unknown_split_lists_the_splits(tmp_path: Path) -> None:
    folder = dataset_dict_folder(tmp_path, RECORDS)
    with pytest.raises(InputError, match=r"split 'dev' not found; the folder has \['test', 'train'\]"):
        read_dataset(folder, "st", split="dev")


@pytest.mark.parametrize(("content", "says"), [
    ('{"splits": ["train"', "JSONDecodeError"), ("[1]", "TypeError"), ('{"split": []}', "KeyError: 'splits'"),
    ('{"splits": "train"}', '"splits" must be a list of split names, got \'train\''),
])
def test_a_broken_dataset_dict_json_is_an_error_that_names_it(tmp_path: Path, content: str, says: str) -> None:
    """It was a json traceback from the check for an empty folder (and from lint's list of splits)."""
    from pipeline.lint.load import read_sources

    folder = dataset_dict_folder(tmp_path, RECORDS)
    (folder / "dataset_dict.json").write_text(content)
    for read in (read_dataset, read_sources):
        with pytest.raises(InputError, match=f"{folder / 'dataset_dict.json'}.*{re.escape(says)}"):
            read(folder)


def test_list_columns_survive_every_container_that_has_lists(write_table, tmp_path: Path, linked) -> None:
    records = [{"anchor": f"q{i}", "positive": [f"p{i}", "p0"], "negative": [f"n{i}", f"m{i}"]} for i in range(5)]
    expected = content(read_dataset(write_table("lists.jsonl", records)))
    for path in (write_table("lists.json", records), write_table("lists.parquet", records),
                 write_table("lists.arrow", records), dataset_folder(tmp_path, records)):
        assert content(read_dataset(path)) == expected, path
    assert ("q3", "m3") in linked(read_dataset(write_table("lists.parquet", records)), "negatives")


def test_json_lines_are_located_by_line_and_tables_by_row(write_table, tmp_path: Path) -> None:
    assert line_unit(write_table("a.jsonl", RECORDS)) == "line"
    assert line_unit(json_lines_in_json(tmp_path, RECORDS)) == "line"
    assert line_unit(write_table("a.json", RECORDS)) == "row"
    assert line_unit(write_table("a.parquet", RECORDS)) == "row"
    assert line_unit(write_table("a.csv", RECORDS)) == "row"


def test_unsupported_suffix_is_named(tmp_path: Path) -> None:
    path = tmp_path / "data.txt"
    path.write_text("anchor\tpositive\n")
    with pytest.raises(InputError, match=r"data\.txt: unsupported file type '\.txt'"):
        read_dataset(path, "st")


def test_arrow_ipc_stream_file(tmp_path: Path) -> None:
    table = pa.Table.from_pylist(RECORDS)
    path = tmp_path / "stream.arrow"
    with pa.OSFile(str(path), "wb") as sink, pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    assert read_dataset(path, "st").queries.height == 5


def test_input_with_a_column_named_row(write_table) -> None:
    records = [{"row": index, **record} for index, record in enumerate(RECORDS)]
    assert read_dataset(write_table("with_row.csv", records)).queries.height == 5



@pytest.mark.parametrize("name", ["category.parquet", "category.arrow"])
def test_dictionary_encoded_texts_are_texts(write_table, tmp_path: Path, name: str) -> None:
    # pandas' category dtype is stored dictionary-encoded; `datasets` loads it as strings and ST trains on it, but
    # prep refused it ("expected strings, the column holds Categorical").
    import pyarrow.feather as feather
    import pyarrow.parquet as pq

    from pipeline.lint.context import LintOptions
    from pipeline.lint.runner import lint

    table = pa.Table.from_pylist(RECORDS)
    table = table.set_column(0, "anchor", table["anchor"].dictionary_encode())
    path = tmp_path / name
    if name.endswith(".parquet"):
        pq.write_table(table, path)
    else:
        feather.write_feather(table, path)
    assert content(read_dataset(path)) == content(read_dataset(write_table("in.jsonl", RECORDS)))
    assert not [finding for finding in lint(path, LintOptions()).findings if finding.rule == "layout-schema"]


@pytest.mark.parametrize("name", ["shards.jsonl", "shards.json", "shards.csv"])
def test_datasets_folder_named_like_a_file(write_table, tmp_path: Path, name: str) -> None:
    # `prep run DATA --out shards.jsonl` writes a datasets folder of that name: it is read as the folder it is (a
    # padded negative, "", stays an empty text, not a CSV's empty cell).
    records = [*RECORDS[:-1], {**RECORDS[-1], "negative": ""}]
    reference = read_dataset(write_table("in.jsonl", records))
    datasets.Dataset.from_list(records).save_to_disk(str(tmp_path / name))
    assert content(read_dataset(tmp_path / name)) == content(reference)
    assert line_unit(tmp_path / name) == "row"


def test_a_split_of_data_that_has_none_is_refused(write_table, tmp_path: Path) -> None:
    """`prep convert dev.jsonl --split dev` read the file and wrote it as train, the split said nothing."""
    from pipeline.errors import ConfigError

    path = write_table("dev.jsonl", RECORDS)
    assert read_dataset(path, split="train").queries.height == 5  # the default, said or not
    for data in (path, tmp_path / "empty.jsonl", dataset_folder(tmp_path, RECORDS)):  # one saved Dataset too
        data.touch()
        with pytest.raises(ConfigError, match=f"--split dev: {re.escape(str(data))} has no splits.*; leave it out$"):
            read_dataset(data, split="dev")
    assert read_dataset(dataset_dict_folder(tmp_path, RECORDS), "st", split="test").queries.height == 1


def test_a_label_list_of_texts_is_blamed_where_it_is_for_the_readers(tmp_path: Path) -> None:
    """The readers need numbers: line 1's texts are the fault, not line 2's numbers (lint, which takes the types the
    file shows, says where they change)."""
    path = tmp_path / "labels.jsonl"
    path.write_text(json.dumps({"anchor": "a", "positive": "b", "label": ["1", "0"]}) + "\n"
                    + json.dumps({"anchor": "c", "positive": "d", "label": [1, 0]}) + "\n")
    with pytest.raises(InputError, match="line 1, field 'label': expected lists of numbers, found '1' in the list"):
        read_dataset(path)


def test_lint_refuses_a_split_of_data_that_has_none_as_the_readers_do(write_table, tmp_path: Path) -> None:
    from pipeline.errors import ConfigError
    from pipeline.lint.load import read_sources

    path = write_table("dev.jsonl", RECORDS)
    with pytest.raises(ConfigError, match=r"--split test: .* has no splits .*; leave it out"):
        read_sources(path, "test")
    folder = tmp_path / "files"
    folder.mkdir()
    shutil.copy(path, folder / "questions.jsonl")  # a name that says no split
    with pytest.raises(ConfigError, match=re.escape(f"name the split's file instead ({folder / 'test'}.jsonl, say)")):
        read_sources(folder, "test")
    [source] = read_sources(dataset_dict_folder(tmp_path, RECORDS), "test")
    assert source.name.endswith("[test]")
    with pytest.raises(ConfigError, match=r"--eval-split test: .* has no splits \(--eval-split names"):
        read_sources(path, "test", split_flag="--eval-split")  # what lint's --eval data is read with


def test_a_missing_split_lists_buckets_in_number_order(tmp_path: Path) -> None:
    from pipeline.readers.table_folders import split_not_found

    error = split_not_found(tmp_path, "train", ["neg10", "neg2", "neg1", "neg100"])
    assert "the folder has ['neg1', 'neg2', 'neg10', 'neg100'] (a buckets layout" in str(error)  # not neg1, neg10, ...


@pytest.mark.parametrize("kind", ["dictionary", "fixed-size"])
def test_lists_of_dictionary_encoded_or_fixed_size_texts_are_lists_of_texts(tmp_path: Path, kind: str) -> None:
    """`datasets` loads both as lists of strings; report refused the first (List(Categorical)) and lint read neither
    (every row "without negatives", a fixed-size positive "missing")."""
    import pyarrow.parquet as pq

    from pipeline.lint.context import LintOptions
    from pipeline.lint.runner import lint

    rows = [{"query": f"q{i}", "pos": [f"p{i}"], "neg": [f"n{i}", f"m{i}"]} for i in range(5)]
    text = pa.dictionary(pa.int32(), pa.string()) if kind == "dictionary" else pa.string()
    size = {"pos": 1, "neg": 2} if kind == "fixed-size" else {"pos": -1, "neg": -1}
    table = pa.table({"query": [row["query"] for row in rows],
                      **{name: pa.array([row[name] for row in rows], pa.list_(text, size[name])) for name in size}})
    pq.write_table(table, tmp_path / "lists.parquet")
    (tmp_path / "rows.jsonl").write_text("".join(json.dumps(row) + "\n" for row in rows))
    assert content(read_dataset(tmp_path / "lists.parquet")) == content(read_dataset(tmp_path / "rows.jsonl"))
    findings = {finding.rule for finding in lint(tmp_path / "lists.parquet", LintOptions(group_size=3)).findings}
    assert findings == {finding.rule for finding in lint(tmp_path / "rows.jsonl", LintOptions(group_size=3)).findings}
