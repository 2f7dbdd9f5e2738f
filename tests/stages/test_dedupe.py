import numpy as np

from pipeline.config import MiningConfig
from pipeline.stages.dedupe import cluster_by_similarity, cluster_sizes
from pipeline.stages.index import build_index


def unit(vectors):
    vectors = np.asarray(vectors, dtype=np.float32)
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def test_texts_at_or_above_the_threshold_share_a_cluster_labelled_by_first_member():
    vectors = unit([[1, 0, 0], [0.99, 0.1, 0], [0, 1, 0], [0, 0, 1], [0, 0.05, 1]])
    labels = cluster_by_similarity(vectors, 0.95, build_index(vectors, MiningConfig()))
    assert labels.tolist() == [0, 0, 2, 3, 3]
    assert cluster_sizes(labels) == {"1": 1, "2": 2}


def test_clusters_chain_through_neighbours_and_threshold_one_keeps_all_apart():
    angle = np.radians([0, 10, 20])
    vectors = unit(np.stack([np.cos(angle), np.sin(angle), np.zeros(3)], axis=1))
    index = build_index(vectors, MiningConfig())
    assert cluster_by_similarity(vectors, 0.98, index).tolist() == [0, 0, 0]  # 0-10 and 10-20 degrees: cos 0.985
    assert cluster_by_similarity(vectors, 1.0, index).tolist() == [0, 1, 2]


def test_labels_do_not_depend_on_the_approximate_index():
    rng = np.random.default_rng(0)
    base = unit(rng.normal(size=(40, 8)))
    vectors = unit(np.concatenate([base, base + 0.01 * rng.normal(size=base.shape)]))
    exact = cluster_by_similarity(vectors, 0.99, build_index(vectors, MiningConfig(index="flat")))
    approximate = cluster_by_similarity(vectors, 0.99, build_index(vectors, MiningConfig(index="ivf")))
    assert exact.tolist() == list(range(40)) * 2
    assert (approximate == exact).mean() > 0.9
