"""Choosing hard negatives from scored candidates: pure functions on numpy arrays, no model, no index.

A chunk of n queries has c candidates each (given negatives first, in input order, then mined ones in descending
score), padded with `valid == False`. Filters remove false negatives; `choose_negatives` then keeps up to K of the
given survivors and fills up to K from the mined survivors inside the rank window.
"""

from dataclasses import dataclass

import numpy as np

from pipeline.config import MiningConfig

# Order matters: a candidate is counted under the first reason that removes it.
REASONS = ("is_positive", "near_duplicate_of_positive", "near_copy_of_query", "above_relative_margin",
           "above_absolute_margin", "neighbor_of_positive", "above_max_score", "below_min_score", "copy_of_a_candidate")


@dataclass(frozen=True)
class Candidates:
    """Scores and flags of the candidates of n queries, shape (n, c)."""

    scores: np.ndarray  # cosine(query, candidate)
    valid: np.ndarray  # False for padding
    given: np.ndarray  # True for negatives from the input
    is_positive: np.ndarray  # the candidate is one of the query's known positives (by id), or its own text
    positive_similarity: np.ndarray  # max cosine(candidate, any known positive of the query)
    positive_neighbor: np.ndarray  # among the `positive_neighbors` nearest documents of a known positive
    lowest_positive: np.ndarray  # (n,) the query's lowest positive score; +inf (nothing too close) when none
    copy_of_earlier: np.ndarray | None = None  # the same text to the encoder as an earlier candidate (copies_in_rows)


def relative_threshold(lowest_positive: np.ndarray, margin: float) -> np.ndarray:
    """Scores above this are too close to the positive. Sign-safe: subtracts |p| * margin, as ST does."""
    return lowest_positive - np.abs(lowest_positive) * margin


def removal_masks(candidates: Candidates, config: MiningConfig) -> dict[str, np.ndarray]:
    """For each reason, the valid candidates it removes that no earlier reason removed.

    Given negatives are checked too, unless `trust_given_negatives`; known positives are always removed.
    """
    scores, lowest = candidates.scores, candidates.lowest_positive[:, None]
    checked = candidates.valid & ~(candidates.given & config.trust_given_negatives)
    tests = {
        "is_positive": candidates.valid & candidates.is_positive,
        "near_duplicate_of_positive": checked & (candidates.positive_similarity >= config.near_duplicate),
        # a copy of the query's own text (its exact text is `is_positive`): the query itself as its negative
        "near_copy_of_query": checked & (scores >= config.near_duplicate),
        "above_relative_margin": checked & (scores > relative_threshold(lowest, config.relative_margin))
        if config.relative_margin is not None else None,
        "above_absolute_margin": checked & (scores + config.absolute_margin > lowest)
        if config.absolute_margin is not None else None,
        "neighbor_of_positive": checked & candidates.positive_neighbor if config.positive_neighbors else None,
        "above_max_score": checked & (scores > config.max_score) if config.max_score is not None else None,
        "below_min_score": checked & (scores < config.min_score) if config.min_score is not None else None,
        # A row would hold the negative twice: ST and lint's padding-negative see one text.
        "copy_of_a_candidate": checked & candidates.copy_of_earlier
        if candidates.copy_of_earlier is not None else None,
    }
    removed = np.zeros_like(candidates.valid)
    masks = {}
    for reason in REASONS:
        test = tests[reason]
        if test is None:
            continue
        masks[reason] = test & ~removed
        removed |= masks[reason]
    return masks


def sampling_priority(query_ids: np.ndarray, doc_ids: np.ndarray, seed: int) -> np.ndarray:
    """A uniform [0, 1) draw per (query, document) pair that depends on nothing else: the random choice of a query
    stays the same whatever other queries, chunking or corpus order a run has (splitmix64 of the ids and seed)."""
    with np.errstate(over="ignore"):
        mixed = (query_ids.astype(np.uint64)[:, None] * np.uint64(0x9E3779B97F4A7C15)) ^ doc_ids.astype(np.uint64)
        mixed ^= np.uint64(seed) * np.uint64(0xBF58476D1CE4E5B9)
        for shift, factor in ((30, 0xBF58476D1CE4E5B9), (27, 0x94D049BB133111EB)):
            mixed = (mixed ^ (mixed >> np.uint64(shift))) * np.uint64(factor)
        mixed ^= mixed >> np.uint64(31)
    return (mixed >> np.uint64(11)).astype(np.float64) / float(1 << 53)


def choose_negatives(candidates: Candidates, kept: np.ndarray, config: MiningConfig,
                     priority: np.ndarray | None = None, every_given: bool = False) -> np.ndarray:
    """A (n, c) mask of the chosen candidates: given survivors first (the first K in input order, the K highest
    scores or K seeded at random, as `given_sampling` says; with `every_given` all of them, for a flag layout with
    all_negatives), then mined survivors up to K in the rank window [range_min, range_max) of the surviving mined
    candidates, `top`, or `random` by the candidates' `priority` (see `sampling_priority`)."""
    k = config.negatives
    given = kept & candidates.given
    if every_given or config.given_sampling == "first":
        take_given = given if every_given else given & (np.cumsum(given, axis=1) <= k)
    else:
        key = candidates.scores if config.given_sampling == "top" else _drawn(priority)
        take_given = given & (_order(given, key) <= k)
    need = k - take_given.sum(axis=1, keepdims=True)
    mined = kept & ~candidates.given
    rank = np.cumsum(mined, axis=1) - 1
    window = mined & (rank >= config.range_min)
    if config.range_max is not None:
        window &= rank < config.range_max
    order = np.cumsum(window, axis=1) if config.sampling == "top" else _order(window, _drawn(priority))
    return take_given | (window & (order <= need))


def _drawn(priority: np.ndarray | None) -> np.ndarray:
    if priority is None:
        raise ValueError("random sampling needs each candidate's priority (sampling_priority)")
    return priority


def _order(mask: np.ndarray, priority: np.ndarray) -> np.ndarray:
    """(n, c): each candidate's 1-based place by descending priority among the `mask` ones of its row (ties: the
    earlier first; NaN last); the others come after them."""
    keyed = np.where(mask, np.nan_to_num(priority, nan=-np.finfo(priority.dtype).max), -np.inf)
    order = np.empty(mask.shape, dtype=np.int64)
    places = np.broadcast_to(np.arange(1, mask.shape[1] + 1), mask.shape)
    np.put_along_axis(order, np.argsort(-keyed, axis=1, kind="stable"), places, axis=1)
    return order


def copies_in_rows(rows: np.ndarray, valid: np.ndarray, seen_as: np.ndarray) -> np.ndarray:
    """(n, c): the candidate is the same text to the encoder (`seen_as`: per document, the first document that it
    sees as the same text) as an earlier valid candidate of its row: given ones first, then mined ones by score."""
    width = rows.shape[1]
    keys = np.where(valid, seen_as[np.maximum(rows, 0)], -1 - np.arange(width))  # padding matches nothing
    order = np.argsort(keys, axis=1, kind="stable")  # stable: the earliest of equal keys comes first
    ordered = np.take_along_axis(keys, order, axis=1)
    repeated = np.zeros(rows.shape, dtype=bool)
    repeated[:, 1:] = ordered[:, 1:] == ordered[:, :-1]
    copies = np.zeros(rows.shape, dtype=bool)
    np.put_along_axis(copies, order, repeated, axis=1)
    return copies


def default_range_max(config: MiningConfig, max_positives: int) -> int:
    """ST's default when margins are set: room for 10 candidates per negative, plus the positives."""
    if config.range_max is not None:
        return config.range_max
    return config.range_min + 10 * config.negatives + max_positives
