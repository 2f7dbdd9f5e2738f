"""A FAISS inner-product index over normalised embeddings: exact when small, IVF when large, searched in chunks."""

from dataclasses import dataclass, replace

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

    def with_nprobe(self, nprobe: int) -> "SearchIndex":
        """Sets nprobe on the FAISS index itself (no copy of the vectors): `self` searches with it too."""
        self.index.nprobe = nprobe
        return replace(self, nprobe=nprobe)


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


def tune_nprobe(search_index: SearchIndex, embeddings: np.ndarray, queries: np.ndarray, depth: int,
                config: MiningConfig) -> tuple[SearchIndex, float | None]:
    """An IVF index with nprobe doubled until it finds `config.target_recall` of the exact top-`depth` on a seeded
    sample of `queries` (or until `config.max_nprobe`, or every list), and the recall it reached. A flat index,
    or no queries, is returned as it is with recall None. Without a target, nprobe stays and is only measured.
    nprobe is set in place (SearchIndex.with_nprobe): the index passed in searches with the tuned nprobe too."""
    if search_index.kind == "flat" or len(queries) == 0:
        return search_index, None
    import faiss

    rng = np.random.default_rng(config.seed)
    probe = queries[np.sort(rng.choice(len(queries), size=min(len(queries), RECALL_PROBE_QUERIES), replace=False))]
    depth = min(depth, len(embeddings))
    _, exact = faiss.knn(probe, embeddings, depth, metric=faiss.METRIC_INNER_PRODUCT)
    nlist = int(search_index.kind[3:].split(",")[0])
    ceiling = min(nlist, max(config.max_nprobe, search_index.nprobe))
    while True:
        _, approximate = search_index.search(probe, depth)
        recall = sum(len(np.intersect1d(a[a >= 0], e)) for a, e in zip(approximate, exact, strict=True)) / exact.size
        if config.target_recall is None or recall >= config.target_recall or search_index.nprobe >= ceiling:
            return search_index, recall
        search_index = search_index.with_nprobe(min(2 * search_index.nprobe, ceiling))
