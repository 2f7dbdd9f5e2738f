"""Encode each distinct text once, longest first, through the embedding cache."""

import multiprocessing
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl
from rich.progress import Progress

from pipeline.config import EncoderConfig
from pipeline.config_checks import ENCODE_CHUNK
from pipeline.memory import fix_mmap_threshold
from pipeline.normalize import content_ids
from pipeline.stages.embedding_cache import EmbeddingCache, default_cache_dir, fingerprint_model
from pipeline.stages.encode_backend import autocast, quantize, resolve_backend
from pipeline.stages.encode_jobs import Aligned, ChunkEncoder, EncodeJob, saved
from pipeline.stages.load_model import load_model, set_max_seq_length
from pipeline.stages.token_batches import DOCUMENT_PROMPTS, QUERY_PROMPTS, applied_prompt, fed_embeddings, role_prompt
from pipeline.stages.vector_file import VectorFile

CHUNK = ENCODE_CHUNK  # texts per encode call and per cache part: an interrupted run keeps what it finished


@dataclass
class EncodeStats:
    """Distinct texts per prompt (cache) of the requests: encoded, or taken from the cache; `seconds` encoding."""

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
        self.query_prompt = self.document_prompt = None  # resolved by setup()
        self.stats = EncodeStats()

    def setup(self, encode_device: str | None = None, option: str = "--model") -> "Encoder":
        """Loads the model here. `encode_device` is where the texts will be encoded if not here (the GPU actors
        of the Ray engine): the backend, and so the cache fingerprint, is the one "auto" picks there. `option` is
        what a model that does not load is blamed on (load_model)."""
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
        self.model = load_model(SentenceTransformer, name, option, device=device)
        if self.backend == "int8":
            self.model = quantize(self.model)
        if self.config.max_seq_length:
            which = f"the model of {option}" if self.config.model else "all-MiniLM-L6-v2, the default model,"
            set_max_seq_length(self.model, self.config.max_seq_length, which)
        self.fingerprint = f"{fingerprint_model(name)}-{self.backend}-{self.model.max_seq_length}"
        # as ST's miner encodes them (encode_query, encode_document): a model's own prompts unless the config's
        self.query_prompt = role_prompt(self.model, self.config.query_prompt, QUERY_PROMPTS)
        self.document_prompt = role_prompt(self.model, self.config.document_prompt, DOCUMENT_PROMPTS)
        return self

    @property
    def dimension(self) -> int:
        return self.model.get_embedding_dimension()

    def embed(self, texts: pl.DataFrame, prompt: str | None, encode_chunks: ChunkEncoder | None = None) -> np.ndarray:
        return self.embed_all([(texts, prompt)], encode_chunks)[0]

    def embed_all(self, requests: list[tuple[pl.DataFrame, str | None]], encode_chunks: ChunkEncoder | None = None,
                  files: list[VectorFile | None] | None = None) -> list[np.ndarray | VectorFile]:
        """Normalised float32 embeddings of each request's texts (columns id, text) with its prompt, row-aligned
        with them: in memory, or in the request's VectorFile of `files` where one is given. The texts missing from
        the cache are encoded in chunks of CHUNK, longest first, by `encode_chunks` (default: this model); one call
        for all requests, so that an engine starts its workers once. A text in two requests with the same prompt is
        encoded once. The texts of a cache part found unusable only when its embeddings are read are encoded in a
        second pass, without the cache."""
        root = Path(self.config.cache_dir) if self.config.cache_dir else default_cache_dir()
        # Keyed by the text encoded, as the input gave it: a canonical id is that of the normalised text, which another
        # input may give in another form (x2 for x²). The same where the text is normalised already (most are).
        requests = [(texts.with_columns(id=content_ids(texts)), prompt) for texts, prompt in requests]
        # One cache per prompt applied: requests that share one (queries, documents) share what it found.
        by_prompt = {applied: EmbeddingCache(root, self.fingerprint, applied, self.dimension)
                     for applied in {applied_prompt(self.model, prompt) for _, prompt in requests}}
        caches = [by_prompt[applied_prompt(self.model, prompt)] for _, prompt in requests]
        # Each encoded frame is copied into the arrays of the requests with its cache (prompt) as it comes and let
        # go: the frames, their concatenation and a joined copy were held together before (3x the embeddings).
        aligned = [Aligned(texts, self.dimension, file)
                   for (texts, _), file in zip(requests, files or [None] * len(requests), strict=True)]
        pending, use_cache = requests, True
        while any(texts.height for texts, _ in pending):
            jobs = self._jobs(pending, caches, use_cache)
            start = time.perf_counter()
            for job, frame in zip(jobs, (encode_chunks or self.encode_here)(jobs) if jobs else [], strict=True):
                for target, cache in zip(aligned, caches, strict=True):
                    if cache.folder == job.cache.folder:
                        target.take(frame)
            self.stats.seconds += time.perf_counter() - start
            for target, cache in zip(aligned, caches, strict=True):
                if use_cache and not target.filled.all():
                    cache.fill(target.rows.filter(pl.Series(~target.filled)), target.vectors, target.filled)
            pending = [(texts.filter(pl.Series(~target.filled)), prompt)
                       for (texts, prompt), target in zip(requests, aligned, strict=True)]
            use_cache = False
        return [target.result() for target in aligned]

    def _jobs(self, requests: list[tuple[pl.DataFrame, str | None]], caches: list[EmbeddingCache],
              use_cache: bool) -> list[EncodeJob]:
        """The chunks to encode: each distinct (cache, text) not in its cache (every one, without `use_cache`)."""
        jobs, seen = [], {}
        for (texts, prompt), cache in zip(requests, caches, strict=True):
            cached = cache.cached_ids(texts["id"]) if use_cache else pl.Series("id", [], pl.UInt64)
            # A text that an earlier request with this cache (prompt) has, a query that is also a document, is
            # encoded or taken from the cache there: it is counted there, once, as it is embedded once.
            fresh = texts.join(pl.concat([texts.select("id").clear(), *seen.get(cache.folder, [])]), on="id",
                               how="anti")
            missing = fresh.join(cached.to_frame(), on="id", how="anti").sort(
                pl.col("text").str.len_bytes(), "id", descending=[True, False])
            seen.setdefault(cache.folder, []).append(fresh.select("id"))
            jobs += [EncodeJob(missing.slice(offset, CHUNK), prompt, cache)
                     for offset in range(0, missing.height, CHUNK)]
            self.stats.encoded += missing.height
            # A second pass encodes texts that the first counted as cached.
            self.stats.cached += fresh.height - missing.height if use_cache else -missing.height
        return jobs

    def encode_here(self, jobs: list[EncodeJob]) -> Iterator[pl.DataFrame]:
        total = sum(job.texts.height for job in jobs)
        encoded = (fed_embeddings(self.model, jobs, self.config.batch_size, self.tokenizer_workers, self.backend)
                   if self.tokenizer_workers else map(self._encoded, jobs))
        with Progress(transient=True) as progress:
            task = progress.add_task(f"encoding {total:,} texts", total=total)
            for job, vectors in zip(jobs, encoded, strict=True):
                yield saved(job, vectors)
                progress.advance(task, job.texts.height)

    def encode_chunk(self, job: EncodeJob) -> pl.DataFrame:
        """(id, embedding) of one chunk, saved to the cache first: a chunk encoded is never encoded again."""
        return saved(job, self._encoded(job))

    def _encoded(self, job: EncodeJob) -> np.ndarray:
        with autocast(self.backend, self.model.device.type):
            return self.model.encode(job.texts["text"].to_list(), batch_size=self.config.batch_size,
                                     prompt=job.prompt, normalize_embeddings=True, convert_to_numpy=True)
