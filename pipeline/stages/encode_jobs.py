"""The encoder's unit of work: a chunk of texts to encode (EncodeJob), saved to its cache, and the (id, embedding)
frames it gives copied back into the row order of the requests (Aligned)."""

from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np
import polars as pl

from pipeline.stages.embedding_cache import EmbeddingCache
from pipeline.stages.vector_file import VectorFile


@dataclass(frozen=True)
class EncodeJob:
    """One chunk of (id, text) to encode with `prompt` and save to `cache`."""

    texts: pl.DataFrame
    prompt: str | None
    cache: EmbeddingCache


# Encodes the jobs, each saved to its cache first, and gives their (id, embedding) frames in the jobs' order.
ChunkEncoder = Callable[[list[EncodeJob]], Iterable[pl.DataFrame]]


class Aligned:
    """An embeddings array in the order of `texts`, filled from (id, embedding) frames: in memory, or `vectors` given
    (a VectorFile of texts.height rows)."""

    def __init__(self, texts: pl.DataFrame, dimension: int, vectors: VectorFile | None = None) -> None:
        self.vectors = np.empty((texts.height, dimension), dtype=np.float32) if vectors is None else vectors
        self.rows = texts.select("id", row=pl.int_range(pl.len(), dtype=pl.Int64))
        self.filled = np.zeros(texts.height, bool)

    def take(self, frame: pl.DataFrame) -> None:
        """Copies the frame's embeddings (one job's, at most CHUNK rows) of the texts it holds."""
        found = frame.join(self.rows, on="id")
        self.vectors[found["row"].to_numpy()] = found["embedding"].to_numpy()
        self.filled[found["row"].to_numpy()] = True

    def result(self) -> np.ndarray:
        if not self.filled.all():  # a bug, not bad input
            raise RuntimeError(f"{int((~self.filled).sum())} texts have no embedding")
        return self.vectors


def saved(job: EncodeJob, vectors: np.ndarray) -> pl.DataFrame:
    job.cache.save(job.texts["id"].to_numpy(), vectors)
    return pl.DataFrame({"id": job.texts["id"], "embedding": pl.Series(vectors.astype(np.float32))})
