"""A folder of JSON Lines files reads as its files joined in name order; errors name a file and its own line."""

import json
from pathlib import Path

import polars as pl
import pytest

from pipeline.config import LayoutConfig, MiningConfig, RunConfig
from pipeline.convert import convert
from pipeline.errors import InputError
from pipeline.lint.context import LintOptions
from pipeline.lint.load import read_sources
from pipeline.lint.runner import lint
from pipeline.provenance import describe_inputs
from pipeline.readers import read_dataset
from pipeline.readers.detect import detect_format
from pipeline.run import RunInputs


def flag_row(index: int, **extra: object) -> dict:
    return {"query": f"query {index}", "pos": [f"answer {index}"], "neg": [f"other {index}"], **extra}


def test_flag_output_with_two_types_reads_back_as_its_single_file_input(write_table, tmp_path: Path, linked) -> None:
    """prep's flag layout writes train/<type>.jsonl per type: the folder holds what the one input file held."""
    kinds = ["only_1neg", "symmetric_class", "only_1neg", "symmetric_class", "only_1neg"]
    single = write_table("typed.jsonl", [flag_row(index, type=kind) for index, kind in enumerate(kinds)])
    config = RunConfig(mining=MiningConfig(negatives=1, seed=12), layout=LayoutConfig(layout="flag", group_size=2,
                                                                                      fill="drop"))
    convert(RunInputs(single, None), config, tmp_path / "out")
    folder = tmp_path / "out" / "train"
    assert sorted(path.name for path in folder.iterdir()) == ["only_1neg.jsonl", "symmetric_class.jsonl"]
    assert detect_format(folder) == "flag"
    read, expected = read_dataset(folder), read_dataset(single)
    assert read.queries.equals(expected.queries) and read.corpus.equals(expected.corpus)
    for table in ("positives", "negatives"):
        assert linked(read, table) == linked(expected, table)
    assert read.instructions.drop("other_row").sort("query_id").equals(
        expected.instructions.drop("other_row").sort("query_id"))
    assert read.rows.height == 5 and read.sources == (folder,)


def test_files_are_read_in_name_order_and_rows_numbered_on_through_them(tmp_path: Path) -> None:
    (tmp_path / "b.jsonl").write_text("".join(f'{{"anchor": "b{i}", "positive": "p{i}"}}\n' for i in range(2)))
    (tmp_path / "a.jsonl").write_text('{"anchor": "a0", "positive": "p", "negative": "n"}\n\n')
    (tmp_path / ".DS_Store").write_bytes(b"\x00\x01 not json")
    canon = read_dataset(tmp_path)
    order = canon.rows.join(canon.queries, on="query_id").sort("row").select("row", "text")
    assert order.rows() == [(1, "a0"), (3, "b0"), (4, "b1")]  # a.jsonl's blank line 2 counts, as `cat` would
    assert canon.negatives.height == 1


def test_a_row_error_names_the_file_and_its_own_line(tmp_path: Path) -> None:
    (tmp_path / "1.jsonl").write_text("".join(json.dumps(flag_row(i)) + "\n" for i in range(3)))
    (tmp_path / "2.jsonl").write_text('{"query": "q", "pos": ["p"]}\n{"query": "r", "pos": ["p"], "neg": [null]}\n')
    with pytest.raises(InputError, match=r"2\.jsonl, line 2, field 'neg': is null; expected text"):
        read_dataset(tmp_path)
    (tmp_path / "2.jsonl").write_text('{"query": "q", "pos": ["p"]}\n{"query": "r", "pos": "p"}\n')
    with pytest.raises(InputError, match=r"2\.jsonl, line 2, field 'pos': expected a list, got str"):
        read_dataset(tmp_path)


def test_an_error_found_after_the_join_names_the_file_s_own_column(tmp_path: Path) -> None:
    (tmp_path / "a.jsonl").write_text('{"anchor": "q1", "positive": "p1"}\n')
    (tmp_path / "b.jsonl").write_text('{"question": "q2", "answer": "p2"}\n\n{"question": "q3", "answer": null}\n')
    with pytest.raises(InputError, match=r"b\.jsonl, line 3, field 'answer': is null"):
        read_dataset(tmp_path)


def test_files_of_different_formats_are_an_error_naming_both(tmp_path: Path) -> None:
    (tmp_path / "flag.jsonl").write_text('{"query": "q", "pos": ["p"], "neg": ["n"]}\n')
    (tmp_path / "pairs.jsonl").write_text('{"sentence1": "q", "sentence2": "p", "score": 0.5}\n')
    message = r"holds files of different formats \(flag\.jsonl is flag, pairs\.jsonl is pairs\)"
    with pytest.raises(InputError, match=message):
        read_dataset(tmp_path)
    with pytest.raises(InputError, match=message):
        read_sources(tmp_path)
    with pytest.raises(InputError, match=r"pairs\.jsonl: no 'query' column"):  # --format: each file read as given
        lint(tmp_path, LintOptions(fmt="flag"))


def test_a_file_that_is_not_json_beside_json_files_is_named(tmp_path: Path) -> None:
    (tmp_path / "data.jsonl").write_text('{"query": "q", "pos": ["p"], "neg": ["n"]}\n')
    (tmp_path / "notes.csv").write_text("a,b\n")
    with pytest.raises(InputError, match=r"notes\.csv: a '\.csv' file beside the JSON Lines files of"):
        read_dataset(tmp_path)
    with pytest.raises(InputError, match=r"notes\.csv: a '\.csv' file beside"):
        read_sources(tmp_path)
    (tmp_path / "notes.csv").rename(tmp_path / "more.JSONL")  # FlagEmbedding matches suffixes case and all
    with pytest.raises(InputError, match=r"more\.JSONL: a '\.JSONL' file beside"):
        read_dataset(tmp_path)


def test_dotfiles_are_left_out_but_a_hidden_json_file_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "data.jsonl").write_text('{"query": "q", "pos": ["p"], "neg": ["n"]}\n')
    (tmp_path / ".DS_Store").write_bytes(b"\0\1")
    assert read_dataset(tmp_path).rows.height == 1
    assert [Path(entry["path"]).name for entry in describe_inputs([tmp_path])] == ["data.jsonl"]
    (tmp_path / "._data.jsonl").write_bytes(b"\0\5\x16\7")  # macOS AppleDouble: FlagEmbedding would read it
    with pytest.raises(InputError, match=r"\._data\.jsonl: a hidden JSON file"):
        read_dataset(tmp_path)


def test_lint_reads_each_file_and_names_its_own_lines(tmp_path: Path) -> None:
    (tmp_path / "a.jsonl").write_text('{"anchor": "q1", "positive": "p1"}\n')
    (tmp_path / "b.jsonl").write_text('{"anchor": "q2", "positive": "p2"}\n{"anchor": "q3", "positive": ""}\n')
    sources = read_sources(tmp_path)
    assert [(Path(source.name).name, source.frame.height) for source in sources] == [("a.jsonl", 1), ("b.jsonl", 2)]
    empty = [finding for finding in lint(tmp_path, LintOptions()).findings if finding.rule == "empty-text"]
    assert [(Path(finding.source).name, finding.rows) for finding in empty] == [("b.jsonl", (2,))]


def test_the_manifest_lists_each_file_with_its_hash(tmp_path: Path) -> None:
    for name in ("b.jsonl", "a.json"):
        (tmp_path / name).write_text('{"query": "q", "pos": ["p"]}\n')
    inputs = describe_inputs([tmp_path])
    assert [Path(entry["path"]).name for entry in inputs] == ["a.json", "b.jsonl"]
    assert all(len(entry["xxh64"]) == 16 and entry["bytes"] == 29 for entry in inputs)
    assert read_dataset(tmp_path).rows.height == 2


def test_a_folder_of_blank_files_has_no_rows(tmp_path: Path) -> None:
    (tmp_path / "a.jsonl").write_text("")
    (tmp_path / "b.jsonl").write_text("\n")
    assert detect_format(tmp_path) == "st"
    assert read_dataset(tmp_path).rows.is_empty()
    assert pl.concat([source.frame for source in read_sources(tmp_path)]).is_empty()


def test_rejects_of_a_folder_name_each_row_s_file_and_line(write_table, tmp_path: Path) -> None:
    """rejects.parquet keeps the joined `row` and adds the file and its own line, as errors name them."""
    write_table("in/a.jsonl", [flag_row(0), flag_row(1, query=" ")])
    write_table("in/b.jsonl", [flag_row(2), flag_row(3), flag_row(4, query="")])
    config = RunConfig(mining=MiningConfig(negatives=1, seed=12), layout=LayoutConfig(layout="flag", group_size=2,
                                                                                      fill="drop"))
    convert(RunInputs(tmp_path / "in", None), config, tmp_path / "out")
    rejects = pl.read_parquet(tmp_path / "out" / "rejects.parquet").sort("row")
    assert rejects.select("row", "file", "line", "reason").rows() == [
        (2, "a.jsonl", 2, "empty_query"), (5, "b.jsonl", 3, "empty_query")]


def test_the_manifest_places_a_disagreeing_row_in_its_file(write_table, tmp_path: Path) -> None:
    """A query in two type files (as in a FlagEmbedding --train_data folder): the note names the later file's line."""
    write_table("in/a.jsonl", [flag_row(1, type="A"), flag_row(2, type="A")])
    write_table("in/b.jsonl", [flag_row(3, type="B"), flag_row(1, type="B")])
    config = RunConfig(mining=MiningConfig(negatives=1, seed=12), layout=LayoutConfig(layout="flag", group_size=2,
                                                                                      fill="drop"))
    manifest = convert(RunInputs(tmp_path / "in", None), config, tmp_path / "out")
    disagreeing = manifest["layout"]["instructions"]["disagreeing"]
    assert disagreeing["first_row"] == 4 and "(the first such row: b.jsonl line 2)" in disagreeing["note"]


def test_the_manifest_places_a_repeat_with_another_score_in_its_file(write_table, tmp_path: Path) -> None:
    """A scored pair given again in a later file: the manifest keeps the joined row and names the file's line."""
    write_table("in/a.jsonl", [{"sentence1": "a cat sits", "sentence2": "a cat is sitting", "score": 0.9}])
    write_table("in/b.jsonl", [{"sentence1": "dogs run", "sentence2": "a cloud", "score": 0.0},
                               {"sentence1": "a cat sits", "sentence2": "a cat is sitting", "score": 0.2}])
    config = RunConfig(layout=LayoutConfig(layout="labeled-pair", scores=True, fill="drop"))
    read = convert(RunInputs(tmp_path / "in", None), config, tmp_path / "out")["stages"][0]
    assert read["repeated_pairs"]["rows_with_another_score"] == [3]
    assert read["repeated_pairs"]["places_with_another_score"] == ["b.jsonl line 2"]
    assert "(the first such repeat: b.jsonl line 2)" in read["message"]
