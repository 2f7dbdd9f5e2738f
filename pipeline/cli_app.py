"""The Typer app, its consoles, and the options and helpers its commands share."""

from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from pipeline.errors import ConfigError

app = typer.Typer(help="Prepare and check contrastive training data for sentence-transformers and FlagEmbedding.",
                  no_args_is_help=True, pretty_exceptions_enable=False, add_completion=False)
console = Console()
errors = Console(stderr=True)


def path_parser(name: str, what: str) -> Callable[[str], Path]:
    """The parser of a path argument or option: Typer reads "" (an unset shell variable) as Path("."), the working
    directory, which would then be read, or written over."""
    def parse(text: str) -> Path:
        if not text:
            raise ConfigError(f"{name} is an empty path; give {what}")
        return Path(text)
    return parse


def path_option(flag: str, help: str, what: str = "a file") -> typer.models.OptionInfo:
    """A path option that refuses "" (see path_parser), shown as the other path options are."""
    return typer.Option(flag, parser=path_parser(flag, what), metavar="<path>", help=help)


DataArg = Annotated[Path, typer.Argument(parser=path_parser("DATA", "a file or folder"),
                                         help="A file (JSONL, JSON, CSV, TSV, Parquet, Arrow), a datasets folder or a "
                                              "BEIR folder.")]
FormatOpt = Annotated[str | None, typer.Option("--format", "-f", help="st, flag, beir, pairs or lists "
                                                                      "(default: detected).")]
SplitOpt = Annotated[str, typer.Option(help="BEIR qrels split, or a split of a DatasetDict or Parquet folder of "
                                             "splits (a buckets output: every bucket unless one is named), or of a "
                                             "Parquet folder whose file names say splits (train-00000-of-*.parquet).")]
ColumnsOpt = Annotated[list[str] | None, typer.Option(metavar="<str>", help="Map roles to columns: anchor=COL,"
                                                           "positive=COL,negative=COL,score=COL (st), sentence1=COL,"
                                                           "sentence2=COL,score=COL (pairs); may be repeated.")]
LayoutOpt = Annotated[str | None, typer.Option(help="n-tuple (default), buckets, triplet, labeled-pair, labeled-list "
                                                  "or flag; see the layouts table in the README.")]
FillOpt = Annotated[str | None, typer.Option(help="A query short of K negatives (n-tuple, flag): mine (default: search "
                                                "deeper), drop (to rejects), repeat its negatives, or pad with empty "
                                                "strings (needs --allow-padding).")]
ConvertFillOpt = Annotated[str | None, typer.Option(help="A query short of K negatives (n-tuple, flag): drop (default: "
                                                       "to rejects), repeat its negatives, or pad with empty strings "
                                                       "(needs --allow-padding); prep run mines more.")]
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
GroupSizeOpt = Annotated[int | None, typer.Option(help="flag: FlagEmbedding's train_group_size; K = group size - 1 "
                                                      "(default: --negatives + 1).")]
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
                                                       "BlockBatchSampler and the same batch size (0 turns "
                                                       "it off).")]
LeftoverOpt = Annotated[str | None, typer.Option(help="Rows beyond the full conflict-free blocks: short-blocks "
                                                      "(default), reject (to rejects.parquet) or final-block.")]


@app.callback()
def _commands() -> None:
    """Every command is a subcommand: `prep report`, `prep run`."""


def parse_columns(values: list[str] | str | None, flag: str = "--columns") -> dict[str, str]:
    """The role=COLUMN pairs of every `flag` given: a repeated flag adds to the others (click would keep the last)."""
    text = ",".join(value for value in ([values] if isinstance(values, str) else values or []) if value)
    if not text:
        return {}
    mapping = {}
    for part in text.split(","):
        role, sep, column = part.partition("=")
        if not sep or not role.strip() or not column.strip():
            raise ConfigError(f"{flag} takes role=COLUMN pairs separated by commas; got '{part}'")
        role, column = role.strip(), column.strip()
        # a role given twice would be read as its last column, a column of two roles as both: neither is meant
        if role in mapping:
            raise ConfigError(f"{flag} maps {role} twice, to '{mapping[role]}' and '{column}'; give one")
        if other := next((known for known, taken in mapping.items() if taken == column), None):
            raise ConfigError(f"{flag} maps {other} and {role} both to '{column}'; a column has one role")
        mapping[role] = column
    return mapping
