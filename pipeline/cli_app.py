"""The Typer app, its consoles, and the options and helpers its commands share."""

import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from pipeline.errors import ConfigError, shown
from pipeline.partials import remove_stale_partials

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


def check_not_input(path: Path | None, option: str, inputs: dict[str, Path | None]) -> None:
    """Refuse a --json or --html file that is an input, or inside an input folder (a BEIR folder's queries.jsonl):
    the report would overwrite the data it describes."""
    if path is None:
        return
    if path.name in ("", "..") or path.expanduser().is_dir():  # `.`, `/`: no file name to write, after all the work
        raise ConfigError(f"{option} {path} is a folder; give a file name")
    target = path.expanduser().resolve()
    for name, source in inputs.items():
        if source is None:
            continue
        read = source.expanduser().resolve()
        if target == read:
            raise ConfigError(f"{option} {path} is {name}: writing it would overwrite the input; choose another file")
        if read.is_dir() and target.is_relative_to(read):
            raise ConfigError(f"{option} {path} is inside {name}, a folder that is read: writing it could overwrite "
                              "the input; choose a file outside it")


def write_text(path: Path, text: str) -> None:
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


def write_out(out: str, produce: Callable[[Path], dict], inputs: dict[str, Path | str | None],
              names: dict[str, str] | None = None) -> dict:
    """`produce(folder)` writes the output into OUT; for an object-store URI into a local staging folder, published
    to OUT afterwards (the URI is checked before the run, as a local --out is). `inputs` names the paths the command
    reads by their flags, which a local OUT must keep apart from; `names` what an error calls a flag set in the config
    file (`config_file.path_sources`)."""
    from pyarrow import fs

    from pipeline.publish import check_uri, is_uri, publish
    from pipeline.stages.write import PUBLISHED

    if not out:  # an unset shell variable: Path("") is the working directory
        raise ConfigError("--out is an empty path; give the output folder")
    if not is_uri(out):
        check_apart(Path(out), inputs, names)
        return produce(Path(out))
    filesystem, root, _ = check_uri(out, before_run=True)
    if isinstance(filesystem, fs.LocalFileSystem):  # file://: published over, it would lose an input inside it
        check_apart(Path(root), inputs, names)  # the path as pyarrow decodes it (%20 is a space)
    remove_stale_partials(Path(tempfile.gettempdir()), "prep-out-*.partial-*")  # those of killed runs (SIGKILL)
    with tempfile.TemporaryDirectory(prefix="prep-out-", suffix=f".partial-{os.getpid()}") as staging:
        manifest = produce(Path(staging) / "out")
        PUBLISHED.clear()  # the staging folder, which is not the output
        publish(Path(staging) / "out", out)
        PUBLISHED.append(shown(out))
    return manifest


def check_apart(out: Path, inputs: dict[str, Path | str | None], names: dict[str, str] | None = None) -> None:
    """Refuse an OUT that is or holds the working directory, or is, holds or lies in an input path: OUT is replaced
    whole at the end, which would delete an input inside it (and leave the shell in a deleted folder), and an OUT
    inside a data folder becomes part of that data on its next read (a model or cache folder is not read whole: an
    OUT inside it is fine). Paths that do not exist (a hub model name) have nothing to
    lose, except the cache folder, which the run creates (inside OUT, the end of the run would delete it)."""
    out = out.expanduser().resolve()
    here = Path.cwd()
    if out == here or out in here.parents:  # replaced by a new folder, the shell would be left in a deleted one
        raise ConfigError(f"--out {out} {'is' if out == here else 'holds'} the working directory, which the output "
                          "would replace: choose an --out outside it")
    for option, name in inputs.items():
        if name is None or not (option == "--cache-dir" or Path(name).expanduser().exists()):
            continue
        path = Path(name).expanduser().resolve()
        if path == out or out in path.parents or (path in out.parents and option in ("DATA", "--corpus")):
            relation = "is" if path == out else "holds" if out in path.parents else "lies inside"
            named = (names or {}).get(option, option)
            raise ConfigError(f"--out {out} {relation} {named} {path}: choose an --out apart from the inputs")
