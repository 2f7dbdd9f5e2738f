"""The Ray engine: encoding as Ray Data `map_batches` over an actor pool (one model per actor, on a GPU where the
cluster has them, one cache chunk per batch); the near-duplicate search of the query dedupe and the mining as one
Ray task per chunk of queries, mining searching the corpus index whole or, with index_shards > 1, sharded over
actors (searched in parallel, top-k merged); the layout as one Ray task per partition of queries. Ray reruns the
work of a worker that died; every stage is idempotent (a chunk's embeddings are saved under a name derived from its
ids), so nothing is lost or doubled."""

import logging
import os
import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from typing import Any

import polars as pl
import pyarrow as pa

from pipeline.config import EncoderConfig, EngineConfig
from pipeline.engines import Engine
from pipeline.engines.ray_address import join_cluster
from pipeline.engines.ray_index import build_sharded_index
from pipeline.engines.sigterm import exit_on_sigterm
from pipeline.errors import ConfigError
from pipeline.stages.embedding_cache import EmbeddingCache
from pipeline.stages.encode import Encoder
from pipeline.stages.encode_jobs import EncodeJob
from pipeline.stages.index import build_index

TASK_RETRIES = 3  # a task whose worker died runs again, up to this many times (Ray's default, made explicit)
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
    handler = signal.getsignal(signal.SIGTERM)  # ray.init sets its own, which outlives ray.shutdown
    if joined:
        join_cluster(ray, engine.address)
    try:
        with exit_on_sigterm():
            workers, resources = actor_plan(ray.cluster_resources(), engine)
            log.info("ray engine: %d encoding actors, each %s", workers, resources)
            sharded = partial(build_sharded_index, engine.index_shards, retries=TASK_RETRIES)
            yield Engine(partial(_encode_on_actors, encoder, workers, resources),
                         partial(_run_as_tasks, engine.cpus_per_worker),
                         sharded if engine.index_shards > 1 else build_index,
                         encode_device="cuda" if resources["num_gpus"] else None,
                         summary={"name": "ray", "address": ray.get_runtime_context().gcs_address, "workers": workers,
                                  "cpus_per_worker": resources["num_cpus"], "gpus_per_worker": resources["num_gpus"],
                                  "index_shards": engine.index_shards,
                                  "cluster": {key: ray.cluster_resources().get(key, 0) for key in ("CPU", "GPU")}})
    finally:
        if joined:
            ray.shutdown()
        if threading.current_thread() is threading.main_thread():  # prep's: the write after it ends as on Ctrl-C
            signal.signal(signal.SIGTERM, handler)


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


def actor_plan(cluster: dict[str, float], engine: EngineConfig) -> tuple[int, dict[str, float]]:
    """How many encoding actors, and the resources each holds: a GPU each where the cluster has GPUs (unless
    gpus_per_worker says otherwise), then one actor per GPU; else one per cpus_per_worker CPUs."""
    gpus = engine.gpus_per_worker
    if gpus is None:
        gpus = 1 if cluster.get("GPU", 0) >= 1 else 0
    elif gpus > cluster.get("GPU", 0):
        raise ConfigError(f"gpus_per_worker is {gpus}, and the Ray cluster has {cluster.get('GPU', 0):g} GPUs")
    default = int(cluster["GPU"] // gpus) if gpus else int(cluster.get("CPU", 1)) // engine.cpus_per_worker
    return engine.workers or max(1, default), {"num_cpus": engine.cpus_per_worker, "num_gpus": gpus}


def _encode_on_actors(config: EncoderConfig, workers: int, resources: dict[str, float],
                      jobs: list[EncodeJob]) -> list[pl.DataFrame]:
    import ray
    from ray.data import ActorPoolStrategy

    # One block per job and batch_size=None: every batch is exactly one job, as the local engine encodes it.
    blocks = ray.data.from_arrow([job.texts.with_columns(job=pl.lit(number, pl.UInt32)).to_arrow(
        compat_level=pl.CompatLevel.oldest()) for number, job in enumerate(jobs)])
    targets = [(job.prompt, job.cache) for job in jobs]
    encoded = blocks.map_batches(EncodeActor, batch_size=None, batch_format="pyarrow",
                                 fn_constructor_args=(config, targets), **resources,
                                 compute=ActorPoolStrategy(size=min(workers, len(jobs))))
    by_job = pl.concat([pl.from_arrow(table) for table in ray.get(encoded.to_arrow_refs())]).partition_by(
        "job", as_dict=True, include_key=False)
    return [by_job[(number,)] for number in range(len(jobs))]


def _run_task(task: Callable[[Any, Any], Any], item: Any, shared: Any) -> Any:
    crash_once(getattr(task, "func", task).__name__)  # the stage's function: link_chunk, mine_chunk, ...
    return task(item, shared)


def _run_as_tasks(cpus: int, task: Callable[[Any, Any], Any], items: list, shared: Any) -> list:
    import ray

    remote = ray.remote(num_cpus=cpus, max_retries=TASK_RETRIES)(_run_task)
    shared = ray.put(shared)  # embeddings and index go to the object store once, not once per task
    return ray.get([remote.remote(task, item, shared) for item in items])


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
