"""Semantic dedupe: which texts are near-duplicates (cosine of the encoder at or above a threshold).

Exact and normalised duplicates already share an id (content hash of the normalised text); this stage adds
paraphrases, found among each text's k nearest neighbours (blocking by ANN neighbours, never all pairs; a text
with more than k near-duplicates is searched deeper). Mining and batch conflicts use these direct links;
connected components ("clusters") are only reported, because with an encoder whose cosines all run high, chains
of links would join unrelated texts into one giant cluster.
"""

import logging
from dataclasses import dataclass
from functools import partial

import numpy as np

from pipeline.config import MiningConfig
from pipeline.stages.index import SearchIndex
from pipeline.stages.link_index import in_shards, link_index
from pipeline.stages.task_map import TaskMap, run_here
from pipeline.wording import counted

NEIGHBOURS = 16
# A text with more near-duplicates than NEIGHBOURS is searched deeper, up to this many. Templated data, where each
# text has hundreds, holds links in proportion: 100k texts in groups of 500 took 77 s and 276 MiB with 16, 131 s and
# 1,033 MiB with 64, 343 s and 3,806 MiB with 256 (searched exactly, before IVF_FROM_COSINE).
MOST_NEIGHBOURS = 64
CHUNK = 8192
logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Links:
    """Rows joined by cosine >= threshold, as (source, target) pairs in both directions, never to themselves."""

    source: np.ndarray
    target: np.ndarray
    count: int  # rows in all

    def clusters(self) -> np.ndarray:
        """Connected components, labelled by their smallest row (for statistics)."""
        from scipy.sparse import coo_matrix
        from scipy.sparse.csgraph import connected_components

        if self.count == 0:
            return np.zeros(0, dtype=np.int64)
        graph = coo_matrix((np.ones(len(self.source), np.int8), (self.source, self.target)),
                           shape=(self.count, self.count))
        _, components = connected_components(graph, directed=False)
        smallest = np.full(components.max() + 1, self.count, dtype=np.int64)
        np.minimum.at(smallest, components, np.arange(self.count))
        return smallest[components]


def link_similar(vectors: np.ndarray, threshold: float, index: SearchIndex, neighbours: int = NEIGHBOURS,
                 map_tasks: TaskMap = run_here, chunk: int = CHUNK, most: int = MOST_NEIGHBOURS) -> Links:
    """Links between rows of `vectors` (normalised float32, the rows of `index`, or to be put in it: `in_shards`)
    at cosine >= threshold, searched `chunk` rows at a time (tasks on the Ray engine, which ships `vectors` once a
    shard)."""
    count = len(vectors)
    k = min(neighbours + 1, count)
    deepest = min(max(most, neighbours) + 1, count)
    search = partial(link_chunk, threshold=threshold, k=k, chunk=chunk, deepest=deepest)
    found = in_shards(index, vectors, lambda shard, lists: map_tasks(search, list(range(0, count, chunk)),
                                                                      (vectors, shard, lists)), searching=vectors)
    source, target, capped = nearest_links(found, deepest - 1)
    if len(capped):
        logger.warning("%d texts have more than %d near-duplicates: linked to their %d nearest only", len(capped),
                       deepest - 1, deepest - 1)
    pairs = np.unique(np.stack([np.concatenate([source, target]), np.concatenate([target, source])], axis=1), axis=0)
    return Links(pairs[:, 0], pairs[:, 1], count)


def nearest_links(found: list[tuple[np.ndarray, ...]], most: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The (source, target) pairs of `link_chunk`'s results, each once, in order, at most `most` a source (its
    nearest: a search in shards keeps `most` in each), and the sources that have more."""
    none = np.zeros(0, np.int64)
    pairs = np.stack([np.concatenate([none, *(part[0] for part in found)]),
                      np.concatenate([none, *(part[1] for part in found)])], axis=1)
    scores = np.concatenate([np.zeros(0, np.float32), *(part[2] for part in found)])
    pairs, first = np.unique(pairs, axis=0, return_index=True)  # a row searched again, deeper, finds them again
    nearest = np.lexsort((-scores[first], pairs[:, 0]))  # by source, nearest first (ties: the lower target)
    rank = np.empty(len(pairs), np.int64)
    rank[nearest] = np.arange(len(pairs)) - np.searchsorted(pairs[nearest, 0], pairs[nearest, 0])
    capped = np.union1d(np.concatenate([none, *(part[3] for part in found)]), pairs[rank >= most, 0])
    return pairs[rank < most, 0], pairs[rank < most, 1], capped


def link_chunk(start: int, shared: tuple[np.ndarray, SearchIndex, object], threshold: float, k: int, chunk: int,
               deepest: int, own: bool = True) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(source, target) rows and scores of the links from rows start..start+chunk of `vectors` to rows of the
    index, and the rows that have more near-duplicates in it than `deepest` - 1 (`own`: the index holds `vectors`,
    links to itself left out; else other texts, the documents a query's text is found among). `shared`: vectors,
    index and the lists each row of `vectors` probes in it, or None (`link_index.in_shards`).

    A row whose k-th neighbour is still at or above the threshold has more near-duplicates than k: it is searched
    again, deeper, until its last neighbour falls below (or `deepest` rows are found), so that a group of more than
    k paraphrases keeps every link; the other rows cost one search of depth k."""
    vectors, index, lists = shared
    rows = np.arange(start, min(start + chunk, len(vectors)))
    sources, targets, cosines, capped = [], [], [], rows[:0]
    while len(rows):
        last = k >= deepest
        beyond = last and deepest < len(index.vectors)  # one result more, only to tell whether any near lie beyond
        scores, found = index.search(vectors[rows], k + beyond, floor=threshold,
                                     lists=None if lists is None else lists[rows])
        near = (scores >= threshold) & (found >= 0)
        if beyond:
            capped = rows[near[:, -1]]
            found, near = found[:, :-1], near[:, :-1]
        linked = near & (found != rows[:, None]) if own else near
        sources.append(np.broadcast_to(rows[:, None], found.shape)[linked])
        targets.append(found[linked])
        cosines.append(scores[:, :found.shape[1]][linked])
        if last:
            break
        rows, k = rows[near[:, -1]], min(4 * k, deepest)
    return np.concatenate(sources), np.concatenate(targets), np.concatenate(cosines), capped


def link_rows(vectors: np.ndarray, rows: np.ndarray, threshold: float, config: MiningConfig,
              queries: np.ndarray | None = None) -> tuple[Links, np.ndarray, np.ndarray]:
    """Links among `rows` of `vectors` alone, searched in an index of their own, numbered as rows of `vectors`;
    and the (query row, row of `vectors`) pairs where one of them is a near-copy of a text of `queries`.

    Conflict-free batches need links only among the documents the output holds: searching those rather than the
    whole corpus keeps the cost with the output, and their neighbours are not crowded out by documents it lacks."""
    rows = np.unique(rows)
    none = np.zeros(0, np.int64)
    if len(rows) == 0:
        return Links(none, none, len(vectors)), none, none
    subset = np.ascontiguousarray(vectors[rows])
    index = link_index(subset, threshold, config)
    found = link_similar(subset, threshold, index)
    most = min(MOST_NEIGHBOURS, len(rows))
    search = partial(link_chunk, threshold=threshold, k=min(NEIGHBOURS, len(rows)), chunk=CHUNK, deepest=most,
                     own=False)
    starts = list(range(0, 0 if queries is None else len(queries), CHUNK))
    copies = in_shards(index, subset, lambda shard, lists: run_here(search, starts, (queries, shard, lists)),
                       searching=queries)
    query_rows, copied, capped = nearest_links(copies, most)
    if len(capped):
        logger.warning("%s more than %d near-copies among the output's documents: kept apart from the %d nearest "
                       "only", counted(len(capped), "query has", "queries have"), most, most)
    return Links(rows[found.source], rows[found.target], len(vectors)), query_rows, rows[copied]


def cluster_sizes(labels: np.ndarray) -> dict[str, int]:
    """How many clusters have 1, 2, 3, ... members: {"1": n, "2": n, ...}."""
    if len(labels) == 0:
        return {}
    _, sizes = np.unique(labels, return_counts=True)
    values, counts = np.unique(sizes, return_counts=True)
    return {str(int(v)): int(c) for v, c in zip(values, counts, strict=True)}
