"""A FAISS inner-product search over normalised embeddings: exact when small, IVF when large, searched in chunks.

Neither copies the embeddings at full precision: exact search runs `faiss.knn` over the array itself, and an IVF
index holds them at half precision (SQfp16: half the memory of IVF-Flat, and about twice as fast to scan, for the
same recall) with the candidates it returns rescored exactly from the array."""

from dataclasses import dataclass, replace

import numpy as np

from pipeline.config import MiningConfig

RECALL_PROBE_QUERIES = 256
RESCORE_BLOCK = 2**22  # floats gathered at a time to rescore IVF's candidates, bounds memory
SPARE = 16  # IVF candidates fetched beyond the depth asked (or a tenth more, if larger), rescored, then cut


@dataclass(frozen=True)
class SearchIndex:
    vectors: np.ndarray  # the embeddings searched (normalised float32, C-contiguous), held by reference
    ivf: object = None  # a trained FAISS IVF index over `vectors` at half precision; None: exact search
    kind: str = "flat"  # "flat" or "IVF<nlist>,SQfp16"
    nprobe: int | None = None  # IVF: lists searched per query, passed with every search (the index holds none)

    def search(self, queries: np.ndarray, depth: int) -> tuple[np.ndarray, np.ndarray]:
        """Top `depth` (scores, row numbers) per query, scores exact and descending; row -1 (score -FLT_MAX)
        where the corpus has fewer documents or the probed lists hold fewer."""
        import faiss

        queries = np.ascontiguousarray(queries, dtype=np.float32)
        if self.ivf is None:
            return faiss.knn(queries, self.vectors, depth, metric=faiss.METRIC_INNER_PRODUCT)
        # A few more than asked: near-ties at the cut, which half precision may order wrongly, are settled exactly.
        wider = depth + max(SPARE, depth // 10)
        _, rows = self.ivf.search(queries, wider, params=faiss.SearchParametersIVF(nprobe=self.nprobe))
        scores, rows = rescore(queries, self.vectors, rows)
        return scores[:, :depth], rows[:, :depth]

    def holding(self, vectors: np.ndarray) -> "SearchIndex":
        """This index with `vectors` added (IVF: into its lists, in place); it keeps a reference, not a copy."""
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        if self.ivf is not None:
            self.ivf.add(vectors)
        return replace(self, vectors=vectors)


def rescore(queries: np.ndarray, vectors: np.ndarray, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each query's found rows with their exact scores, re-sorted descending (ties keep the index's order)."""
    scores = np.full(rows.shape, -np.finfo(np.float32).max, dtype=np.float32)
    step = max(1, RESCORE_BLOCK // max(1, rows.shape[1] * vectors.shape[1]))
    for start in range(0, len(rows), step):
        part = rows[start:start + step]
        exact = np.matmul(vectors[np.maximum(part, 0)], queries[start:start + step, :, None])[:, :, 0]
        scores[start:start + step] = np.where(part >= 0, exact, scores[start:start + step])
    order = np.argsort(-scores, axis=1, kind="stable")
    return np.take_along_axis(scores, order, axis=1), np.take_along_axis(rows, order, axis=1)


def build_index(embeddings: np.ndarray, config: MiningConfig) -> SearchIndex:
    search_index = empty_index(embeddings, config)
    return search_index.holding(embeddings)


def empty_index(embeddings: np.ndarray, config: MiningConfig) -> SearchIndex:
    """The index `embeddings` call for, trained (IVF: on a seeded sample of them) but holding no vectors yet: the
    Ray engine adds each shard of the corpus to its own copy (`holding`)."""
    import faiss

    count, dimension = embeddings.shape
    nothing = np.zeros((0, dimension), np.float32)
    exact = config.index == "flat" or (config.index == "auto" and count <= config.exact_max_docs)
    if exact:
        return SearchIndex(nothing)
    nlist = max(1, min(int(4 * np.sqrt(count)), count // 39))  # FAISS wants >= 39 training points a list
    kind = f"IVF{nlist},SQfp16"
    index = faiss.index_factory(dimension, kind, faiss.METRIC_INNER_PRODUCT)
    sample = np.random.default_rng(config.seed).choice(count, size=min(count, 64 * nlist), replace=False)
    index.train(np.ascontiguousarray(embeddings[np.sort(sample)], dtype=np.float32))
    return SearchIndex(nothing, index, kind, min(nlist, 32))


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
