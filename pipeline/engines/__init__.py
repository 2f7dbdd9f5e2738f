"""Where `prep run` runs its two heavy stages, encoding and mining: in this process, or on a Ray cluster. Every
other stage runs in this process either way, and both engines call the same stage functions."""

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from pipeline.config import RunConfig
from pipeline.stages.encode import ChunkEncoder
from pipeline.stages.mine import ChunkMap, mine_here


@dataclass(frozen=True)
class Engine:
    encode_chunks: ChunkEncoder | None  # None: the encoder in this process
    map_chunks: ChunkMap


@contextmanager
def open_engine(config: RunConfig) -> Iterator[Engine]:
    if config.engine.name == "local":
        yield Engine(None, mine_here)
        return
    from pipeline.engines.ray_engine import ray_engine

    with ray_engine(config.engine, config.encoder) as engine:
        yield engine
