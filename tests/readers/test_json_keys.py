"""A JSON object that gives a key twice is named by line (or row) and field, never read as one of its values."""

from pathlib import Path

import pytest

from pipeline.errors import InputError
from pipeline.readers import read_dataset

GOOD = '{"anchor": "q1", "positive": "p1"}'


@pytest.mark.parametrize("name, text, where", [
    ("st.jsonl", f'{GOOD}\n{{"anchor": "q2", "anchor": "q3", "positive": "p2"}}\n', "line 2, field 'anchor'"),
    ("st.json", f'[{GOOD}, {{"anchor": "q2", "positive": "p2", "positive": "p3"}}]', "row 2, field 'positive'"),
    ("meta.jsonl", f'{GOOD}\n{{"anchor": "q2", "positive": "p2", "id": 1, "id": 2}}\n', "line 2, field 'id'"),
])
def test_a_key_given_twice_is_named(tmp_path: Path, name: str, text: str, where: str) -> None:
    path = tmp_path / name
    path.write_text(text)
    with pytest.raises(InputError, match=rf"{where}: is given twice in one object"):
        read_dataset(path)


def test_a_key_given_twice_inside_a_field_is_named(tmp_path: Path) -> None:
    path = tmp_path / "flag.jsonl"
    path.write_text('{"query": "q", "pos": ["p"], "neg": ["n"]}\n'
                    '{"query": "q2", "pos": ["p"], "neg": ["n"], "meta": {"a": 1, "a": 2}}\n')
    with pytest.raises(InputError, match=r"line 2, field 'meta': gives the key 'a' twice"):
        read_dataset(path, "st", columns={"anchor": "query", "positive": "pos"})


def test_a_repeat_in_a_field_left_out_is_not_blamed_for_a_later_problem(tmp_path: Path) -> None:
    path = tmp_path / "flag.jsonl"
    path.write_text('{"query": "q", "pos": ["p"], "x": 1, "x": 2}\n{"query": "q2", "pos": "p2"}\n')
    with pytest.raises(InputError, match=r"line 2, field 'pos': expected a list"):
        read_dataset(path, "flag")


@pytest.mark.parametrize("meta", ['"meta": "x", "meta": "y"', '"meta": {"src": "a", "src": "b"}'])
def test_a_json_array_may_repeat_a_key_in_a_field_prep_does_not_read(tmp_path: Path, meta: str) -> None:
    # pyarrow, and so `datasets`, refuses such a JSON Lines record, but a .json array prep reads itself.
    path = tmp_path / "st.json"
    path.write_text(f'[{{"anchor": "q1", "positive": "p1", {meta}}}, {GOOD.replace("q1", "q2")}]')
    assert read_dataset(path).queries["text"].to_list() == ["q1", "q2"]


def test_a_repeat_in_a_field_prep_reads_is_named_after_one_in_a_field_it_does_not(tmp_path: Path) -> None:
    path = tmp_path / "st.json"
    path.write_text('[{"meta": 1, "meta": 2, "anchor": "q1", "anchor": "q0", "positive": "p1"}]')
    with pytest.raises(InputError, match=r"row 1, field 'anchor': is given twice in one object"):
        read_dataset(path)
