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
])
def test_a_bad_qrels_line_is_named(tmp_path: Path, line: str, message: str) -> None:
    folder = write_beir_folder(tmp_path / "beir", [{"_id": "d1", "text": "a"}, {"_id": "d2", "text": "b"}],
                               [{"_id": "q1", "text": "query"}], {"train": [("q1", "d1", 1)]})
    qrels = folder / "qrels" / "train.tsv"
    qrels.write_text(qrels.read_text() + line + "\n")
    with pytest.raises(InputError, match=rf"train\.tsv, {message}$"):
        read_dataset(folder)
