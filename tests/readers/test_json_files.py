"""JSON inputs that `datasets` loads and the fast readers used to refuse: lines longer than pyarrow's 1 MiB
blocks, and files that start with a UTF-8 byte order mark."""

import json
from pathlib import Path

import polars as pl
import pytest

from pipeline.errors import InputError
from pipeline.readers import read_dataset

BOM = "\ufeff"


@pytest.mark.parametrize("first", [True, False])
def test_a_line_longer_than_a_block_is_read_whole(tmp_path: Path, first: bool) -> None:
    text = " ".join(["a long passage."] * 200_000)  # 3.2 MB on one line, as normalising leaves it
    rows = [{"anchor": "q1", "positive": text}, {"anchor": "q2", "positive": "short"}]
    path = tmp_path / "long.jsonl"
    path.write_text("".join(json.dumps(row) + "\n" for row in (rows if first else rows[::-1])))
    canon = read_dataset(path, "st")
    assert canon.rows.height == 2 and canon.corpus.filter(pl.col("text") == text).height == 1


def test_a_line_longer_than_a_block_still_names_a_bad_line(tmp_path: Path) -> None:
    path = tmp_path / "long.jsonl"
    path.write_text(json.dumps({"query": "q1", "pos": ["x" * 3_000_000]}) + '\n{"query": "q2", "pos": "p"}\n')
    with pytest.raises(InputError, match=r"long\.jsonl, line 2, field 'pos': expected a list, got str"):
        read_dataset(path, "flag")


@pytest.mark.parametrize("name, text", [
    ("train.jsonl", '{"anchor": "q1", "positive": "p1"}\n{"anchor": "q2", "positive": "p2"}\n'),
    ("train.json", '{"anchor": "q1", "positive": "p1"}\n{"anchor": "q2", "positive": "p2"}\n'),
    ("train.json", '[{"anchor": "q1", "positive": "p1"}, {"anchor": "q2", "positive": "p2"}]'),
])
def test_a_byte_order_mark_is_skipped(tmp_path: Path, name: str, text: str) -> None:
    path = tmp_path / name
    path.write_text(BOM + text, encoding="utf-8")
    canon = read_dataset(path)
    assert sorted(canon.queries["text"]) == ["q1", "q2"] and sorted(canon.corpus["text"]) == ["p1", "p2"]


def test_a_byte_order_mark_is_not_blamed_for_a_later_bad_line(tmp_path: Path) -> None:
    path = tmp_path / "flag.jsonl"
    path.write_text(BOM + '{"query": "q1", "pos": ["a"]}\n{"query": "q2", "pos": "b"}\n', encoding="utf-8")
    with pytest.raises(InputError, match=r"flag\.jsonl, line 2, field 'pos': expected a list"):
        read_dataset(path, "flag")


def test_mixed_ids_after_a_byte_order_mark(tmp_path: Path) -> None:
    """A BEIR corpus whose ids are numbers and strings is read by Polars, which refuses a byte order mark."""
    from pipeline.readers.corpus import read_texts

    path = tmp_path / "corpus.jsonl"
    path.write_text(BOM + '{"_id": 1, "text": "a"}\n{"_id": "d2", "text": "b"}\n', encoding="utf-8")
    assert read_texts(path, keep=("_id",))["_id"].to_list() == ["1", "d2"]


@pytest.mark.parametrize("name, bom", [("data[1].jsonl", ""), ("data[1].jsonl", BOM), ("run[1]/train.jsonl", ""),
                                       ("data[1].json", "")])
def test_a_json_lines_path_with_brackets_is_read_as_its_file(tmp_path: Path, name: str, bom: str) -> None:
    """Polars' JSON Lines scan reads a path as a glob pattern and has no glob=False: data[1].jsonl matched no file
    (or data1.jsonl, beside it)."""
    path = tmp_path / name
    path.parent.mkdir(exist_ok=True)
    path.write_text(bom + '{"anchor": "q1", "positive": "p1"}\n{"anchor": "q2", "positive": "p2"}\n')
    decoy = Path(str(path).replace("[1]", "1"))  # what the pattern matches
    decoy.parent.mkdir(exist_ok=True)
    decoy.write_text('{"text": "another file"}\n')
    canon = read_dataset(path)
    assert sorted(canon.queries["text"]) == ["q1", "q2"] and sorted(canon.corpus["text"]) == ["p1", "p2"]


def test_a_folder_of_json_lines_with_brackets_is_read(tmp_path: Path) -> None:
    folder = tmp_path / "run[2]"
    folder.mkdir()
    for index in (1, 2):
        (folder / f"part{index}.jsonl").write_text(f'{{"query": "q{index}", "pos": ["p{index}"], "neg": ["n"]}}\n')
    assert sorted(read_dataset(folder).queries["text"]) == ["q1", "q2"]


def test_mixed_ids_in_a_path_with_brackets(tmp_path: Path) -> None:
    """Ids that are numbers and strings are read by Polars' JSON Lines scan, which globs a path."""
    from pipeline.readers.corpus import read_texts

    path = tmp_path / "corpus[1].jsonl"
    path.write_text('{"_id": 1, "text": "a"}\n{"_id": "d2", "text": "b"}\n', encoding="utf-8")
    assert read_texts(path, keep=("_id",))["_id"].to_list() == ["1", "d2"]

