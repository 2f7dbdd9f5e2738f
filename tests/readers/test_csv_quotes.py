"""A CSV record that breaks the quoting rules is named by file and line, in one line, with the problem."""

import re
from pathlib import Path

import pytest

from pipeline.errors import InputError
from pipeline.readers import read_dataset

HEADER = "anchor,positive,negative\n"


@pytest.mark.parametrize("text, line, problem", [
    ('q1,p1,n1\n"q2,p2,n2\nq3,p3,n3\n', 3, "a quote opened in the record on this line is never closed"),
    ('q1,p1,n1\nq2,p2,"n2\r\nq3,p3,n3\r\n', 3, "a quote opened in the record on this line is never closed"),
    ('"q1\non two lines",p1,n1\nq2,"p2"x,n2\n', 4, "text follows the closing quote of a field"),
    ('"q1\non two lines",p1,n1\nq2,p"2,n2\nq3,p3,n3\n', 4, "a lone quote inside a field that is not quoted"),
])
def test_a_bad_quote_is_named_by_line(tmp_path: Path, text: str, line: int, problem: str) -> None:
    path = tmp_path / "train.csv"
    path.write_text(HEADER + text)
    with pytest.raises(InputError) as error:
        read_dataset(path, "st")
    message = str(error.value)
    assert message.startswith(f"{path}, line {line}: {problem}; write a quote inside a field as two")
    assert "\n" not in message


def test_quotes_inside_unquoted_fields_in_pairs_are_text(tmp_path: Path) -> None:
    path = tmp_path / "train.csv"  # Polars and Python's reader both read these as they are
    path.write_text(HEADER + 'q1,the "best" one,n1\n')
    assert sorted(read_dataset(path, "st").corpus["text"]) == ["n1", 'the "best" one']


@pytest.mark.parametrize("text, message", [
    ("q1," + "x" * 200_000 + ",n1\nq2,p2\n", "row 2: 2 comma-separated fields, the header has 3"),
    ("q1," + "x" * 200_000 + ",n1\nq2,p2,n2,stray\n", "row 2: 4 comma-separated fields, the header has 3"),
])
def test_fields_longer_than_the_csv_module_limit_are_counted(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "train.csv"  # Python's csv module refuses fields over 128 KiB unless told otherwise
    path.write_text(HEADER + text)
    with pytest.raises(InputError, match=re.escape(f"train.csv, {message}")):
        read_dataset(path, "st")


@pytest.mark.parametrize("name, header, rows, field", [
    # before a quote error; the record runs on from line 3, whose quoted comma parts no fields
    ("train.csv", HEADER, b'q1,p1,n1\n"q2\nover, two lines",p\xe92,n2\nq3,"p3,n3\n', "field 'positive'"),
    ("train.csv", HEADER, b'q1,"p1, ""a"", b",n\xe91\n', "field 'negative'"),
    ("train.tsv", HEADER.replace(",", "\t"), b"q1\tp1\tn1\nq2\tp2\tn\xff2\n", "field 'negative'"),
])
def test_invalid_utf8_is_named_by_line_and_field(tmp_path: Path, name: str, header: str, rows: bytes,
                                                 field: str) -> None:
    path = tmp_path / name
    path.write_bytes(header.encode() + rows)
    with pytest.raises(InputError) as error:
        read_dataset(path, "st")
    lines = rows.split(b"\n")
    at = next(number for number, line in enumerate(lines) if b"\xe9" in line or b"\xff" in line)
    byte = max(lines[at].find(b"\xe9"), lines[at].find(b"\xff"))  # counted from 0, as for JSON Lines
    assert str(error.value) == f"{path}, line {at + 2}, {field}: invalid UTF-8 at byte {byte}; save the file as UTF-8"


def test_invalid_utf8_past_the_header_s_columns_is_named_by_number(tmp_path: Path) -> None:
    path = tmp_path / "train.csv"
    path.write_bytes(HEADER.encode() + b"q1,p1,n1\nq2,p2,n2,x\xe9\n")
    with pytest.raises(InputError) as error:
        read_dataset(path, "st")
    assert str(error.value) == f"{path}, line 3: invalid UTF-8 at byte 10, in column 4; save the file as UTF-8"


@pytest.mark.parametrize("name, header, byte, column", [
    ("train.csv", b"anchor,positive,n\xe9gative\n", 17, 3),
    ("train.csv", b'anchor,"pos,i""tive",n\xe9gative\n', 22, 3),  # a separator inside quotes parts no columns
    ("train.tsv", b"anchor\tpositive\tn\xe9gative\n", 17, 3),
    ("train.csv", b"\xefanchor,positive,negative\n", 0, 1),
])
def test_invalid_utf8_in_the_header_is_refused(tmp_path: Path, name: str, header: bytes, byte: int,
                                               column: int) -> None:
    path = tmp_path / name  # Polars decodes a name lossily, and the column was lost without a word
    path.write_bytes(header + header.replace(b"\xe9", b"e").replace(b"\xef", b"").replace(b"anchor", b"q1"))
    with pytest.raises(InputError) as error:
        read_dataset(path, "st")
    assert str(error.value) == (f"{path}, line 1: invalid UTF-8 at byte {byte}, in the name of column {column}; save "
                                "the file as UTF-8")
