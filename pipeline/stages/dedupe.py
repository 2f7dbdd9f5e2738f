"""Semantic dedupe: texts whose embeddings are at or above a cosine threshold join one cluster.

Exact and normalised duplicates already share an id (content hash of the normalised text); this stage adds
paraphrases. Clusters are the connected components of the graph whose edges join each text to those of its
k nearest neighbours at or above the threshold: blocking by ANN neighbours, never all pairs.
"""

import numpy as np

from pipeline.stages.index import SearchIndex

NEIGHBOURS = 16
CHUNK = 8192


def cluster_by_similarity(vectors: np.ndarray, threshold: float, index: SearchIndex,
                          neighbours: int = NEIGHBOURS) -> np.ndarray:
    """A cluster label per row of `vectors` (normalised float32, the rows of `index`): rows joined by
    cosine >= threshold share one. Labels are the smallest row number in the cluster, whatever the search order.
    """
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    count = len(vectors)
    if count == 0:
        return np.zeros(0, dtype=np.int64)
    k = min(neighbours + 1, count)
    sources, targets = [], []
    for start in range(0, count, CHUNK):
        scores, found = index.search(vectors[start:start + CHUNK], k)
        rows = np.arange(start, min(start + CHUNK, count))[:, None].repeat(k, axis=1)
        linked = (scores >= threshold) & (found >= 0) & (found != rows)
        sources.append(rows[linked])
        targets.append(found[linked])
    source, target = np.concatenate(sources), np.concatenate(targets)
    graph = coo_matrix((np.ones(len(source), dtype=np.int8), (source, target)), shape=(count, count))
    _, components = connected_components(graph, directed=False)
    smallest = np.full(components.max() + 1, count, dtype=np.int64)
    np.minimum.at(smallest, components, np.arange(count))
    return smallest[components]


def cluster_sizes(labels: np.ndarray) -> dict[str, int]:
    """How many clusters have 1, 2, 3, ... members: {"1": n, "2": n, ...}."""
    if len(labels) == 0:
        return {}
    _, sizes = np.unique(labels, return_counts=True)
    values, counts = np.unique(sizes, return_counts=True)
    return {str(int(v)): int(c) for v, c in zip(values, counts, strict=True)}
