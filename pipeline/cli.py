"""The `prep` command line: every subcommand reads the same canonical model."""

import json
import logging
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from pipeline.errors import ConfigError, PrepError

app = typer.Typer(help="Prepare and check contrastive training data for sentence-transformers and FlagEmbedding.",
                  no_args_is_help=True, pretty_exceptions_enable=False, add_completion=False)
console = Console()
errors = Console(stderr=True)

DataArg = Annotated[Path, typer.Argument(help="A file (JSONL, JSON, CSV, Parquet, Arrow), a datasets folder or a "
                                               "BEIR folder.")]
FormatOpt = Annotated[str | None, typer.Option("--format", "-f", help="st, flag, beir or pairs (default: detected).")]
SplitOpt = Annotated[str, typer.Option(help="BEIR qrels split or datasets split.")]
ColumnsOpt = Annotated[str | None, typer.Option(help="Map roles to your columns: anchor=COL,positive=COL,negative=COL.")]


@app.callback()
def _commands() -> None:
    """Keeps `prep report ...` a subcommand while it is the only one."""


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


def _write_text(path: Path, text: str) -> None:
    """Write via a temporary file and rename, so readers never see half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.partial")
    partial.write_text(text, encoding="utf-8")
    partial.replace(path)
    console.print(f"wrote {path}")


def main() -> None:
    """Entry point: user errors become one line on stderr and exit code 2, never a traceback."""
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        app()
    except PrepError as error:
        errors.print(f"[red]error:[/] {error}", highlight=False, soft_wrap=True)
        sys.exit(2)
