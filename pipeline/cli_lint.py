"""`prep lint`: check a dataset against its layout, loss and trainer; the exit code is for CI."""

from pathlib import Path
from typing import Annotated

import typer

from pipeline.cli_app import (
    ColumnsOpt,
    DataArg,
    FormatOpt,
    console,
    parse_columns,
    path_option,
)
from pipeline.cli_output import check_not_input, write_text
from pipeline.errors import ConfigError


def lint(
    data: DataArg,
    fmt: FormatOpt = None,
    columns: ColumnsOpt = None,
    loss: Annotated[str | None, typer.Option(help="The sentence-transformers loss you will train with, e.g. "
                                                  "MultipleNegativesRankingLoss, CoSENTLoss, ListNetLoss.")] = None,
    layout: Annotated[str | None, typer.Option(help="n-tuple, triplet, labeled-pair, labeled-list, flag, buckets, "
                                                    "st or beir (default: detected from the columns); one that "
                                                    "--format reads (st: n-tuple, triplet, buckets or st).")] = None,
    batch_size: Annotated[int | None, typer.Option(help="Training batch size (2 to 1,048,576): in-batch "
                                                        "conflict and corpus-size checks.")] = None,
    group_size: Annotated[int | None, typer.Option(help="FlagEmbedding train_group_size (1 positive + negatives; "
                                                        "default: the one a prep output's manifest.json gives, "
                                                        "else 8).")] = None,
    eval_data: Annotated[Path | None, path_option("--eval", "Evaluation data: report its queries and positives "
                                                            "found in DATA. Read with --format and --columns (or "
                                                            "--eval-columns); its layout is its own.",
                                                  "a file or folder")] = None,
    eval_columns: Annotated[list[str] | None, typer.Option(metavar="<str>", help="The --eval data's ROLE=COLUMN "
                                                                                "pairs, where its names differ from "
                                                                                "DATA's (default: --columns); may be "
                                                                                "repeated.")] = None,
    eval_split: Annotated[str | None, typer.Option(help="The --eval data's split: one split of a DatasetDict "
                                                        "(default: every split) or a BEIR qrels split (default: "
                                                        "test).")] = None,
    json_path: Annotated[Path | None, path_option("--json", "Also write the findings as JSON here.")] = None,
    split: Annotated[str | None, typer.Option(help="Lint one split of a DatasetDict (default: every split) or a "
                                                   "BEIR qrels split (default: train).")] = None,
    strict: Annotated[bool, typer.Option("--strict", help="Warnings count as errors for the exit code.")] = False,
    deep: Annotated[bool, typer.Option("--deep", help="Also run the embedding checks (loads the encoder).")] = False,
    model: Annotated[str | None, typer.Option(help="Encoder folder: its tokenizer measures lengths, --deep "
                                                   "encodes with it (default: the offline all-MiniLM-L6-v2).")] = None,
    threshold: Annotated[float | None, typer.Option(help="Cosine at which --deep counts texts as near-duplicates "
                                                         "(default 0.90).")] = None,
    cache_dir: Annotated[str | None, typer.Option(help="Embedding cache for --deep.")] = None,
) -> None:
    """Check a dataset against what its layout, loss and trainer expect. Exit 0: no errors, 1: errors,
    2: unreadable input or a wrong call."""
    from pipeline.lint.context import LintOptions
    from pipeline.lint.render import render_json, render_terminal
    from pipeline.lint.runner import lint as run_lint

    check_not_input(json_path, "--json", {"DATA": data, "--eval": eval_data})
    if threshold is not None and not deep:  # as --cache-dir: without --deep it would be ignored without a word
        raise ConfigError(f"--threshold {threshold} is the near-duplicate cosine of --deep, which alone encodes: "
                          "add --deep")
    options = LintOptions(fmt=fmt, layout=layout, loss=loss, batch_size=batch_size, group_size=group_size,
                          eval_data=eval_data, eval_split=eval_split, split=split, strict=strict, deep=deep,
                          model=model, threshold=LintOptions.threshold if threshold is None else threshold,
                          cache_dir=cache_dir, columns=parse_columns(columns),
                          eval_columns=None if eval_columns is None else parse_columns(eval_columns, "--eval-columns"))
    result = run_lint(data, options)
    render_terminal(result, console, strict)
    if json_path:
        write_text(json_path, render_json(result))
    raise typer.Exit(result.exit_code(strict))
