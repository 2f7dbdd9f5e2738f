"""Mine one chunk of queries: search, filter false negatives, choose K; searched deeper for queries left short.

Chunks are independent, so the local engine runs them in a loop and the Ray engine as tasks."""

from collections import Counter
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import polars as pl

from pipeline.config import MiningConfig
from pipeline.stages import candidate_search, positive_rank
from pipeline.stages.candidate_search import CANDIDATE_BUDGET, padded, scores_with
from pipeline.stages.index import SearchIndex
from pipeline.stages.positive_rank import positive_neighbors
from pipeline.stages.select import Candidates, choose_negatives, copies_in_rows, removal_masks, sampling_priority

# A query short of K is searched DEEPEN times deeper, until the search covers the corpus or MAX_DEPTH candidates:
# a query whose positive the encoder ranks low has every document above it over the margin.
DEEPEN, MAX_DEPTH = 4, 16_384
PAIR_SCHEMA = {"query_row": pl.Int64, "doc_row": pl.Int64}
CHOSEN_SCHEMA = {**PAIR_SCHEMA, "score": pl.Float64, "given": pl.Boolean}
RANKED_SCHEMA = {"query_id": pl.UInt64, "doc_id": pl.UInt64, "score": pl.Float64, "rank": pl.UInt32,
                 "given": pl.Boolean}


@dataclass(frozen=True)
class MiningInputs:
    """What every chunk reads: embeddings row-aligned with canon.queries / canon.corpus, their ids, the index."""

    queries: np.ndarray
    docs: np.ndarray
    index: SearchIndex
    query_ids: np.ndarray
    doc_ids: np.ndarray
    first_depth: int  # candidates of the first search, the same for every chunk
    # Per document, the first document the encoder sees as the same text (`case_links.seen_as`); None: each its own.
    seen_as: np.ndarray | None = None


@dataclass
class ChunkResult:
    chosen: pl.DataFrame | Path  # query_id, doc_id, score, rank, given (ranked_ids); Path: written there (spill)
    ranked_low: pl.DataFrame  # query_row, doc_row: pairs whose positive ranks below max_positive_rank
    skipped: dict[str, Counter]  # {"mined"|"given": {reason: count}}, each query's last pass
    considered: Counter
    positive_scores: np.ndarray
    deepened: int
    rank_searches: int = 0  # queries searched again to count a positive's rank (max_positive_rank)


def mine_chunk(pending: pl.DataFrame, inputs: MiningInputs, config: MiningConfig, deepen: bool,
               every_given: bool = False) -> ChunkResult:
    """`pending` holds rows of the query plan (query_row, positive_rows, known_rows, given_rows); `every_given`:
    see `choose_negatives`."""
    docs, depth = inputs.docs, inputs.first_depth
    deepest = max(depth, min(len(docs), MAX_DEPTH))
    skipped, considered, parts, deepened = {"mined": Counter(), "given": Counter()}, Counter(), [], 0
    # The query-positive scores do not change between passes: once per chunk, for the margin and the manifest.
    positive_rows = padded(pending["positive_rows"])
    own = scores_with(inputs.queries[pending["query_row"].to_numpy()], docs, positive_rows)
    searched, ranked_low, rank_searches = None, pl.DataFrame(schema=PAIR_SCHEMA), 0
    if config.max_positive_rank:
        searched = inputs.index.search(inputs.queries[pending["query_row"].to_numpy()], depth)
        low, rank_searches = positive_rank.ranked_low(pending, inputs, positive_rows, own, config.max_positive_rank,
                                                      searched)
        query_index, column = np.nonzero(low)
        ranked_low = pl.DataFrame({"query_row": pending["query_row"].to_numpy()[query_index],
                                   "doc_row": positive_rows[query_index, column]})
        positive_rows = np.where(low, -1, positive_rows)
        kept = (positive_rows >= 0).any(axis=1)  # a query with no positive left needs no negatives
        pending, own, positive_rows = pending.filter(pl.Series(kept)), own[kept], positive_rows[kept]
        searched = (searched[0][kept], searched[1][kept])
    lowest = np.where(positive_rows >= 0, own, np.inf).min(axis=1)
    neighbors = positive_neighbors(pending, inputs, config.positive_neighbors)
    while True:
        last = not deepen or depth >= deepest
        short = []
        step = max(1, CANDIDATE_BUDGET // depth)  # queries per search: bounds the (queries x depth) arrays
        for start in range(0, pending.height, step):
            part = pending.slice(start, step)
            vectors = inputs.queries[part["query_row"].to_numpy()]
            found = (searched[0][start:start + step], searched[1][start:start + step]) if searched else None
            candidates, rows = candidate_search.candidates(part, vectors, docs, inputs.index, depth,
                                                           lowest[start:start + step], neighbors, found)
            query_ids, doc_ids = inputs.query_ids[part["query_row"].to_numpy()], inputs.doc_ids[np.maximum(rows, 0)]
            itself = candidates.valid & (doc_ids == query_ids[:, None])  # a document with the query's own text
            copies = None if inputs.seen_as is None else copies_in_rows(rows, candidates.valid, inputs.seen_as)
            candidates = replace(candidates, is_positive=candidates.is_positive | itself, copy_of_earlier=copies)
            masks = removal_masks(candidates, config)
            kept = candidates.valid.copy()
            for mask in masks.values():
                kept &= ~mask
            priority = None
            if "random" in (config.sampling, config.given_sampling):
                priority = sampling_priority(query_ids, doc_ids, config.seed)
            chosen = choose_negatives(candidates, kept, config, priority, every_given)
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
    chosen = ranked_ids(pl.concat(parts) if parts else pl.DataFrame(schema=CHOSEN_SCHEMA), inputs)
    return ChunkResult(chosen, ranked_low, skipped, considered, own[positive_rows >= 0], deepened, rank_searches)


def _chosen_frame(chunk: pl.DataFrame, rows: np.ndarray, candidates: Candidates, chosen: np.ndarray) -> pl.DataFrame:
    query_index, column = np.nonzero(chosen)
    return pl.DataFrame({
        "query_row": chunk["query_row"].to_numpy()[query_index],
        "doc_row": rows[query_index, column],
        "score": candidates.scores[query_index, column].astype(np.float64),
        "given": candidates.given[query_index, column],
    })


def ranked_ids(chosen: pl.DataFrame, inputs: MiningInputs) -> pl.DataFrame:
    """Chosen (query_row, doc_row) as ids, ranked by descending score (ties by doc id). In the chunk, so that
    mining holds only these (631,000 queries x 3: about 50 MiB), never the rows and the ids of all chunks at once."""
    frame = chosen.select(
        query_id=pl.Series(inputs.query_ids[chosen["query_row"].to_numpy()], dtype=pl.UInt64),
        doc_id=pl.Series(inputs.doc_ids[chosen["doc_row"].to_numpy()], dtype=pl.UInt64),
        score="score",
        given="given",
        query_row="query_row",
    ).sort("query_row", "score", "doc_id", descending=[False, True, False])
    return frame.with_columns(rank=pl.int_range(1, pl.len() + 1, dtype=pl.UInt32).over("query_row")).select(
        list(RANKED_SCHEMA))
