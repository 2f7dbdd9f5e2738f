"""Mine hard negatives: search the index per chunk of queries, filter false negatives, choose K per query."""

from collections import Counter
from dataclasses import dataclass, field, replace

import numpy as np
import polars as pl

from pipeline.canonical import Canonical
from pipeline.config import MiningConfig
from pipeline.stages.dedupe import Links
from pipeline.stages.index import SearchIndex
from pipeline.stages.select import (
    Candidates,
    choose_negatives,
    default_range_max,
    removal_masks,
    sampling_priority,
)

SIMILARITY_BUDGET = 4 * 2**20  # floats per block of candidates x known positives, bounds memory
DEEPEN, MAX_DEEPENING = 4, 2


@dataclass
class MiningResult:
    negatives: pl.DataFrame  # query_id, doc_id, score, rank, source: the chosen K (or fewer) per query
    skipped: dict = field(default_factory=dict)  # {"mined"|"given": {reason: count}}
    candidates: dict = field(default_factory=dict)  # {"mined"|"given": count considered}
    positive_scores: np.ndarray = field(default_factory=lambda: np.zeros(0, np.float32))
    range_max: int = 0
    deepened: int = 0  # query searches repeated deeper because the first candidates held fewer than K negatives


def padded(lists: pl.Series, fill: int = -1) -> np.ndarray:
    """A list column as an (n, width) int64 matrix, padded with `fill`."""
    width = int(lists.list.len().max() or 0)
    if width == 0:
        return np.full((len(lists), 0), fill, dtype=np.int64)
    columns = [lists.list.get(i, null_on_oob=True).fill_null(fill).to_numpy() for i in range(width)]
    return np.stack(columns, axis=1).astype(np.int64)


def mine_negatives(canon: Canonical, queries: np.ndarray, docs: np.ndarray, index: SearchIndex,
                   config: MiningConfig, query_links: Links | None = None, deepen: bool = True) -> MiningResult:
    """`queries` and `docs` are the embeddings of canon.queries and canon.corpus, row-aligned. With
    `query_links` (near-duplicate query rows), a query's known positives include those of its near-duplicates.

    Queries left with fewer than K negatives are searched again, DEEPEN times deeper each time (up to
    MAX_DEEPENING passes): with many positives the margin filter can empty the first candidates, while deeper
    ranks still hold valid negatives. Statistics count each query's last pass only. With `deepen` False the
    first search is the only one (the fill policies other than "mine" complete the short queries instead).
    """
    plan = _query_plan(canon, query_links)
    max_positives = int(plan["positive_rows"].list.len().max() or 0)
    config = replace(config, range_max=default_range_max(config, max_positives))
    max_known = int(plan["known_rows"].list.len().max() or 0)
    first_depth = min(config.range_max + max_known, len(docs))
    result = MiningResult(negatives=pl.DataFrame(), range_max=config.range_max)
    skipped = {"mined": Counter(), "given": Counter()}
    considered = Counter()
    chosen_parts, positive_scores = [], []
    for start in range(0, plan.height, config.query_chunk):
        pending, depth = plan.slice(start, config.query_chunk), first_depth
        # The query-positive scores do not change between passes: once per chunk, for the margin and the manifest.
        positive_rows = padded(pending["positive_rows"])
        own = _scores_with(queries[pending["query_row"].to_numpy()], docs, positive_rows)
        positive_scores.append(own[positive_rows >= 0])
        lowest = np.where(positive_rows >= 0, own, np.inf).min(axis=1)
        for attempt in range(MAX_DEEPENING + 1):
            vectors = queries[pending["query_row"].to_numpy()]
            candidates, rows = _candidates(pending, vectors, docs, index, depth, lowest)
            masks = removal_masks(candidates, config)
            kept = candidates.valid.copy()
            for mask in masks.values():
                kept &= ~mask
            priority = None
            if config.sampling == "random":
                query_ids = canon.queries["query_id"].gather(pending["query_row"]).to_numpy()
                doc_ids = canon.corpus["doc_id"].to_numpy()[np.maximum(rows, 0)]
                priority = sampling_priority(query_ids, doc_ids, config.seed)
            chosen = choose_negatives(candidates, kept, config, priority)
            final = ((chosen.sum(axis=1) >= config.negatives) | (attempt == MAX_DEEPENING) | (depth >= len(docs))
                     | (not deepen))
            for reason, mask in masks.items():
                skipped["mined"][reason] += int((mask & ~candidates.given)[final].sum())
                skipped["given"][reason] += int((mask & candidates.given)[final].sum())
            considered["mined"] += int((candidates.valid & ~candidates.given)[final].sum())
            considered["given"] += int((candidates.valid & candidates.given)[final].sum())
            chosen_parts.append(_chosen_frame(pending, rows, candidates, chosen & final[:, None]))
            if final.all():
                break
            result.deepened += int((~final).sum())
            pending, lowest = pending.filter(pl.Series(~final)), lowest[~final]
            depth = min(depth * DEEPEN, len(docs))
    result.skipped = {source: dict(counts) for source, counts in skipped.items()}
    result.candidates = dict(considered)
    result.positive_scores = np.concatenate(positive_scores) if positive_scores else np.zeros(0, np.float32)
    result.negatives = _to_ids(canon, pl.concat(chosen_parts) if chosen_parts else None)
    return result


def _query_plan(canon: Canonical, query_links: Links | None) -> pl.DataFrame:
    """Per query with at least one positive: its row in `queries`, the rows of its positives, of the positives
    of it and its near-duplicate queries (`known_rows`, all excluded) and of its given negatives."""
    doc_rows = canon.corpus.select("doc_id", doc_row=pl.int_range(pl.len(), dtype=pl.Int64))
    query_rows = canon.queries.select("query_id", query_row=pl.int_range(pl.len(), dtype=pl.Int64))
    positives = canon.positives.join(doc_rows, on="doc_id").join(query_rows, on="query_id")
    own = positives.group_by("query_id").agg(positive_rows=pl.col("doc_row"))
    links = query_links or Links(np.zeros(0, np.int64), np.zeros(0, np.int64), canon.queries.height)
    pairs = pl.concat([query_rows.select(query_row="query_row", other="query_row"),
                       pl.DataFrame({"query_row": links.source, "other": links.target})])
    known = (pairs.join(positives.select(other="query_row", doc_row="doc_row"), on="other")
             .group_by("query_row").agg(known_rows=pl.col("doc_row").unique().sort()))
    # canon.negatives is in input order (row, then position in the row): keep it.
    given = canon.negatives.join(doc_rows, on="doc_id", maintain_order="left").group_by(
        "query_id", maintain_order=True).agg(given_rows=pl.col("doc_row"))
    return (query_rows.join(own, on="query_id", how="inner", maintain_order="left")
            .join(known, on="query_row", how="left", maintain_order="left")
            .join(given, on="query_id", how="left", maintain_order="left")
            .with_columns(pl.col("given_rows").fill_null([])))


def _candidates(chunk: pl.DataFrame, query_vectors: np.ndarray, docs: np.ndarray, index: SearchIndex,
                depth: int, lowest_positive: np.ndarray) -> tuple[Candidates, np.ndarray]:
    given_rows = padded(chunk["given_rows"])
    known_rows = padded(chunk["known_rows"])
    mined_scores, mined_rows = index.search(query_vectors, depth)
    # A mined document that is also a given negative is the same candidate: keep the given one.
    repeated = (mined_rows[:, :, None] == given_rows[:, None, :]).any(axis=2) if given_rows.size else False
    mined_rows = np.where(repeated, -1, mined_rows)
    rows = np.concatenate([given_rows, mined_rows], axis=1)
    valid = rows >= 0
    given_scores = _scores_with(query_vectors, docs, given_rows)
    scores = np.where(valid, np.concatenate([given_scores, mined_scores], axis=1), -np.inf)
    is_known, similarity = _against_known(docs, rows, known_rows)
    candidates = Candidates(
        scores=scores.astype(np.float32),
        valid=valid,
        given=np.concatenate([np.ones_like(given_rows, bool), np.zeros_like(mined_rows, bool)], axis=1),
        is_positive=is_known & valid,
        positive_similarity=similarity,
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


def _to_ids(canon: Canonical, chosen: pl.DataFrame | None) -> pl.DataFrame:
    """Chosen (query_row, doc_row) back to ids, ranked by descending score (ties by doc id)."""
    schema = {"query_id": pl.UInt64, "doc_id": pl.UInt64, "score": pl.Float64, "rank": pl.UInt32,
              "source": pl.String}
    if chosen is None or chosen.is_empty():
        return pl.DataFrame(schema=schema)
    query_ids = canon.queries["query_id"]
    doc_ids = canon.corpus["doc_id"]
    frame = chosen.select(
        query_id=query_ids.gather(chosen["query_row"]),
        doc_id=doc_ids.gather(chosen["doc_row"]),
        score="score",
        source="source",
        query_row="query_row",
    ).sort("query_row", "score", "doc_id", descending=[False, True, False])
    return frame.with_columns(rank=pl.int_range(1, pl.len() + 1, dtype=pl.UInt32).over("query_row")).select(
        list(schema))
