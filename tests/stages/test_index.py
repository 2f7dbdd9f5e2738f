"""IVF nprobe is tuned to a target recall of the exact top-k, measured on a sample of the queries."""

from dataclasses import replace

import faiss
import numpy as np
import pytest

from pipeline.config import MiningConfig
from pipeline.errors import ConfigError
from pipeline.stages.index import build_index, tune_nprobe


@pytest.fixture(scope="module")
def vectors():
    """Random unit vectors: no cluster structure, so IVF needs many lists probed to find the exact neighbours."""
    rng = np.random.default_rng(0)
    docs = rng.standard_normal((8000, 32)).astype(np.float32)
    queries = rng.standard_normal((300, 32)).astype(np.float32)
    faiss.normalize_L2(docs)
    faiss.normalize_L2(queries)
    return docs, queries


def ivf(docs, **settings):
    index = build_index(docs, MiningConfig(index="ivf", **settings))
    assert (index.kind, index.nprobe) == ("IVF205,SQfp16", 32)  # 32 of 205 lists before tuning
    return index


def recall_of(index, docs, queries, depth):
    _, exact = faiss.knn(queries, docs, depth, metric=faiss.METRIC_INNER_PRODUCT)
    _, found = index.search(queries, depth)
    return np.mean([len(np.intersect1d(a, e)) / depth for a, e in zip(found, exact, strict=True)])


def test_nprobe_doubles_until_the_target_recall(vectors):
    docs, queries = vectors
    untuned = ivf(docs)
    index, recall = tune_nprobe(untuned, docs, queries, 20, MiningConfig(index="ivf", target_recall=0.95,
                                                                         max_nprobe=205))
    assert recall_of(untuned, docs, queries, 20) < 0.9  # the untuned index misses much of the exact top 20 here
    assert index.nprobe in (64, 128, 205) and recall >= 0.95
    # The tuned nprobe holds beyond the sample: all 300 queries, 256 of which were the probe.
    assert recall_of(index, docs, queries, 20) >= 0.94
    assert untuned.nprobe == 32 and recall_of(untuned, docs, queries, 20) < 0.9  # tuning changed no shared state
    smaller, short = tune_nprobe(untuned, docs, queries, 20, MiningConfig(index="ivf", target_recall=0.95,
                                                                          max_nprobe=index.nprobe // 2))
    assert smaller.nprobe == index.nprobe // 2 and short < 0.95  # the cap stopped the doubling short of the target


def test_max_nprobe_caps_the_search(vectors):
    docs, queries = vectors
    config = MiningConfig(index="ivf", target_recall=1.0, max_nprobe=64)
    index, recall = tune_nprobe(ivf(docs), docs, queries, 20, config)
    assert index.nprobe == 64 and recall < 1.0
    assert recall == pytest.approx(recall_of(index, docs, queries[_probe_rows(len(queries))], 20))
    below, _ = tune_nprobe(ivf(docs), docs, queries, 20, MiningConfig(index="ivf", max_nprobe=8))
    assert below.nprobe == 8  # a cap under the starting 32 lowers it


def test_the_default_cap_is_a_sixteenth_of_the_lists():
    rng = np.random.default_rng(1)
    docs = rng.standard_normal((65_536, 16)).astype(np.float32)
    faiss.normalize_L2(docs)
    index = build_index(docs, MiningConfig(index="ivf"))
    assert (index.kind, index.nprobe) == ("IVF1024,SQfp16", 32)
    tuned, recall = tune_nprobe(index, docs, docs[:300], 20, MiningConfig(index="ivf", target_recall=1.0))
    assert tuned.nprobe == 1024 // 16 and recall < 1.0
    small, _ = tune_nprobe(ivf(docs[:8000]), docs[:8000], docs[:300], 20, MiningConfig(target_recall=1.0))
    assert small.nprobe == 32  # a sixteenth of 205 lists is 12: the cap is never below the starting 32


def _probe_rows(count):
    return np.sort(np.random.default_rng(12).choice(count, size=min(count, 256), replace=False))


def test_without_a_target_nprobe_is_only_measured(vectors):
    docs, queries = vectors
    index, recall = tune_nprobe(ivf(docs), docs, queries, 20, MiningConfig(index="ivf", target_recall=None))
    assert index.nprobe == 32
    assert recall == pytest.approx(recall_of(index, docs, queries[_probe_rows(len(queries))], 20))


def test_every_list_probed_is_exact_search(vectors):
    docs, queries = vectors
    index, recall = tune_nprobe(ivf(docs), docs, queries, 20, MiningConfig(index="ivf", target_recall=1.0,
                                                                           max_nprobe=4096))
    assert (index.nprobe, recall) == (205, 1.0)


def test_flat_index_and_no_queries_are_left_alone(vectors):
    docs, queries = vectors
    flat = build_index(docs, MiningConfig())
    assert tune_nprobe(flat, docs, queries, 20, MiningConfig()) == (flat, None)
    approximate = ivf(docs)
    assert tune_nprobe(approximate, docs, queries[:0], 20, MiningConfig()) == (approximate, None)


@pytest.mark.parametrize("value", [0.0, 1.5])
def test_target_recall_is_a_share(value):
    with pytest.raises(ConfigError, match="target_recall is a share between 0 and 1"):
        MiningConfig(target_recall=value)


def test_exact_search_reads_the_embeddings_in_place(vectors):
    docs, queries = vectors
    index = build_index(docs, MiningConfig())
    reference = faiss.IndexFlatIP(docs.shape[1])
    reference.add(docs)
    assert index.kind == "flat" and index.vectors is docs  # searched where they are, not copied into FAISS
    for got, expected in zip(index.search(queries, 30), reference.search(queries, 30), strict=True):
        np.testing.assert_array_equal(got, expected)
    scores, rows = build_index(docs[:10], MiningConfig()).search(queries[:2], 12)
    assert (rows[:, 10:] == -1).all() and (scores[:, 10:] < -1e38).all()  # fewer documents than asked: padded


def test_ivf_holds_half_precision_and_returns_exact_scores(vectors):
    docs, queries = vectors
    index = ivf(docs)
    assert index.vectors is docs and index.ivf.code_size == 2 * docs.shape[1]  # fp16 codes: half of IVF-Flat's
    scores, rows = index.search(queries, 20)
    assert (rows >= 0).all()
    np.testing.assert_allclose(scores, np.einsum("qd,qkd->qk", queries, docs[rows]), atol=1e-6)  # rescored
    assert (np.diff(scores, axis=1) <= 0).all()  # and sorted again by the exact scores
    everything, _ = tune_nprobe(index, docs, queries, 20, MiningConfig(index="ivf", max_nprobe=205,
                                                                        target_recall=1.0))
    _, exact = faiss.knn(queries, docs, 20, metric=faiss.METRIC_INNER_PRODUCT)
    _, found = everything.search(queries, 20)
    assert everything.nprobe == 205 and np.mean(found == exact) > 0.99  # every list probed: the exact top 20


def test_the_lists_are_trained_as_faiss_trains_them(vectors):
    """prep trains only the coarse quantizer (IndexIVF.train copies the sample for an encoder that learns nothing):
    the same centroids, codes and results as the index FAISS trains on the same sample."""
    docs, queries = vectors
    index = ivf(docs)
    theirs = faiss.index_factory(32, "IVF205,SQfp16", faiss.METRIC_INNER_PRODUCT)
    theirs.train(docs)  # the whole sample: 8,000 documents, fewer than 64 per list
    theirs.add(docs)
    centroids = [faiss.rev_swig_ptr(faiss.downcast_index(i.quantizer).get_xb(), 205 * 32).copy()
                 for i in (index.ivf, theirs)]
    assert np.array_equal(*centroids)
    params = faiss.SearchParametersIVF(nprobe=32)
    ours, found = index.ivf.search(queries, 20, params=params)
    expected, expected_found = theirs.search(queries, 20, params=params)
    assert np.array_equal(found, expected_found) and np.array_equal(ours, expected)


class CountedReads:
    """An array that counts the rows read from it, as a VectorFile's page faults would."""

    def __init__(self, array: np.ndarray) -> None:
        self.array, self.shape, self.read = array, array.shape, 0

    def __getitem__(self, rows):
        self.read += np.size(rows)
        return self.array[rows]


def test_a_floor_reads_only_the_candidates_that_may_reach_it(vectors):
    """The query dedupe asks only for scores at or above its threshold: the candidates whose half-precision score
    is clearly below keep it, unread; everything at or above the floor is the same, rows and exact scores."""
    docs, queries = vectors
    rng = np.random.default_rng(1)
    near = queries + 0.04 * rng.standard_normal(queries.shape).astype(np.float32)  # a near copy of each query
    faiss.normalize_L2(near)
    both = np.concatenate([docs, near])
    index = build_index(both, MiningConfig(index="ivf"))
    floor = 0.9
    exact_scores, exact_rows = index.search(queries, 20)
    counted = CountedReads(both)
    scores, rows = replace(index, vectors=counted).search(queries, 20, floor=floor)
    above = exact_scores >= floor
    assert above.sum() >= 0.9 * len(queries)  # most queries find their near copy
    assert (scores >= floor).sum() == above.sum()
    np.testing.assert_array_equal(np.where(above, exact_rows, -1), np.where(scores >= floor, rows, -1))
    np.testing.assert_allclose(scores[above], exact_scores[above], atol=1e-6)
    assert (np.diff(scores, axis=1) <= 0).all()
    assert counted.read < 0.2 * rows.size  # of 36 candidates a query, about one read
