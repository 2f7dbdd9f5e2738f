"""plan_batches on hand-made rows: the blocks it writes and the figures the manifest gives for them."""

import numpy as np
import polars as pl

from pipeline.canonical import Canonical
from pipeline.layouts.layout import VIEW_SCHEMA, Layout, no_rejects
from pipeline.stages.batches import plan_batches
from pipeline.stages.dedupe import Links

IDS = pl.UInt64


def no_links(count: int) -> Links:
    return Links(np.zeros(0, np.int64), np.zeros(0, np.int64), count)


def batched(pairs: list[tuple[int, int]], batch_size: int, leftover: str):
    """Rows (query id, positive id) without negatives; query ids below 100, documents from 100."""
    queries = sorted({query for query, _ in pairs})
    docs = sorted({doc for _, doc in pairs})
    canon = Canonical(
        queries=pl.DataFrame({"query_id": queries, "text": [f"q{q}" for q in queries]}, schema_overrides={
            "query_id": IDS}),
        corpus=pl.DataFrame({"doc_id": docs, "text": [f"d{d}" for d in docs]}, schema_overrides={"doc_id": IDS}),
        positives=pl.DataFrame({"query_id": [q for q, _ in pairs], "doc_id": [d for _, d in pairs]},
                               schema={"query_id": IDS, "doc_id": IDS}),
        negatives=pl.DataFrame(), rows=pl.DataFrame(), empty=pl.DataFrame())
    rows = pl.DataFrame({"anchor": [f"q{q}" for q, _ in pairs], "positive": [f"d{d}" for _, d in pairs]})
    layout = Layout(
        rows=rows, pairs=canon.positives, rejects=no_rejects(),
        view=pl.DataFrame({"query": rows["anchor"], "positive": [[p] for p in rows["positive"]],
                           "negative": [[] for _ in pairs]}, schema=VIEW_SCHEMA).lazy(),
        ids=pl.DataFrame({"anchor_id": [q for q, _ in pairs], "text_ids": [[d] for _, d in pairs]},
                         schema={"anchor_id": IDS, "text_ids": pl.List(IDS)}))
    return plan_batches(canon, layout, no_links(len(queries)), no_links(len(docs)), batch_size, leftover)


def test_final_blocks_of_b_are_counted_as_full_blocks():
    # Query 1 has 7 rows, each needing a block of its own; queries 2 and 3 fill one block of 3.
    pairs = [(1, 100 + i) for i in range(7)] + [(2, 200), (3, 300)]
    result = batched(pairs, 3, "final-block")
    # The six rows of query 1 left over go into two blocks of 3, with conflicts (each pair of them): no short block.
    # Keeping the largest short block apart, as --leftover reject does, left [3, 1, 3, 2]; [..., 11, 1] unchanged.
    assert result.blocks == [3, 3, 3]
    stats = result.stats
    assert (stats["full_blocks"], stats["shorter_blocks"], stats["rows_in_shorter_blocks"]) == (3, 0, 0)
    assert stats["conflicts_after_layout"] == 3 + 3
    assert batched([(1, 100), (1, 101), (2, 200)], 2, "final-block").blocks == [2, 1]


def test_short_blocks_hold_a_querys_rows_beyond_the_full_blocks():
    pairs = [(1, 100 + i) for i in range(7)] + [(2, 200), (3, 300)]
    result = batched(pairs, 3, "short-blocks")
    assert result.blocks == [3, 1, 1, 1, 1, 1, 1]
    stats = result.stats
    assert (stats["full_blocks"], stats["shorter_blocks"], stats["rows_in_shorter_blocks"]) == (1, 6, 6)
    assert stats["conflicts_after_layout"] == 0
