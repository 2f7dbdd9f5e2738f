"""build_canonical: texts stored once by id, links once per (query, doc), empties set aside; pandera models."""

from pathlib import Path

import pandera.errors
import polars as pl
import pytest

from pipeline.canonical import Canonical, InputRows, build_canonical
from pipeline.errors import InputError
from pipeline.normalize import normalize_texts

TEXTS = pl.List(pl.String)
SCORES = pl.List(pl.Float64)


def input_rows(queries: list[str | None], positives: list[list[str] | None], negatives: list[list[str | None]],
               **scores: list[list[float] | None]) -> InputRows:
    frame = pl.DataFrame(
        {"row": range(1, len(queries) + 1), "query": queries, "positive": positives, "negative": negatives,
         **scores},
        schema={"row": pl.UInt32, "query": pl.String, "positive": TEXTS, "negative": TEXTS,
                **dict.fromkeys(scores, SCORES)})
    fields = {"query": "q", "positive": "pos", "negative": "neg", "positive_score": "pos_scores",
              "negative_score": "neg_scores"}
    return InputRows(frame, Path("in.jsonl"), fields)


def id_of(text: str) -> int:
    return normalize_texts(pl.LazyFrame({"text": [text]})).collect()["id"][0]


def test_duplicate_texts_are_stored_once() -> None:
    canon = build_canonical(input_rows(
        ["Q1", " Q1 ", "Q2"], [["P1"], ["P1\t"], ["N1"]], [["N1"], ["N2"], []])).validate()
    assert sorted(canon.queries["text"]) == ["Q1", "Q2"]
    assert sorted(canon.corpus["text"]) == ["N1", "N2", "P1"]
    assert canon.rows["query_id"].to_list() == [id_of("Q1"), id_of("Q1"), id_of("Q2")]
    assert canon.queries.filter(pl.col("text") == "Q1")["query_id"][0] == id_of("Q1")


def test_rows_mark_the_first_exact_occurrence_of_a_query() -> None:
    canon = build_canonical(input_rows(["Q", "Q", " Q", "R"], [["p"]] * 4, [[]] * 4))
    assert canon.rows["row"].to_list() == [1, 2, 3, 4]
    assert canon.rows["first_exact"].to_list() == [True, False, True, True]


def test_links_are_kept_once_with_their_first_score_and_rank(linked) -> None:
    canon = build_canonical(input_rows(
        ["Q", "Q "], [["p", "p "], ["p"]], [["n1", "n2", "n1 "], ["n2", "n3"]],
        positive_score=[[0.9, 0.8], [0.7]], negative_score=[[0.5, 0.4, 0.3], [0.2, 0.1]])).validate()
    assert linked(canon, "positives") == {("Q", "p"): {"score": 0.9}}
    assert linked(canon, "negatives") == {
        ("Q", "n1"): {"score": 0.5, "rank": 1, "source": "input"},
        ("Q", "n2"): {"score": 0.4, "rank": 2, "source": "input"},
        ("Q", "n3"): {"score": 0.1, "rank": 2, "source": "input"},
    }


def test_a_positive_keeps_the_first_input_row_that_holds_it() -> None:
    canon = build_canonical(input_rows(["Q", "R", "Q ", "R"], [["p"], ["p", "s"], ["p ", "t"], ["s"]],
                                       [[]] * 4)).validate()
    rows = canon.positives.join(canon.queries, on="query_id").join(canon.corpus, on="doc_id", suffix="_doc")
    assert sorted(rows.select("text", "text_doc", "row").iter_rows()) == [
        ("Q", "p", 1), ("Q", "t", 3), ("R", "p", 2), ("R", "s", 2)]


def test_without_scores_links_have_null_scores(linked) -> None:
    canon = build_canonical(input_rows(["Q"], [["p"]], [["n"]])).validate()
    assert linked(canon, "positives") == {("Q", "p"): {"score": None}}
    assert linked(canon, "negatives")[("Q", "n")]["score"] is None


def test_empty_texts_are_listed_and_left_out_of_the_tables() -> None:
    canon = build_canonical(input_rows(
        ["Q", " ", "R"], [["p", "\t"], ["p2"], ["p3"]], [["", "n"], [], ["\u00a0"]])).validate()
    assert sorted(canon.empty.select("row", "role").iter_rows()) == [(1, "negative"), (1, "positive"), (2, "query"),
                                                                  (3, "negative")]
    assert sorted(canon.queries["text"]) == ["Q", "R"]
    assert canon.rows["query_id"].is_null().to_list() == [False, True, False]
    assert "" not in canon.corpus["text"].to_list()
    assert canon.negatives.height == 1


def test_corpus_texts_add_documents_no_row_mentions() -> None:
    corpus = pl.LazyFrame({"text": ["unlinked doc", "p", " p "]})
    canon = build_canonical(input_rows(["Q"], [["p"]], [[]]), corpus).validate()
    assert sorted(canon.corpus["text"]) == ["p", "unlinked doc"]
    assert canon.positives.height == 1


def test_null_texts_and_score_mismatches_are_located() -> None:
    with pytest.raises(InputError, match=r"in\.jsonl, line 2, field 'q': is missing or null"):
        build_canonical(input_rows(["Q", None], [["p"], ["p"]], [[], []]))
    with pytest.raises(InputError, match=r"line 1, field 'neg': is null"):
        build_canonical(input_rows(["Q"], [["p"]], [["n", None]]))
    with pytest.raises(InputError, match=r"line 2, field 'pos': is missing or null"):
        build_canonical(input_rows(["Q", "R"], [["p"], None], [[], []]))
    with pytest.raises(InputError, match=r"line 1, field 'neg_scores': has 1 score for 2 texts"):
        build_canonical(input_rows(["Q"], [["p"]], [["n1", "n2"]], negative_score=[[0.1]]))


def tables(canon: Canonical, **replace: pl.DataFrame) -> Canonical:
    return Canonical(**{name: replace.get(name, getattr(canon, name))
                        for name in ("queries", "corpus", "positives", "negatives", "rows", "empty")})


@pytest.mark.parametrize("broken", ["duplicate_link", "blank_text", "unknown_source", "rank_zero"])
def test_validate_rejects_broken_invariants(broken: str) -> None:
    canon = build_canonical(input_rows(["Q"], [["p"]], [["n"]])).validate()
    if broken == "duplicate_link":
        canon = tables(canon, positives=pl.concat([canon.positives, canon.positives]))
    elif broken == "blank_text":  # an empty text is never a row
        canon = tables(canon, queries=canon.queries.with_columns(text=pl.lit(" \t ")))
    elif broken == "unknown_source":
        canon = tables(canon, negatives=canon.negatives.with_columns(source=pl.lit("guessed")))
    else:
        canon = tables(canon, negatives=canon.negatives.with_columns(rank=pl.lit(0, pl.UInt32)))
    with pytest.raises((pandera.errors.SchemaError, pandera.errors.SchemaErrors)):
        canon.validate()
