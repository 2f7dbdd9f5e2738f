"""Does training on prep's output give a better retriever? Fine-tune all-MiniLM-L6-v2 on SciFact and evaluate.

Methods, all with MultipleNegativesRankingLoss, one epoch, batch 32, lr 2e-5, the same max_seq_length:
  base      the model before fine-tuning
  pairs     (query, positive) pairs only: in-batch negatives
  st        sentence_transformers.util.mine_hard_negatives, relative_margin=0.05, K=3 (its recommended settings)
  st7       the same miner with K=7 (the issue's "K=7 with the margin" reference)
  naive     the same miner, top-3 without a margin
  prep      prep run with its defaults (K=3, which is prep's own default K)
  prep+     prep run --batch-size 32, trained with pipeline.sampler.BlockBatchSampler (conflict-free batches)
  prep7     prep run with K=7 negatives per row
  prep7+    as prep+ with K=7 negatives per row
  prep-m15  prep run with relative_margin 0.15 (fewer false negatives, easier negatives)
  prep-m02  prep run with relative_margin 0.02 (harder negatives, more false negatives)
  prep-m00  prep run with relative_margin 0 (no candidate above the lowest positive score)
  prep-n3   prep run with positive_neighbors 3 (the default before 5)
  prep-n5   prep run with positive_neighbors 5 (the default now: the same as prep)
  prep-n8   prep run with positive_neighbors 8 (drops more of the positives' nearest documents)
  prep-r100 prep run with max_positive_rank 100 (rejects the pairs whose positive has 100+ documents above it)
  prep-r300 prep run with max_positive_rank 300 (the default)
  prep-r600 prep run with max_positive_rank 600
  prep-r-off prep run without max_positive_rank: every pair is kept, its negatives searched down the corpus
  prep7-drop prep run --negatives 7 --fill drop: a pair short of K in the first search is rejected, as ST drops it
  prep:KEY=VALUE,...  prep run with these [mining] or [layout] settings, TOML values:
            prep:relative_margin=0.02,sampling="random",fill="drop" (not layout, shard_format or batch_size,
            which the benchmark sets itself)
  prep+:KEY=VALUE,... the same, as prep+: --batch-size 32 and conflict-free batches
Evaluated with ST's InformationRetrievalEvaluator on the test qrels against the whole corpus: nDCG@10, MRR@10,
Recall@100. Every method is trained with each seed; the table gives the mean and half the range (max - min) / 2.

Usage: python benchmarks/quality.py [--data ../shared/data/scifact] [--seeds 12 13 14] [--max-seq-length 128]
                                   [--methods pairs st st7 naive prep prep+ ...] [--json results.json]
                                   [--model PATH] [--device cpu|cuda] [--bf16] [--gradient-checkpointing]
On a GPU (`--device cuda`) every method mines, trains and evaluates there, in fp32 as on the CPU. On a CPU with AMX,
`--bf16 --gradient-checkpointing` makes 256 tokens fit in 24 GB and in time (mining stays fp32).
Target (issue 7): prep's defaults at least 1 point nDCG@10 above the best of pairs, st, st7 and naive (mean of the
seeds).
"""

import argparse
import json
import os
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl

REPO = Path(__file__).resolve().parents[1]
METRICS = {"ndcg@10": "cosine_ndcg@10", "mrr@10": "cosine_mrr@10", "recall@100": "cosine_recall@100"}


@dataclass(frozen=True)
class Setup:
    """What every method shares: the base model, where it runs, and the max_seq_length."""

    max_seq_length: int
    model: str | None = None  # a sentence-transformers folder; None is the offline all-MiniLM-L6-v2
    device: str = "cpu"
    bf16: bool = False  # train and evaluate under bf16 autocast (mining stays fp32)
    checkpointing: bool = False  # gradient checkpointing: the same steps, activations recomputed in the backward


def load_scifact(data: Path) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame, dict[str, set[str]]]:
    corpus = pl.read_ndjson(data / "corpus.jsonl").select(
        pl.col("_id").cast(pl.String), text=pl.concat_str(pl.col("title").fill_null(""), pl.lit(" "), "text")
        .str.strip_chars())
    queries = pl.read_ndjson(data / "queries.jsonl").select(pl.col("_id").cast(pl.String), "text")

    def qrels(split: str) -> pl.DataFrame:
        return pl.read_csv(data / "qrels" / f"{split}.tsv", separator="\t", schema_overrides={
            "query-id": pl.String, "corpus-id": pl.String}).filter(pl.col("score") > 0)

    pairs = (qrels("train").join(queries.rename({"_id": "query-id", "text": "anchor"}), on="query-id")
             .join(corpus.rename({"_id": "corpus-id", "text": "positive"}), on="corpus-id")
             .select("anchor", "positive"))
    test = qrels("test")
    relevant = {q: set(docs) for q, docs in test.group_by("query-id").agg("corpus-id").iter_rows()}
    test_queries = queries.filter(pl.col("_id").is_in(list(relevant)))
    return pairs, corpus, test_queries, relevant


def pairs_only(pairs: pl.DataFrame):
    import datasets

    return datasets.Dataset.from_polars(pairs)


def st_mined(pairs: pl.DataFrame, corpus: pl.DataFrame, setup: Setup, margin: float | None, negatives: int = 3):
    import datasets
    from sentence_transformers.util import mine_hard_negatives

    return mine_hard_negatives(datasets.Dataset.from_polars(pairs), base_model(setup), corpus=corpus["text"].to_list(),
                               num_negatives=negatives, relative_margin=margin, output_format="n-tuple", use_faiss=True,
                               verbose=False)


def prep_output(pairs: pl.DataFrame, corpus: pl.DataFrame, work: Path, setup: Setup, batch_size: int | None,
                **settings):
    """`prep run` on the pairs; `settings` overrides fields of the [mining] and [layout] tables."""
    import datasets

    from pipeline.run import RunInputs, run_pipeline

    pairs_path, corpus_path = work / "pairs.jsonl", work / "corpus.jsonl"
    pairs.write_ndjson(pairs_path)
    corpus.select("text").write_ndjson(corpus_path)
    out = work / ("prep-" + "-".join([str(batch_size)] + [f"{key}={value}" for key, value in sorted(settings.items())]))
    encoder = {"model": setup.model, "max_seq_length": setup.max_seq_length, "device": setup.device,
               "cache_dir": str(work / "cache")}
    run_pipeline(RunInputs(pairs_path, corpus=corpus_path), prep_config(settings, batch_size, encoder), out)
    return datasets.load_from_disk(str(out))


def prep_settings(method: str) -> dict:
    """`prep:KEY=VALUE,...` -> {KEY: VALUE}, the values in TOML (`prep:relative_margin=0.02,positive_neighbors=8`)."""
    import tomllib

    prefix = next((prefix for prefix in ("prep:", "prep+:") if method.startswith(prefix)), None)
    if prefix is None:
        raise argparse.ArgumentTypeError(f"unknown method '{method}': one of {', '.join(MINERS | PREP_METHODS)}, "
                                         "or prep:KEY=VALUE,... (prep+:KEY=VALUE,... with conflict-free batches)")
    try:
        return tomllib.loads("\n".join(method.removeprefix(prefix).split(",")))
    except tomllib.TOMLDecodeError as error:
        raise argparse.ArgumentTypeError(f"{method}: settings must be KEY=VALUE in TOML, comma separated "
                                         f"({error})") from None


def split_settings(settings: dict) -> tuple[dict, dict]:
    """{KEY: VALUE} -> ([mining] settings, [layout] settings), by the fields of LayoutConfig."""
    from dataclasses import fields

    from pipeline.config import LayoutConfig

    layout_keys = {field.name for field in fields(LayoutConfig)}
    return ({key: value for key, value in settings.items() if key not in layout_keys},
            {key: value for key, value in settings.items() if key in layout_keys})


# [layout] settings the benchmark sets itself: it trains MultipleNegativesRankingLoss on n-tuple rows that
# datasets.load_from_disk reads, and a method's conflict-free batch size (prep+, prep7+) is its training batch of 32
FIXED_LAYOUT = ("layout", "shard_format", "batch_size")


def prep_config(settings: dict, batch_size: int | None, encoder: dict | None = None):
    """The RunConfig of a prep method, by `prep run --config`'s loader: `settings` are [mining] or [layout] keys."""
    from pipeline.config_file import load_run_config
    from pipeline.errors import ConfigError

    fixed = [key for key in FIXED_LAYOUT if key in settings]
    if fixed:
        raise ConfigError(f"{', '.join(fixed)}: the benchmark sets layout, shard_format and batch_size itself (it "
                          "trains on n-tuple rows in Arrow shards; prep+, prep7+ and prep+:KEY=VALUE,... give "
                          "conflict-free batches of 32)")
    mining, layout = split_settings(settings)
    return load_run_config(None, {}, defaults={"encoder": encoder or {}, "mining": mining,
                                               "layout": {**layout, "batch_size": batch_size}})


def base_model(setup: Setup):
    from sentence_transformers import SentenceTransformer

    from pipeline.report.tokens import default_model_path

    model = SentenceTransformer(setup.model or str(default_model_path()), device=setup.device)
    model.max_seq_length = setup.max_seq_length
    return model


def train(dataset, seed: int, setup: Setup, work: Path, blocks: bool):
    from sentence_transformers import SentenceTransformerTrainer, SentenceTransformerTrainingArguments
    from sentence_transformers.sentence_transformer import losses
    from sentence_transformers.sentence_transformer.training_args import BatchSamplers

    from pipeline.sampler import BlockBatchSampler

    model = base_model(setup)
    # warmup_steps below 1 is a ratio of the steps (transformers 5; what warmup_ratio=0.1 gave before)
    args = SentenceTransformerTrainingArguments(
        output_dir=str(work / "train"), num_train_epochs=1, per_device_train_batch_size=32, learning_rate=2e-5,
        warmup_steps=0.1, seed=seed, data_seed=seed, report_to="none", save_strategy="no",
        use_cpu=setup.device == "cpu", disable_tqdm=True, bf16=setup.bf16,
        activation_checkpointing=setup.checkpointing,
        batch_sampler=BlockBatchSampler if blocks else BatchSamplers.NO_DUPLICATES)
    SentenceTransformerTrainer(model=model, args=args, train_dataset=dataset,
                               loss=losses.MultipleNegativesRankingLoss(model)).train()
    return model


def evaluate(model, corpus: pl.DataFrame, queries: pl.DataFrame, relevant: dict[str, set[str]],
             setup: Setup) -> dict[str, float]:
    import torch
    from sentence_transformers.sentence_transformer.evaluation import InformationRetrievalEvaluator

    evaluator = InformationRetrievalEvaluator(
        dict(queries.iter_rows()), dict(corpus.iter_rows()), relevant, mrr_at_k=[10], ndcg_at_k=[10],
        accuracy_at_k=[1], precision_recall_at_k=[100], map_at_k=[10], show_progress_bar=False, batch_size=64)
    with torch.autocast(model.device.type, dtype=torch.bfloat16, enabled=setup.bf16):
        scores = evaluator(model)
    return {name: float(scores[key]) for name, key in METRICS.items()}


BLOCKS = 32  # the conflict-free batch size of prep+, prep7+ and prep+:KEY=VALUE,...: the training batch
# prep's methods: (batch size for conflict-free batches or None, [mining] settings)
PREP_METHODS = {
    "prep": (None, {}),
    "prep+": (BLOCKS, {}),
    "prep7": (None, {"negatives": 7}),
    "prep-m15": (None, {"relative_margin": 0.15}),
    "prep-m02": (None, {"relative_margin": 0.02}),
    "prep-m00": (None, {"relative_margin": 0.0}),
    "prep7+": (BLOCKS, {"negatives": 7}),
    "prep-n3": (None, {"positive_neighbors": 3}),
    "prep-n5": (None, {"positive_neighbors": 5}),
    "prep-n8": (None, {"positive_neighbors": 8}),
    "prep-r100": (None, {"max_positive_rank": 100}),
    "prep-r300": (None, {"max_positive_rank": 300}),
    "prep-r600": (None, {"max_positive_rank": 600}),
    "prep-r-off": (None, {"max_positive_rank": False}),
    "prep7-drop": (None, {"negatives": 7, "fill": "drop"}),
}
MINERS = {
    "pairs": lambda pairs, corpus, work, setup: pairs_only(pairs),
    "st": lambda pairs, corpus, work, setup: st_mined(pairs, corpus, setup, 0.05),
    "st7": lambda pairs, corpus, work, setup: st_mined(pairs, corpus, setup, 0.05, 7),
    "naive": lambda pairs, corpus, work, setup: st_mined(pairs, corpus, setup, None),
}


def method_name(name: str) -> str:
    if name not in MINERS and name not in PREP_METHODS:
        from pipeline.errors import PrepError

        try:  # a name that is neither, or a setting prep lacks or the benchmark sets, fails here, as in a prep.toml
            prep_config(prep_settings(name), BLOCKS if name.startswith("prep+:") else None)
        except PrepError as error:
            raise argparse.ArgumentTypeError(f"{name}: {error}") from None
    return name


def miner(name: str):
    if name in MINERS:
        return MINERS[name]
    batch_size, settings = PREP_METHODS.get(name) or (BLOCKS if name.startswith("prep+:") else None,
                                                      prep_settings(name))
    return lambda pairs, corpus, work, setup: prep_output(pairs, corpus, work, setup, batch_size, **settings)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data" / "scifact")
    parser.add_argument("--seeds", type=int, nargs="+", default=[12, 13, 14])
    parser.add_argument("--max-seq-length", type=int, default=128)
    parser.add_argument("--methods", nargs="+", default=["pairs", "st", "st7", "naive", "prep", "prep+"],
                        type=method_name,
                        help=f"{', '.join(MINERS | PREP_METHODS)}, or prep:KEY=VALUE,... "
                             "([mining] or [layout] settings; prep+:KEY=VALUE,... with conflict-free batches)")
    parser.add_argument("--json", type=Path, help="also write the results here")
    parser.add_argument("--model", help="a sentence-transformers folder (default: the offline all-MiniLM-L6-v2)")
    parser.add_argument("--device", default="cpu", help="cpu (default) or cuda")
    parser.add_argument("--bf16", action="store_true", help="train and evaluate under bf16 autocast (mining stays "
                        "fp32): on a CPU with AMX about 3x faster, which makes 256 tokens fit")
    parser.add_argument("--gradient-checkpointing", action="store_true", help="recompute activations in the "
                        "backward pass: st7 at 256 tokens needs more than 24 GB without it")
    args = parser.parse_args()
    setup = Setup(args.max_seq_length, args.model, args.device, args.bf16, args.gradient_checkpointing)
    os.environ["HF_HUB_OFFLINE"] = "1"
    work = Path(tempfile.mkdtemp(prefix="prep-quality-"))
    pairs, corpus, test_queries, relevant = load_scifact(args.data)
    print(f"SciFact: {pairs.height} train pairs, {corpus.height} documents, {test_queries.height} test queries, "
          f"max_seq_length {args.max_seq_length}, seeds {args.seeds}, device {args.device}"
          + (", bf16" if args.bf16 else "") + (", gradient checkpointing" if args.gradient_checkpointing else ""))
    start = time.perf_counter()
    datasets_by_method = {name: miner(name)(pairs, corpus, work, setup) for name in args.methods}
    print(f"mined in {time.perf_counter() - start:.0f} s; rows: "
          + ", ".join(f"{name} {len(rows)}" for name, rows in datasets_by_method.items()))
    results: dict[str, list[dict[str, float]]] = {"base": [evaluate(base_model(setup), corpus, test_queries,
                                                                     relevant, setup)]}
    for seed in args.seeds:
        for name, dataset in datasets_by_method.items():
            began = time.perf_counter()
            model = train(dataset, seed, setup, work, blocks=name.endswith("+") or name.startswith("prep+:"))
            results.setdefault(name, []).append(evaluate(model, corpus, test_queries, relevant, setup))
            print(f"seed {seed} {name:<6} nDCG@10 {results[name][-1]['ndcg@10']:.4f} "
                  f"({time.perf_counter() - began:.0f} s)", flush=True)
    print(f"\n{'method':<8} {'rows':>5} " + " ".join(f"{m:>17}" for m in METRICS))
    for name, runs in results.items():
        cells = []
        for metric in METRICS:
            values = np.array([run[metric] for run in runs])
            cells.append(f"{values.mean():.4f} ±{(values.max() - values.min()) / 2:.4f}")
        rows = len(datasets_by_method[name]) if name in datasets_by_method else 0
        print(f"{name:<8} {rows:>5} " + " ".join(f"{cell:>17}" for cell in cells))
    mean = {name: float(np.mean([run["ndcg@10"] for run in runs])) for name, runs in results.items()}
    references = [name for name in ("pairs", "st", "st7", "naive") if name in mean]
    for name in (name for name in mean if name.startswith("prep")):
        if references:
            print(f"{name} - best of ({', '.join(references)}) nDCG@10: "
                  f"{100 * (mean[name] - max(mean[ref] for ref in references)):+.2f} points")
    print(f"total {time.perf_counter() - start:.0f} s")
    if args.json:
        args.json.write_text(json.dumps({"max_seq_length": args.max_seq_length, "seeds": args.seeds, "bf16": args.bf16,
                                         "device": args.device, "results": results}, indent=2) + "\n")


if __name__ == "__main__":
    main()
