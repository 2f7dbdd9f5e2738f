"""`prep run --engine ray` on a local Ray instance (2 CPUs, started once for the module): the same shards and
embeddings as the local engine, a worker killed in each stage survived, and a re-run that redoes nothing."""

import os
import signal
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from mining_data import config_for, write_data

import pipeline.layouts.partitions
from pipeline.canonical import InputRows, build_canonical
from pipeline.config import EncoderConfig, EngineConfig, MiningConfig
from pipeline.errors import ConfigError
from pipeline.run import RunInputs, run_pipeline
from pipeline.stages.dedupe import link_similar
from pipeline.stages.encode import Encoder
from pipeline.stages.index import build_index
from pipeline.stages.mine import mine_negatives

ray = pytest.importorskip("ray")

from pipeline.engines.ray_engine import CRASH_ONCE, actor_plan, ray_engine  # noqa: E402  (after the skip)

SHARDS = ("data-00000-of-00001.arrow", "dataset_info.json", "state.json", "rejects.parquet")


@pytest.fixture(scope="module")
def crash_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One Ray session for the module; a worker exits once per stage while the returned folder exists."""
    folder = tmp_path_factory.mktemp("crash") / "armed"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(CRASH_ONCE, str(folder))  # before ray.init: the workers inherit it
        ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
        yield folder
        ray.shutdown()


def run_with(engine: EngineConfig, data: tuple[Path, Path], model: Path, tmp_path: Path, name: str) -> dict:
    config = config_for(model, tmp_path / f"cache-{name}", query_chunk=2, sampling="random")
    return run_pipeline(RunInputs(data[0], corpus=data[1]), replace(config, engine=engine), tmp_path / name)


def cached_embeddings(cache: Path) -> pl.DataFrame:
    return pl.read_parquet(cache / "*" / "*" / "part-*.parquet").sort("id")


def test_ray_writes_the_same_shards_and_embeddings_as_local(crash_folder, tiny_model, tmp_path):
    data = write_data(tmp_path)
    local = run_with(EngineConfig(), data, tiny_model, tmp_path, "local")
    on_ray = run_with(EngineConfig(name="ray", workers=2), data, tiny_model, tmp_path, "ray")
    assert on_ray["encoding"]["texts_encoded"] == local["encoding"]["texts_encoded"] > 0
    assert not on_ray["checkpoint"]["resumed"]  # its own cache: mined on Ray, not read back from the local run
    for name in SHARDS:
        assert (tmp_path / "local" / name).read_bytes() == (tmp_path / "ray" / name).read_bytes(), name
    here, there = cached_embeddings(tmp_path / "cache-local"), cached_embeddings(tmp_path / "cache-ray")
    assert here["id"].equals(there["id"])
    assert np.array_equal(here["embedding"].to_numpy(), there["embedding"].to_numpy())


def test_a_worker_killed_in_each_stage_loses_and_doubles_nothing(crash_folder, tiny_model, tmp_path, monkeypatch):
    data = write_data(tmp_path)
    run_with(EngineConfig(), data, tiny_model, tmp_path, "local")  # laid out whole
    crash_folder.mkdir()
    try:
        with monkeypatch.context() as patch:
            patch.setattr(pipeline.layouts.partitions, "PARTITION_QUERIES", 2)  # layout tasks on Ray
            run_with(EngineConfig(name="ray", workers=1), data, tiny_model, tmp_path, "ray")
    finally:
        crashed = sorted(path.name for path in crash_folder.iterdir())
        for path in crash_folder.iterdir():
            path.unlink()
        crash_folder.rmdir()
    # an encoding actor died, and a dedupe, a mining and a layout task
    assert crashed == ["encode", "lay_out_partition", "link_chunk", "mine_chunk"]
    for name in SHARDS:
        assert (tmp_path / "local" / name).read_bytes() == (tmp_path / "ray" / name).read_bytes(), name
    cached = cached_embeddings(tmp_path / "cache-ray")
    assert cached["id"].n_unique() == cached.height  # the retried chunk was not saved twice
    again = run_with(EngineConfig(name="ray", workers=1), data, tiny_model, tmp_path, "ray")
    assert again["encoding"]["texts_encoded"] == 0 and again["checkpoint"]["resumed"]  # nothing redone on Ray
    assert (tmp_path / "ray" / SHARDS[0]).read_bytes() == (tmp_path / "local" / SHARDS[0]).read_bytes()


@pytest.mark.parametrize("shards", [1, 3])
def test_mining_tasks_with_an_ivf_index_match_the_local_loop(crash_folder, shards):
    """Many chunks, an approximate index (IVF51, 32 of 51 lists probed before tuning): the index travels to the
    tasks whole, or sits in 3 shards on actors, searched in parallel and merged."""
    rng = np.random.default_rng(0)
    docs = rng.standard_normal((2000, 16)).astype(np.float32)
    docs /= np.linalg.norm(docs, axis=1, keepdims=True)
    frame = pl.DataFrame({"row": np.arange(1, 301, dtype=np.uint32), "query": [f"q{i}" for i in range(300)],
                          "positive": [[f"d{i}"] for i in range(300)], "negative": [[] for _ in range(300)]},
                         schema={"row": pl.UInt32, "query": pl.String, "positive": pl.List(pl.String),
                                 "negative": pl.List(pl.String)})
    canon = build_canonical(InputRows(frame, Path("rows"), {}), pl.LazyFrame({"text": [f"d{i}" for i in range(2000)]}))
    number = pl.col("text").str.slice(1).cast(pl.Int64)
    doc_vectors = docs[canon.corpus.select(number).to_series().to_numpy()]
    # Query i is its positive d<i> plus noise.
    queries = docs[canon.queries.select(number).to_series().to_numpy()]
    queries = queries + 0.3 * rng.standard_normal(queries.shape).astype(np.float32)
    queries /= np.linalg.norm(queries, axis=1, keepdims=True)
    config = MiningConfig(index="ivf", query_chunk=64, sampling="random", target_recall=1.0, max_nprobe=64)
    index = build_index(doc_vectors, config)
    assert index.kind == "IVF51,SQfp16" and index.nprobe == 32
    here = mine_negatives(canon, queries, doc_vectors, index, config)
    with ray_engine(EngineConfig(name="ray", index_shards=shards), EncoderConfig()) as engine:
        there_index = engine.build_corpus_index(doc_vectors, config)
        assert (there_index.kind, there_index.nprobe, len(getattr(there_index, "shards", [0]))) == (
            index.kind, index.nprobe, shards)
        assert np.array_equal(there_index.search(queries, 50)[1], index.search(queries, 50)[1])
        there = mine_negatives(canon, queries, doc_vectors, there_index, config, map_tasks=engine.map_tasks)
    assert here.negatives.height > 850 and here.negatives.equals(there.negatives)
    assert (here.skipped, here.candidates, here.deepened) == (there.skipped, there.candidates, there.deepened)
    assert np.array_equal(here.positive_scores, there.positive_scores)
    # nprobe was tuned from 32 to every list (on the shard actors too, or their merged search would differ).
    assert (here.nprobe, here.recall) == (there.nprobe, there.recall) and here.nprobe == 51 and here.recall == 1.0
    assert index.nprobe == 32  # tuning returned a tuned copy; the index passed in is unchanged


def test_a_restarted_index_shard_searches_with_the_tuned_nprobe(crash_folder):
    """Ray restarts a lost actor from its constructor arguments (the index as trained, nprobe 32): nprobe goes with
    every search, so the restarted shard still searches as many lists as the others."""
    rng = np.random.default_rng(1)
    docs = rng.standard_normal((2000, 16)).astype(np.float32)
    docs /= np.linalg.norm(docs, axis=1, keepdims=True)
    config = MiningConfig(index="ivf")
    whole = replace(build_index(docs, config), nprobe=51)
    with ray_engine(EngineConfig(name="ray", index_shards=3), EncoderConfig()) as engine:
        sharded = replace(engine.build_corpus_index(docs, config), nprobe=51)
        assert np.array_equal(sharded.search(docs[:200], 40)[1], whole.search(docs[:200], 40)[1])
        ray.kill(sharded.shards[1], no_restart=False)
        assert np.array_equal(sharded.search(docs[:200], 40)[1], whole.search(docs[:200], 40)[1])
        assert not np.array_equal(replace(whole, nprobe=32).search(docs[:200], 40)[1], whole.search(docs[:200], 40)[1])


def test_dedupe_search_in_tasks_finds_the_same_links_as_the_local_loop(crash_folder):
    rng = np.random.default_rng(0)
    base = rng.standard_normal((300, 16)).astype(np.float32)
    vectors = np.concatenate([base, base[:100] + 0.05 * rng.standard_normal((100, 16)).astype(np.float32)])
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    index = build_index(vectors, MiningConfig(index="ivf"))
    here = link_similar(vectors, 0.95, index, chunk=64)
    with ray_engine(EngineConfig(name="ray"), EncoderConfig()) as engine:
        there = link_similar(vectors, 0.95, index, chunk=64, map_tasks=engine.map_tasks)  # 7 tasks
    assert len(here.source) >= 180  # most of the 100 noisy copies, both ways
    assert np.array_equal(here.source, there.source) and np.array_equal(here.target, there.target)


def test_sharded_index_writes_the_same_shards_as_local(crash_folder, tiny_model, tmp_path):
    data = write_data(tmp_path)
    run_with(EngineConfig(), data, tiny_model, tmp_path, "local")
    run_with(EngineConfig(name="ray", workers=1, index_shards=2), data, tiny_model, tmp_path, "ray")
    for name in SHARDS:
        assert (tmp_path / "local" / name).read_bytes() == (tmp_path / "ray" / name).read_bytes(), name


def test_actors_take_a_gpu_each_where_the_cluster_has_them():
    cpu_only, with_gpus = {"CPU": 16.0}, {"CPU": 64.0, "GPU": 4.0}
    assert actor_plan(cpu_only, EngineConfig(name="ray")) == (16, {"num_cpus": 1, "num_gpus": 0})
    assert actor_plan(cpu_only, EngineConfig(name="ray", cpus_per_worker=4)) == (4, {"num_cpus": 4, "num_gpus": 0})
    assert actor_plan(with_gpus, EngineConfig(name="ray")) == (4, {"num_cpus": 1, "num_gpus": 1})
    assert actor_plan(with_gpus, EngineConfig(name="ray", gpus_per_worker=0.5)) == (
        8, {"num_cpus": 1, "num_gpus": 0.5})
    assert actor_plan(with_gpus, EngineConfig(name="ray", gpus_per_worker=0)) == (64, {"num_cpus": 1, "num_gpus": 0})
    assert actor_plan(with_gpus, EngineConfig(name="ray", workers=2))[0] == 2
    with pytest.raises(ConfigError, match="gpus_per_worker is 1, and the Ray cluster has 0 GPUs"):
        actor_plan(cpu_only, EngineConfig(name="ray", gpus_per_worker=1))


def test_the_driver_fingerprints_what_gpu_actors_encode(tiny_model, tmp_path):
    encoder = Encoder(EncoderConfig(model=str(tiny_model), cache_dir=str(tmp_path), backend="auto")).setup("cuda")
    assert encoder.backend == "fp16" and "-fp16-" in encoder.fingerprint
    assert encoder.model.device.type == "cpu"  # loaded here, on the driver, for its dimension only


def test_an_address_with_nothing_listening_fails_fast_naming_the_flag(monkeypatch):
    """ray.init retried an address with no cluster for many minutes (GCS connect retries, warnings only)."""
    import socket
    import time

    monkeypatch.setattr(ray, "is_initialized", lambda: False)  # as in a fresh `prep run`, whatever ran before

    with socket.socket() as probe:  # a port that was free a moment ago: nothing listens there
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    started = time.monotonic()
    with (pytest.raises(ConfigError, match=f"--ray-address 127.0.0.1:{port}: no Ray cluster answers there"),
          ray_engine(EngineConfig(name="ray", address=f"127.0.0.1:{port}"), EncoderConfig())):
        pass
    assert time.monotonic() - started < 30
    # "auto", or no address, joins RAY_ADDRESS, as ray.init does: checked there, and named so.
    monkeypatch.setenv("RAY_ADDRESS", f"127.0.0.1:{port}")
    for address in ("auto", None):
        with (pytest.raises(ConfigError, match=f"RAY_ADDRESS 127.0.0.1:{port}: no Ray cluster answers there.*unset "
                                               "RAY_ADDRESS for a local Ray"),
              ray_engine(EngineConfig(name="ray", address=address), EncoderConfig())):
            pass


def test_auto_joins_only_a_cluster_that_ray_start_started(crash_folder, monkeypatch):
    """Ray's "auto" joined any Ray process of the machine: the module's private Ray stands for another prep run's."""
    import ray._private.utils

    monkeypatch.delenv("RAY_ADDRESS", raising=False)
    monkeypatch.setattr(ray, "is_initialized", lambda: False)
    monkeypatch.setattr(ray._private.utils, "read_ray_address", lambda temp_dir=None: None)
    with (pytest.raises(ConfigError, match="--ray-address auto: no cluster was started on this machine with `ray "
                                           "start --head`"),
          ray_engine(EngineConfig(name="ray", address="auto"), EncoderConfig())):
        pass
    # The address `ray start` left behind, with nothing listening there now: ray.init retried it for minutes.
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    monkeypatch.setattr(ray._private.utils, "read_ray_address", lambda temp_dir=None: f"127.0.0.1:{port}")
    with (pytest.raises(ConfigError, match=rf"--ray-address auto \(127.0.0.1:{port}, from `ray start`\): no Ray "
                                           "cluster answers there"),
          ray_engine(EngineConfig(name="ray", address="auto"), EncoderConfig())):
        pass


def test_a_local_ray_that_does_not_start_says_so(monkeypatch):
    """Without an address it read "RAY_ADDRESS None: cannot join the Ray cluster"."""
    def fails(**_):
        raise RuntimeError("raylet did not start")

    monkeypatch.delenv("RAY_ADDRESS", raising=False)
    monkeypatch.setattr(ray, "is_initialized", lambda: False)
    monkeypatch.setattr(ray, "init", fails)
    with (pytest.raises(ConfigError, match="--engine ray: starting a local Ray failed: raylet did not start"),
          ray_engine(EngineConfig(name="ray"), EncoderConfig())):
        pass


def test_a_ray_client_address_ray_cannot_use_is_a_config_error(monkeypatch):
    """ray:// without `ray[client]` raised a ValueError traceback (exit 1)."""
    def no_client(**_):
        raise ValueError("Ray Client requires pip package `ray[client]`.")

    monkeypatch.setattr(ray, "is_initialized", lambda: False)
    monkeypatch.setattr(ray, "init", no_client)
    with (pytest.raises(ConfigError, match="--ray-address ray://head:10001: cannot join the Ray cluster: Ray Client"),
          ray_engine(EngineConfig(name="ray", address="ray://head:10001"), EncoderConfig())):
        pass


def test_the_manifest_says_which_engine_ran_and_how_many_workers(crash_folder, tiny_model, tmp_path):
    """The manifest held only the config's `workers`: null where --workers was left to the cluster's default."""
    data = write_data(tmp_path)
    local = run_with(EngineConfig(), data, tiny_model, tmp_path, "local")
    on_ray = run_with(EngineConfig(name="ray"), data, tiny_model, tmp_path, "ray")
    assert local["engine"] == {"name": "local", "workers": 1}
    assert on_ray["engine"]["name"] == "ray"
    assert on_ray["engine"]["workers"] == 2  # one per CPU of the module's 2-CPU Ray
    assert on_ray["engine"]["cluster"] == {"CPU": 2, "GPU": 0}


def test_sigterm_unwinds_the_run_and_exits_as_terminated(crash_folder):
    # Ray's crash handler aborted the driver (exit 134, a stack dump) when the shutdown took over 3 seconds.
    before = signal.getsignal(signal.SIGTERM)
    with pytest.raises(SystemExit) as exited, ray_engine(EngineConfig(name="ray", workers=1), EncoderConfig()):
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(10)  # the handler raises at the next bytecode
    assert exited.value.code == 143
    assert signal.getsignal(signal.SIGTERM) is before


def test_the_sigterm_handler_that_ray_init_sets_is_undone_on_leaving(monkeypatch):
    """ray.init's own handler (sys.exit(15)) outlived ray.shutdown: a SIGTERM while the output was written after the
    engine exited 15 without prep's message, not 143."""
    import ray

    import pipeline.engines.ray_engine as module

    def prep_handler(signum, frame):
        raise SystemExit(143)

    previous = signal.signal(signal.SIGTERM, prep_handler)
    try:
        monkeypatch.setattr(ray, "is_initialized", lambda: False)
        monkeypatch.setattr(module, "join_cluster", lambda ray, address: signal.signal(signal.SIGTERM, print))
        monkeypatch.setattr(ray, "shutdown", lambda: None)
        monkeypatch.setattr(module, "actor_plan", lambda *args: (_ for _ in ()).throw(RuntimeError("joined")))
        monkeypatch.setattr(ray, "cluster_resources", dict)
        with pytest.raises(RuntimeError, match="joined"), module.ray_engine(EngineConfig(name="ray"), EncoderConfig()):
            pass
        assert signal.getsignal(signal.SIGTERM) is prep_handler
    finally:
        signal.signal(signal.SIGTERM, previous)
