"""The [engine] table: where the stages run (`pipeline.config` holds the other tables)."""

from dataclasses import dataclass

from pipeline.config_checks import MAX_WORKERS, check_at_most, check_choice, check_positive, check_types
from pipeline.errors import ConfigError


@dataclass(frozen=True)
class EngineConfig:
    """Where the stages run: this process ("local", Polars and numpy) or a Ray cluster ("ray", `pip install
    prep[ray]`): encoding on an actor pool, one model per actor, and mining as one task per chunk of queries."""

    name: str = "local"
    address: str | None = None  # ray: an existing cluster ("auto", "ray://head:10001"); None starts a local one
    workers: int | None = None  # ray: encoding actors; None: one per GPU, else per cpus_per_worker CPUs
    cpus_per_worker: int = 1  # ray: CPUs (and torch threads) each encoding actor and mining task holds
    gpus_per_worker: float | None = None  # ray: GPUs each encoding actor holds; None: 1 where the cluster has GPUs
    index_shards: int = 1  # ray: corpus index shards, each held by an actor; >1 when one node cannot hold it

    def __post_init__(self) -> None:
        check_types(self)
        check_choice(self, "name", ("local", "ray"))
        check_positive(self, "cpus_per_worker")
        check_positive(self, "index_shards")
        if self.workers is not None:
            check_positive(self, "workers")
        check_at_most(self, "workers", MAX_WORKERS, "each is a Ray actor that loads the model")
        if self.gpus_per_worker is not None and not 0 <= self.gpus_per_worker < float("inf"):  # nan too
            raise ConfigError(f"engine.gpus_per_worker must be 0 or more, not {self.gpus_per_worker}")
        ray_only = (self.address, self.workers, self.gpus_per_worker, None if self.index_shards == 1 else 1,
                    None if self.cpus_per_worker == 1 else 1)
        if self.name == "local" and any(value is not None for value in ray_only):
            raise ConfigError("engine address, workers, cpus_per_worker, gpus_per_worker and index_shards are for "
                              "the ray engine: add --engine ray")
