"""qrels lines short of fields, long of them, or with an empty field are named by line, not read as nulls."""

from pathlib import Path

import pytest
from beir_files import write_beir_folder

from pipeline.errors import InputError
from pipeline.readers import read_dataset


@pytest.mark.parametrize("line, message", [
    ("q1\td2", r"line 3: 2 tab-separated fields, the header has 3"),
    ("q1\td2\t1\textra", r"line 3: 4 tab-separated fields, the header has 3"),
    ("q1\t\t1", r"line 3, field 'corpus-id': is empty"),
    ("q1\td2\tnan", r"line 3, field 'score': score 'nan' is not a number"),  # not the query's first line
    ("q1\td2\tinf", r"line 3, field 'score': score 'inf' is infinite"),
])
def test_a_bad_qrels_line_is_named(tmp_path: Path, line: str, message: str) -> None:
    folder = write_beir_folder(tmp_path / "beir", [{"_id": "d1", "text": "a"}, {"_id": "d2", "text": "b"}],
                               [{"_id": "q1", "text": "query"}], {"train": [("q1", "d1", 1)]})
    qrels = folder / "qrels" / "train.tsv"
    qrels.write_text(qrels.read_text() + line + "\n")
    with pytest.raises(InputError, match=rf"train\.tsv, {message}$"):
        read_dataset(folder)


@pytest.mark.parametrize("text", [
    "query-id\tcorpus-id\tscore\t\nq1\td1\t1\t\nq1\td2\t0\t\n",  # a trailing tab on every line, the header's too
    "query-id\tcorpus-id\tscore\tnote\nq1\td1\t1\tchecked\nq1\td2\t0\t\n",  # an extra column, empty in places
    "query-id\tcorpus-id\tscore\r\nq1\td1\t1\r\nq1\td2\t0\r\n",
])
def test_qrels_with_empty_fields_outside_the_three_are_read(tmp_path: Path, text: str) -> None:
    folder = write_beir_folder(tmp_path / "beir", [{"_id": "d1", "text": "a"}, {"_id": "d2", "text": "b"}],
                               [{"_id": "q1", "text": "query"}], {"train": [("q1", "d1", 1)]})
    (folder / "qrels" / "train.tsv").write_text(text)
    canon = read_dataset(folder)
    assert (canon.positives.height, canon.negatives.height) == (1, 1)


@pytest.mark.parametrize("text, message", [
    ("q1\td1\t1\nq1\td2\t0\n", r"train\.tsv: has no header line: its first line holds 'q1', 'd1', '1'; "),
    ("1\td1\t1\n1\td2\t0\n", r"train\.tsv: has no header line: its first line holds '1', 'd1', '1'; "),  # SciFact's
    ("qid\tdocid\trel\nq1\td1\t1\n", r"train\.tsv: missing column 'query-id'; BEIR qrels have "),  # a header of others
])
def test_qrels_without_beirs_header_say_which_is_missing(tmp_path: Path, text: str, message: str) -> None:
    folder = write_beir_folder(tmp_path / "beir", [{"_id": "d1", "text": "a"}, {"_id": "d2", "text": "b"}],
                               [{"_id": "q1", "text": "query"}], {"train": [("q1", "d1", 1)]})
    (folder / "qrels" / "train.tsv").write_text(text)
    with pytest.raises(InputError, match=message):
        read_dataset(folder)


def test_a_beir_folder_with_brackets_is_read_and_its_bad_qrels_line_named(tmp_path: Path) -> None:
    """Polars reads a path as a glob pattern unless told not to: beir[1]/qrels/train.tsv matched no file."""
    folder = write_beir_folder(tmp_path / "beir[1]", [{"_id": "d1", "text": "a"}, {"_id": "d2", "text": "b"}],
                               [{"_id": "q1", "text": "query"}], {"train": [("q1", "d1", 1), ("q1", "d2", 0)]})
    assert read_dataset(folder).negatives.height == 1
    qrels = folder / "qrels" / "train.tsv"
    qrels.write_text(qrels.read_text() + "q1\td2\n")
    with pytest.raises(InputError, match=r"train\.tsv, line 4: 2 tab-separated fields, the header has 3$"):
        read_dataset(folder)
