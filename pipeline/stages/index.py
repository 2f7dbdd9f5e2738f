"""A FAISS inner-product index over normalised embeddings: exact when small, IVF when large, searched in chunks."""

from dataclasses import dataclass

import numpy as np

from pipeline.config import MiningConfig

RECALL_PROBE_QUERIES = 256


@dataclass(frozen=True)
class SearchIndex:
    index: object
    kind: str  # "flat" or "IVF<nlist>,Flat"
    nprobe: int | None = None

    def search(self, queries: np.ndarray, depth: int) -> tuple[np.ndarray, np.ndarray]:
        """Top `depth` (scores, row numbers) per query; row -1 where the corpus has fewer documents."""
        return self.index.search(np.ascontiguousarray(queries, dtype=np.float32), depth)


def build_index(embeddings: np.ndarray, config: MiningConfig) -> SearchIndex:
    search_index = empty_index(embeddings, config)
    search_index.index.add(embeddings)
    return search_index


def empty_index(embeddings: np.ndarray, config: MiningConfig) -> SearchIndex:
    """The index `embeddings` call for, trained (IVF: on a seeded sample of them) but holding no vectors yet: the
    Ray engine adds each shard of the corpus to its own copy."""
    import faiss

    count, dimension = embeddings.shape
    exact = config.index == "flat" or (config.index == "auto" and count <= config.exact_max_docs)
    if exact:
        return SearchIndex(faiss.IndexFlatIP(dimension), "flat")
    nlist = max(1, min(int(4 * np.sqrt(count)), count // 39))  # FAISS wants >= 39 training points a list
    index = faiss.index_factory(dimension, f"IVF{nlist},Flat", faiss.METRIC_INNER_PRODUCT)
    sample = np.random.default_rng(config.seed).choice(count, size=min(count, 64 * nlist), replace=False)
    index.train(embeddings[np.sort(sample)])
    index.nprobe = min(nlist, 32)
    return SearchIndex(index, f"IVF{nlist},Flat", index.nprobe)


def measure_recall(search_index: SearchIndex, embeddings: np.ndarray, queries: np.ndarray, depth: int,
                   seed: int) -> float | None:
    """Share of the exact top-`depth` that the approximate index finds, on a sample of queries."""
    if search_index.kind == "flat" or len(queries) == 0:
        return None
    rng = np.random.default_rng(seed)
    probe = queries[rng.choice(len(queries), size=min(len(queries), RECALL_PROBE_QUERIES), replace=False)]
    import faiss

    depth = min(depth, len(embeddings))
    _, approximate = search_index.search(probe, depth)
    _, exact = faiss.knn(probe, embeddings, depth, metric=faiss.METRIC_INNER_PRODUCT)
    hits = sum(len(np.intersect1d(a[a >= 0], e)) for a, e in zip(approximate, exact, strict=True))
    return hits / exact.size
