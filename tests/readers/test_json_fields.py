"""Where JSON text is nested deepest, found from its tokens: text deeper than Python's json parses."""

from pathlib import Path

import pytest

from pipeline.errors import InputError
from pipeline.readers import read_dataset
from pipeline.readers.json_fields import deepest, field_at


def test_the_deepest_field_is_found_from_tokens() -> None:
    text = '{"a": 1, "b\\"": {"c": [[1]]}, "d": "}[[[{{{", "e": [2]}'  # brackets in strings are text
    assert deepest(text) == (1, 'b"', 4)


def test_the_deepest_record_of_an_array_is_numbered() -> None:
    assert deepest('[{"a": 1}, {"a": [1], "b": 2}, {"c": []}]', records=True) == (2, "a", 3)


def test_a_json_array_nested_too_deeply_names_its_row_and_field(tmp_path: Path) -> None:
    path = tmp_path / "train.json"  # Python's json raised a RecursionError
    deep = '{"a": ' * 1100 + "1" + "}" * 1100
    path.write_text(f'[{{"anchor": "q1", "positive": "p1"}}, {{"anchor": "q2", "positive": "p2", "meta": {deep}}}]')
    with pytest.raises(InputError) as error:
        read_dataset(path)
    assert str(error.value) == (f"{path}, row 2, field 'meta': nested 1,102 levels deep, deeper than the JSON readers "
                                "go (about 1,000); flatten it or remove it")


@pytest.mark.parametrize("levels", [600, 1100])
def test_a_deep_field_first_seen_after_the_peeked_lines_is_refused(tmp_path: Path, levels: int) -> None:
    path = tmp_path / "st.jsonl"  # pyarrow reads it; Polars' conversion of its type overflowed the stack (segfault)
    rows = "".join(f'{{"anchor": "q{i}", "positive": "p{i}"}}\n' for i in range(1200))
    deep = '{"a": ' * levels + "1" + "}" * levels
    path.write_text(rows + f'{{"anchor": "q", "positive": "p", "meta": {deep}}}\n')
    with pytest.raises(InputError) as error:
        read_dataset(path)
    assert str(error.value) == (f"{path}, line 1201, field 'meta': nested {levels + 1:,} levels deep, deeper than prep "
                                "reads a field that first appears after line 1,000 (500 levels); flatten it or remove "
                                "it")


@pytest.mark.parametrize("text, field", [
    ('{"anchor": "q2", "positive": "caf', "positive"),
    ('{"anchor": "q2", "pos": ["a", "b, {c', "pos"),  # a comma or bracket in a string cut off is text
    ('{"a\\"": "x\\"y', 'a"'),
    ('{"anchor": "q2", "posi', None),  # in a key
    ('{"anchor": 1, ', None),
    ("", None),
])
def test_the_field_a_cut_off_object_ends_in(text: str, field: str | None) -> None:
    assert field_at(text) == field
