"""cosine_of_pairs: the dot product of each (query, doc) pair's vectors, whatever the chunk size."""

import numpy as np
import polars as pl

from pipeline.canonical import Canonical
from pipeline.stages.scores import cosine_of_pairs


def test_cosine_of_pairs_in_chunks_matches_one_product_per_pair():
    rng = np.random.default_rng(0)
    queries, docs = rng.normal(size=(4, 8)).astype(np.float32), rng.normal(size=(6, 8)).astype(np.float32)
    canon = Canonical(
        queries=pl.DataFrame({"query_id": pl.Series([10, 11, 12, 13], dtype=pl.UInt64), "text": list("abcd")}),
        corpus=pl.DataFrame({"doc_id": pl.Series([20, 21, 22, 23, 24, 25], dtype=pl.UInt64), "text": list("uvwxyz")}),
        positives=pl.DataFrame(), negatives=pl.DataFrame(), rows=pl.DataFrame(), empty=pl.DataFrame())
    pairs = pl.DataFrame({"query_id": pl.Series([13, 10, 10, 12, 11, 13, 12], dtype=pl.UInt64),
                          "doc_id": pl.Series([25, 20, 24, 21, 23, 22, 20], dtype=pl.UInt64)})
    expected = [float(queries[q] @ docs[d]) for q, d in [(3, 5), (0, 0), (0, 4), (2, 1), (1, 3), (3, 2), (2, 0)]]
    for chunk in (1, 3, 7, 65_536):
        scores = cosine_of_pairs(canon, pairs, queries, docs, chunk=chunk)
        assert scores.dtype == pl.Float64
        np.testing.assert_allclose(scores.to_numpy(), expected, rtol=1e-6)
        assert scores.to_list() == cosine_of_pairs(canon, pairs, queries, docs, chunk=2).to_list()
    assert cosine_of_pairs(canon, pairs.clear(), queries, docs).len() == 0
