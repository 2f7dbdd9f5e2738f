"""The `prep` command line: every subcommand reads the same canonical model."""

import json
import logging
import sys
import tempfile
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

from pipeline.errors import ConfigError, PrepError

app = typer.Typer(help="Prepare and check contrastive training data for sentence-transformers and FlagEmbedding.",
                  no_args_is_help=True, pretty_exceptions_enable=False, add_completion=False)
console = Console()
errors = Console(stderr=True)

DataArg = Annotated[Path, typer.Argument(help="A file (JSONL, JSON, CSV, TSV, Parquet, Arrow), a datasets folder or a "
                                               "BEIR folder.")]
FormatOpt = Annotated[str | None, typer.Option("--format", "-f", help="st, flag, beir, pairs or lists "
                                                                      "(default: detected).")]
SplitOpt = Annotated[str, typer.Option(help="BEIR qrels split or datasets split.")]
ColumnsOpt = Annotated[str | None, typer.Option(help="Map roles to columns: anchor=COL,positive=COL,negative=COL "
                                                     "(st), sentence1=COL,sentence2=COL,score=COL (pairs).")]
LayoutOpt = Annotated[str | None, typer.Option(help="n-tuple (default), buckets, triplet, labeled-pair, labeled-list "
                                                  "or flag; see the layouts table in the README.")]
FillOpt = Annotated[str | None, typer.Option(help="A query short of K negatives (n-tuple, flag): mine (run's default), "
                                                "drop (to rejects; convert's default), repeat its negatives, or pad "
                                                "with empty strings (needs --allow-padding).")]
AllowPaddingOpt = Annotated[bool | None, typer.Option(
    "--allow-padding/--no-allow-padding", help="Accept --fill pad: the trainer uses the empty strings as real "
                                               "negatives.")]
ScoresOpt = Annotated[bool | None, typer.Option(
    "--scores/--no-scores", help="Add scores: the n-tuple `label` list (MarginMSE), labeled-pair/-list scores, flag "
                                 "pos/neg_scores.")]
BinaryOpt = Annotated[bool | None, typer.Option(
    "--binary/--no-binary", help="labeled-pair: an integer label 1/0 (Contrastive, OnlineContrastive, Softmax) "
                                 "instead of a score.")]
TeacherOpt = Annotated[str | None, typer.Option(help="CrossEncoder model that gives the --scores.")]
GroupSizeOpt = Annotated[int | None, typer.Option(help="flag: FlagEmbedding's train_group_size; K = group size - 1.")]
AllNegativesOpt = Annotated[bool | None, typer.Option(
    "--all-negatives/--no-all-negatives", help="flag: every negative of a query (at least group size - 1); "
                                               "FlagEmbedding samples train_group_size - 1 of them each epoch.")]
ShardFormatOpt = Annotated[str | None, typer.Option(help="arrow (default, datasets.load_from_disk) or parquet "
                                                         "(load_dataset(\"parquet\", data_dir=OUT/data)).")]
ShardRowsOpt = Annotated[int | None, typer.Option(help="At most this many rows per shard.")]
PositivesOpt = Annotated[str | None, typer.Option(help="Rows per query: all (default) its positives, the first, "
                                                       "or sample:N.")]
BatchSizeOpt = Annotated[int | None, typer.Option(help="Order rows so that every block of this many is "
                                                       "conflict-free; train with pipeline.sampler."
                                                       "BlockBatchSampler and the same batch size.")]
LeftoverOpt = Annotated[str | None, typer.Option(help="Rows beyond the full conflict-free blocks: short-blocks "
                                                      "(default), reject (to rejects.parquet) or final-block.")]


@app.callback()
def _commands() -> None:
    """Every command is a subcommand: `prep report`, `prep run`."""


def parse_columns(text: str | None) -> dict[str, str]:
    if not text:
        return {}
    mapping = {}
    for part in text.split(","):
        role, sep, column = part.partition("=")
        if not sep or not role.strip() or not column.strip():
            raise ConfigError(f"--columns takes role=COLUMN pairs separated by commas; got '{part}'")
        mapping[role.strip()] = column.strip()
    return mapping


@app.command()
def report(
    data: DataArg,
    fmt: FormatOpt = None,
    split: SplitOpt = "train",
    columns: ColumnsOpt = None,
    json_path: Annotated[Path | None, typer.Option("--json", help="Also write the report as JSON here.")] = None,
    html_path: Annotated[Path | None, typer.Option("--html", help="Also write a self-contained HTML page.")] = None,
    model: Annotated[str | None, typer.Option(help="Encoder folder whose tokenizer measures lengths "
                                                   "(default: the offline all-MiniLM-L6-v2).")] = None,
) -> None:
    """Profile a dataset: negatives and positives per query, duplicates, token lengths, empty texts."""
    from pipeline.readers import read_dataset
    from pipeline.report.html import render_html
    from pipeline.report.profile import profile
    from pipeline.report.terminal import render_terminal
    from pipeline.report.tokens import load_token_counter

    canon = read_dataset(data, fmt, split, parse_columns(columns))
    result = profile(canon, load_token_counter(model))
    render_terminal(result, console)
    if json_path:
        _write_text(json_path, json.dumps(result, indent=2) + "\n")
    if html_path:
        _write_text(html_path, render_html(result))


@app.command()
def run(
    data: DataArg,
    out: Annotated[str, typer.Option(help="Output folder: datasets.load_from_disk(OUT) gives the training set; or an "
                                          "object store URI (s3://, gs://, hdfs://) written through pyarrow, "
                                          "manifest.json last.")],
    fmt: FormatOpt = None,
    split: SplitOpt = "train",
    columns: ColumnsOpt = None,
    corpus: Annotated[Path | None, typer.Option(help="More documents to mine from: BEIR corpus.jsonl, a table "
                                                     "with a text column, or a .txt file, one text per line.")] = None,
    model: Annotated[str | None, typer.Option(help="sentence-transformers model folder or name "
                                                   "(default: the offline all-MiniLM-L6-v2).")] = None,
    negatives: Annotated[int | None, typer.Option(help="K, negatives per row (default 3).")] = None,
    config: Annotated[Path | None, typer.Option(help="TOML file with \\[encoder], \\[mining], \\[dedupe], \\[layout], "
                                                     "\\[engine] tables; flags override it.")] = None,
    seed: Annotated[int | None, typer.Option(help="Seed for random sampling and index training.")] = None,
    relative_margin: Annotated[float | None, typer.Option(help="Drop candidates scoring above (1 - margin) x the "
                                                               "query's lowest positive score (default 0.05).")] = None,
    positive_neighbors: Annotated[int | None, typer.Option(help="Drop candidates among the N nearest documents of a "
                                                                "positive, likely unlabelled positives (default 5; "
                                                                "0 turns it off).")] = None,
    max_positive_rank: Annotated[int | None, typer.Option(help="Reject a (query, positive) pair whose positive has "
                                                               "N or more documents ranked above it, a label the "
                                                               "encoder cannot see (default 300; 0 turns it "
                                                               "off).")] = None,
    sampling: Annotated[str | None, typer.Option(help="top or random (default top).")] = None,
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
    cache_dir: Annotated[str | None, typer.Option(help="Embedding cache (default ~/.cache/prep/embeddings).")] = None,
    backend: Annotated[str | None, typer.Option(help="Encoder backend: fp32 (default, exact), auto (bf16 on a CPU "
                                                     "with native bf16, fp16 on a GPU), bf16, fp16 or int8; "
                                                     "benchmarks/RESULTS.md measures speed and overlap.")] = None,
    tokenizer_workers: Annotated[int | None, typer.Option(help="Processes that tokenise ahead of the model "
                                                               "(default: 0 on the CPU, up to 8 on a GPU).")] = None,
    engine: Annotated[str | None, typer.Option(help="local (default) or ray: encode and mine on a Ray cluster "
                                                    "(pip install 'prep\\[ray]').")] = None,
    ray_address: Annotated[str | None, typer.Option(help="Ray cluster to join, e.g. auto or ray://head:10001 "
                                                         "(default: RAY_ADDRESS, else a new local Ray).")] = None,
    workers: Annotated[int | None, typer.Option(help="ray: encoding actors, one model each (default: one per "
                                                     "CPU).")] = None,
) -> None:
    """Mine hard negatives and write shards that SentenceTransformerTrainer trains on directly."""
    from pipeline.config_file import load_run_config
    from pipeline.publish import check_uri, is_uri, publish
    from pipeline.run import RunInputs, run_pipeline

    settings = load_run_config(config, {
        "encoder": {"model": model, "cache_dir": cache_dir, "backend": backend,
                    "tokenizer_workers": tokenizer_workers},
        "mining": {"negatives": negatives, "seed": seed, "relative_margin": relative_margin, "sampling": sampling,
                   "positive_neighbors": positive_neighbors, "trust_given_negatives": trust_given_negatives,
                   "max_positive_rank": max_positive_rank},
        "dedupe": {"threshold": dedupe_threshold},
        "layout": {"layout": layout, "fill": fill, "allow_padding": allow_padding, "scores": scores, "binary": binary,
                   "teacher": teacher, "group_size": group_size,
                   "all_negatives": all_negatives, "shard_format": shard_format,
                   "shard_rows": shard_rows, "positives": positives, "batch_size": batch_size, "leftover": leftover},
        "engine": {"name": engine, "address": ray_address, "workers": workers},
    })
    inputs = RunInputs(data, fmt, split, parse_columns(columns), corpus)
    if not is_uri(out):
        render_run_summary(run_pipeline(inputs, settings, Path(out)), out, console)
        return
    check_uri(out)  # before the run, as a local --out is
    with tempfile.TemporaryDirectory(prefix="prep-out-") as staging:
        manifest = run_pipeline(inputs, settings, Path(staging) / "out")
        publish(Path(staging) / "out", out)
    render_run_summary(manifest, out, console)


@app.command()
def convert(
    data: DataArg,
    to: Annotated[str, typer.Option(help="The layout to write: n-tuple, buckets, triplet, labeled-pair, "
                                         "labeled-list or flag.")],
    out: Annotated[str, typer.Option(help="Output folder, or an object-store URI (s3://, gs://, hdfs://, file://).")],
    fmt: FormatOpt = None,
    split: SplitOpt = "train",
    columns: ColumnsOpt = None,
    negatives: Annotated[int | None, typer.Option(help="K for n-tuple and flag (default 3); the other layouts "
                                                       "keep every negative.")] = None,
    config: Annotated[Path | None, typer.Option(help="TOML file with a \\[layout] table (and mining.negatives, "
                                                     "mining.seed); flags override it.")] = None,
    seed: Annotated[int | None, typer.Option(help="Seed for --fill repeat and --positives sample:N.")] = None,
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
) -> None:
    """Lay out data that already has its negatives for another trainer, without an encoder."""
    from pipeline.config_file import load_run_config
    from pipeline.convert import check_convert_config
    from pipeline.convert import convert as convert_data
    from pipeline.publish import check_uri, is_uri, publish
    from pipeline.run import RunInputs

    check_convert_config(config)
    settings = load_run_config(config, {
        "mining": {"negatives": negatives, "seed": seed},
        "layout": {"layout": to, "fill": fill, "allow_padding": allow_padding, "scores": scores,
                   "binary": binary, "teacher": teacher, "group_size": group_size,
                   "all_negatives": all_negatives, "shard_format": shard_format,
                   "shard_rows": shard_rows, "positives": positives, "batch_size": batch_size, "leftover": leftover},
    }, defaults={"layout": {"fill": "drop"}})  # convert does not mine
    inputs = RunInputs(data, fmt, split, parse_columns(columns))
    if is_uri(out):
        check_uri(out)
        with tempfile.TemporaryDirectory(prefix="prep-out-") as staging:
            manifest = convert_data(inputs, settings, Path(staging) / "out")
            publish(Path(staging) / "out", out)
    else:
        manifest = convert_data(inputs, settings, Path(out))
    for stage in manifest["stages"]:
        console.print(f"{stage['stage']}: {stage['rows_in']:,} {stage['unit']} in, {stage['rows_out']:,} out, "
                      f"{stage['rows_rejected']:,} rejected")
        if "message" in stage:
            console.print(f"  [yellow]{stage['message']}[/]")
    _print_layout(manifest["layout"], out, console)


@app.command()
def lint(
    data: DataArg,
    fmt: FormatOpt = None,
    columns: ColumnsOpt = None,
    loss: Annotated[str | None, typer.Option(help="The sentence-transformers loss you will train with, e.g. "
                                                  "MultipleNegativesRankingLoss, CoSENTLoss, ListNetLoss.")] = None,
    layout: Annotated[str | None, typer.Option(help="n-tuple, triplet, labeled-pair, labeled-list, flag, buckets, "
                                                    "st or beir (default: detected from the columns).")] = None,
    batch_size: Annotated[int | None, typer.Option(help="Training batch size: in-batch conflict and corpus-size "
                                                        "checks.")] = None,
    group_size: Annotated[int, typer.Option(help="FlagEmbedding train_group_size (1 positive + negatives).")] = 8,
    eval_data: Annotated[Path | None, typer.Option("--eval", help="Evaluation data: report its queries and "
                                                                  "positives found in DATA.")] = None,
    json_path: Annotated[Path | None, typer.Option("--json", help="Also write the findings as JSON here.")] = None,
    split: Annotated[str | None, typer.Option(help="Lint one split of a DatasetDict (default: every split) or a "
                                                   "BEIR qrels split (default: train).")] = None,
    strict: Annotated[bool, typer.Option("--strict", help="Warnings count as errors for the exit code.")] = False,
    deep: Annotated[bool, typer.Option("--deep", help="Also run the embedding checks (loads the encoder).")] = False,
    model: Annotated[str | None, typer.Option(help="Encoder folder: its tokenizer measures lengths, --deep "
                                                   "encodes with it (default: the offline all-MiniLM-L6-v2).")] = None,
    threshold: Annotated[float, typer.Option(help="Cosine at which --deep counts texts as near-duplicates.")] = 0.90,
    cache_dir: Annotated[str | None, typer.Option(help="Embedding cache for --deep.")] = None,
) -> None:
    """Check a dataset against what its layout, loss and trainer expect. Exit 0: no errors, 1: errors,
    2: unreadable input or a wrong call."""
    from pipeline.lint.context import LintOptions
    from pipeline.lint.render import render_json, render_terminal
    from pipeline.lint.runner import lint as run_lint

    options = LintOptions(fmt=fmt, layout=layout, loss=loss, batch_size=batch_size, group_size=group_size,
                          eval_data=eval_data, split=split, strict=strict, deep=deep, model=model,
                          threshold=threshold, cache_dir=cache_dir, columns=parse_columns(columns))
    result = run_lint(data, options)
    render_terminal(result, console, strict)
    if json_path:
        _write_text(json_path, render_json(result))
    raise typer.Exit(result.exit_code(strict))


def render_run_summary(manifest: dict, out: Path | str, target: Console) -> None:
    for stage in manifest["stages"]:
        target.print(f"{stage['stage']}: {stage['rows_in']:,} {stage['unit']} in, {stage['rows_out']:,} out, "
                     f"{stage['rows_rejected']:,} rejected")
        if "message" in stage:
            target.print(f"  [yellow]{stage['message']}[/]")
    if "ranked_low_message" in manifest["filters"]:
        target.print(f"  {manifest['filters']['ranked_low_message']}")
    for source in ("given", "mined"):
        for message in manifest["filters"].get(source, {}).get("messages", []):
            target.print(f"  {message}")
    index = manifest["index"]
    if index["recall_at_search_depth"] is not None:
        colour = "yellow" if index["target_reached"] is False else "default"
        target.print(f"[{colour}]index {index['kind']}, nprobe {index['nprobe']}: recall "
                     f"{index['recall_at_search_depth']:.3f} of the exact top-k[/]")
    if manifest["batches"]:
        batches = manifest["batches"]
        target.print(f"batches of {batches['batch_size']}: {batches['conflicts_in_input_order']:,} conflicting pairs "
                     f"in input order, {batches['conflicts_after_layout']:,} after layout, "
                     f"{batches['rows_set_aside']:,} rows set aside ({batches['leftover']})")
    _print_layout(manifest["layout"], out, target)


def _print_layout(summary: dict, out: Path | str, target: Console) -> None:
    for key, label in (("note", "note"), ("scores_note", "note"), ("warning", "warning")):
        if key in summary:
            target.print(f"[yellow]{label}:[/] {escape(summary[key])}")
    for entry in summary.get("instructions", {}).values():
        if "note" in entry:
            target.print(f"[yellow]note:[/] {escape(entry['note'])}")
    splits = ", ".join(f"{name} {split['rows']:,} rows" for name, split in summary["splits"].items())
    target.print(f"wrote {escape(str(out))}: {summary['layout']} ({splits}), rejects.parquet, manifest.json, "
                 f"report.html; load with {escape(summary['load'].replace('OUT', str(out)))}")


def _write_text(path: Path, text: str) -> None:
    """Write via a temporary file and rename, so readers never see half a file."""
    partial = path.with_name(f".{path.name}.partial")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        partial.write_text(text, encoding="utf-8")
        partial.replace(path)
    except OSError as error:  # mkdir under a file says only "File exists": name the file
        if partial.is_file():
            partial.unlink()
        blocking = next((parent for parent in path.parents if parent.is_file()), None)
        reason = f"{blocking} is a file, not a folder" if blocking else error.strerror
        raise ConfigError(f"cannot write {path}: {reason}") from None
    console.print(f"wrote {path}")


def main() -> None:
    """Entry point: user errors become one line on stderr and exit code 2, never a traceback."""
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        app()
    except PrepError as error:
        errors.print(f"[red]error:[/] {escape(str(error))}", highlight=False, soft_wrap=True)
        sys.exit(2)


if __name__ == "__main__":
    main()
