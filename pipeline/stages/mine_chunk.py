"""Mine one chunk of queries: search, filter false negatives, choose K; searched deeper for queries left short.

Chunks are independent, so the local engine runs them in a loop and the Ray engine as tasks."""

from collections import Counter
from dataclasses import dataclass, replace

import numpy as np
import polars as pl

from pipeline.config import MiningConfig
from pipeline.stages.index import SearchIndex
from pipeline.stages.select import Candidates, choose_negatives, removal_masks, sampling_priority

SIMILARITY_BUDGET = 4 * 2**20  # floats per block of candidates x known positives, bounds memory
CANDIDATE_BUDGET = 2**20  # (queries x candidates) cells per search, bounds memory when a search goes deep
# A query short of K is searched DEEPEN times deeper, until the search covers the corpus or MAX_DEPTH candidates:
# a query whose positive the encoder ranks low has every document above it over the margin.
DEEPEN, MAX_DEPTH = 4, 16_384
PAIR_SCHEMA = {"query_row": pl.Int64, "doc_row": pl.Int64}
CHOSEN_SCHEMA = {**PAIR_SCHEMA, "score": pl.Float64, "source": pl.String}


@dataclass(frozen=True)
class MiningInputs:
    """What every chunk reads: embeddings row-aligned with canon.queries / canon.corpus, their ids, the index."""

    queries: np.ndarray
    docs: np.ndarray
    index: SearchIndex
    query_ids: np.ndarray
    doc_ids: np.ndarray
    first_depth: int  # candidates of the first search, the same for every chunk


@dataclass
class ChunkResult:
    chosen: pl.DataFrame  # query_row, doc_row, score, source
    ranked_low: pl.DataFrame  # query_row, doc_row: pairs whose positive ranks below max_positive_rank
    skipped: dict[str, Counter]  # {"mined"|"given": {reason: count}}, each query's last pass
    considered: Counter
    positive_scores: np.ndarray
    deepened: int
    rank_searches: int = 0  # queries searched again to count a positive's rank (max_positive_rank)


def padded(lists: pl.Series, fill: int = -1) -> np.ndarray:
    """A list column as an (n, width) int64 matrix, padded with `fill`."""
    width = int(lists.list.len().max() or 0)
    if width == 0:
        return np.full((len(lists), 0), fill, dtype=np.int64)
    columns = [lists.list.get(i, null_on_oob=True).fill_null(fill).to_numpy() for i in range(width)]
    return np.stack(columns, axis=1).astype(np.int64)


def mine_chunk(pending: pl.DataFrame, inputs: MiningInputs, config: MiningConfig, deepen: bool) -> ChunkResult:
    """`pending` holds rows of the query plan (query_row, positive_rows, known_rows, given_rows)."""
    docs, depth = inputs.docs, inputs.first_depth
    deepest = max(depth, min(len(docs), MAX_DEPTH))
    skipped, considered, parts, deepened = {"mined": Counter(), "given": Counter()}, Counter(), [], 0
    # The query-positive scores do not change between passes: once per chunk, for the margin and the manifest.
    positive_rows = padded(pending["positive_rows"])
    own = _scores_with(inputs.queries[pending["query_row"].to_numpy()], docs, positive_rows)
    searched, ranked_low, rank_searches = None, pl.DataFrame(schema=PAIR_SCHEMA), 0
    if config.max_positive_rank:
        searched = inputs.index.search(inputs.queries[pending["query_row"].to_numpy()], depth)
        low, rank_searches = _ranked_low(pending, inputs, positive_rows, own, config.max_positive_rank, searched)
        query_index, column = np.nonzero(low)
        ranked_low = pl.DataFrame({"query_row": pending["query_row"].to_numpy()[query_index],
                                   "doc_row": positive_rows[query_index, column]})
        positive_rows = np.where(low, -1, positive_rows)
        kept = (positive_rows >= 0).any(axis=1)  # a query with no positive left needs no negatives
        pending, own, positive_rows = pending.filter(pl.Series(kept)), own[kept], positive_rows[kept]
        searched = (searched[0][kept], searched[1][kept])
    lowest = np.where(positive_rows >= 0, own, np.inf).min(axis=1)
    neighbors = _positive_neighbors(pending, inputs, config.positive_neighbors)
    while True:
        last = not deepen or depth >= deepest
        short = []
        step = max(1, CANDIDATE_BUDGET // depth)  # queries per search: bounds the (queries x depth) arrays
        for start in range(0, pending.height, step):
            part = pending.slice(start, step)
            vectors = inputs.queries[part["query_row"].to_numpy()]
            found = (searched[0][start:start + step], searched[1][start:start + step]) if searched else None
            candidates, rows = _candidates(part, vectors, docs, inputs.index, depth, lowest[start:start + step],
                                           neighbors, found)
            query_ids, doc_ids = inputs.query_ids[part["query_row"].to_numpy()], inputs.doc_ids[np.maximum(rows, 0)]
            itself = candidates.valid & (doc_ids == query_ids[:, None])  # a document with the query's own text
            candidates = replace(candidates, is_positive=candidates.is_positive | itself)
            masks = removal_masks(candidates, config)
            kept = candidates.valid.copy()
            for mask in masks.values():
                kept &= ~mask
            priority = None
            if config.sampling == "random":
                priority = sampling_priority(query_ids, doc_ids, config.seed)
            chosen = choose_negatives(candidates, kept, config, priority)
            complete = chosen.sum(axis=1) >= config.negatives
            if config.sampling == "random":  # the draw is from the whole rank window: all of it must be found
                window_found = (kept & ~candidates.given).sum(axis=1) >= config.range_max
                complete &= window_found | ((chosen & candidates.given).sum(axis=1) >= config.negatives)
            final = complete | last
            for reason, mask in masks.items():
                skipped["mined"][reason] += int((mask & ~candidates.given)[final].sum())
                skipped["given"][reason] += int((mask & candidates.given)[final].sum())
            considered["mined"] += int((candidates.valid & ~candidates.given)[final].sum())
            considered["given"] += int((candidates.valid & candidates.given)[final].sum())
            parts.append(_chosen_frame(part, rows, candidates, chosen & final[:, None]))
            short.append(~final)
        short = np.concatenate(short) if short else np.zeros(0, bool)
        if not short.any():
            break
        deepened += int(short.sum())
        pending, lowest, searched = pending.filter(pl.Series(short)), lowest[short], None
        depth = min(depth * DEEPEN, deepest)
    chosen = pl.concat(parts) if parts else pl.DataFrame(schema=CHOSEN_SCHEMA)
    return ChunkResult(chosen, ranked_low, skipped, considered, own[positive_rows >= 0], deepened, rank_searches)


def _ranked_low(pending: pl.DataFrame, inputs: MiningInputs, positive_rows: np.ndarray, own: np.ndarray,
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
    known = _pair_keys(query_rows[:, None], known_rows, documents)[known_rows >= 0]
    other = (rows >= 0) & ~np.isin(_pair_keys(query_rows[:, None], rows, documents), known)
    running = np.cumsum(other, axis=1)
    n, depth = rows.shape
    shift = 4.0 * np.arange(n)[:, None]
    ascending = (shift + 1 - np.clip(scores, -1, 1)).ravel()
    higher = (np.searchsorted(ascending, (shift + 1 - np.clip(own, -1, 1)).ravel(), side="left").reshape(own.shape)
              - depth * np.arange(n)[:, None])
    return np.where(higher > 0, np.take_along_axis(running, np.maximum(higher - 1, 0), axis=1), 0), higher


def _positive_neighbors(chunk: pl.DataFrame, inputs: MiningInputs, count: int) -> np.ndarray:
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
    return np.unique(_pair_keys(pairs["query_row"].to_numpy(), pairs["neighbor"].to_numpy(), len(inputs.docs)))


def _pair_keys(query_rows: np.ndarray, doc_rows: np.ndarray, documents: int) -> np.ndarray:
    """One int64 per (query row, document row) pair, for set lookups; broadcasts like `*` and `+`."""
    return query_rows.astype(np.int64) * documents + doc_rows


def _candidates(chunk: pl.DataFrame, query_vectors: np.ndarray, docs: np.ndarray, index: SearchIndex,
                depth: int, lowest_positive: np.ndarray, neighbors: np.ndarray,
                searched: tuple[np.ndarray, np.ndarray] | None = None) -> tuple[Candidates, np.ndarray]:
    """`searched`: the index's top `depth` of these queries, where already known."""
    given_rows = padded(chunk["given_rows"])
    known_rows = padded(chunk["known_rows"])
    mined_scores, mined_rows = searched or index.search(query_vectors, depth)
    # A mined document that is also a given negative is the same candidate: keep the given one.
    repeated = (mined_rows[:, :, None] == given_rows[:, None, :]).any(axis=2) if given_rows.size else False
    mined_rows = np.where(repeated, -1, mined_rows)
    rows = np.concatenate([given_rows, mined_rows], axis=1)
    valid = rows >= 0
    given_scores = _scores_with(query_vectors, docs, given_rows)
    scores = np.where(valid, np.concatenate([given_scores, mined_scores], axis=1), -np.inf)
    is_known, similarity = _against_known(docs, rows, known_rows)
    keys = _pair_keys(chunk["query_row"].to_numpy()[:, None], rows, len(docs))
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


def _scores_with(query_vectors: np.ndarray, docs: np.ndarray, doc_rows: np.ndarray) -> np.ndarray:
    """cosine(query i, doc doc_rows[i, j]) as an (n, width) matrix; a batched matmul, which BLAS runs fast."""
    return np.matmul(docs[np.maximum(doc_rows, 0)], query_vectors[:, :, None])[:, :, 0]


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


def _chosen_frame(chunk: pl.DataFrame, rows: np.ndarray, candidates: Candidates, chosen: np.ndarray) -> pl.DataFrame:
    query_index, column = np.nonzero(chosen)
    return pl.DataFrame({
        "query_row": chunk["query_row"].to_numpy()[query_index],
        "doc_row": rows[query_index, column],
        "score": candidates.scores[query_index, column].astype(np.float64),
        "source": np.where(candidates.given[query_index, column], "input", "mined"),
    })
