"""The Ray engine: encoding as Ray Data `map_batches` over an actor pool (one model per actor, one cache chunk per
batch) and mining as one Ray task per chunk of queries. Ray reruns the work of a worker that died; both stages
are idempotent (a chunk's embeddings are saved under a name derived from its ids), so nothing is lost or doubled."""

import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial
from pathlib import Path

import polars as pl
import pyarrow as pa

from pipeline.config import EncoderConfig, EngineConfig, MiningConfig
from pipeline.engines import Engine
from pipeline.errors import ConfigError
from pipeline.stages.embedding_cache import EmbeddingCache
from pipeline.stages.encode import EncodeJob, Encoder
from pipeline.stages.mine_chunk import ChunkResult, MiningInputs, mine_chunk

TASK_RETRIES = 3  # a mining task whose worker died runs again, up to this many times (Ray's default, made explicit)
CRASH_ONCE = "PREP_RAY_CRASH_ONCE"

log = logging.getLogger(__name__)


@contextmanager
def ray_engine(engine: EngineConfig, encoder: EncoderConfig) -> Iterator[Engine]:
    """Joins the cluster at `engine.address` (None: Ray's default, RAY_ADDRESS or a `ray start` cluster of this
    machine, else a new local one) unless this process is already connected; shuts down only what it joined."""
    try:
        import ray
    except ImportError:
        raise ConfigError("--engine ray needs Ray: pip install 'prep[ray]'") from None
    joined = not ray.is_initialized()
    if joined:
        ray.init(address=engine.address, include_dashboard=False, log_to_driver=False)
    try:
        cpus = int(ray.cluster_resources().get("CPU", 1))
        workers = engine.workers or max(1, cpus // engine.cpus_per_worker)
        log.info("ray engine: %d CPUs, %d encoding actors", cpus, workers)
        yield Engine(partial(_encode_on_actors, encoder, workers, engine.cpus_per_worker),
                     partial(_mine_in_tasks, engine.cpus_per_worker))
    finally:
        if joined:
            ray.shutdown()


class EncodeActor:
    """One model per actor, loaded once; each batch is one job (chunk) of the local engine, so embeddings are equal."""

    def __init__(self, config: EncoderConfig, targets: list[tuple[str | None, EmbeddingCache]]) -> None:
        self.encoder = Encoder(config).setup()
        self.targets = targets  # (prompt, cache) of each job, by the batch's `job` column

    def __call__(self, batch: pa.Table) -> pa.Table:
        crash_once("encode")
        frame = pl.from_arrow(batch)
        number = frame["job"][0]
        encoded = self.encoder.encode_chunk(EncodeJob(frame.drop("job"), *self.targets[number]))
        return encoded.with_columns(job=pl.lit(number, pl.UInt32)).to_arrow()


def _encode_on_actors(config: EncoderConfig, workers: int, cpus: int, jobs: list[EncodeJob]) -> list[pl.DataFrame]:
    import ray
    from ray.data import ActorPoolStrategy

    # One block per job and batch_size=None: every batch is exactly one job, as the local engine encodes it.
    blocks = ray.data.from_arrow([job.texts.with_columns(job=pl.lit(number, pl.UInt32)).to_arrow(
        compat_level=pl.CompatLevel.oldest()) for number, job in enumerate(jobs)])
    targets = [(job.prompt, job.cache) for job in jobs]
    encoded = blocks.map_batches(EncodeActor, batch_size=None, batch_format="pyarrow",
                                 fn_constructor_args=(config, targets), num_cpus=cpus,
                                 compute=ActorPoolStrategy(size=min(workers, len(jobs))))
    by_job = pl.concat([pl.from_arrow(table) for table in ray.get(encoded.to_arrow_refs())]).partition_by(
        "job", as_dict=True, include_key=False)
    return [by_job[(number,)] for number in range(len(jobs))]


def _mine_task(chunk: pl.DataFrame, inputs: MiningInputs, config: MiningConfig, deepen: bool) -> ChunkResult:
    crash_once("mine")
    return mine_chunk(chunk, inputs, config, deepen)


def _mine_in_tasks(cpus: int, chunks: list[pl.DataFrame], inputs: MiningInputs, config: MiningConfig,
                   deepen: bool) -> list[ChunkResult]:
    import ray

    task = ray.remote(num_cpus=cpus, max_retries=TASK_RETRIES)(_mine_task)
    shared = ray.put(inputs)  # embeddings and index go to the object store once, not once per task
    return ray.get([task.remote(chunk, shared, config, deepen) for chunk in chunks])


def crash_once(stage: str) -> None:
    """Where the workers have PREP_RAY_CRASH_ONCE=<folder> and <folder> exists, the first worker to reach `stage`
    exits abruptly, once (it leaves <folder>/<stage>): how the tests show that a lost worker costs no rows."""
    folder = os.environ.get(CRASH_ONCE)
    if not folder or not Path(folder).is_dir():
        return
    try:
        (Path(folder) / stage).open("x").close()
    except FileExistsError:
        return
    os._exit(1)
