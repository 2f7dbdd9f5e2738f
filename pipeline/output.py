"""From a Selection to a written output folder, shared by `prep run` and `prep convert`: choose the positives,
lay out, order into conflict-free batches, and write shards, rejects, report and manifest atomically."""

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl

from pipeline.canonical import Canonical
from pipeline.config import RunConfig
from pipeline.input_rows import with_file_lines
from pipeline.layouts.layout import Layout
from pipeline.layouts.partitions import lay_out_in_partitions
from pipeline.layouts.selection import Selection
from pipeline.report.output_tables import output_canonical
from pipeline.report.tokens import TokenCounter
from pipeline.row_order import COLUMNS, order_digest
from pipeline.stages.arrow_rows import arrow_slices
from pipeline.stages.dedupe import Links
from pipeline.stages.task_map import TaskMap, run_here
from pipeline.stages.write import write_atomically, write_json, written_files


@dataclass(frozen=True)
class Output:
    layout: Layout
    rejects: pl.DataFrame  # every (query, positive) pair the rows do not hold, with its reason
    batches: dict | None
    blocks: list[int] | None
    laid_out: tuple[int, int]  # (pairs, rows) the layout held before batching set rows aside


def choose_positives(positives: pl.DataFrame, choice: str, seed: int) -> pl.DataFrame:
    """`choice` (LayoutConfig.positives): "all" positives, the "first", or a seeded "sample:N" per query, in input
    order."""
    if choice == "all":
        return positives
    if choice == "first":
        return positives.filter(pl.int_range(pl.len()).over("query_id") == 0)
    draw = pl.struct("query_id", "doc_id").hash(seed).rank("ordinal").over("query_id")
    return positives.filter(draw <= int(choice.removeprefix("sample:")))


def split_off_anchors(positives: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The positives that are not their query's own text, and those that are, as `lay_out_output` takes them
    (`excluded`): a pair of a text with itself teaches nothing, and `prep lint` fails it."""
    itself = pl.col("doc_id") == pl.col("query_id")
    return positives.filter(~itself), positives.filter(itself).select(
        "query_id", "doc_id", reason=pl.lit("positive_is_anchor"),
        detail=pl.lit("the positive is the anchor's own text (after normalisation)"))


def no_links(count: int) -> Links:
    return Links(np.zeros(0, np.int64), np.zeros(0, np.int64), count)


def lay_out_output(canon: Canonical, selection: Selection, config: RunConfig, query_links: Links,
                   doc_links: Links, map_tasks: TaskMap = run_here, excluded: pl.DataFrame | None = None,
                   query_copies: pl.DataFrame | None = None) -> Output:
    """The layout's rows (laid out by partitions of queries, with `map_tasks`), every pair that did not make it
    (with its reason: `excluded` (query_id, doc_id, reason, detail) gives those of the pairs kept out of
    `selection` before), the batch statistics and blocks (`query_copies`: conflicts.forbidden_ids)."""
    from pipeline.stages.batches import plan_batches

    layout = lay_out_in_partitions(selection, config.layout, config.mining.seed, map_tasks)
    if excluded is None:
        excluded = pl.DataFrame(schema={"query_id": pl.UInt64, "doc_id": pl.UInt64, "reason": pl.String,
                                        "detail": pl.String})
    not_chosen = (canon.positives.join(selection.positives, on=["query_id", "doc_id"], how="anti",
                                       maintain_order="left")
                  .join(excluded, on=["query_id", "doc_id"], how="left", maintain_order="left")
                  .join(canon.queries.rename({"text": "anchor"}), on="query_id", maintain_order="left")
                  .join(canon.corpus.rename({"text": "positive"}), on="doc_id", maintain_order="left")
                  .select("anchor", "positive", reason=pl.col("reason").fill_null("positive_not_chosen"),
                          detail=pl.col("detail").fill_null(f"--positives {config.layout.positives}")))
    rejects = [layout.rejects, not_chosen]
    laid_out = layout.pairs.height, layout.rows.height
    batches = blocks = None
    if config.layout.batch_size:
        batched = plan_batches(canon, layout, query_links, doc_links, config.layout.batch_size,
                               config.layout.leftover, query_copies)
        layout, batches, blocks = batched.layout, batched.stats, batched.blocks
        rejects.append(batched.rejects)
    return Output(layout, with_input_rows(canon, pl.concat(rejects, how="diagonal_relaxed")), batches, blocks,
                  laid_out)


def with_input_rows(canon: Canonical, rejects: pl.DataFrame) -> pl.DataFrame:
    """The pairs set aside (anchor, positive, reason, detail) with `row` first: the first input row that holds
    the pair (its texts are canonical, so each maps to one id)."""
    ids = (rejects.join(canon.queries.rename({"text": "anchor", "query_id": "id"}), on="anchor", how="left",
                        maintain_order="left", validate="m:1")
           .join(canon.corpus.rename({"text": "positive"}), on="positive", how="left", maintain_order="left",
                 validate="m:1"))
    located = ids.join(canon.positives.select("doc_id", "row", id="query_id"), on=["id", "doc_id"], how="left",
                       maintain_order="left", validate="m:1")
    return located.select(pl.col("row").cast(pl.Int64), *rejects.columns)


def write_output(out: Path, canon: Canonical, output: Output, rejects: pl.DataFrame, manifest: dict,
                 config: RunConfig, counter: TokenCounter, finishing: Callable[[], None] = lambda: None) -> None:
    """Writes the folder atomically, manifest.json last: `finishing` runs just before, so that the manifest can
    hold the time and memory of the write itself."""
    from pipeline.report.html import render_html
    from pipeline.report.profile import profile
    from pipeline.stages.shards import write_shards

    report = profile(output_canonical(canon, output.layout, Path(f"{config.layout.layout} output")), counter)
    description = {"prep_batch_size": config.layout.batch_size, "prep_blocks": output.blocks}
    if output.blocks:  # so that the batch sampler can tell a reordered copy from the output
        description["prep_order_digest"] = order_digest(arrow_slices(output.layout.rows.select(COLUMNS)))

    def fill(folder: Path) -> None:
        write_shards(folder, output.layout, config.layout, description)
        with_file_lines(rejects, canon.parts).write_parquet(folder / "rejects.parquet")
        write_json(folder / "report.json", report)
        (folder / "report.html").write_text(render_html(report), encoding="utf-8")
        finishing()
        # what the next run to this --out may replace; anything else found there then is the user's
        write_json(folder / "manifest.json", manifest | {"files": sorted([*written_files(folder), "manifest.json"])})

    write_atomically(out, fill)
