"""A text input saved as UTF-16 or UTF-32 is named as such, whichever reader meets it."""

from pathlib import Path

import pytest
from beir_files import write_beir_folder

from pipeline.errors import InputError
from pipeline.readers import read_dataset
from pipeline.readers.corpus import read_corpus_texts

TEXTS = {"train.csv": "anchor,positive\nq1,p1\n", "train.tsv": "anchor\tpositive\nq1\tp1\n",
         "train.jsonl": '{"anchor": "q1", "positive": "p1"}\n', "train.json": '[{"anchor": "q1", "positive": "p1"}]'}


@pytest.mark.parametrize("encoding, name", [("utf-16", "UTF-16"), ("utf-32", "UTF-32")])
@pytest.mark.parametrize("file", TEXTS)
def test_a_table_in_another_encoding_is_named(tmp_path: Path, file: str, encoding: str, name: str) -> None:
    path = tmp_path / file
    path.write_text(TEXTS[file], encoding=encoding)
    with pytest.raises(InputError, match=rf"{file}: is {name} text \(it starts with a {name} byte order mark\)"):
        read_dataset(path)


def test_a_txt_corpus_in_utf16_is_named(tmp_path: Path) -> None:
    path = tmp_path / "corpus.txt"
    path.write_text("NA\nnull\n", encoding="utf-16")
    with pytest.raises(InputError, match=r"corpus\.txt: is UTF-16 text"):
        read_corpus_texts(path)


def test_utf16_qrels_are_named(tmp_path: Path) -> None:
    folder = write_beir_folder(tmp_path / "beir", [{"_id": "d1", "text": "doc"}], [{"_id": "q1", "text": "query"}],
                               {"train": [("q1", "d1", 1)]})
    qrels = folder / "qrels" / "train.tsv"
    qrels.write_text(qrels.read_text(), encoding="utf-16")
    with pytest.raises(InputError, match=r"train\.tsv: is UTF-16 text"):
        read_dataset(folder)
