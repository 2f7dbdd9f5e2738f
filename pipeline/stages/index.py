"""A FAISS inner-product search over normalised embeddings: exact when small, IVF when large, searched in chunks.

Neither copies the embeddings at full precision: exact search runs `faiss.knn` over the array itself, and an IVF
index holds them at half precision (SQfp16: half the memory of IVF-Flat, and about twice as fast to scan, for the
same recall) with the candidates it returns rescored exactly from the array."""

from dataclasses import dataclass, replace

import numpy as np

from pipeline.config import MiningConfig
from pipeline.stages.vector_file import VectorFile

RECALL_PROBE_QUERIES = 256
RESCORE_BLOCK = 2**22  # floats gathered at a time to rescore IVF's candidates, bounds memory
SPARE = 16  # IVF candidates fetched beyond the depth asked (or a tenth more, if larger), rescored, then cut
# How far a half-precision score can lie from the exact one, for normalised vectors: each component within 2^-11 of
# itself, so the inner product within 4.9e-4 (Cauchy-Schwarz); with room for float32 sums.
HALF_PRECISION_ERROR = 2e-3


@dataclass(frozen=True)
class SearchIndex:
    vectors: np.ndarray  # the embeddings searched (normalised float32, C-contiguous), held by reference
    ivf: object = None  # a trained FAISS IVF index over `vectors` at half precision; None: exact search
    kind: str = "flat"  # "flat" or "IVF<nlist>,SQfp16"
    nprobe: int | None = None  # IVF: lists searched per query, passed with every search (the index holds none)

    def search(self, queries: np.ndarray, depth: int, floor: float | None = None,
               lists: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Top `depth` (scores, row numbers) per query, scores exact and descending; row -1 (score -FLT_MAX)
        where the corpus has fewer documents or the probed lists hold fewer. With `floor`, only scores at or above
        it are exact: an IVF candidate whose half-precision score lies below it by more than HALF_PRECISION_ERROR
        keeps that score, and its vector is not read (the query dedupe, which links from its threshold up: most
        candidates lie far below, and reading each from a VectorFile costs a page fault). `lists`: the IVF lists
        each query probes, found beforehand (`link_index.probed_lists`; an index of the rows' own codes)."""
        import faiss

        queries = np.ascontiguousarray(queries, dtype=np.float32)
        if self.ivf is None:
            return knn(queries, self.vectors, depth)
        # A few more than asked: near-ties at the cut, which half precision may order wrongly, are settled exactly.
        wider = depth + max(SPARE, depth // 10)
        if lists is None:
            approximate, rows = self.ivf.search(queries, wider, params=faiss.SearchParametersIVF(nprobe=self.nprobe))
        else:  # without centroid scores, which codes of the rows themselves (not residuals) do not need
            if self.ivf.by_residual:
                raise ValueError("lists are given only to an index of the rows' own codes (link_index)")
            self.ivf.parallel_mode = 3  # given its lists, FAISS searches in one thread unless told to share them out
            approximate, rows = self.ivf.search_preassigned(queries, wider, lists, None)
        below = None if floor is None else approximate < floor - HALF_PRECISION_ERROR
        scores, rows = rescore(queries, self.vectors, rows, below, approximate)
        return scores[:, :depth], rows[:, :depth]

    def holding(self, vectors: np.ndarray | VectorFile) -> "SearchIndex":
        """This index with `vectors` added (IVF: into its lists, in place); it keeps a reference, not a copy."""
        if isinstance(vectors, VectorFile):  # added a block at a time, never read whole
            for _, block in vectors.blocks() if self.ivf is not None else ():
                self.ivf.add(block)
            return replace(self, vectors=vectors)
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        if self.ivf is not None:
            self.ivf.add(vectors)
        return replace(self, vectors=vectors)


def knn(queries: np.ndarray, vectors: np.ndarray | VectorFile, depth: int) -> tuple[np.ndarray, np.ndarray]:
    """Exact top `depth` (scores, rows) of each query among `vectors`; a VectorFile is searched a block at a time,
    each block's top `depth` merged into the running one (ties keep the lower row first)."""
    import faiss

    if not isinstance(vectors, VectorFile):
        return faiss.knn(queries, vectors, depth, metric=faiss.METRIC_INNER_PRODUCT)
    scores = np.full((len(queries), depth), -np.finfo(np.float32).max, dtype=np.float32)
    rows = np.full((len(queries), depth), -1, dtype=np.int64)
    for start, block in vectors.blocks():
        found_scores, found = faiss.knn(queries, block, depth, metric=faiss.METRIC_INNER_PRODUCT)
        scores = np.concatenate([scores, found_scores], axis=1)
        rows = np.concatenate([rows, np.where(found >= 0, found + start, -1)], axis=1)
        order = np.argsort(-scores, axis=1, kind="stable")[:, :depth]
        scores, rows = np.take_along_axis(scores, order, axis=1), np.take_along_axis(rows, order, axis=1)
    return scores, rows


def rescore(queries: np.ndarray, vectors: np.ndarray, rows: np.ndarray, below: np.ndarray | None = None,
            approximate: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Each query's found rows with their exact scores, re-sorted descending (ties keep the index's order); where
    `below` is true, the `approximate` score is kept and the row's vector not read."""
    scores = np.full(rows.shape, -np.finfo(np.float32).max, dtype=np.float32)
    if below is not None:
        scores = np.where((rows >= 0) & below, approximate, scores)
        queried, found = np.nonzero((rows >= 0) & ~below)
        step = max(1, RESCORE_BLOCK // vectors.shape[1])
        for start in range(0, len(queried), step):
            at = queried[start:start + step], found[start:start + step]
            scores[at] = np.einsum("ij,ij->i", vectors[rows[at]], queries[at[0]])
    step = max(1, RESCORE_BLOCK // max(1, rows.shape[1] * vectors.shape[1]))
    for start in range(0, len(rows) if below is None else 0, step):
        part = rows[start:start + step]
        exact = np.matmul(vectors[np.maximum(part, 0)], queries[start:start + step, :, None])[:, :, 0]
        scores[start:start + step] = np.where(part >= 0, exact, scores[start:start + step])
    order = np.argsort(-scores, axis=1, kind="stable")
    return np.take_along_axis(scores, order, axis=1), np.take_along_axis(rows, order, axis=1)


def build_index(embeddings: np.ndarray, config: MiningConfig) -> SearchIndex:
    search_index = empty_index(embeddings, config)
    return search_index.holding(embeddings)


def empty_index(embeddings: np.ndarray, config: MiningConfig, most_sampled: int | None = None) -> SearchIndex:
    """The index `embeddings` call for, trained (IVF: on a seeded sample of them, of at most `most_sampled` rows)
    but holding no vectors yet: the Ray engine adds each shard of the corpus to its own copy (`holding`)."""
    import faiss

    count, dimension = embeddings.shape
    nothing = np.zeros((0, dimension), np.float32)
    exact = config.index == "flat" or (config.index == "auto" and count <= config.exact_max_docs)
    if exact:
        return SearchIndex(nothing)
    sampled = min(count, most_sampled or count)
    # FAISS wants >= 39 training points a list; a bounded sample (the dedupe's links) has at least 6.
    nlist = max(1, min(int(4 * np.sqrt(count)), count // 39, sampled // 6))
    kind = f"IVF{nlist},SQfp16"
    index = faiss.index_factory(dimension, kind, faiss.METRIC_INNER_PRODUCT)
    size = min(64 * nlist, sampled)
    sample = np.random.default_rng(config.seed).choice(count, size=size, replace=False)
    index.cp.min_points_per_centroid = min(index.cp.min_points_per_centroid, size // nlist)  # FAISS warns below it
    # The lists' centroids, trained as IndexIVF.train trains them (its clustering parameters: spherical k-means).
    # IndexIVF.train also copies the sample for the half-precision encoder, which has nothing to learn (its
    # residuals; from 100,000 points a subsample as well): 111,360 x 384-d, a peak of +317 MiB against +27.
    faiss.Clustering(dimension, nlist, index.cp).train(
        np.ascontiguousarray(embeddings[np.sort(sample)], dtype=np.float32), index.quantizer)
    index.is_trained = True
    return SearchIndex(nothing, index, kind, min(nlist, 32))


def tune_nprobe(search_index: SearchIndex, embeddings: np.ndarray, queries: np.ndarray | VectorFile, depth: int,
                config: MiningConfig, rows: np.ndarray | None = None) -> tuple[SearchIndex, float | None]:
    """The index with nprobe doubled from 32 until a seeded sample of `queries` finds `config.target_recall` of its
    exact top-`depth`, or until the cap (`max_nprobe`; by default a sixteenth of the lists, about where an IVF scan
    costs what exact search does), and the recall it reached. Without a target nprobe stays (capped) and is
    measured. A flat index, or no queries, is returned as it is with recall None. With `rows`, the queries are
    `queries[rows]`: only the sample is read."""
    rows = np.arange(len(queries)) if rows is None else rows
    if search_index.kind == "flat" or len(rows) == 0:
        return search_index, None
    rng = np.random.default_rng(config.seed)
    probe = queries[rows[np.sort(rng.choice(len(rows), size=min(len(rows), RECALL_PROBE_QUERIES), replace=False))]]
    depth = min(depth, len(embeddings))
    _, exact = knn(probe, embeddings, depth)
    nlist = int(search_index.kind[3:].split(",")[0])
    ceiling = min(nlist, config.max_nprobe or max(32, nlist // 16))
    search_index = replace(search_index, nprobe=min(search_index.nprobe, ceiling))  # SearchIndex or ShardedIndex
    while True:
        _, approximate = search_index.search(probe, depth)
        recall = sum(len(np.intersect1d(a[a >= 0], e)) for a, e in zip(approximate, exact, strict=True)) / exact.size
        if config.target_recall is None or recall >= config.target_recall or search_index.nprobe >= ceiling:
            return search_index, recall
        search_index = replace(search_index, nprobe=min(2 * search_index.nprobe, ceiling))
