"""A text input whose lines end in a lone CR is refused (Polars reads it as one line, every row lost); CRLF files
and a CR inside a quoted CSV field read as before."""

from pathlib import Path

import pytest
from beir_files import write_beir_folder

from pipeline.errors import InputError
from pipeline.readers import read_dataset
from pipeline.readers.corpus import read_corpus_texts

REFUSED = r"uses CR line endings \(classic Mac OS\), which read as one line; save it with LF or CRLF line endings"


@pytest.mark.parametrize("file, content", [("cr.csv", b"anchor,positive,negative\rq1,p1,n1\rq2,p2,n2\r"),
                                           ("cr.tsv", b"anchor\tpositive\tnegative\rq1\tp1\tn1\rq2\tp2\tn2")])
def test_a_table_with_cr_line_endings_is_refused(tmp_path: Path, file: str, content: bytes) -> None:
    path = tmp_path / file
    path.write_bytes(content)
    with pytest.raises(InputError, match=rf"^{path}: {REFUSED}$"):
        read_dataset(path)


def test_a_txt_corpus_with_cr_line_endings_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "corpus.txt"
    path.write_bytes(b"passage 1\rpassage 2\r")
    with pytest.raises(InputError, match=rf"^{path}: {REFUSED}$"):
        read_corpus_texts(path)


def test_qrels_with_cr_line_endings_are_refused(tmp_path: Path) -> None:
    folder = write_beir_folder(tmp_path / "beir", [{"_id": "d1", "text": "doc"}], [{"_id": "q1", "text": "query"}],
                               {"train": [("q1", "d1", 1)]})
    qrels = folder / "qrels" / "train.tsv"
    qrels.write_bytes(qrels.read_bytes().replace(b"\r\n", b"\n").replace(b"\n", b"\r"))
    with pytest.raises(InputError, match=rf"train\.tsv: {REFUSED}"):
        read_dataset(folder)


@pytest.mark.parametrize("ending", [b"\n", b"\r\n"])
def test_a_cr_inside_a_quoted_field_still_reads(tmp_path: Path, ending: bytes) -> None:
    path = tmp_path / "train.csv"
    path.write_bytes(ending.join([b"anchor,positive,negative", b'q1,"p1\rstill p1",n1', b"q2,p2,n2", b""]))
    canon = read_dataset(path)
    assert canon.queries.height == 2
    assert "p1\rstill p1" in set(canon.corpus["text"])


def test_one_record_with_a_quoted_cr_and_no_line_ending_is_text(tmp_path: Path) -> None:
    path = tmp_path / "train.csv"
    path.write_bytes(b'"anchor\rx",positive')
    with pytest.raises(InputError, match="no anchor column"):  # its header read, not refused for its line endings
        read_dataset(path)
