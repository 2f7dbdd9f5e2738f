"""Format detection: a BEIR folder is beir; otherwise the columns decide flag, pairs or st."""

import json
from pathlib import Path

import datasets
import polars as pl
import pytest

from pipeline.errors import ConfigError, InputError
from pipeline.lint.layouts import find_roles
from pipeline.readers import read_dataset
from pipeline.readers.detect import detect_format


def beir_folder(tmp_path: Path) -> Path:
    (tmp_path / "qrels").mkdir()
    (tmp_path / "corpus.jsonl").write_text(json.dumps({"_id": "d1", "title": "", "text": "doc"}) + "\n")
    (tmp_path / "queries.jsonl").write_text(json.dumps({"_id": "q1", "text": "query"}) + "\n")
    (tmp_path / "qrels" / "train.tsv").write_text("query-id\tcorpus-id\tscore\nq1\td1\t1\n")
    return tmp_path


def test_beir_folder(tmp_path: Path) -> None:
    folder = beir_folder(tmp_path)
    assert detect_format(folder) == "beir"
    assert read_dataset(folder).positives.height == 1


@pytest.mark.parametrize(("record", "expected"), [
    ({"query": "q", "pos": ["p"], "neg": ["n"]}, "flag"),
    ({"query": "q", "pos": ["p"]}, "flag"),
    ({"sentence1": "a", "sentence2": "b", "score": 1.0}, "pairs"),
    ({"anchor": "q", "positive": "p", "negative": "n"}, "st"),
    ({"query": "q", "positive": "p"}, "st"),
    ({"question": "q", "answer": "p"}, "st"),
    ({"query": "q", "answer": "p", "label": 1}, "pairs"),
    ({"anchor": "q", "positive": "p", "score": 0.2}, "pairs"),
    ({"query": "q", "pos": ["p"], "label": 1}, "flag"),
    ({"query": "q", "docs": ["p", "n"], "labels": [1, 0]}, "lists"),
    ({"query": "q", "documents": ["p", "n"], "scores": [0.9, 0.2]}, "lists"),
    ({"query": "q", "docs": ["p", "n"], "scores": [0.9, 0.2]}, "lists"),
    ({"anchor": "q", "positive": ["p", "n"], "labels": [1, 0]}, "lists"),  # ST's miner, labeled-list
    ({"query": "q", "answer": ["p", "n"], "scores": [0.9, 0.2]}, "lists"),  # ... with output_scores=True
    ({"query": "q", "docs": ["p", "n"], "label": [1, 0]}, "lists"),
    ({"sentence1": "a", "sentence2": "b", "label": 1}, "pairs"),
    ({"anchor": "q", "positive": "p", "negative_1": "n", "label": [0.9, 0.1]}, "st"),  # DistillKL / MarginMSE
    ({"anchor": "q", "positive": "p", "negative": ["n"], "scores": [0.9, 0.1]}, "st"),
    ({"anchor": "q", "positive": ["p", "q"]}, "st"),
])
def test_columns_decide(write_table, record: dict, expected: str) -> None:
    path = write_table("data.jsonl", [record] * 3)
    assert detect_format(path) == expected
    assert read_dataset(path).queries.height == 1


def test_lists_of_positives_beside_negatives_are_st_not_a_labeled_list(write_table) -> None:
    path = write_table("data.jsonl", [{"anchor": "q", "positive": ["p"], "negative": ["n"], "label": [0.9, 0.1]}])
    assert detect_format(path) == "st"  # which refuses a label list beside lists of positives, as before


@pytest.mark.parametrize("extra", [{"question": "Q, as asked?"}, {"anchor": "Q, as asked?"},
                                   {"positive": ["p"]}, {"answer": ["p", "n"]}])
def test_query_docs_labels_read_as_before_beside_other_columns_by_st_names(write_table, extra: dict) -> None:
    """{query, docs, labels} read `query` and `docs` whatever other columns the table had; ST's names of the roles
    beside them (another anchor name, a list under a positive name) are no second query or documents column."""
    path = write_table("data.jsonl", [{"query": "q", "docs": ["p", "n"], "labels": [1, 0], **extra}])
    assert detect_format(path) == "lists"
    canon = read_dataset(path)
    assert canon.queries["text"].to_list() == ["q"]
    assert sorted(canon.corpus["text"].to_list()) == ["n", "p"]
    roles = find_roles("labeled-list", pl.read_ndjson(path).schema, str(path))
    assert (roles.anchor, roles.positives, roles.label) == ("query", ("docs",), "labels")


def test_two_lists_of_positives_without_labels_are_st_s_to_resolve(write_table) -> None:
    # No list of numbers: no labeled list, so the st reader's advice (which --columns accepts) is given.
    path = write_table("two.jsonl", [{"anchor": "q", "positive": ["a", "b"], "answer": ["c"]}])
    with pytest.raises(InputError, match=r"has 2 positive columns \(positive, answer\); choose one with --columns "
                       "positive=COLUMN"):
        read_dataset(path)


def test_mapped_columns_override_flag_detection(write_table) -> None:
    path = write_table("data.jsonl", [{"query": "q", "pos": ["p"], "doc": "d"}])
    assert detect_format(path, {"positive": "doc"}) == "st"


@pytest.mark.parametrize("columns", [{"anchor": "query"}, {"sentence1": "query", "sentence2": "doc"}])
def test_a_mapping_that_would_drop_flag_scores_and_prompts_is_refused(write_table, columns: dict) -> None:
    flag = {"query": "q", "pos": ["p"], "neg": ["n"], "pos_scores": [0.9], "neg_scores": [0.1], "prompt": "find",
            "doc": "d"}
    path = write_table("flag.jsonl", [flag])
    assert read_dataset(path).negatives["score"].to_list() == [0.1]
    with pytest.raises(InputError, match=r"flag\.jsonl: has FlagEmbedding's fields query and pos; with --columns it is "
                       r"read as (st|pairs), which drops pos_scores, neg_scores, prompt\. .* leave out --columns"):
        read_dataset(path, columns=columns)
    # Without those fields st reads every one of the file's texts, so the mapping stands.
    plain = write_table("plain.jsonl", [{"query": "q", "pos": ["p"], "neg": ["n"]}])
    assert read_dataset(plain, columns={"anchor": "query"}).negatives.height == 1


@pytest.mark.parametrize(("columns", "extra"), [({"anchor": "query"}, {}),
                                                ({"sentence1": "query", "sentence2": "doc"}, {"label": 1})])
@pytest.mark.parametrize(("field", "value"), [("pos_scores", [0.9]), ("prompt", "find"), ("type", "retrieval")])
def test_flag_fields_first_seen_after_the_peeked_rows_are_refused_too(write_table, columns: dict, extra: dict,
                                                                      field: str, value: object) -> None:
    """Detection peeks at 1,000 lines and the readers choose their columns from all of the file's fields: a mapping
    read such a file as st or pairs and dropped a field that first appears on line 1,101."""
    rows = [{"query": f"q{i}", "pos": [f"p{i}"], "neg": [f"n{i}"], "doc": f"d{i}"} | extra for i in range(1_200)]
    rows[1_100][field] = value
    path = write_table("flag.jsonl", rows)
    with pytest.raises(InputError, match=rf"flag\.jsonl: has FlagEmbedding's fields query and pos; with --columns "
                       rf"it is read as (st|pairs), which drops {field}\. .* leave out --columns"):
        read_dataset(path, columns=columns)
    assert read_dataset(path).rows.height == 1_200, "read as flag"


@pytest.mark.parametrize("line", [1, 1_101])
@pytest.mark.parametrize(("fmt", "columns", "extra", "use"), [
    ("st", None, {}, r"Read it with --format flag, or"),
    ("pairs", {"sentence2": "doc"}, {"doc": "d", "label": 1},
     r"Read it with --format flag and no --columns \(flag's field names are fixed\), or"),
], ids=["st", "pairs"])
def test_format_st_or_pairs_that_would_drop_flag_fields_is_refused(write_table, fmt: str, columns: dict | None,
                                                                    extra: dict, use: str, line: int) -> None:
    """Detection refused a mapping that read a FlagEmbedding file as st or pairs, but --format st read it and dropped
    its scores and prompt without a word; the way out is --format flag, not leaving out --columns."""
    rows = [{"query": f"q{i}", "pos": [f"p{i}"], "neg": [f"n{i}"]} | extra for i in range(1_200)]
    rows[line - 1] |= {"pos_scores": [0.9], "prompt": "find"}
    path = write_table("flag.jsonl", rows)
    with pytest.raises(InputError, match=rf"flag\.jsonl: has FlagEmbedding's fields query and pos; --format {fmt} "
                       rf"reads it as {fmt}, which drops pos_scores, prompt\. {use} drop those fields to read it as "
                       rf"{fmt}$"):
        read_dataset(path, fmt, columns=columns)
    assert read_dataset(path, "flag").positives["score"].drop_nulls().to_list() == [0.9]
    # Without those fields the format stands; pairs have no place for flag's negatives, which are refused too.
    plain = write_table("plain.jsonl", [{"query": "q", "pos": ["p"], "neg": ["n"]} | extra])
    if fmt == "pairs":
        with pytest.raises(InputError, match="field 'neg': 'neg' looks like negatives, which scored pairs"):
            read_dataset(plain, fmt, columns=columns)
        plain = write_table("plain.jsonl", [{"query": "q", "pos": ["p"]} | extra])
    assert read_dataset(plain, fmt, columns=columns).queries.height == 1


def test_mapped_anchor_and_positive_with_a_label_mean_pairs(write_table) -> None:
    path = write_table("data.csv", [{"a": "x", "b": "y", "label": 1}])
    assert detect_format(path, {"anchor": "a", "positive": "b"}) == "pairs"


@pytest.mark.parametrize("role", ["score", "label"])
@pytest.mark.parametrize(("teacher", "fmt"), [([0.9], "st"), (0.9, "pairs")], ids=["list", "number"])
def test_a_mapped_score_is_read_by_what_it_holds(write_table, role: str, teacher: object, fmt: str) -> None:
    """A mapped score without negatives meant pairs whatever the column held, so ST's n-tuple label [positive score]
    was refused ("field 'teacher': expected a number, got list") unless --format st was given: a list of numbers is
    st's score list, one number per row a pair's score."""
    rows = [{"question": "what is bm25", "answer": "BM25 ranks documents.", "teacher": teacher},
            {"question": "who wrote dune", "answer": "Frank Herbert wrote Dune.", "teacher": teacher}]
    path = write_table("data.jsonl", rows)
    columns = {role: "teacher"}
    assert detect_format(path, columns) == fmt
    canon = read_dataset(path, columns=columns)
    assert canon.positives["score"].to_list() == [0.9, 0.9] and canon.negatives.height == 0


def test_mapped_sentence_columns_mean_pairs(write_table) -> None:
    path = write_table("data.csv", [{"a": "x", "b": "y", "score": 1.0}])
    assert detect_format(path, {"sentence1": "a", "sentence2": "b"}) == "pairs"


def test_detects_inside_a_datasets_folder(tmp_path: Path) -> None:
    datasets.Dataset.from_list([{"query": "q", "pos": ["p"], "neg": ["n"]}]).save_to_disk(str(tmp_path / "ds"))
    assert detect_format(tmp_path / "ds") == "flag"


def test_detection_honours_the_split(tmp_path: Path) -> None:
    split = datasets.Dataset.from_list([{"anchor": "q", "positive": "p"}])
    datasets.DatasetDict({"test": split}).save_to_disk(str(tmp_path / "dict"))
    assert read_dataset(tmp_path / "dict", split="test").queries.height == 1


def test_empty_file_is_st(tmp_path: Path) -> None:
    (tmp_path / "empty.jsonl").write_text("")
    assert detect_format(tmp_path / "empty.jsonl") == "st"


def test_missing_path(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"nothing\.jsonl: no such file or folder"):
        read_dataset(tmp_path / "nothing.jsonl")


def test_folder_that_is_neither_beir_nor_datasets_nor_json_lines(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("hello")
    with pytest.raises(InputError, match=r"neither BEIR .*, a datasets save_to_disk folder, Parquet shards, nor a "
                       "folder of JSON"):
        read_dataset(tmp_path)


def test_an_empty_folder_is_no_dataset(tmp_path: Path) -> None:
    """A mistyped or unfilled DATA folder must not read as 0 rows (lint would pass it); only a prep output's
    empty data/ folder does, beside its manifest (tests/lint/test_prep_output.py)."""
    (tmp_path / "empty").mkdir()
    with pytest.raises(InputError, match=r"neither BEIR .*, a datasets save_to_disk folder, Parquet shards"):
        read_dataset(tmp_path / "empty")
    (tmp_path / "empty" / "manifest.json").write_text("{}")  # not prep's
    (tmp_path / "empty" / "data").mkdir()
    with pytest.raises(InputError, match=r"neither BEIR"):
        read_dataset(tmp_path / "empty" / "data")


def test_unknown_format_lists_the_formats(write_table) -> None:
    path = write_table("data.jsonl", [{"anchor": "q", "positive": "p"}])
    with pytest.raises(ConfigError, match=r"^--format must be one of st, flag, beir, pairs, lists; got 'tsv'$"):
        read_dataset(path, "tsv")
