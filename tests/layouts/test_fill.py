"""Fill policies as pure functions on a tiny Selection: drop, repeat (FlagEmbedding's rule) and pad."""

import polars as pl

from pipeline.layouts.selection import NEGATIVE_SCHEMA, Selection, fill_negatives

QUERIES = pl.DataFrame({"query_id": [1, 2, 3], "text": ["q1", "q2", "q3"]}, schema={"query_id": pl.UInt64,
                                                                                     "text": pl.String})
CORPUS = pl.DataFrame({"doc_id": [10, 11, 12, 13, 14, 20], "text": ["a", "b", "c", "d", "e", "p"]},
                      schema={"doc_id": pl.UInt64, "text": pl.String})
POSITIVES = pl.DataFrame({"query_id": [1, 2, 3], "doc_id": [20, 20, 20], "score": [None] * 3},
                         schema={"query_id": pl.UInt64, "doc_id": pl.UInt64, "score": pl.Float64})


def selection(negatives: dict[int, list[int]], k: int) -> Selection:
    rows = [(query, doc, None, rank, "input") for query, docs in negatives.items()
            for rank, doc in enumerate(docs, 1)]
    frame = pl.DataFrame(rows, schema=NEGATIVE_SCHEMA, orient="row")
    return Selection(QUERIES, CORPUS, POSITIVES, frame, k)


def per_query(filled: Selection) -> dict[int, list]:
    grouped = filled.negatives.sort("query_id", "rank").group_by("query_id", maintain_order=True).agg("doc_id")
    return dict(grouped.iter_rows())


def test_drop_and_mine_keep_the_first_k_and_leave_short_queries_short():
    chosen = selection({1: [10, 11, 12, 13], 2: [14]}, k=3)
    for fill in ("drop", "mine"):
        assert per_query(fill_negatives(chosen, fill, seed=0)) == {1: [10, 11, 12], 2: [14]}


def test_repeat_keeps_every_negative_once_then_samples_repeats_seeded():
    chosen = selection({1: [10, 11], 2: [14], 3: [12, 13, 11, 10, 14]}, k=5)
    filled = fill_negatives(chosen, "repeat", seed=0)
    got = per_query(filled)
    assert got[1][:2] == [10, 11] and len(got[1]) == 5 and set(got[1]) == {10, 11}
    assert sorted(got[1].count(doc) for doc in (10, 11)) == [2, 3], "repeats spread as evenly as copies allow"
    assert got[2] == [14] * 5
    assert got[3] == [12, 13, 11, 10, 14], "a query with K negatives is untouched"
    assert filled.negatives.filter(pl.col("rank") > 2, pl.col("query_id") == 1)["source"].unique().to_list() == [
        "repeated"]
    ranks = dict(filled.negatives.group_by("query_id").agg(pl.col("rank").sort()).iter_rows())
    assert all(r == list(range(1, 6)) for r in ranks.values())
    assert fill_negatives(chosen, "repeat", seed=0).negatives.equals(filled.negatives)
    seeds = {tuple(per_query(fill_negatives(selection({1: [10, 11, 12]}, k=5), "repeat", seed))[1])
             for seed in range(8)}
    assert len(seeds) > 1, "which negatives repeat depends on the seed"


def test_pad_adds_null_documents_that_lay_out_as_empty_strings():
    filled = fill_negatives(selection({1: [10], 2: []}, k=3), "pad", seed=0)
    got = per_query(filled)
    assert got[1] == [10, None, None]
    assert got[3] == [None, None, None] and got[2] == [None, None, None]
    assert filled.negative_texts().filter(pl.col("query_id") == 1)["text"].to_list() == ["a", "", ""]
