"""Encoding throughput on a GPU: prep's encoder against `SentenceTransformer.encode`, then encode + mine at scale.

Issue 3's GPU target: all-MiniLM-L6-v2 in fp16 at max_seq_length 256 encodes at least 5x the passages/s of
`encode` on the same GPU. encode() tokenises each batch on one CPU thread while the GPU waits; prep's encoder
(`tokenizer_workers`) tokenises ahead in worker processes through torch's DataLoader and copies from pinned memory.

Passages are made of SciFact abstracts (title + text): the first half of one abstract's words and the second half
of another's, a different pair for each passage (the encoder encodes each distinct text once, and copies would make
mining degenerate); about as long as an abstract. Steps, each timed on its own:
  1. encode(): the model in fp16 (`model.half()`), `--baseline` passages, at batch 32 (its default) and at
     `--batch-size`;
  2. prep's encoder (backend fp16 under autocast, batch `--batch-size`) on the same passages with
     tokenizer_workers 0 (encode's own loop) and `--workers`;
  3. `prep run`, cold, of `--queries` (the first 6 and last 6 words of a passage, that passage as positive) against
     all `--passages`: the encode stage's texts/s, then mining and the rest, with the manifest's stage timings.
Ratios are against encode() at batch 32 and at `--batch-size`.
On the CPU (`--device cpu`, fp32, e.g. `--passages 2000 --baseline 500 --queries 200 --max-seq-length 64`) it
checks that the script runs; the figures mean nothing there.

Usage: python benchmarks/gpu_encode.py [--passages 1000000] [--baseline 20000] [--queries 30000]
                                       [--batch-size 128] [--workers 8] [--max-seq-length 256] [--device cuda]
                                       [--model PATH]
"""

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

import polars as pl

REPO = Path(__file__).resolve().parents[1]


def passages(data: Path, count: int) -> pl.DataFrame:
    words = pl.read_ndjson(data / "corpus.jsonl").select(
        words=pl.concat_str(pl.col("title").fill_null(""), pl.lit(" "), "text").str.strip_chars().str.split(" "))
    n = words.height
    first = pl.int_range(count, eager=True) % n
    second = (first + 1 + pl.int_range(count, eager=True) // n) % n  # a new partner each round through the corpus
    head, tail = words["words"].gather(first), words["words"].gather(second)
    text = pl.DataFrame({"head": head, "tail": tail}).select(pl.concat_list(
        pl.col("head").list.head(pl.col("head").list.len() // 2),
        pl.col("tail").list.tail(pl.col("tail").list.len() - pl.col("tail").list.len() // 2)).list.join(" "))
    return pl.DataFrame({"id": pl.int_range(count, eager=True, dtype=pl.UInt64), "text": text.to_series()})


def encode_rate(texts: list[str], batch_size: int, args: argparse.Namespace) -> float:
    from sentence_transformers import SentenceTransformer

    from pipeline.report.tokens import default_model_path

    device, length = args.device, args.max_seq_length
    model = SentenceTransformer(args.model or str(default_model_path()), device=device)
    model.max_seq_length = length
    if device.startswith("cuda"):
        model.half()
    model.encode(texts[:batch_size], batch_size=batch_size)  # warm-up: CUDA context and kernels
    start = time.perf_counter()
    model.encode(texts, batch_size=batch_size, normalize_embeddings=True)
    return len(texts) / (time.perf_counter() - start)


def prep_rate(texts: pl.DataFrame, args: argparse.Namespace, workers: int, cache: Path) -> float:
    from pipeline.config import EncoderConfig
    from pipeline.stages.encode import Encoder

    encoder = Encoder(EncoderConfig(model=args.model, batch_size=args.batch_size, max_seq_length=args.max_seq_length,
                                    cache_dir=str(cache), backend=backend(args.device), device=args.device,
                                    tokenizer_workers=workers)).setup()
    encoder.embed(texts.head(args.batch_size), None)  # warm-up, as for encode()
    start = time.perf_counter()
    encoder.embed(texts.slice(args.batch_size), None)
    return (texts.height - args.batch_size) / (time.perf_counter() - start)


def backend(device: str) -> str:
    return "fp16" if device.startswith("cuda") else "fp32"


def encoder_arguments(doc: str, passages: int) -> argparse.ArgumentParser:
    """The options this script shares with gpu_encode_parts.py."""
    parser = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data" / "scifact")
    parser.add_argument("--passages", type=int, default=passages)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--workers", type=int, default=min(8, (os.cpu_count() or 2) - 1))
    parser.add_argument("--max-seq-length", type=int, default=256)
    parser.add_argument("--device", default="cuda")
    parser.add_argument("--model", help="a sentence-transformers folder (default: the offline all-MiniLM-L6-v2)")
    return parser


def main() -> None:
    parser = encoder_arguments(__doc__, passages=1_000_000)
    parser.add_argument("--baseline", type=int, default=20_000)
    parser.add_argument("--queries", type=int, default=30_000)
    args = parser.parse_args()
    os.environ["HF_HUB_OFFLINE"] = "1"
    work = Path(tempfile.mkdtemp(prefix="prep-gpu-"))
    texts = passages(args.data, args.passages)
    sample = texts.head(args.baseline)
    print(f"{args.passages:,} passages, device {args.device}, max_seq_length {args.max_seq_length}, "
          f"batch {args.batch_size}, {args.workers} tokenizer workers, {os.cpu_count()} CPUs")
    print(f"\n{'encoder':<44} {'texts/s':>9} {'x encode() b32':>15} {f'x encode() b{args.batch_size}':>15}")
    rates: dict[str, float] = {}

    def measured(name: str, rate: float) -> None:  # each line as it comes: a run cut short keeps what it measured
        rates[name] = rate
        default, same = rates["encode(), batch 32"], rates.get(f"encode(), batch {args.batch_size}", float("nan"))
        print(f"{name:<44} {rate:>9,.0f} {rate / default:>14.2f}x {rate / same:>14.2f}x", flush=True)

    measured("encode(), batch 32", encode_rate(sample["text"].to_list(), 32, args))
    measured(f"encode(), batch {args.batch_size}", encode_rate(sample["text"].to_list(), args.batch_size, args))
    measured("prep, 0 workers", prep_rate(sample, args, 0, work / "cache0"))
    measured(f"prep, {args.workers} workers", prep_rate(sample, args, args.workers, work / "cache1"))

    from pipeline.config import EncoderConfig, RunConfig
    from pipeline.run import RunInputs, run_pipeline

    corpus_path, pairs_path = work / "corpus.parquet", work / "pairs.parquet"
    texts.select("text").write_parquet(corpus_path)
    words = pl.col("text").str.split(" ")
    texts.head(args.queries).select(anchor=pl.concat_list(words.list.head(6), words.list.tail(6)).list.join(" "),
                                    positive="text").write_parquet(pairs_path)
    del texts, sample
    config = RunConfig(encoder=EncoderConfig(model=args.model, batch_size=args.batch_size,
                                             max_seq_length=args.max_seq_length, cache_dir=str(work / "cache"),
                                             backend=backend(args.device), device=args.device,
                                             tokenizer_workers=args.workers))
    start = time.perf_counter()
    manifest = run_pipeline(RunInputs(pairs_path, corpus=corpus_path), config, work / "out")
    seconds, encoding = time.perf_counter() - start, manifest["encoding"]
    measured(f"prep run, {encoding['texts_encoded']:,} texts (cold)", encoding["texts_encoded"] / encoding["seconds"])
    print(f"\nprep run, {args.queries:,} queries against {args.passages:,} passages, cold: {seconds:.1f} s, "
          f"{manifest['stages'][-1]['rows_out']:,} rows; stage seconds: {json.dumps(manifest['timings_seconds'])}")


if __name__ == "__main__":
    main()
