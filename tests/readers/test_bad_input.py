"""Bad input fails with one InputError that names the file, the line or row, and the field."""

import csv
import json
import re
from collections.abc import Callable
from pathlib import Path

import polars as pl
import pytest

from pipeline.errors import ConfigError, InputError
from pipeline.readers import read_dataset


def flag_rows(count: int) -> list[dict]:
    return [{"query": f"query {i}", "pos": [f"positive {i}"], "neg": [f"negative {i}", f"other {i}"]}
            for i in range(1, count + 1)]


def write_lines(tmp_path: Path, lines: list[bytes]) -> Path:
    path = tmp_path / "bad.jsonl"
    path.write_bytes(b"\n".join(lines) + b"\n")
    return path


def with_line(count: int, number: int, line: bytes) -> Callable[[Path], Path]:
    """A FlagEmbedding file of `count` good lines whose line `number` is replaced."""

    def make(tmp_path: Path) -> Path:
        lines = [json.dumps(row).encode() for row in flag_rows(count)]
        lines[number - 1] = line
        return write_lines(tmp_path, lines)

    return make


def with_field(count: int, number: int, **fields: object) -> Callable[[Path], Path]:
    return with_line(count, number, json.dumps({**flag_rows(count)[number - 1], **fields}).encode())


CASES = {
    "malformed JSON": (with_line(5, 4, b'{"query": "q4" "pos": ["p"]}'),
                       "line 4: invalid JSON: Expecting ',' delimiter at column 16"),
    "pos is a string, early": (with_field(5, 3, pos="text"),
                               "line 3, field 'pos': expected a list, got str"),
    "pos is a string, late": (with_field(200, 150, pos="text"),
                              "line 150, field 'pos': expected a list, got str"),
    "pos is a string, past schema inference": (with_field(1300, 1200, pos="text"),
                                               "line 1200, field 'pos': expected a list, got str"),
    "unterminated string": (with_line(5, 4, b'{"query": "q4'),
                            "line 4: invalid JSON: Unterminated string starting at column 11"),
    "null query": (with_field(5, 4, query=None), "line 4, field 'query': is missing or null; expected text"),
    "a line null": (with_line(5, 3, b"null"), "line 3: is null, not a JSON object; remove the line"),
    "misspelled query": (with_line(5, 2, b'{"querry": "q2", "pos": ["p"]}'),
                         "line 2, field 'query': is missing or null; expected text"),
    "null inside neg": (with_field(5, 2, neg=["fine", None]), "line 2, field 'neg': is null"),
    "null pos": (with_field(5, 5, pos=None), "line 5, field 'pos': is missing or null"),
    "not UTF-8": (with_line(5, 4, b'{"query": "caf\xe9", "pos": ["p"]}'),
                  "line 4, field 'query': invalid UTF-8 at byte 14; save the file as UTF-8"),
    "pos_scores length": (with_field(5, 5, pos_scores=[0.5, 0.4]),
                          "line 5, field 'pos_scores': has 2 scores for 1 text"),
    "not an object": (with_line(5, 2, b'["query", "pos"]'), "line 2: expected a JSON object, got list"),
    "NaN score": (with_field(5, 3, pos_scores=[float("nan")]),  # as json.dumps writes it
                  "line 3, field 'pos_scores': holds NaN, which is not JSON; write null or a number"),
    # Python's json reads a lone surrogate; the fast readers said "row 1" (counted from 0) or no line at all
    "lone high surrogate": (with_line(5, 2, b'{"query": "q \\ud800 x", "pos": ["p"]}'),
                            "line 2, field 'query': holds an unpaired surrogate \\ud800"),
    "lone low surrogate": (with_line(5, 4, b'{"query": "q4", "pos": ["p", "x \\udc00"]}'),
                           "line 4, field 'pos': holds an unpaired surrogate \\udc00"),
    # past the rows Polars checks up front, pyarrow read them as two records: a ShapeError traceback
    "two values on a line": (with_line(1300, 1200, b'{"query": "a", "pos": ["p"]} {"query": "b", "pos": ["p"]}'),
                             "line 1200: holds more than one JSON value; write one object per line"),
    "lone surrogate in a key": (with_line(5, 3, b'{"query": "q3", "pos": ["p"], "k\\ud800": 1}'),
                                "line 3, field 'k\ud800': holds an unpaired surrogate \\ud800"),
}


@pytest.mark.parametrize("case", CASES)
def test_flag_lines_are_located(tmp_path: Path, case: str) -> None:
    make, message = CASES[case]
    path = make(tmp_path)
    with pytest.raises(InputError) as error:
        read_dataset(path, "flag")
    assert str(error.value).startswith(f"{path}, {message}")


def test_a_line_null_in_a_json_lines_file_named_json_is_named(tmp_path: Path) -> None:
    """FlagEmbedding ships JSON Lines as `.json`: its line `null` was "field 'query' is missing or null"."""
    path = tmp_path / "flag.json"
    path.write_bytes(with_line(5, 3, b"null")(tmp_path).read_bytes())
    with pytest.raises(InputError, match=r"flag\.json, line 3: is null, not a JSON object; remove the line"):
        read_dataset(path, "flag")


def test_a_null_record_in_a_json_array_is_named_as_null(tmp_path: Path) -> None:
    path = tmp_path / "rows.json"
    path.write_text('[{"anchor": "a", "positive": "b"}, null]')
    with pytest.raises(InputError, match=r"rows\.json, row 2: is null, not a JSON object; remove it"):  # not NoneType
        read_dataset(path)


def test_missing_required_columns_are_named(write_table) -> None:
    flag = write_table("flag.jsonl", [{"query": "q", "neg": ["n"]}])
    with pytest.raises(InputError, match=r"flag\.jsonl: missing required field 'pos'"):
        read_dataset(flag, "flag")
    st = write_table("st.csv", [{"anchor": "q", "negative": "n"}])
    with pytest.raises(InputError, match=r"st\.csv: no positive column: looked for positive\|pos\|answer"):
        read_dataset(st)


def test_tables_locate_by_row(write_table) -> None:
    rows = [{"anchor": "q1", "positive": "p1"}, {"anchor": "q2", "positive": "p2"}, {"anchor": None, "positive": "p3"}]
    for name in ("bad.parquet", "bad.json"):
        path = write_table(name, rows)
        with pytest.raises(InputError, match=rf"{re.escape(name)}, row 3, field 'anchor': is missing or null"):
            read_dataset(path)


NAN = float("nan")  # what pandas writes for a missing float


@pytest.mark.parametrize(("fmt", "rows", "field"), [
    ("flag", [{"query": "q1", "pos": ["p"], "neg": ["n"], "pos_scores": [1.0], "neg_scores": [0.2]},
              {"query": "q2", "pos": ["p"], "neg": ["n"], "pos_scores": [1.0], "neg_scores": [NAN]}], "neg_scores"),
    ("lists", [{"query": "q1", "docs": ["p", "n"], "labels": [1.0, 0.0]},
               {"query": "q2", "docs": ["p", "n"], "labels": [1.0, NAN]}], "labels"),
    ("st", [{"anchor": "q1", "positive": "p", "negative": "n", "label": [1.0, 0.2]},
            {"anchor": "q2", "positive": "p", "negative": "n", "label": [NAN, 0.2]}], "label"),
])
def test_nan_scores_are_located(write_table, fmt: str, rows: list[dict], field: str) -> None:
    path = write_table("scores.parquet", rows)  # not read as a score, nor (lists) as a negative's label
    with pytest.raises(InputError, match=rf"scores\.parquet, row 2, field '{field}': holds NaN"):
        read_dataset(path, fmt)


@pytest.mark.parametrize("value", [float("inf"), float("-inf")])
def test_infinite_scores_are_located(write_table, value: float) -> None:
    """NaN was refused, inf reached the output: CoSENT, ListNet and FlagEmbedding's softmax make it a NaN loss."""
    flag = write_table("flag.parquet", [{"query": "q1", "pos": ["p"], "neg": ["n"], "pos_scores": [1.0],
                                         "neg_scores": [value]}])
    with pytest.raises(InputError, match=rf"flag\.parquet, row 1, field 'neg_scores': holds {value}; expected finite"):
        read_dataset(flag, "flag")
    pairs = write_table("pairs.parquet", [{"sentence1": "a", "sentence2": "b", "score": 0.5},
                                          {"sentence1": "c", "sentence2": "d", "score": value}])
    with pytest.raises(InputError, match=rf"pairs\.parquet, row 2, field 'score': '{value}' is infinite"):
        read_dataset(pairs, "pairs")
    partly = write_table("partly.parquet", [{"query": "q1", "pos": ["p", "p2"], "neg": ["n"],
                                             "pos_scores": [None, value], "neg_scores": [0.1]}])  # a null before it
    with pytest.raises(InputError, match=rf"partly\.parquet, row 1, field 'pos_scores': holds {value}"):
        read_dataset(partly, "flag")
    text = write_table("pairs.csv", [{"sentence1": "a", "sentence2": "b", "score": str(value)}])
    with pytest.raises(InputError, match=rf"pairs\.csv, row 1, field 'score': '{value}' is infinite"):
        read_dataset(text, "pairs")


def test_truncated_line_reports_the_column_where_it_ends(tmp_path: Path) -> None:
    path = with_line(5, 4, b'{"query": "q4", "pos": ["p"')(tmp_path)
    with pytest.raises(InputError) as error:
        read_dataset(path, "flag")
    assert str(error.value).endswith("line 4: invalid JSON: Expecting ',' delimiter at column 28")


@pytest.mark.parametrize("fields", [{"query": ["x"]}, {"neg": [1, 2]}, {"neg": [["x"]]}])
def test_coercible_wrong_kinds_are_rejected(tmp_path: Path, fields: dict) -> None:
    path = with_field(5, 3, **fields)(tmp_path)
    with pytest.raises(InputError, match=r"line 3, field '(query|neg)'"):
        read_dataset(path, "flag")


@pytest.mark.parametrize("case", ["malformed JSON", "not UTF-8"])
def test_detection_locates_broken_lines(tmp_path: Path, case: str) -> None:
    make, message = CASES[case]
    path = make(tmp_path)
    with pytest.raises(InputError) as error:
        read_dataset(path)
    assert str(error.value).startswith(f"{path}, {message}")


def test_json_array_with_wrong_kind_is_an_input_error(write_table) -> None:
    path = write_table("mixed.json", [{"anchor": "q1", "positive": "p1"}, {"anchor": "q2", "positive": ["p2"]}])
    with pytest.raises(InputError, match=r"mixed\.json"):
        read_dataset(path, "st")


def test_cli_prints_one_line_and_exits_2(tmp_path: Path, prep) -> None:
    make, message = CASES["pos is a string, late"]
    path = make(tmp_path)
    result = prep("report", path)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert result.stderr.splitlines() == [f"error: {path}, {message} (a string here becomes one-character texts)"]


@pytest.mark.parametrize(("args", "message"), [
    (["--format", "flag"], "line 4: invalid JSON"),
    (["--format", "tsv"], "error: --format must be one of st, flag, beir, pairs, lists; got 'tsv'"),
    (["--columns", "anchor"], "--columns takes role=COLUMN pairs separated by commas; got 'anchor'"),
])
def test_cli_user_errors(tmp_path: Path, prep, args: list[str], message: str) -> None:
    path = CASES["malformed JSON"][0](tmp_path)
    result = prep("report", path, *args)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert len(result.stderr.splitlines()) == 1
    assert message in result.stderr


def test_cli_missing_file(tmp_path: Path, prep) -> None:
    result = prep("report", tmp_path / "nothing.jsonl")
    assert (result.returncode, result.stderr.splitlines()) == (2, [f"error: {tmp_path}/nothing.jsonl: no such file "
                                                                   "or folder"])


@pytest.mark.parametrize("name", ["run[/]1.jsonl", "data[v2].jsonl"])
def test_cli_error_shows_paths_with_brackets(tmp_path: Path, prep, name: str) -> None:
    result = prep("report", tmp_path / name)
    assert (result.returncode, result.stderr.splitlines()) == (2, [f"error: {tmp_path / name}: no such file or "
                                                                   "folder"])


@pytest.mark.parametrize("name, content", [("empty.jsonl", ""), ("empty.json", "[]"), ("empty.json", " [ ]\n")])
def test_cli_empty_file_reports_zero_rows(tmp_path: Path, prep, name: str, content: str) -> None:
    # An empty JSON array holds 0 rows, as an empty file does (it used to stop with "cannot infer schema").
    (tmp_path / name).write_text(content)
    result = prep("report", tmp_path / name, "--json", tmp_path / "r.json")
    assert result.returncode == 0, result.stderr
    report = json.loads((tmp_path / "r.json").read_text())
    assert (report["rows_in"], report["queries"], report["docs"]) == (0, 0, 0)
    assert report["negatives_per_query"] == {"histogram": {}, "min": None, "p50": None, "p90": None, "p99": None,
                                             "max": None, "mean": None}


def test_line_numbers_count_blank_lines(tmp_path: Path) -> None:
    path = tmp_path / "train.jsonl"
    path.write_text('{"query": "a", "pos": ["x"]}\n\n{"query": null, "pos": ["y"]}\n')
    with pytest.raises(InputError, match=r"train\.jsonl, line 3, field 'query': is missing or null"):
        read_dataset(path, "flag")


def test_line_numbers_count_one_blank_line_without_a_final_newline(tmp_path: Path) -> None:
    path = tmp_path / "train.jsonl"  # two records on three lines: as many as the newlines, yet one is blank
    path.write_text('{"query": "a", "pos": ["x"]}\n\n{"query": null, "pos": ["y"]}')
    with pytest.raises(InputError, match=r"train\.jsonl, line 3, field 'query': is missing or null"):
        read_dataset(path, "flag")


def test_a_column_that_first_appears_after_the_peeked_rows_is_read(tmp_path: Path) -> None:
    rows = [{"anchor": f"q{i}", "positive": f"p{i}", "negative_1": f"n{i}"} for i in range(1, 1101)]
    rows[-1]["negative_2"] = "late"  # line 1,100: beyond the 1,000 rows the columns are first chosen from
    path = tmp_path / "train.jsonl"
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))
    canon = read_dataset(path, "st")  # not read as if negative_2 did not exist
    assert canon.corpus.filter(pl.col("text") == "late").height == 1 and canon.negatives.height == 1101
    rows = [{**row, "negative_2": f"m{number}"} if number > 1000 else row for number, row in enumerate(rows, 1)]
    rows = [{"anchor": row["anchor"], "positive": row["positive"], "negative": [row["negative_1"]] +
             ([row["negative_2"]] if "negative_2" in row else [])} for row in rows]
    for row in rows[:1000]:
        del row["negative"]
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))
    canon = read_dataset(path, "st")  # a list of negatives that only the last 100 rows have: theirs are read
    assert canon.negatives.height == 200 and canon.corpus.filter(pl.col("text") == "m1100").height == 1


def test_tsv_has_no_quoting_and_a_ragged_line_is_named(tmp_path: Path) -> None:
    path = tmp_path / "train.tsv"
    path.write_text('anchor\tpositive\n"Hamlet" is a play\tby Shakespeare\nq2\t"unclosed\nq3\tp3\n')
    canon = read_dataset(path, "st")
    assert canon.rows["row"].to_list() == [1, 2, 3]
    assert '"Hamlet" is a play' in canon.queries["text"].to_list() and '"unclosed' in canon.corpus["text"].to_list()
    path.write_text('anchor\tpositive\nq1\tp1\nq2\tp2\tstray\n')
    with pytest.raises(InputError, match=r"train\.tsv, row 2: 3 tab-separated fields, the header has 2"):
        read_dataset(path, "st")
    folder = tmp_path / "run[1]"  # a path Polars would read as a glob pattern
    folder.mkdir()
    path = path.rename(folder / path.name)
    with pytest.raises(InputError, match=r"train\.tsv, row 2: 3 tab-separated fields, the header has 2"):
        read_dataset(path, "st")


@pytest.mark.parametrize(("name", "text", "message"), [
    # read as is, the missing negative would be an empty text
    ("train.tsv", "anchor\tpositive\tnegative\nq1\tp1\tn1\n\nq3\tp3\nq4\tp4\tn4\n",
     r"train\.tsv, row 2: 2 tab-separated fields, the header has 3"),  # a blank line is no row
    # a quoted comma or newline is one field
    ("train.csv", 'anchor,positive,negative\na,"b, quoted",c\n"d\non two lines",e,f\ng,h,i,j\n',
     r"train\.csv, row 3: 4 comma-separated fields, the header has 3"),
    ("train.csv", 'anchor,positive,negative\nq1,p1,\n"q2\non two lines",p2,n2\n\nwhat is a cat,cats are felines\n',
     r"train\.csv, row 3: 2 comma-separated fields, the header has 3"),
])
def test_a_row_with_another_number_of_fields_is_named(tmp_path: Path, name: str, text: str, message: str) -> None:
    path = tmp_path / name
    path.write_text(text)
    with pytest.raises(InputError, match=message):
        read_dataset(path, "st")


def test_a_short_csv_row_is_not_blamed_for_invalid_utf8(tmp_path: Path) -> None:
    path = tmp_path / "train.csv"
    path.write_bytes(b"anchor,positive,negative\nwhat is a cat,cats are felines\nq2,caf\xe9,n2\n")
    with pytest.raises(InputError, match=r"train\.csv, line 3, field 'positive': invalid UTF-8 at byte 6"):
        read_dataset(path, "st")


@pytest.mark.parametrize("name, separator", [("train.csv", ","), ("train.tsv", "\t")])
def test_a_long_row_is_named_rather_than_a_short_one_before_it(tmp_path: Path, name: str, separator: str) -> None:
    path = tmp_path / name  # Polars reads the short row and fails on the long one
    path.write_text("anchor,positive,negative\nq1,p1\nq2,p2,n2,stray\n".replace(",", separator))
    kind = "comma" if separator == "," else "tab"
    with pytest.raises(InputError, match=rf"{re.escape(name)}, row 2: 4 {kind}-separated fields, the header has 3"):
        read_dataset(path, "st")


@pytest.mark.parametrize("name, content", [
    ("train.csv", 'anchor,positive,negative\nq1,p1,\n\n"q3\non two lines",p3,""\nq4,p4,n4\n,,\n'),
    ("train.tsv", "anchor\tpositive\tnegative\nq1\tp1\t\n\nq3\tp3\t\nq4\tp4\tn4\n\t\t\n"),
])
def test_an_empty_last_field_is_not_a_missing_one(tmp_path: Path, name: str, content: str) -> None:
    path = tmp_path / name
    path.write_text(content)
    assert read_dataset(path, "st").rows["row"].to_list() == [1, 2, 3, 4]  # row 4 (separators only): empty texts


@pytest.mark.parametrize("name, separator", [("train.csv", ","), ("train.tsv", "\t")])
def test_a_table_without_empty_last_fields_is_read_once(tmp_path: Path, monkeypatch, name: str,
                                                         separator: str) -> None:
    """Blank lines at the end are told from rows of separators by the file's tail alone."""
    def second_pass(*args: object, **kwargs: object) -> None:
        raise AssertionError("the file was read a second time")

    monkeypatch.setattr(pl, "scan_lines", second_pass)
    monkeypatch.setattr(csv, "reader", second_pass)
    path = tmp_path / name
    path.write_text(f"anchor{separator}positive\nq1{separator}p1\nq2{separator}p2\n\n\n")
    assert read_dataset(path, "st").rows["row"].to_list() == [1, 2]


def test_blank_csv_lines_are_not_rows(tmp_path: Path) -> None:
    path = tmp_path / "pairs.csv"
    path.write_text("sentence1,sentence2,score\na,b,1\n\nc,d,0.5\n\n")
    canon = read_dataset(path, "pairs")
    assert canon.rows["row"].to_list() == [1, 2]  # numbered as records: a blank line is no row


def test_a_labeled_list_without_labels_names_its_line(tmp_path: Path) -> None:
    path = tmp_path / "lists.jsonl"
    path.write_text('{"query": "q1", "docs": ["a", "b"], "labels": [1, 0]}\n{"query": "q2", "docs": ["c"]}\n')
    with pytest.raises(InputError, match=r"lists\.jsonl, line 2, field 'labels': no 'labels' list"):
        read_dataset(path, "lists")


@pytest.mark.parametrize("name, content, message", [
    ("flag.jsonl", '{"query": "q1", "pos": ["a"]}\n{"query": "q2", "pos": 5}\n',
     r"flag\.jsonl, line 2, field 'pos': is a number here but a list on line 1"),
    ("st.json", '[{"anchor": "q1", "positive": "p", "negative": ["n1"]}, {"anchor": "q2", "positive": "p", '
     '"negative": "n2"}]', r"st\.json, row 2, field 'negative': is a string here but a list in row 1"),
])
def test_a_field_that_changes_type_is_located(tmp_path: Path, name: str, content: str, message: str) -> None:
    path = tmp_path / name  # the type clash breaks the first look at the columns, before any field is expected
    path.write_text(content)
    with pytest.raises(InputError, match=message):
        read_dataset(path)


def test_a_field_wrong_from_its_first_line_that_changes_type_later_is_located_where_it_changes(tmp_path: Path):
    """Two lines of lists then a string: the columns are read as strings, and line 1 used to be blamed."""
    path = tmp_path / "st.jsonl"
    path.write_text('{"anchor": "a", "positive": "p", "negative": ["n1", "n2"]}\n'
                    '{"anchor": "b", "positive": "p2", "negative": ["n3"]}\n'
                    '{"anchor": "c", "positive": "p3", "negative": "n4"}\n')
    with pytest.raises(InputError, match=r"line 3, field 'negative': is a string here but a list on line 1"):
        read_dataset(path)


def test_a_labeled_list_with_empty_lists_is_a_row_without_a_positive(tmp_path: Path) -> None:
    path = tmp_path / "lists.jsonl"
    path.write_text('{"query": "q1", "docs": ["a", "b"], "labels": [1, 0]}\n'
                    '{"query": "q2", "docs": [], "labels": []}\n')
    canon = read_dataset(path, "lists")
    assert canon.rows.height == 2 and canon.positives.height == 1  # q2 is read, with nothing to pair


@pytest.mark.parametrize("fmt, columns, message", [
    ("st", {"positve": "documents"},
     "--columns roles for st input are anchor, positive, negative, score, label; got positve"),
    ("flag", {"anchor": "query"}, "--columns maps the columns of st and pairs tables; flag input has fixed"),
])
def test_columns_roles_are_checked(write_table, fmt: str, columns: dict, message: str) -> None:
    rows = [{"query": "q1", "pos": ["p1"], "neg": ["n1"]}] if fmt == "flag" else [{"anchor": "q1", "positive": "p1"}]
    with pytest.raises(ConfigError, match=re.escape(message)):
        read_dataset(write_table("train.jsonl", rows), fmt, columns=columns)


def test_two_values_on_a_line_are_named_where_a_blank_line_evens_the_count(tmp_path: Path) -> None:
    """The line count matched the records (one blank line, one line of two records): read as two rows, silently."""
    path = with_line(1300, 1200, b'{"query": "a", "pos": ["p"]} {"query": "b", "pos": ["p"]}')(tmp_path)
    lines = path.read_bytes().split(b"\n")
    path.write_bytes(b"\n".join([*lines[:10], b"  ", *lines[10:]]))
    with pytest.raises(InputError, match=r"line 1201: holds more than one JSON value; write one object per line"):
        read_dataset(path, "flag")
