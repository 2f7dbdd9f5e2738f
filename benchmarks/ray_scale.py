"""Throughput of `prep run --engine ray` on a local Ray instance of 1 and then 2 CPUs, against the local engine.

The encoder is the default all-MiniLM-L6-v2; texts are random words of its vocabulary and each query is half of
its positive's words. Every run is cold (its own embedding cache, so also no mined checkpoint). Ray starts before
the timed run (start-up is reported apart); the encoding actors load their model inside the timed encode stage.
Encode throughput is texts per second of the encode stage, mine throughput queries per second of the mine stage.
The local engine runs twice: with torch's default threads (one per core) and with one thread, as each actor has.
Usage: python benchmarks/ray_scale.py [--queries 2048] [--corpus 8192] [--cpus 1 2]
"""

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import polars as pl

sys.path.insert(0, str(Path(__file__).parent))
from mine_scale import synthetic_texts, vocabulary

from pipeline.config import EncoderConfig, EngineConfig, RunConfig
from pipeline.run import RunInputs, run_pipeline

SHARD = "data-00000-of-00001.arrow"


def timed_run(inputs: RunInputs, engine: EngineConfig, work: Path, name: str) -> dict:
    config = RunConfig(encoder=EncoderConfig(cache_dir=str(work / f"cache-{name}")), engine=engine)
    start = time.perf_counter()
    manifest = run_pipeline(inputs, config, work / name)
    manifest["wall"] = time.perf_counter() - start
    return manifest


def row(name: str, manifest: dict, queries: int, same: str, started: float | None = None) -> str:
    timings, texts = manifest["timings_seconds"], manifest["encoding"]["texts_encoded"]
    start = f"{started:.1f}" if started is not None else "-"
    return (f"| {name} | {start} | {timings['encode']:.1f} | {texts / timings['encode']:,.0f} | {timings['mine']:.2f} "
            f"| {queries / timings['mine']:,.0f} | {manifest['wall']:.1f} | {same} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--queries", type=int, default=2048)
    parser.add_argument("--corpus", type=int, default=8192)
    parser.add_argument("--cpus", type=int, nargs="+", default=[1, 2])
    args = parser.parse_args()
    os.environ["HF_HUB_OFFLINE"] = "1"
    import ray
    import torch

    work = Path(tempfile.mkdtemp(prefix="prep-ray-scale-"))
    rng = np.random.default_rng(0)
    corpus = synthetic_texts(args.corpus, rng, words=12, vocab=vocabulary())
    positives = corpus.gather(rng.integers(0, args.corpus, size=args.queries))
    queries = positives.str.split(" ").list.head(6).list.join(" ")
    path = work / "queries.jsonl"
    pl.DataFrame({"anchor": queries, "positive": positives}).write_ndjson(path)
    corpus.to_frame().write_csv(work / "corpus.txt", include_header=False, quote_style="never")
    inputs = RunInputs(path, corpus=work / "corpus.txt")
    print(f"{args.queries:,} queries, {args.corpus:,} corpus texts, all-MiniLM-L6-v2, {os.cpu_count()} cores here")
    print("| engine | ray start s | encode s | texts/s | mine s | queries/s | wall s | shards = local |")
    print("|---|---|---|---|---|---|---|---|")
    local = timed_run(inputs, EngineConfig(), work, "local")
    print(row(f"local, torch {torch.get_num_threads()} threads", local, args.queries, "-"), flush=True)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    single = timed_run(inputs, EngineConfig(), work, "local-1")
    torch.set_num_threads(threads)
    print(row("local, torch 1 thread", single, args.queries, "-"), flush=True)
    for cpus in args.cpus:
        start = time.perf_counter()
        ray.init(num_cpus=cpus, include_dashboard=False, log_to_driver=False)
        started = time.perf_counter() - start
        try:
            manifest = timed_run(inputs, EngineConfig(name="ray"), work, f"ray-{cpus}")
        finally:
            ray.shutdown()
        same = (work / "local" / SHARD).read_bytes() == (work / f"ray-{cpus}" / SHARD).read_bytes()
        print(row(f"ray, {cpus} CPU: {cpus} actor(s) x 1 thread", manifest, args.queries, "yes" if same else "NO",
                  started), flush=True)


if __name__ == "__main__":
    main()
