"""The Ray engine's corpus index sharded over actors: each shard searched in parallel, their top-k merged."""

from dataclasses import dataclass, replace
from itertools import pairwise

import numpy as np

from pipeline.config import MiningConfig
from pipeline.stages.index import SearchIndex, empty_index


class IndexShard:
    """One shard of the corpus index: the embeddings of corpus rows offset.. in a copy of the trained index."""

    def __init__(self, index: SearchIndex, vectors: np.ndarray, offset: int) -> None:
        self.index, self.offset = index.holding(vectors), offset

    def search(self, queries: np.ndarray, depth: int, nprobe: int | None) -> tuple[np.ndarray, np.ndarray]:
        scores, rows = replace(self.index, nprobe=nprobe).search(queries, depth)
        return scores, np.where(rows >= 0, rows + self.offset, -1)


@dataclass(frozen=True)
class ShardedIndex:
    """The corpus index as shards on actors. Every shard holds its part in a copy of one trained index (IVF: the
    same lists) and is searched with this nprobe, so the merged top-k of the shards is the top-k of the whole
    index. nprobe travels with each search, so a restarted actor searches the same way."""

    shards: tuple
    kind: str
    nprobe: int | None

    def search(self, queries: np.ndarray, depth: int) -> tuple[np.ndarray, np.ndarray]:
        import faiss
        import ray

        found = ray.get([shard.search.remote(queries, depth, self.nprobe) for shard in self.shards])
        return faiss.merge_knn_results(np.stack([scores for scores, _ in found]),
                                       np.stack([rows for _, rows in found]), keep_max=True)


def build_sharded_index(shards: int, embeddings: np.ndarray, config: MiningConfig, retries: int) -> ShardedIndex:
    """The corpus index trained once, then its rows split over `shards` actors (restarted up to `retries` times)."""
    import ray

    trained = empty_index(embeddings, config)  # IVF is trained here, once, on the same sample as the local engine
    actor = ray.remote(num_cpus=0, max_restarts=retries, max_task_retries=retries,
                       scheduling_strategy="SPREAD")(IndexShard)  # on as many nodes as there are
    bounds = np.linspace(0, len(embeddings), shards + 1).astype(int)
    handles = tuple(actor.remote(trained, embeddings[start:end], int(start))
                    for start, end in pairwise(bounds))
    return ShardedIndex(handles, trained.kind, trained.nprobe)
