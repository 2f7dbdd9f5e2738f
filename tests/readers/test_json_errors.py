"""A JSON Lines field that no reader reads still breaks pyarrow where its type changes: that line is named."""

from pathlib import Path

import pytest

from pipeline.errors import InputError
from pipeline.readers import read_dataset

GOOD = '{"anchor": "q1", "positive": "p1", "id": 1, "tags": [1]}'


@pytest.mark.parametrize("second, field, message", [
    ('{"anchor": "q2", "positive": "p2", "id": "b", "tags": [2]}', "id", "is a string here but a number on line 1"),
    ('{"anchor": "q2", "positive": "p2", "id": 2, "tags": ["x"]}', "tags",
     "is a list of strings here but a list of numbers on line 1"),
    ('{"anchor": "q2", "positive": "p2", "id": {"n": 2}, "tags": [2]}', "id",
     "is an object here but a number on line 1"),
])
def test_a_field_left_out_that_changes_type_is_located(tmp_path: Path, second: str, field: str,
                                                        message: str) -> None:
    path = tmp_path / "st.jsonl"
    path.write_text(f"{GOOD}\n{second}\n")
    with pytest.raises(InputError, match=rf"st\.jsonl, line 2, field '{field}': {message}"):
        read_dataset(path)


@pytest.mark.parametrize("opening, closing", [('{"a": ', "}"), ("[", "]")])
def test_a_field_nested_too_deeply_is_located(tmp_path: Path, opening: str, closing: str) -> None:
    path = tmp_path / "st.jsonl"  # Polars refuses it (DepthLimitExceeded), Python's json raised a RecursionError
    deep = opening * 1100 + "1" + closing * 1100
    path.write_text(f'{GOOD}\n{{"anchor": "q2", "positive": "p2", "meta": {deep}}}\n')
    with pytest.raises(InputError) as error:
        read_dataset(path)
    assert str(error.value) == (f"{path}, line 2, field 'meta': nested 1,101 levels deep, deeper than the JSON readers "
                                "go (about 1,000); flatten it or remove it")


@pytest.mark.parametrize("second, field", [
    (b'{"anchor": "q2", "positive": "caf\xe9", "id": 2}', ", field 'positive'"),
    (b'{"anchor": "q2", "positive": "p2", "tags": ["a", "b, {\xe9"]}', ", field 'tags'"),
    (b'{"anchor": "q2", "positive": "p2", "ta\xe9": 1}', ""),  # in a key: no field to name
])
def test_invalid_utf8_names_the_field_and_the_fix(tmp_path: Path, second: bytes, field: str) -> None:
    path = tmp_path / "st.jsonl"
    path.write_bytes(f"{GOOD}\n".encode() + second + b"\n")
    with pytest.raises(InputError) as error:
        read_dataset(path)
    byte = second.index(b"\xe9")
    assert str(error.value) == f"{path}, line 2{field}: invalid UTF-8 at byte {byte}; save the file as UTF-8"
