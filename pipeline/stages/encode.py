"""Encode each distinct normalised text once, longest first, through the embedding cache."""

import multiprocessing
import os
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import polars as pl
from rich.progress import Progress

from pipeline.config import EncoderConfig
from pipeline.errors import ConfigError
from pipeline.memory import fix_mmap_threshold
from pipeline.stages.embedding_cache import EmbeddingCache, default_cache_dir, fingerprint_model
from pipeline.stages.load_model import load_model
from pipeline.stages.token_batches import TokenBatches, applied_prompt, tokenising_loader

if TYPE_CHECKING:
    from torch import Tensor

CHUNK = 4096  # texts per encode call and per cache part: an interrupted run keeps what it finished


@dataclass(frozen=True)
class EncodeJob:
    """One chunk of (id, text) to encode with `prompt` and save to `cache`."""

    texts: pl.DataFrame
    prompt: str | None
    cache: EmbeddingCache


# Encodes the jobs, each saved to its cache first, and gives their (id, embedding) frames in the jobs' order.
ChunkEncoder = Callable[[list[EncodeJob]], Iterable[pl.DataFrame]]


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
        self.backend = config.backend  # resolved by setup(): never "auto" after it
        self.tokenizer_workers = 0  # resolved by setup()
        self.fingerprint = ""
        self.stats = EncodeStats()

    def setup(self, encode_device: str | None = None) -> "Encoder":
        """Loads the model here. `encode_device` is where the texts will be encoded if not here (the GPU actors
        of the Ray engine): the backend, and so the cache fingerprint, is the one "auto" picks there."""
        import torch
        import transformers
        from sentence_transformers import SentenceTransformer

        from pipeline.report.tokens import default_model_path

        name = self.config.model or str(default_model_path())
        transformers.utils.logging.disable_progress_bar()
        device = self.config.device or ("cuda" if torch.cuda.is_available() else "cpu")
        self.backend = resolve_backend(self.config.backend, encode_device or device)
        if self.backend == "fp32":  # the faster backends are chosen for speed, which the fixed threshold costs
            fix_mmap_threshold()
        self.tokenizer_workers = self.config.tokenizer_workers
        if self.tokenizer_workers is None:
            self.tokenizer_workers = min(8, (os.cpu_count() or 2) - 1) if device.startswith("cuda") else 0
        if "fork" not in multiprocessing.get_all_start_methods():  # a spawned worker would copy the model
            self.tokenizer_workers = 0
        self.model = load_model(SentenceTransformer, name, "--model", device=device)
        if self.backend == "int8":
            self.model = _quantize(self.model)
        if self.config.max_seq_length:
            self.model.max_seq_length = self.config.max_seq_length
        self.fingerprint = f"{fingerprint_model(name)}-{self.backend}-{self.model.max_seq_length}"
        return self

    @property
    def dimension(self) -> int:
        return self.model.get_embedding_dimension()

    def embed(self, texts: pl.DataFrame, prompt: str | None, encode_chunks: ChunkEncoder | None = None) -> np.ndarray:
        return self.embed_all([(texts, prompt)], encode_chunks)[0]

    def embed_all(self, requests: list[tuple[pl.DataFrame, str | None]], encode_chunks: ChunkEncoder | None = None
                  ) -> list[np.ndarray]:
        """Normalised float32 embeddings of each request's texts (columns id, text) with its prompt, row-aligned
        with them. The texts missing from the cache are encoded in chunks of CHUNK, longest first, by
        `encode_chunks` (default: this model); one call for all requests, so that an engine starts its workers
        once. A text in two requests with the same prompt is encoded once."""
        root = Path(self.config.cache_dir) if self.config.cache_dir else default_cache_dir()
        jobs, caches, scheduled = [], [], {}
        for texts, prompt in requests:
            cache = EmbeddingCache(root, self.fingerprint, applied_prompt(self.model, prompt))
            cached = cache.cached_ids(texts["id"])
            taken = pl.concat([cached.to_frame(), *scheduled.get(cache.folder, [])])
            missing = texts.join(taken, on="id", how="anti").sort(
                pl.col("text").str.len_bytes(), "id", descending=[True, False])
            scheduled.setdefault(cache.folder, []).append(missing.select("id"))
            jobs += [EncodeJob(missing.slice(offset, CHUNK), prompt, cache)
                     for offset in range(0, missing.height, CHUNK)]
            caches.append((cache, len(cached) > 0))
            self.stats.encoded += missing.height
            self.stats.cached += texts.height - missing.height
        # Each encoded frame is copied into the arrays of the requests with its cache (prompt) as it comes and let
        # go: the frames, their concatenation and a joined copy were held together before (3x the embeddings).
        aligned = [_Aligned(texts, self.dimension) for texts, _ in requests]
        start = time.perf_counter()
        for job, frame in zip(jobs, (encode_chunks or self.encode_here)(jobs) if jobs else [], strict=True):
            for target, (cache, _) in zip(aligned, caches, strict=True):
                if cache.folder == job.cache.folder:
                    target.take(frame)
        self.stats.seconds += time.perf_counter() - start
        for target, (cache, from_cache) in zip(aligned, caches, strict=True):
            if from_cache:
                cache.fill(target.rows.filter(pl.Series(~target.filled)), target.vectors, target.filled)
        return [target.result() for target in aligned]

    def encode_here(self, jobs: list[EncodeJob]) -> Iterator[pl.DataFrame]:
        total = sum(job.texts.height for job in jobs)
        encoded = self._fed(jobs) if self.tokenizer_workers else map(self._encoded, jobs)
        with Progress(transient=True) as progress:
            task = progress.add_task(f"encoding {total:,} texts", total=total)
            for job, vectors in zip(jobs, encoded, strict=True):
                yield _saved(job, vectors)
                progress.advance(task, job.texts.height)

    def encode_chunk(self, job: EncodeJob) -> pl.DataFrame:
        """(id, embedding) of one chunk, saved to the cache first: a chunk encoded is never encoded again."""
        return _saved(job, self._encoded(job))

    def _encoded(self, job: EncodeJob) -> np.ndarray:
        with self._autocast():
            return self.model.encode(job.texts["text"].to_list(), batch_size=self.config.batch_size,
                                     prompt=job.prompt, normalize_embeddings=True, convert_to_numpy=True)

    def _fed(self, jobs: list[EncodeJob]) -> Iterator[np.ndarray]:
        """Each job's embeddings as `_encoded` gives them, with the batches tokenised ahead by `tokenizer_workers`
        forked processes (torch's DataLoader) while the model runs, copied to the device from pinned memory, and
        brought back once per job rather than once per batch."""
        import torch

        size, device = self.config.batch_size, self.model.device
        self.model.eval()  # as encode() does: no dropout
        features = iter(tokenising_loader(TokenBatches(self.model, jobs, size), self.tokenizer_workers,
                                          pin=device.type == "cuda"))
        for job in jobs:
            vectors = [self._forward(next(features)) for _ in range(0, job.texts.height, size)]
            yield torch.cat(vectors).cpu().numpy() if vectors else np.zeros((0, self.dimension), dtype=np.float32)

    def _forward(self, features: dict) -> "Tensor":
        """Normalised embeddings of one tokenised batch, as encode() computes them (truncate_dim included), left
        on the device: no wait for the device until the job is done."""
        import torch
        from sentence_transformers.util import truncate_embeddings

        device = self.model.device
        with torch.inference_mode(), self._autocast():
            features = {key: value.to(device, non_blocking=True) if torch.is_tensor(value) else value
                        for key, value in features.items()}
            vectors = truncate_embeddings(self.model(features)["sentence_embedding"], self.model.truncate_dim)
            return torch.nn.functional.normalize(vectors.float(), dim=1)

    def _autocast(self):
        import torch

        half = {"bf16": torch.bfloat16, "fp16": torch.float16}.get(self.backend)
        return torch.autocast(self.model.device.type, dtype=half or torch.float32, enabled=half is not None)


class _Aligned:
    """An embeddings array in the order of `texts`, filled from (id, embedding) frames."""

    def __init__(self, texts: pl.DataFrame, dimension: int) -> None:
        self.vectors = np.empty((texts.height, dimension), dtype=np.float32)
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


def _saved(job: EncodeJob, vectors: np.ndarray) -> pl.DataFrame:
    job.cache.save(job.texts["id"].to_numpy(), vectors)
    return pl.DataFrame({"id": job.texts["id"], "embedding": pl.Series(vectors.astype(np.float32))})


def resolve_backend(backend: str, device: str) -> str:
    """The backend "auto" stands for on `device`; any other is checked to run there."""
    import torch

    on_gpu = device.startswith("cuda")
    if backend == "auto":
        return "fp16" if on_gpu else "bf16" if torch.ops.mkldnn._is_mkldnn_bf16_supported() else "fp32"
    if (backend == "fp16" and not on_gpu) or (backend == "int8" and on_gpu):
        raise ConfigError(f"encoder backend {backend!r} runs on {'a GPU' if backend == 'fp16' else 'the CPU'} "
                          f"only, and the device is {device}")
    return backend


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
