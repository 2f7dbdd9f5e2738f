"""A FAISS inner-product index over normalised embeddings: exact when small, IVF when large, searched in chunks."""

from dataclasses import dataclass, replace

import numpy as np

from pipeline.config import MiningConfig

RECALL_PROBE_QUERIES = 256


@dataclass(frozen=True)
class SearchIndex:
    index: object
    kind: str  # "flat" or "IVF<nlist>,Flat"
    nprobe: int | None = None  # IVF: lists searched per query, passed with every search (the index holds none)

    def search(self, queries: np.ndarray, depth: int) -> tuple[np.ndarray, np.ndarray]:
        """Top `depth` (scores, row numbers) per query; row -1 where the corpus has fewer documents."""
        queries = np.ascontiguousarray(queries, dtype=np.float32)
        if self.nprobe is None:
            return self.index.search(queries, depth)
        import faiss

        return self.index.search(queries, depth, params=faiss.SearchParametersIVF(nprobe=self.nprobe))


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
    return SearchIndex(index, f"IVF{nlist},Flat", min(nlist, 32))


def tune_nprobe(search_index: SearchIndex, embeddings: np.ndarray, queries: np.ndarray, depth: int,
                config: MiningConfig) -> tuple[SearchIndex, float | None]:
    """The index with nprobe doubled from 32 until a seeded sample of `queries` finds `config.target_recall` of its
    exact top-`depth`, or until the cap (`max_nprobe`; by default a sixteenth of the lists, about where an IVF scan
    costs what exact search does), and the recall it reached. Without a target nprobe stays (capped) and is
    measured. A flat index, or no queries, is returned as it is with recall None."""
    if search_index.kind == "flat" or len(queries) == 0:
        return search_index, None
    import faiss

    rng = np.random.default_rng(config.seed)
    probe = queries[np.sort(rng.choice(len(queries), size=min(len(queries), RECALL_PROBE_QUERIES), replace=False))]
    depth = min(depth, len(embeddings))
    _, exact = faiss.knn(probe, embeddings, depth, metric=faiss.METRIC_INNER_PRODUCT)
    nlist = int(search_index.kind[3:].split(",")[0])
    ceiling = min(nlist, config.max_nprobe or max(32, nlist // 16))
    search_index = replace(search_index, nprobe=min(search_index.nprobe, ceiling))  # SearchIndex or ShardedIndex
    while True:
        _, approximate = search_index.search(probe, depth)
        recall = sum(len(np.intersect1d(a[a >= 0], e)) for a, e in zip(approximate, exact, strict=True)) / exact.size
        if config.target_recall is None or recall >= config.target_recall or search_index.nprobe >= ceiling:
            return search_index, recall
        search_index = replace(search_index, nprobe=min(2 * search_index.nprobe, ceiling))
