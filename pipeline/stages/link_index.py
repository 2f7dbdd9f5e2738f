"""The index that the dedupe's links are searched in: exact for few texts, else IVF, kept in shards of bounded size.

A link lies at a high cosine (0.90 by default), where an IVF index's probed lists hold it; the index trains on a
bounded sample and holds a bounded shard of the texts at a time, so that its memory does not grow with them."""

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace

import numpy as np

from pipeline.config import MiningConfig
from pipeline.stages.index import SearchIndex, empty_index
from pipeline.stages.vector_file import BLOCK_BYTES, VectorFile

# At a threshold of IVF_FROM_COSINE or more, links are searched exactly up to EXACT_MAX texts and in an IVF index
# above (unless `mining.index` says otherwise): IVF's 32 probed lists hold every link at such cosines. 24,616 real
# texts (MiniLM): the same links as exact search at 0.7 to 0.95, in 2.0 s against 3.0; 264,000 x 64-d: the same
# links, 20 s against 134 (exact is n^2). Lower thresholds keep the corpus index's choice (`mining.exact_max_docs`):
# on random vectors IVF missed 1% of the links at 0.7, 14% at 0.5.
EXACT_MAX = 20_000
IVF_FROM_COSINE = 0.8
# The links' IVF index trains its lists on at most LINK_BYTES of float32 rows and holds its rows in shards of
# LINK_BYTES of half-precision codes (plus 8 bytes of row number each), so that its memory does not grow with the
# texts: 189,442 x 384-d queries held 139 MiB of codes and trained on 163 (the dedupe stage +236 MiB over the index
# stage in `mine_scale.py`; +142 in shards of 64 MiB). Scratch runs found the same links from samples of 6 to 64
# rows a list (24,616 real texts under MiniLM; 200,000 x 384-d with planted copies), and in shards as in one index;
# 32 MiB instead of 64 changed 1 of 8,000 planted links at 408,000 x 384-d (missed) and 1 of 13,206 at 665,856 x
# 64-d (found), for a peak 60-64 MiB lower. The lists each row probes are found once for all shards
# (`probed_lists`), not again in each shard: a pass over every centroid, 25 s for 1M x 384-d rows and 4,039 lists.
LINK_BYTES = 32 * 2**20


def link_index(vectors: np.ndarray, threshold: float, config: MiningConfig) -> SearchIndex:
    """The index that links at cosine >= `threshold` among `vectors` are searched in (`link_similar`): exact,
    holding them; or IVF, trained on at most LINK_BYTES of them and holding none (`in_shards` fills it)."""
    if threshold >= IVF_FROM_COSINE:
        config = replace(config, exact_max_docs=min(config.exact_max_docs, EXACT_MAX))
    index = empty_index(vectors, config, most_sampled=max(1, LINK_BYTES // (4 * vectors.shape[1])))
    if index.ivf is None:
        return index.holding(vectors)
    index.ivf.by_residual = False  # codes of the rows themselves: a search given its lists needs no centroid scores
    return index


def in_shards(index: SearchIndex, vectors: np.ndarray | VectorFile, search: Callable[[SearchIndex, object], list],
              searching: np.ndarray | VectorFile | None = None) -> list:
    """`search(shard, lists)` for each shard of `index` over `vectors`' rows, the results in one list: `index`
    itself where it holds them (flat, or a filled IVF index); for an IVF index that holds none (`link_index`),
    copies of it that hold LINK_BYTES of half-precision codes each, rows under their own numbers, one copy at a time.
    Each row probes the same lists in each shard as in one index of all the rows, so a search of every row in every
    shard finds the links one index finds, but that each shard keeps up to `dedupe.MOST_NEIGHBOURS` (`nearest_links`
    keeps a row's nearest). `lists`: with several shards, the lists each row of `searching` probes
    (`probed_lists`), else None."""
    if index.ivf is None or index.ivf.ntotal:
        return search(index, None)
    found = []
    step, block = max(1, LINK_BYTES // (2 * vectors.shape[1])), max(1, BLOCK_BYTES // (4 * vectors.shape[1]))
    with probed_lists(index, searching if len(vectors) > step else None) as lists:
        for start in range(0, len(vectors), step):
            shard = _shard(index.ivf, vectors, start, min(start + step, len(vectors)), block)
            shard.nprobe = index.nprobe  # a search given its lists (`SearchIndex.search`) takes the index's own
            found += search(replace(index, vectors=vectors, ivf=shard), lists)
            del shard  # freed before the next is filled
    return found


def _shard(ivf: object, vectors: np.ndarray | VectorFile, start: int, stop: int, block: int) -> object:
    """A copy of the trained `ivf` holding rows `start:stop` under their own numbers, each list allocated once at
    its size: grown row by row, FAISS's lists double, and a shard of 64 MiB of codes and 4 of row numbers held
    107 MiB (524,288 x 64-d rows, 3,231 lists)."""
    import faiss

    shard = faiss.clone_index(ivf)  # the trained lists alone
    blocks = [np.arange(first, min(first + block, stop)) for first in range(start, stop, block)]
    lists = np.concatenate([ivf.quantizer.assign(np.ascontiguousarray(vectors[rows], dtype=np.float32), 1)[:, 0]
                            for rows in blocks])
    for number, size in enumerate(np.bincount(lists[lists >= 0], minlength=ivf.nlist).tolist()):  # -1: not finite
        shard.invlists.resize(number, size)  # allocates exactly `size` entries
        shard.invlists.resize(number, 0)  # and keeps them, empty, for the rows added next
    for rows in blocks:
        part, assigned = np.ascontiguousarray(vectors[rows], dtype=np.float32), lists[rows - start]
        shard.add_core(len(rows), faiss.swig_ptr(part), faiss.swig_ptr(rows), faiss.swig_ptr(assigned))
    return shard


@contextmanager
def probed_lists(index: SearchIndex, searching: np.ndarray | VectorFile | None) -> Iterator[object]:
    """The `index.nprobe` lists of `index` that each row of `searching` probes, found once for a search in several
    shards (`SearchIndex.search(lists=)`); in a file beside `searching`'s if it has one, removed after the block."""
    if searching is None:
        yield None
        return
    # signed: a row that is not finite probes list -1, which the search skips
    shape, dtype = (len(searching), index.nprobe), np.int16 if index.ivf.nlist < 2**15 else np.int32
    on_disk = isinstance(searching, VectorFile)
    lists = searching.beside("lists", shape[1], dtype) if on_disk else np.empty(shape, dtype)
    try:
        step = max(1, BLOCK_BYTES // (4 * searching.shape[1]))
        for start in range(0, len(searching), step):
            part = np.ascontiguousarray(searching[start:start + step], dtype=np.float32)
            lists[start:start + len(part)] = index.ivf.quantizer.search(part, index.nprobe)[1]
        yield lists
    finally:
        if on_disk:
            lists.path.unlink(missing_ok=True)
