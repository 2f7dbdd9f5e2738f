"""Where prep's GPU encoder spends its time, part by part, on the passages of gpu_encode.py (longest first, as the
encoder takes them).

  tokenise   batch by batch: the model's preprocess on this thread (what encode() does); prep's batches (built from
             the fast tokenizer's Rust backend where that gives preprocess's features) on this thread, in `--workers`
             DataLoader processes (prep's encoder), and in one background thread;
  forward    the model alone on batches tokenised beforehand (after one untimed pass over them): already on the
             device, and copied from pinned memory;
             under fp16 autocast (prep's backend) and with the weights in fp16 (`model.half()`, as encode() is timed);
  embed      prep's encoder whole (cache writes included), tokenising ahead in `--workers` processes.

Usage: python benchmarks/gpu_encode_parts.py [--passages 20000] [--batch-size 128] [--workers 8]
                                             [--max-seq-length 256] [--device cuda] [--model PATH]
"""

import os
import tempfile
import time
from pathlib import Path

import polars as pl
from gpu_encode import backend, encoder_arguments, passages


def in_thread(batches, pin: bool, ahead: int = 16):
    """The batches in order, each tokenised (and pinned) in one background thread up to `ahead` batches ahead."""
    from collections import deque
    from concurrent.futures import ThreadPoolExecutor

    import torch

    def load(index: int) -> dict:
        return {key: value.pin_memory() if pin and torch.is_tensor(value) else value
                for key, value in batches[index].items()}

    with ThreadPoolExecutor(1) as pool:
        window = deque(pool.submit(load, index) for index in range(min(ahead, len(batches))))
        for index in range(len(batches)):
            features = window.popleft().result()
            if index + ahead < len(batches):
                window.append(pool.submit(load, index + ahead))
            yield features


def rate(name: str, count: int, run) -> float:
    start = time.perf_counter()
    run()
    per_second = count / (time.perf_counter() - start)
    print(f"{name:<58} {per_second:>9,.0f} texts/s", flush=True)
    return per_second


def main() -> None:
    parser = encoder_arguments(__doc__, passages=20_000)
    args = parser.parse_args()
    os.environ["HF_HUB_OFFLINE"] = "1"
    import torch

    from pipeline.config import EncoderConfig
    from pipeline.stages import encode, encode_jobs, token_batches

    work = Path(tempfile.mkdtemp(prefix="prep-gpu-parts-"))
    texts = passages(args.data, args.passages).sort(pl.col("text").str.len_bytes(), "id", descending=[True, False])
    count, size = texts.height, args.batch_size

    def encoder(cache: str) -> encode.Encoder:
        return encode.Encoder(EncoderConfig(model=args.model, batch_size=size, max_seq_length=args.max_seq_length,
                                            cache_dir=str(work / cache), backend=backend(args.device),
                                            device=args.device, tokenizer_workers=args.workers)).setup()

    model = encoder("unused").model
    model.eval()
    jobs = [encode_jobs.EncodeJob(texts.slice(start, encode.CHUNK), None, None)
            for start in range(0, count, encode.CHUNK)]
    batches = token_batches.TokenBatches(model, jobs, size)
    model.preprocess(texts["text"].head(size).to_list())  # warm-up
    print(f"{count:,} passages, batch {size}, max_seq_length {args.max_seq_length}, {args.workers} workers, "
          f"{os.cpu_count()} CPUs, torch {torch.__version__}, backend serves prompts {list(batches.fast)}")
    rate("tokenise: model.preprocess (encode()'s), this thread", count,
         lambda: [model.preprocess(texts["text"].slice(start, size).to_list()) for start in range(0, count, size)])
    rate("tokenise: prep's batches, this thread", count, lambda: [batches[index] for index in range(len(batches))])
    loader = token_batches.tokenising_loader(batches, args.workers, pin=args.device.startswith("cuda"))
    rate(f"tokenise: prep's batches, {args.workers} processes, pinned (start included)", count, lambda: list(loader))
    tokenised = []
    rate("tokenise: prep's batches, 1 background thread, pinned", count,
         lambda: tokenised.extend(in_thread(batches, pin=args.device.startswith("cuda"))))

    device = model.device
    on_device = [{key: value.to(device) if torch.is_tensor(value) else value for key, value in features.items()}
                 for features in tokenised]

    def forward(feed, half: bool) -> None:
        with torch.inference_mode(), torch.autocast(device.type, dtype=torch.float16, enabled=not half):
            for features in feed:
                features = {key: value.to(device, non_blocking=True) if torch.is_tensor(value) else value
                            for key, value in features.items()}
                model(features)["sentence_embedding"]
        if device.type == "cuda":
            torch.cuda.synchronize()

    forward(on_device, False)  # warm-up over every batch shape: the first pass pays for choosing kernels
    rate("forward: on the device, fp16 autocast", count, lambda: forward(on_device, False))
    rate("forward: from pinned memory, fp16 autocast", count, lambda: forward(tokenised, False))
    model.half()
    forward(on_device, True)
    rate("forward: on the device, weights fp16", count, lambda: forward(on_device, True))
    on_device.clear()
    tokenised.clear()

    timed = encoder("cache")
    timed.embed(texts.head(size), None)  # warm-up
    rate(f"embed: prep's encoder ({args.workers} processes), cache writes", count - size,
         lambda: timed.embed(texts.slice(size), None))


if __name__ == "__main__":
    main()
