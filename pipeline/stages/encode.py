"""Encode each distinct normalised text once, longest first, through the embedding cache."""

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl
from rich.progress import Progress

from pipeline.config import EncoderConfig
from pipeline.stages.embedding_cache import EmbeddingCache, default_cache_dir, fingerprint_model

CHUNK = 4096  # texts per encode call and per cache part: an interrupted run keeps what it finished

# Encodes chunks of (id, text), saving each to the cache, and returns their (id, embedding) frames.
ChunkEncoder = Callable[[list[pl.DataFrame], str | None, EmbeddingCache], list[pl.DataFrame]]


@dataclass
class EncodeStats:
    encoded: int = 0
    cached: int = 0
    seconds: float = 0.0


class Encoder:
    """A sentence-transformers model behind the embedding cache. `setup()` loads it; nothing heavy before."""

    def __init__(self, config: EncoderConfig) -> None:
        self.config = config
        self.model = None
        self.fingerprint = ""
        self.stats = EncodeStats()

    def setup(self) -> "Encoder":
        import transformers
        from sentence_transformers import SentenceTransformer

        from pipeline.report.tokens import default_model_path

        name = self.config.model or str(default_model_path())
        transformers.utils.logging.disable_progress_bar()
        self.model = SentenceTransformer(name, device="cpu")
        if self.config.backend == "int8":
            self.model = _quantize(self.model)
        if self.config.max_seq_length:
            self.model.max_seq_length = self.config.max_seq_length
        self.fingerprint = f"{fingerprint_model(name)}-{self.config.backend}-{self.model.max_seq_length}"
        return self

    @property
    def dimension(self) -> int:
        return self.model.get_embedding_dimension()

    def embed(self, texts: pl.DataFrame, prompt: str | None, encode_chunks: ChunkEncoder | None = None) -> np.ndarray:
        """Normalised float32 embeddings of `texts` (columns id, text), row-aligned with it. The texts missing
        from the cache are encoded in chunks of CHUNK, longest first, by `encode_chunks` (default: this model)."""
        root = Path(self.config.cache_dir) if self.config.cache_dir else default_cache_dir()
        cache = EmbeddingCache(root, self.fingerprint, prompt)
        cached = cache.load(texts["id"])
        missing = texts.join(cached.select("id"), on="id", how="anti").sort(
            pl.col("text").str.len_bytes(), "id", descending=[True, False])
        chunks = [missing.slice(offset, CHUNK) for offset in range(0, missing.height, CHUNK)]
        start = time.perf_counter()
        parts = [cached] if cached.height else []
        parts += (encode_chunks or self.encode_here)(chunks, prompt, cache)
        self.stats.encoded += missing.height
        self.stats.cached += cached.height
        self.stats.seconds += time.perf_counter() - start
        if not parts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        found = pl.concat(parts)
        aligned = texts.select("id").join(found, on="id", how="left", maintain_order="left")
        return aligned["embedding"].to_numpy().astype(np.float32, copy=False)

    def encode_here(self, chunks: list[pl.DataFrame], prompt: str | None, cache: EmbeddingCache
                    ) -> list[pl.DataFrame]:
        parts, total = [], sum(chunk.height for chunk in chunks)
        with Progress(transient=True) as progress:
            task = progress.add_task(f"encoding {total:,} texts", total=total)
            for chunk in chunks:
                parts.append(self.encode_chunk(chunk, prompt, cache))
                progress.advance(task, chunk.height)
        return parts

    def encode_chunk(self, chunk: pl.DataFrame, prompt: str | None, cache: EmbeddingCache) -> pl.DataFrame:
        """(id, embedding) of one chunk, saved to the cache first: a chunk encoded is never encoded again."""
        vectors = self.model.encode(chunk["text"].to_list(), batch_size=self.config.batch_size, prompt=prompt,
                                    normalize_embeddings=True, convert_to_numpy=True)
        cache.save(chunk["id"].to_numpy(), vectors)
        return pl.DataFrame({"id": chunk["id"], "embedding": pl.Series(vectors.astype(np.float32))})


def _quantize(model: object) -> object:
    """Dynamic int8 quantisation of every Linear layer, per output channel (per-tensor loses too much on MiniLM).

    ST's own ONNX/OpenVINO backends need optimum, whose releases pin transformers below the 5.x this project
    uses; torch's dynamic quantisation needs nothing more. benchmarks/mine_vs_st.py measures what it changes.
    """
    import warnings

    import torch
    from torch.ao.quantization import per_channel_dynamic_qconfig, quantize_dynamic

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch announces the move of this API to torchao
        return quantize_dynamic(model, {torch.nn.Linear: per_channel_dynamic_qconfig}, dtype=torch.qint8)
