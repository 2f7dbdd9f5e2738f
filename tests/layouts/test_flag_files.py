"""The flag layout's files: one per `type` where types differ, named so that no two collide on any file system, and
counted for the manifest without copying the rows."""

import polars as pl
import pytest

from pipeline.layouts.flag import flag_file_rows, flag_files, short_file_note


def typed(*kinds: str) -> pl.DataFrame:
    return pl.DataFrame({"query": [f"query {index}" for index in range(len(kinds))], "type": list(kinds)})


def test_one_type_or_none_is_one_file():
    for rows in (typed("normal", "normal"), typed("normal").drop("type")):
        assert list(flag_files(rows)) == ["train.jsonl"]
        assert flag_file_rows(rows) == {"train.jsonl": rows.height}


def test_types_are_files_in_order_of_first_appearance():
    files = flag_files(typed("normal", "symmetric_class", "normal"))
    assert {path: part["query"].to_list() for path, part in files.items()} == {
        "train/normal.jsonl": ["query 0", "query 2"], "train/symmetric_class.jsonl": ["query 1"]}


def test_types_equal_but_for_case_get_their_index():
    """macOS and Windows file systems ignore case: Normal.jsonl and normal.jsonl would be one file."""
    assert list(flag_files(typed("Normal", "normal", "other"))) == [
        "train/0-Normal.jsonl", "train/1-normal.jsonl", "train/2-other.jsonl"]


def test_an_empty_type_is_untyped_and_no_file_is_hidden():
    assert list(flag_files(typed("", "normal", ".hidden"))) == [
        "train/untyped.jsonl", "train/normal.jsonl", "train/_hidden.jsonl"]
    # A real `untyped` type (in any case) keeps its own file: every name gets its index.
    assert list(flag_files(typed("Untyped", "", "normal"))) == [
        "train/0-Untyped.jsonl", "train/1-untyped.jsonl", "train/2-normal.jsonl"]


@pytest.mark.parametrize("kinds", [("normal", "symmetric_class", "normal"), ("Normal", "normal", "", "x/y", "x:y"),
                                   ("", "untyped", "", "b", "a", "b")])
def test_the_counts_name_the_files_that_are_written(kinds):
    rows = typed(*kinds)
    assert flag_file_rows(rows) == {path: part.height for path, part in flag_files(rows).items()}


def test_the_note_names_the_smallest_file():
    note = short_file_note({"train/normal.jsonl": 1200, "train/rare.jsonl": 7, "train/other.jsonl": 30})
    assert note.startswith("with --same_dataset_within_batch FlagEmbedding skips every file with fewer rows than "
                           "per_device_train_batch_size x GPUs")
    assert note.endswith("the smallest, train/rare.jsonl, has 7 rows")
