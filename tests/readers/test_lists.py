"""Labeled lists (query, docs, labels): positives are labels above 0, the labels kept as scores."""

import pytest

from pipeline.errors import InputError
from pipeline.readers import read_dataset
from pipeline.readers.detect import detect_format


def test_lists_are_detected_and_split_by_label(write_table):
    path = write_table("lists.jsonl", [{"query": "q one", "docs": ["d one", "d two", "d three"],
                                        "labels": [2, 0, 1]}])
    assert detect_format(path) == "lists"
    canon = read_dataset(path)
    texts = dict(canon.corpus.iter_rows())
    assert sorted((texts[d], s) for d, s in canon.positives.select("doc_id", "score").iter_rows()) == [
        ("d one", 2.0), ("d three", 1.0)]
    assert [(texts[d], s) for d, s in canon.negatives.select("doc_id", "score").iter_rows()] == [("d two", 0.0)]


def test_docs_and_labels_of_different_lengths_name_the_line(write_table):
    path = write_table("lists.jsonl", [{"query": "q", "docs": ["a"], "labels": [1]},
                                       {"query": "q2", "docs": ["a", "b"], "labels": [1]}])
    with pytest.raises(InputError, match=r"lists.jsonl.*line 2.*labels.*2 docs but 1 label"):
        read_dataset(path)


def test_a_null_label_is_an_error_not_a_lost_doc(write_table):
    path = write_table("lists.jsonl", [{"query": "q", "docs": ["a", "b", "c"], "labels": [1, None, 0]}])
    with pytest.raises(InputError, match=r"line 1.*labels.*null"):
        read_dataset(path)


def _read(canon) -> tuple[list, list]:
    texts = dict(canon.corpus.iter_rows())
    positives = [(texts[d], s) for d, s in canon.positives.select("doc_id", "score").iter_rows()]
    negatives = sorted((texts[d], s) for d, s in canon.negatives.select("doc_id", "score").iter_rows())
    return positives, negatives


@pytest.mark.parametrize("record", [
    {"query": "q", "docs": ["p", "n1", "n2"], "scores": [0.5, 0.9, 0.1]},  # a score list: ST's miner, output_scores
    {"query": "q", "documents": ["p", "n1", "n2"], "scores": [0.5, 0.9, 0.1]},  # resolve_ids(output_format="lists")
    {"question": "q", "answer": ["p", "n1", "n2"], "scores": [0.5, 0.9, 0.1]},
    {"anchor": "q", "positive": ["p", "n1", "n2"], "score": [0.5, 0.9, 0.1]},
])
def test_a_score_list_makes_its_first_doc_the_positive_even_where_another_scores_higher(write_table, record):
    path = write_table("scores.jsonl", [record])
    assert detect_format(path) == "lists"
    assert _read(read_dataset(path)) == ([("p", 0.5)], [("n1", 0.9), ("n2", 0.1)])


@pytest.mark.parametrize("record", [
    {"anchor": "q", "positive": ["p", "n1", "n2"], "labels": [1, 0, 0]},  # ST's miner, output_format="labeled-list"
    {"query": "q", "answer": ["p", "n1", "n2"], "label": [1, 0, 0]},
    {"query": "q", "documents": ["n1", "p", "n2"], "labels": [0, 1, 0]},
])
def test_a_label_list_in_st_names_is_split_by_label(write_table, record):
    path = write_table("labels.jsonl", [record])
    assert detect_format(path) == "lists"
    assert _read(read_dataset(path)) == ([("p", 1.0)], [("n1", 0.0), ("n2", 0.0)])


def test_uneven_scores_and_documents_name_the_columns_and_line(write_table):
    path = write_table("lists.jsonl", [{"query": "q", "documents": ["a", "b"], "scores": [0.2, 0.1]},
                                       {"query": "q2", "documents": ["a", "b"], "scores": [0.3]}])
    with pytest.raises(InputError, match=r"lists.jsonl, line 2, field 'scores': 2 docs but 1 score; each doc in "
                                         r"'documents' needs its score"):
        read_dataset(path)


def test_a_null_score_names_the_column_and_line(write_table):
    path = write_table("lists.jsonl", [{"anchor": "q", "positive": ["a", "b"], "scores": [0.2, 0.1]},
                                       {"anchor": "q2", "positive": ["a", "b"], "scores": [0.3, None]}])
    with pytest.raises(InputError, match=r"line 2, field 'scores': a score is null; every doc in 'positive' needs"):
        read_dataset(path)


def test_a_table_that_is_no_labeled_list_says_what_lists_need(write_table):
    path = write_table("lists.jsonl", [{"query": "q", "documents": ["a", "b"]}])
    with pytest.raises(InputError, match=r"is no labeled list: expected a query .* fields are \[.query., .docume"):
        read_dataset(path, "lists")
