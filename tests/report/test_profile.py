"""The numbers of `prep report`: by hand on tiny data, and against plain-Python counts on real data."""

import csv
import json
from collections import Counter
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from plain_norm import norm

from pipeline.readers import read_dataset
from pipeline.report.profile import distribution, profile
from pipeline.report.tokens import load_token_counter

ROWS = [
    {"query": "Q", "pos": ["p1"], "neg": ["n1", "n2"]},
    {"query": "Q", "pos": ["p1", "p2"], "neg": ["n2", "n3"]},
    {"query": "Q", "pos": ["p1"], "neg": []},
    {"query": " Q", "pos": ["p3"], "neg": ["n4"]},
    {"query": "R", "pos": ["p4"], "neg": ["n1"]},
    {"query": "S", "pos": ["p5"], "neg": ["\t"]},
    {"query": "", "pos": ["p1"], "neg": []},
    {"query": "T", "pos": [" "], "neg": ["n5", "n6", "n7", "n8", "n9"]},
]


def test_tiny_report_by_hand(write_table) -> None:
    path = write_table("tiny.jsonl", ROWS)
    # Distinct queries Q, R, S, T: negatives 4, 1, 0, 5 and positives 3, 1, 1, 0.
    assert profile(read_dataset(path, "flag"), None) == {
        "sources": [str(path)],
        "rows_in": 8,
        "queries": 4,
        "docs": 14,
        "negatives_per_query": {"histogram": {"0": 1, "1": 1, "4": 1, "5": 1},
                                "min": 0, "p50": 2.5, "p90": 4.7, "p99": 4.97, "max": 5, "mean": 2.5},
        "positives_per_query": {"histogram": {"0": 1, "1": 2, "3": 1},
                                "min": 0, "p50": 1.0, "p90": 2.4, "p99": 2.94, "max": 3, "mean": 1.25},
        "duplicate_queries": {"exact": 2, "normalized": 1},
        "empty_texts": {"query": 1, "positive": 1, "negative": 1},
        "missing_negatives": 0,
    }


def test_duplicate_queries_exact_and_after_normalisation(write_table) -> None:
    rows = [{"anchor": query, "positive": f"p{i}"} for i, query in enumerate(["Q", "Q", " Q", "Q", "other"])]
    report = profile(read_dataset(write_table("dups.jsonl", rows)), None)
    assert report["duplicate_queries"] == {"exact": 2, "normalized": 1}
    assert report["queries"] == 2
    assert report["positives_per_query"]["histogram"] == {"1": 1, "4": 1}


@pytest.mark.parametrize(("row", "role"), [
    ({"anchor": " ", "positive": "p", "negative": "n"}, "query"),
    ({"anchor": "q", "positive": "\u00a0", "negative": "n"}, "positive"),
    ({"anchor": "q", "positive": "p", "negative": ""}, "negative"),
])
def test_empty_texts_are_counted_per_role(write_table, row: dict, role: str) -> None:
    report = profile(read_dataset(write_table("empty.jsonl", [row, row])), None)
    assert report["empty_texts"] == {name: 2 if name == role else 0 for name in ("query", "positive", "negative")}
    assert report["docs"] == 2 - (role != "query")


def test_distribution_of_nothing() -> None:
    assert distribution(pl.Series("n", [], pl.Int64)) == {
        "histogram": {}, "min": None, "p50": None, "p90": None, "p99": None, "max": None, "mean": None}


# Tokens: the tiny model counts whitespace words plus [CLS] and [SEP]; max_seq_length is 8.
TOKEN_ROWS = [
    {"anchor": "one", "positive": "a passage of five words", "negative": "x"},
    {"anchor": "one two", "positive": "a passage of exactly six words", "negative": "x"},
    {"anchor": "one two three four", "positive": "a passage of five words", "negative": "x"},
    {"anchor": "one two three four five six", "positive": "a passage of five words", "negative": "x y"},
    {"anchor": "one two three four five six seven", "positive": "a passage of five words", "negative": "x"},
]


def test_text_tokens(write_table, tiny_tokenizer: Path) -> None:
    canon = read_dataset(write_table("tokens.jsonl", TOKEN_ROWS))
    tokens = profile(canon, load_token_counter(tiny_tokenizer))["text_tokens"]
    assert (tokens["model"], tokens["max_seq_length"]) == (str(tiny_tokenizer), 8)
    # Queries are 3, 4, 6, 8 and 9 tokens: only 9 is over 8.
    query = tokens["query"]
    assert {key: query[key] for key in ("texts", "sampled", "measured", "p50", "max", "over_max_seq_length")} == {
        "texts": 5, "sampled": False, "measured": 5, "p50": 6.0, "max": 9, "over_max_seq_length": 1}
    assert 8 <= query["p90"] <= query["p99"] <= 9
    assert tokens["positive"]["texts"] == 2
    assert (tokens["positive"]["max"], tokens["positive"]["over_max_seq_length"]) == (8, 0)
    assert (tokens["negative"]["texts"], tokens["negative"]["max"]) == (2, 4)


def test_text_tokens_of_an_empty_role(write_table, tiny_tokenizer: Path) -> None:
    canon = read_dataset(write_table("no_negatives.jsonl", [{"anchor": "q", "positive": "p"}]))
    negative = profile(canon, load_token_counter(tiny_tokenizer))["text_tokens"]["negative"]
    assert negative == {"texts": 0, "sampled": False, "measured": 0, "p50": None, "p90": None, "p99": None,
                        "max": None, "over_max_seq_length": 0}


def test_text_tokens_sample_the_smallest_ids(write_table, tiny_tokenizer: Path) -> None:
    canon = read_dataset(write_table("tokens.jsonl", TOKEN_ROWS))
    tokens = profile(canon, load_token_counter(tiny_tokenizer), token_sample=2)["text_tokens"]
    assert {key: tokens["query"][key] for key in ("texts", "sampled", "measured")} == {
        "texts": 5, "sampled": True, "measured": 2}
    assert tokens["positive"]["sampled"] is False
    sample = canon.queries.sort("query_id").head(2)["text"]
    lengths = [len(text.split()) + 2 for text in sample]
    assert tokens["query"]["max"] == max(lengths)
    assert tokens["query"]["over_max_seq_length"] == sum(length > 8 for length in lengths)


# Real data: every figure counted again in plain Python.

def expected_profile(records: list[tuple[str, list[str], list[str]]], corpus: list[str] | None = None) -> dict:
    """The report's figures for rows of (query, positives, negatives), counted without the pipeline."""
    per_query: dict[str, dict[str, set[str]]] = {}
    exact, docs, empty = [], set(), Counter()
    for query, positives, negatives in records:
        if not norm(query):
            empty["query"] += 1
        for role, texts in (("positive", positives), ("negative", negatives)):
            empty[role] += sum(not norm(text) for text in texts)
            docs.update(norm(text) for text in texts if norm(text))
        if norm(query):
            exact.append(query)
            linked = per_query.setdefault(norm(query), {"positive": set(), "negative": set()})
            linked["positive"].update(norm(text) for text in positives if norm(text))
            linked["negative"].update(norm(text) for text in negatives if norm(text))
    if corpus is not None:
        docs = {norm(text) for text in corpus if norm(text)}
    return {
        "rows_in": len(records),
        "queries": len(per_query),
        "docs": len(docs),
        "negatives_per_query": [len(linked["negative"]) for linked in per_query.values()],
        "positives_per_query": [len(linked["positive"]) for linked in per_query.values()],
        "duplicate_queries": {"exact": len(exact) - len(set(exact)), "normalized": len(set(exact)) - len(per_query)},
        "empty_texts": {role: empty[role] for role in ("query", "positive", "negative")},
    }


def assert_report_matches(report: dict, expected: dict) -> None:
    for key in ("rows_in", "queries", "docs", "duplicate_queries", "empty_texts"):
        assert report[key] == expected[key], key
    for key in ("negatives_per_query", "positives_per_query"):
        counts, stats = np.array(expected[key]), report[key]
        assert stats["histogram"] == {str(value): n for value, n in sorted(Counter(expected[key]).items())}, key
        assert (stats["min"], stats["max"]) == (counts.min(), counts.max()), key
        assert stats["mean"] == pytest.approx(counts.mean(), abs=5e-4), key
        for q in (50, 90, 99):
            assert stats[f"p{q}"] == pytest.approx(np.percentile(counts, q), abs=5e-4), (key, q)


def read_jsonl(path: Path) -> list[dict]:
    with path.open(encoding="utf-8") as lines:
        return [json.loads(line) for line in lines]


def test_trecqa_negatives_per_query(shared_data: Path) -> None:
    path = shared_data / "trecqa" / "train_pos_neg.jsonl"
    expected = expected_profile([(row["query"], row["pos"], row["neg"]) for row in read_jsonl(path)])
    assert max(expected["negatives_per_query"]) > 100, "the file should have a long tail of negatives"
    assert_report_matches(profile(read_dataset(path), None), expected)


def test_scifact_positives_per_query(shared_data: Path) -> None:
    folder = shared_data / "scifact"
    queries = {row["_id"]: row["text"] for row in read_jsonl(folder / "queries.jsonl")}
    corpus = {row["_id"]: f"{row.get('title') or ''} {row['text']}" for row in read_jsonl(folder / "corpus.jsonl")}
    judged: dict[str, tuple[list[str], list[str]]] = {}
    with (folder / "qrels" / "train.tsv").open(encoding="utf-8") as qrels:
        for qrel in csv.DictReader(qrels, delimiter="\t"):
            positives, negatives = judged.setdefault(qrel["query-id"], ([], []))
            (positives if float(qrel["score"]) > 0 else negatives).append(corpus[qrel["corpus-id"]])
    expected = expected_profile([(queries[query_id], *docs) for query_id, docs in judged.items()],
                                corpus=list(corpus.values()))
    assert max(expected["positives_per_query"]) > 1, "SciFact has queries with several positives"
    assert_report_matches(profile(read_dataset(folder, "beir"), None), expected)


def test_fiqa_positives_per_query_with_columns(shared_data: Path) -> None:
    path = shared_data / "fiqa_nemo_sample" / "hard-neg-input-data.jsonl"
    expected = expected_profile([(row["question"], row["documents"], []) for row in read_jsonl(path)])
    canon = read_dataset(path, columns={"anchor": "question", "positive": "documents"})
    assert_report_matches(profile(canon, None), expected)


def test_missing_negatives_are_counted_apart_from_empty_texts(write_table) -> None:
    rows = [{"anchor": "q one", "positive": "p one", "negative_1": None, "negative_2": ""},
            {"anchor": "q two", "positive": "p two", "negative_1": "n one", "negative_2": None}]
    report = profile(read_dataset(write_table("ragged.jsonl", rows)), None)
    assert (report["missing_negatives"], report["empty_texts"]["negative"]) == (2, 1)


def test_text_token_percentiles_are_rounded_as_the_per_query_ones(write_table, tiny_tokenizer: Path) -> None:
    # Queries of 3, 3 and 6 tokens: linear interpolation gives p99 = 5.9399999999999995 in floating point, which
    # the JSON printed as it came; the per-query percentiles beside it are rounded to 3 decimals.
    rows = [{"anchor": "a", "positive": "p"}, {"anchor": "b", "positive": "p"}, {"anchor": "c d e f", "positive": "p"}]
    query = profile(read_dataset(write_table("rounding.jsonl", rows)), load_token_counter(tiny_tokenizer))[
        "text_tokens"]["query"]
    assert (query["p50"], query["p90"], query["p99"], query["max"]) == (3.0, 5.4, 5.94, 6)
    assert json.dumps(query["p99"]) == "5.94"


def test_a_prep_output_is_measured_with_the_prompts_it_was_mined_with(tmp_path: Path) -> None:
    """The config's prompts ([encoder] query_prompt) are in the manifest, not the model folder: `prep report OUT`
    counted without them while the output's own report.json counted with them."""
    from pipeline.report.tokens import output_prompts

    (tmp_path / "manifest.json").write_text(json.dumps({"encoding": {"prompts": {"query": "Q: ", "document": ""}},
                                                        "config": {"encoder": {"model": None}}}))
    assert output_prompts(tmp_path, None) == ("Q: ", "")  # "": none, whatever the model has
    assert output_prompts(tmp_path, "other/model") is None  # measured with another model: its own prompts
    assert output_prompts(tmp_path / "missing", None) is None
