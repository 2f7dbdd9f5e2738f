"""`prep run`: mine hard negatives and write the shards a trainer loads."""

import os
from pathlib import Path
from typing import Annotated

import typer

from pipeline.cli_app import (
    AllNegativesOpt,
    AllowPaddingOpt,
    BatchSizeOpt,
    BinaryOpt,
    ColumnsOpt,
    DataArg,
    FillOpt,
    FormatOpt,
    GroupSizeOpt,
    LayoutOpt,
    LeftoverOpt,
    PositivesOpt,
    ScoresOpt,
    ShardFormatOpt,
    ShardRowsOpt,
    SplitOpt,
    TeacherOpt,
    console,
    parse_columns,
    path_option,
)
from pipeline.cli_output import write_out
from pipeline.cli_summary import render_run_summary


def run(
    data: DataArg,
    out: Annotated[str, typer.Option(help="Output folder: datasets.load_from_disk(OUT) gives the training set; or an "
                                          "object store URI (s3://, gs://, hdfs://) written through pyarrow, "
                                          "manifest.json last.")],
    fmt: FormatOpt = None,
    split: SplitOpt = "train",
    columns: ColumnsOpt = None,
    corpus: Annotated[Path | None, path_option("--corpus", "More documents to mine from: BEIR corpus.jsonl, a "
                                                           "table with a text column, or a .txt file, one text per "
                                                           "line.")] = None,
    model: Annotated[str | None, typer.Option(help="sentence-transformers model folder or name "
                                                   "(default: the offline all-MiniLM-L6-v2).")] = None,
    negatives: Annotated[int | None, typer.Option(help="K, negatives per row (default 3, at most 1024).")] = None,
    config: Annotated[Path | None, path_option("--config", "TOML file with \\[encoder], \\[mining], \\[dedupe], "
                                                           "\\[layout], \\[engine] tables; flags override it.",
                                               "a TOML file")] = None,
    seed: Annotated[int | None, typer.Option(help="Seed for --sampling random, the IVF index, --positives sample:N "
                                                  "and --fill repeat (default 12).")] = None,
    relative_margin: Annotated[float | None, typer.Option(help="Drop candidates scoring above (1 - margin) x the "
                                                               "query's lowest positive score (default 0.05).")] = None,
    positive_neighbors: Annotated[int | None, typer.Option(help="Drop candidates among the N nearest documents of a "
                                                                "positive, likely unlabelled positives (default 5; "
                                                                "0 turns it off; at most 1024).")] = None,
    max_positive_rank: Annotated[int | None, typer.Option(help="Reject a (query, positive) pair whose positive has "
                                                               "N or more documents ranked above it, a label the "
                                                               "encoder cannot see (default 300; 0 turns it "
                                                               "off).")] = None,
    sampling: Annotated[str | None, typer.Option(help="top or random (default top).")] = None,
    given_sampling: Annotated[str | None, typer.Option(help="Which input negatives a query with more than K "
                                                            "keeps: first (default, input order), top (highest "
                                                            "scores) or random.")] = None,
    trust_given_negatives: Annotated[bool | None, typer.Option(
        "--trust-given-negatives/--no-trust-given-negatives",
        help="Keep input negatives without the false-negative filter.")] = None,
    layout: LayoutOpt = None,
    fill: FillOpt = None,
    allow_padding: AllowPaddingOpt = None,
    scores: ScoresOpt = None,
    binary: BinaryOpt = None,
    teacher: TeacherOpt = None,
    group_size: GroupSizeOpt = None,
    all_negatives: AllNegativesOpt = None,
    shard_format: ShardFormatOpt = None,
    shard_rows: ShardRowsOpt = None,
    positives: PositivesOpt = None,
    batch_size: BatchSizeOpt = None,
    leftover: LeftoverOpt = None,
    dedupe_threshold: Annotated[float | None, typer.Option(help="Cosine at which queries (and texts) count as "
                                                               "near-duplicates (default 0.90).")] = None,
    cache_dir: Annotated[str | None, typer.Option(help="Embedding cache (default: $PREP_CACHE_DIR, else "
                                                       "~/.cache/prep/embeddings).")] = None,
    backend: Annotated[str | None, typer.Option(help="Encoder backend: fp32 (default, exact), auto (bf16 on a CPU "
                                                     "with native bf16, fp16 on a GPU), bf16, fp16 or int8; "
                                                     "benchmarks/RESULTS.md measures speed and overlap.")] = None,
    tokenizer_workers: Annotated[int | None, typer.Option(help="Processes that tokenise ahead of the model "
                                                               "(default: 0 on the CPU, up to 8 on a GPU; at most "
                                                               "256).")] = None,
    engine: Annotated[str | None, typer.Option(help="local (default) or ray: encode and mine on a Ray cluster "
                                                    "(pip install 'prep\\[ray]').")] = None,
    ray_address: Annotated[str | None, typer.Option(help="Ray cluster to join, e.g. auto or ray://head:10001 "
                                                         "(default: RAY_ADDRESS, else a new local Ray).")] = None,
    workers: Annotated[int | None, typer.Option(help="ray: encoding actors, one model each (default: one per "
                                                     "GPU of the cluster, else one per cpus_per_worker CPUs; "
                                                     "at most 256).")] = None,
) -> None:
    """Mine hard negatives and write shards that SentenceTransformerTrainer trains on directly."""
    from pipeline.config_file import load_run_config, path_sources
    from pipeline.run import RunInputs, run_pipeline
    from pipeline.stages.embedding_cache import default_cache_dir

    flags = {
        "--model": model, "--cache-dir": cache_dir, "--backend": backend, "--tokenizer-workers": tokenizer_workers,
        "--negatives": negatives, "--seed": seed, "--relative-margin": relative_margin, "--sampling": sampling,
        "--given-sampling": given_sampling, "--positive-neighbors": positive_neighbors,
        "--trust-given-negatives": trust_given_negatives,
        "--max-positive-rank": max_positive_rank, "--dedupe-threshold": dedupe_threshold,
        "--layout": layout, "--fill": fill, "--allow-padding": allow_padding, "--scores": scores, "--binary": binary,
        "--teacher": teacher, "--group-size": group_size, "--all-negatives": all_negatives,
        "--shard-format": shard_format, "--shard-rows": shard_rows, "--positives": positives,
        "--batch-size": batch_size, "--leftover": leftover,
        "--engine": engine, "--ray-address": ray_address, "--workers": workers,
    }
    settings = load_run_config(config, flags)
    inputs = RunInputs(data, fmt, split, parse_columns(columns), corpus)
    sources = path_sources(config, flags)
    if settings.encoder.cache_dir is None:  # neither --cache-dir nor the file: name where it comes from
        origin = "PREP_CACHE_DIR" if os.environ.get("PREP_CACHE_DIR") else "default"
        sources["--cache-dir"] = f"the embedding cache ({origin})"
    read = {"DATA": data, "--corpus": corpus, "--config": config, "--model": settings.encoder.model,
            "--teacher": settings.layout.teacher, "--cache-dir": settings.encoder.cache_dir or default_cache_dir()}
    manifest = write_out(out, lambda folder: run_pipeline(inputs, settings, folder, sources), read, sources)
    render_run_summary(manifest, out, console)
