"""Where `prep run` runs its heavy stages (encoding, the dedupe and mining searches, the layout's partitions): in
this process, or on a Ray cluster. Every other stage runs in this process either way, and both engines call the
same stage functions."""

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np

from pipeline.config import MiningConfig, RunConfig
from pipeline.stages.encode_jobs import ChunkEncoder
from pipeline.stages.index import SearchIndex, build_index
from pipeline.stages.task_map import TaskMap, run_here


@dataclass(frozen=True)
class Engine:
    encode_chunks: ChunkEncoder | None  # None: the encoder in this process
    map_tasks: TaskMap = run_here  # chunks of the query dedupe and of mining, partitions of the layout
    build_corpus_index: Callable[[np.ndarray, MiningConfig], SearchIndex] = build_index
    encode_device: str | None = None  # where encode_chunks runs the model ("cuda" on GPU actors); None: here
    summary: dict | None = None  # the manifest's `engine`: what ran, as resolved (workers counted, not the flag)
    vectors_on_disk: bool = False  # the query vectors in a file beside the output, not in memory (vector_file.py)


@contextmanager
def open_engine(config: RunConfig) -> Iterator[Engine]:
    if config.engine.name == "local":
        yield Engine(None, summary={"name": "local", "workers": 1}, vectors_on_disk=True)
        return
    from pipeline.engines.ray_engine import ray_engine

    with ray_engine(config.engine, config.encoder) as engine:
        yield engine
