"""A chunk's candidates: the given negatives and the index's top documents of each query, scored against the
query and against its known positives."""

import numpy as np
import polars as pl

from pipeline.stages.index import SearchIndex
from pipeline.stages.select import Candidates

SIMILARITY_BUDGET = 4 * 2**20  # floats per block of candidates x known positives, bounds memory
CANDIDATE_BUDGET = 2**20  # (queries x candidates) cells per search, bounds memory when a search goes deep


def padded(lists: pl.Series, fill: int = -1) -> np.ndarray:
    """A list column as an (n, width) int64 matrix, padded with `fill`."""
    width = int(lists.list.len().max() or 0)
    if width == 0:
        return np.full((len(lists), 0), fill, dtype=np.int64)
    columns = [lists.list.get(i, null_on_oob=True).fill_null(fill).to_numpy() for i in range(width)]
    return np.stack(columns, axis=1).astype(np.int64)


def candidates(chunk: pl.DataFrame, query_vectors: np.ndarray, docs: np.ndarray, index: SearchIndex,
               depth: int, lowest_positive: np.ndarray, neighbors: np.ndarray,
               searched: tuple[np.ndarray, np.ndarray] | None = None) -> tuple[Candidates, np.ndarray]:
    """`searched`: the index's top `depth` of these queries, where already known."""
    given_rows = padded(chunk["given_rows"])
    known_rows = padded(chunk["known_rows"])
    mined_scores, mined_rows = searched or index.search(query_vectors, depth)
    # A mined document that is also a given negative is the same candidate: keep the given one. Found by pair keys,
    # not a (queries x mined x given) comparison: with hundreds of given negatives a query that ran to gigabytes.
    query_rows = chunk["query_row"].to_numpy()[:, None]
    if given_rows.size:
        given_keys = pair_keys(query_rows, given_rows, len(docs))[given_rows >= 0]
        repeated = np.isin(pair_keys(query_rows, mined_rows, len(docs)), given_keys) & (mined_rows >= 0)
        mined_rows = np.where(repeated, -1, mined_rows)
    rows = np.concatenate([given_rows, mined_rows], axis=1)
    valid = rows >= 0
    given_scores = scores_with(query_vectors, docs, given_rows)
    scores = np.where(valid, np.concatenate([given_scores, mined_scores], axis=1), -np.inf)
    is_known, similarity = _against_known(docs, rows, known_rows)
    keys = pair_keys(query_rows, rows, len(docs))
    candidates = Candidates(
        scores=scores.astype(np.float32),
        valid=valid,
        given=np.concatenate([np.ones_like(given_rows, bool), np.zeros_like(mined_rows, bool)], axis=1),
        is_positive=is_known & valid,
        positive_similarity=similarity,
        positive_neighbor=np.isin(keys, neighbors) & valid,
        lowest_positive=lowest_positive,
    )
    return candidates, rows


def pair_keys(query_rows: np.ndarray, doc_rows: np.ndarray, documents: int) -> np.ndarray:
    """One int64 per (query row, document row) pair, for set lookups; broadcasts like `*` and `+`."""
    return query_rows.astype(np.int64) * documents + doc_rows


def scores_with(query_vectors: np.ndarray, docs: np.ndarray, doc_rows: np.ndarray) -> np.ndarray:
    """cosine(query i, doc doc_rows[i, j]) as an (n, width) matrix; a batched matmul, which BLAS runs fast, over
    blocks of queries whose gathered vectors stay within SIMILARITY_BUDGET floats (a query may give hundreds)."""
    scores = np.empty(doc_rows.shape, dtype=np.float32)
    block = max(1, SIMILARITY_BUDGET // max(1, doc_rows.shape[1] * docs.shape[1]))
    for start in range(0, len(doc_rows), block):
        part = doc_rows[start:start + block]
        scores[start:start + block] = np.matmul(docs[np.maximum(part, 0)],
                                                query_vectors[start:start + block, :, None])[:, :, 0]
    return scores


def _against_known(docs: np.ndarray, rows: np.ndarray, known_rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per candidate: is it a known positive, and its max cosine to any known positive. Computed in blocks of
    queries so that the (queries x candidates x positives) arrays stay within SIMILARITY_BUDGET floats."""
    n, c = rows.shape
    p, dimension = known_rows.shape[1], docs.shape[1]
    is_known = np.zeros((n, c), dtype=bool)
    similarity = np.full((n, c), -np.inf, dtype=np.float32)
    if p == 0 or c == 0:
        return is_known, similarity
    block = max(1, SIMILARITY_BUDGET // (c * dimension + p * dimension + 2 * c * p))
    for start in range(0, n, block):
        part = slice(start, start + block)
        known = known_rows[part]
        is_known[part] = (rows[part][:, :, None] == known[:, None, :]).any(axis=2)
        scores = np.matmul(docs[np.maximum(rows[part], 0)], docs[np.maximum(known, 0)].transpose(0, 2, 1))
        similarity[part] = np.where(known[:, None, :] >= 0, scores, -np.inf).max(axis=2)
    return is_known, similarity
