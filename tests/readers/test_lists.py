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
    with pytest.raises(InputError, match=r"lists.jsonl.*line 2.*labels.*2 docs but 1 labels"):
        read_dataset(path)


def test_a_null_label_is_an_error_not_a_lost_doc(write_table):
    path = write_table("lists.jsonl", [{"query": "q", "docs": ["a", "b", "c"], "labels": [1, None, 0]}])
    with pytest.raises(InputError, match=r"line 1.*labels.*null"):
        read_dataset(path)
