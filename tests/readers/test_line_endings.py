"""A text input whose lines end in a lone CR, all or some, is refused (Polars reads such a line joined to the next,
rows lost); CRLF files, a CR inside a quoted CSV field and a CR as the file's last byte read as before."""

from pathlib import Path

import pytest
from beir_files import write_beir_folder

from pipeline.errors import InputError
from pipeline.readers import line_endings, read_dataset
from pipeline.readers.corpus import read_corpus_texts

REFUSED = r"uses CR line endings \(classic Mac OS\), which read as one line; save it with LF or CRLF line endings"
MIXED = (r"holds a lone CR \(classic Mac OS line ending\) followed by more text, all read as this one line \(a line "
         r"that CR ends is joined to the next\); save the file with LF or CRLF line endings throughout, and a CR "
         r"inside a text removed \(or, in a CSV, the field quoted\)")


@pytest.mark.parametrize("file, content, refused", [
    ("cr.csv", b"anchor,positive,negative\rq1,p1,n1\rq2,p2,n2\r", f": {REFUSED}"),
    ("cr.tsv", b"anchor\tpositive\tnegative\rq1\tp1\tn1\rq2\tp2\tn2", f": {REFUSED}"),
    ("mixed.csv", b"anchor,positive,negative\nq1,p1,n1\nq2,p2,n2\rq3,p3,n3\nq4,p4,n4\n", f", line 3: {MIXED}"),
    ("mixed.csv", b'anchor,positive,negative\r\nq1,"p1\rstill p1",n1\r\nq2,p2,n2\rq3,p3,n3\r\n',  # quoted CR: text
     f", line 3: {MIXED}"),
    ("mixed.tsv", b"anchor\tpositive\tnegative\nq1\tp1\tn1\nq2\tp2\tn2\rq3\tp3\tn3\n", f", line 3: {MIXED}"),
    ("stray.tsv", b"anchor\tpositive\tnegative\nq1\tp1\tn1\nq2\tp2\tab\rcd\n",  # a CR inside a field: joins nothing
     f", line 3: {MIXED}"),
    ("stray.csv", b"anchor,positive,negative\nq1,p1,n1\nq2,p2,ab\rcd\n", f", line 3: {MIXED}"),
])
def test_a_table_with_cr_line_endings_all_or_some_is_refused(tmp_path: Path, file: str, content: bytes,
                                                             refused: str) -> None:
    path = tmp_path / file
    path.write_bytes(content)
    with pytest.raises(InputError, match=rf"^{path}{refused}$"):
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


def test_a_txt_corpus_mixing_lf_and_cr_line_endings_is_refused_at_the_line(tmp_path: Path) -> None:
    path = tmp_path / "corpus.txt"
    path.write_bytes(b"passage 1\npassage 2\rpassage 3\n")  # one column: read as 2 texts, one of them glued
    with pytest.raises(InputError, match=rf"^{path}, line 2: {MIXED}$"):
        read_corpus_texts(path)


def test_qrels_mixing_lf_and_cr_line_endings_are_refused_at_the_line(tmp_path: Path) -> None:
    folder = write_beir_folder(tmp_path / "beir", [{"_id": "d1", "text": "doc"}, {"_id": "d2", "text": "doc 2"}],
                               [{"_id": "q1", "text": "query"}], {"train": [("q1", "d1", 1), ("q1", "d2", 0)]})
    qrels = folder / "qrels" / "train.tsv"
    lines = qrels.read_bytes().replace(b"\r\n", b"\n").splitlines()
    qrels.write_bytes(lines[0] + b"\n" + lines[1] + b"\r" + lines[2] + b"\n")
    with pytest.raises(InputError, match=rf"train\.tsv, line 2: {MIXED}"):
        read_dataset(folder)


def test_a_lone_cr_across_chunks_is_found(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "train.csv"
    path.write_bytes(b'anchor,positive\r\nq1,"p\r\rp"\r\nq2,p2\r\rq3,p3\r\n')  # CRLFs, quoted CRs, then a lone one
    for chunk in (1, 2, 3, 5, 1 << 22):
        monkeypatch.setattr(line_endings, "CHUNK", chunk)
        assert line_endings.first_lone_cr(path, quoted=True) == 33  # CR CR q: the first CR is lone
        with pytest.raises(InputError, match=rf"^{path}, line 3: {MIXED}$"):
            read_dataset(path)


@pytest.mark.parametrize("content", [b"anchor,positive\nq1,p1\nq2,p2\r", b"anchor,positive\r\nq1,p1\r\nq2,p2\r"])
def test_a_cr_as_the_last_byte_ends_the_last_line(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "train.csv"
    path.write_bytes(content)
    canon = read_dataset(path)
    assert sorted(canon.queries["text"]) == ["q1", "q2"]
    assert "p2" in set(canon.corpus["text"])


@pytest.mark.parametrize("file, content, line", [("twice.csv", b"anchor,positive\nq1,p1\nq2,p2\r\r\n", 3),
                                                 ("twice.csv", b"anchor,positive\r\nq1,p1\r\r\r\nq2,p2\r\r\n", 2),
                                                 ("twice.tsv", b"anchor\tpositive\nq1\tp1\r\r\nq2\tp2\r\r", 2)])
def test_crs_before_a_crlf_are_refused_as_line_endings_converted_twice(tmp_path: Path, file: str, content: bytes,
                                                                        line: int) -> None:
    """A file converted to CRLF twice ends its lines in CR CR LF: Polars would keep a CR at the end of the last
    field (a header's 'positive\\r', a text 'p1\\r' written into the output), where pandas and datasets end the line."""
    path = tmp_path / file
    path.write_bytes(content)
    with pytest.raises(InputError, match=rf"^{path}, line {line}: ends in CR CR LF \(line endings converted to "
                                         r"CRLF twice\)"):
        read_dataset(path)
