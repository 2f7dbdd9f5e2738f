"""Where each positive ranks in its query's search (max_positive_rank), and the documents nearest the known
positives (positive_neighbors)."""

from typing import TYPE_CHECKING

import numpy as np
import polars as pl

from pipeline.stages.candidate_search import CANDIDATE_BUDGET, padded, pair_keys

if TYPE_CHECKING:
    from pipeline.stages.mine_chunk import MiningInputs


def ranked_low(pending: pl.DataFrame, inputs: "MiningInputs", positive_rows: np.ndarray, own: np.ndarray,
               limit: int, searched: tuple[np.ndarray, np.ndarray]) -> tuple[np.ndarray, int]:
    """(n, p): the positive has `limit` or more documents above it that are not known positives of its query;
    and how many queries were searched again to count it. Counted in the first search. Only where every document
    that search returned scores above a positive counted short of `limit` can a deeper one find more: the query is
    searched again, `limit` + known positives deep, in parts of at most CANDIDATE_BUDGET cells. Elsewhere the first
    search holds every document above the positive that the index reaches (IVF probes the same lists at any
    depth), whether or not it returned the positive itself. Under IVF a document the probed lists miss is not
    counted: the error keeps pairs, never sets one aside."""
    query_rows, known_rows, documents = pending["query_row"].to_numpy(), padded(pending["known_rows"]), len(inputs.docs)
    above, higher = _count_above(*searched, query_rows, known_rows, own, documents)
    need = min(limit + known_rows.shape[1], documents)
    depth = searched[1].shape[1]
    again = np.zeros(0, np.int64)
    if depth < need:
        again = np.flatnonzero(((higher >= depth) & (above < limit) & (positive_rows >= 0)).any(axis=1))
        step = max(1, CANDIDATE_BUDGET // need)
        for part in (again[start:start + step] for start in range(0, len(again), step)):
            deeper = inputs.index.search(inputs.queries[query_rows[part]], need)
            above[part] = _count_above(*deeper, query_rows[part], known_rows[part], own[part], documents)[0]
    return (above >= limit) & (positive_rows >= 0), len(again)


def _count_above(scores: np.ndarray, rows: np.ndarray, query_rows: np.ndarray, known_rows: np.ndarray,
                 own: np.ndarray, documents: int) -> tuple[np.ndarray, np.ndarray]:
    """(n, p) twice: how many of the searched documents that are not known positives score above each positive,
    and how many of any kind (padding never does). The search gives each query's scores in descending order: one
    searchsorted over all rows (row i shifted by 4i) finds how many score above, and a running count of the other
    documents says how many of those are others."""
    known = pair_keys(query_rows[:, None], known_rows, documents)[known_rows >= 0]
    other = (rows >= 0) & ~np.isin(pair_keys(query_rows[:, None], rows, documents), known)
    running = np.cumsum(other, axis=1)
    n, depth = rows.shape
    shift = 4.0 * np.arange(n)[:, None]
    ascending = (shift + 1 - np.clip(scores, -1, 1)).ravel()
    higher = (np.searchsorted(ascending, (shift + 1 - np.clip(own, -1, 1)).ravel(), side="left").reshape(own.shape)
              - depth * np.arange(n)[:, None])
    return np.where(higher > 0, np.take_along_axis(running, np.maximum(higher - 1, 0), axis=1), 0), higher


def positive_neighbors(chunk: pl.DataFrame, inputs: "MiningInputs", count: int) -> np.ndarray:
    """Sorted keys (query_row * documents + doc_row) of the `count` nearest other documents of each query's
    known positives, found with one search of the chunk's distinct positives."""
    known = chunk.select("query_row", doc_row="known_rows").explode("doc_row").drop_nulls()
    if count == 0 or known.is_empty():
        return np.zeros(0, np.int64)
    positives = np.unique(known["doc_row"].to_numpy())
    _, found = inputs.index.search(inputs.docs[positives], count + 1)
    itself = found == positives[:, None]  # moved last, so that `count` others remain whether or not it was found
    found = np.take_along_axis(found, np.argsort(itself, axis=1, kind="stable"), axis=1)[:, :count]
    neighbors = pl.DataFrame({"doc_row": positives, "neighbor": found}).explode("neighbor")
    pairs = known.join(neighbors, on="doc_row").filter(pl.col("neighbor") >= 0)
    return np.unique(pair_keys(pairs["query_row"].to_numpy(), pairs["neighbor"].to_numpy(), len(inputs.docs)))
