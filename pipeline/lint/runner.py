"""Run the registered rules over every table of DATA and decide the exit code."""

import dataclasses
import logging
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from pipeline.errors import ConfigError, InputError, PrepError
from pipeline.lint.context import GROUP_SIZE, LintContext, LintOptions
from pipeline.lint.layouts import Roles, detect_layout, find_roles
from pipeline.lint.load import Source, is_json_folder, read_sources
from pipeline.lint.prep_output import train_data, written_group_size, written_layout
from pipeline.lint.registry import EMPTY, RULES
from pipeline.lint.rule import ERROR, Finding
from pipeline.lint.table import LintTable
from pipeline.readers import check_roles
from pipeline.readers.beir import is_beir_folder
from pipeline.readers.detect import format_of_columns
from pipeline.readers.files import ROW
from pipeline.report.tokens import output_prompts

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class LintResult:
    findings: list[Finding]
    tables: list[dict]  # {source, layout, rows, lines_of} per table linted (lines_of: see `Source`)

    def errors(self, strict: bool = False) -> int:
        return sum(1 for finding in self.findings if strict or finding.severity == ERROR)

    def exit_code(self, strict: bool = False) -> int:
        """0: no errors (warnings allowed, unless strict); 1: errors. Unreadable input raised before (exit 2)."""
        return 1 if self.errors(strict) else 0


def lint(path: Path, options: LintOptions) -> LintResult:
    path = train_data(Path(path))
    asked_group_size = options.group_size
    if options.group_size is None:  # a prep flag output was written for its own train_group_size
        options = dataclasses.replace(options, group_size=written_group_size(path) or GROUP_SIZE)
    context = LintContext(options, prompts=output_prompts(path, options.model) if path.is_dir() else None)
    if options.eval_data is not None:
        # --layout is what DATA is checked against; the eval data gives only its texts, in whatever layout it has.
        # --format and --columns (or --eval-columns) say how the files are read: one dataset's splits share them.
        own = options.columns if options.eval_columns is None else options.eval_columns
        try:
            held_out = [_table(source, dataclasses.replace(options, layout=None, columns=own), Path(options.eval_data))
                        for source in read_sources(Path(options.eval_data), _eval_split(options), own, options.fmt,
                                                   "--eval-split")]
        except PrepError as error:
            raise _for_eval(error, options) from None
        # `table`: rows are numbered per table (each file of a folder, each split), so a row is (table, ROW).
        # Keyed as the encoder sees them: with an uncased tokenizer "What is BM25" leaks "what is bm25".
        context.eval_texts = pl.concat([table.keyed(context.folds_case, context.strips_accents)[0]
                                        .with_columns(table=pl.lit(number)) for number, table in enumerate(held_out)])
    findings, tables = [], []
    if is_json_folder(path):
        context.earlier_queries = pl.DataFrame(schema={"id": pl.UInt64, "file": pl.String, "unit": pl.String,
                                                       "line": pl.Int64})
    linted = []
    for source in read_sources(path, options.split, options.columns, options.fmt):
        _refuse_other_layout(source, options)
        table = _table(source, options, path)
        if asked_group_size is not None and table.layout != "flag":  # it would change nothing: said, as run says it
            raise ConfigError(f"--group-size is FlagEmbedding's train_group_size, for flag data; {source.name} is "
                              f"linted as {table.layout}: drop --group-size (ST's batches: --batch-size)")
        linted.append(table)
    if is_json_folder(path):  # a trainer reads the files as one dataset: rows of one file meet rows of the others
        context.folder = tuple(linted)
    for table in linted:
        source = table.source
        tables.append({"source": source.name, "layout": table.layout, "rows": table.rows, "lines_of": source.lines_of})
        findings += lint_table(table, context)
        if context.earlier_queries is not None and table.rows:
            context.earlier_queries = _with_queries(context.earlier_queries, table)
    return LintResult(findings, tables)


def _for_eval(error: PrepError, options: LintOptions) -> PrepError:
    """The readers name --columns: the --eval data's own names come by --eval-columns."""
    message = str(error)
    if "--columns" in message:
        error.args = (message.replace("--columns", "--eval-columns") if options.eval_columns is not None else
                      f"{message} (the --eval data is read with --columns, unless --eval-columns maps its own names)",)
    return error


def _refuse_other_layout(source: Source, options: LintOptions) -> None:
    """DATA as a BEIR folder is linted as it is (the --eval data may be one beside a table of another layout)."""
    named = next((f"--{key} {value}" for key, value in (("layout", options.layout), ("format", options.fmt))
                  if value not in (None, "beir")), None)
    if source.is_beir and named:
        raise InputError(source.name, f"a BEIR folder is linted as the beir layout, not {named}: write that layout "
                                      f"with `prep convert DATA --to LAYOUT` and lint the output")


def _eval_split(options: LintOptions) -> str | None:
    """A BEIR folder's eval queries are its `test` qrels unless --eval-split names others: its `train` qrels (the
    readers' default) would flag every row of DATA when DATA is the same folder."""
    if options.eval_split is None and is_beir_folder(Path(options.eval_data)):
        return "test"
    return options.eval_split


def _with_queries(earlier: pl.DataFrame, table: LintTable) -> pl.DataFrame:
    """`earlier` and the queries of `table` it lacks, each at its first line."""
    anchors = table.texts.filter((pl.col("role") == "anchor") & pl.col("id").is_not_null()).unique("id", keep="first",
                                                                                                   maintain_order=True)
    new = anchors.join(earlier, on="id", how="anti").select("id", file=pl.lit(Path(table.source.name).name),
                                                           unit=pl.lit(table.source.unit),
                                                           line=pl.col(ROW).cast(pl.Int64))
    return pl.concat([earlier, new.cast(earlier.schema)])


def lint_table(table: LintTable, context: LintContext) -> list[Finding]:
    findings = []
    for rule in RULES if table.rows else (EMPTY,):  # an empty table has nothing the other rules could read
        if (rule.deep and not context.options.deep) or not rule.applies(table, context):
            continue
        logger.info("%s: %s", table.source.name, rule.id)
        findings += [dataclasses.replace(finding, source=table.source.name) for finding in rule.check(table, context)]
    return findings


def _table(source: Source, options: LintOptions, data: Path) -> LintTable:
    layout = "beir" if source.is_beir else _detected(source, options)
    if layout == "beir" and not source.is_beir:
        raise InputError(source.name, "not a BEIR folder: expected corpus.jsonl, queries.jsonl and qrels/<split>.tsv")
    if not source.frame.height:  # an empty file has no columns to find roles in, and needs none
        # Nor columns to detect a layout by: an empty prep output (DATA) is in the layout its manifest names.
        written = None if options.layout or source.is_beir else written_layout(data)
        return LintTable(source, written or layout, Roles("", (), (), None))
    return LintTable(source, layout, find_roles(layout, source.schema, source.name, options.columns))


def _detected(source: Source, options: LintOptions) -> str:
    """--layout, else the layout the readers would read. Their format detection and their check of --columns roles
    against it run either way: a table they refuse (a FlagEmbedding file read as st, two columns for one role) is
    refused with --layout too."""
    fmt = format_of_columns(source.schema, options.columns, source.name, options.fmt)
    check_roles(options.columns or {}, fmt)
    return options.layout or detect_layout(source.schema, fmt)
