"""Lay out partition by partition: every layout is built per query, and partitions end only where no query's
positives run on past the cut, so the partitions' layouts, concatenated in partition order, are one whole layout,
row for row. On the Ray engine each partition is a task."""

from collections import Counter
from dataclasses import replace

import polars as pl

from pipeline.config import LayoutConfig
from pipeline.instructions import complete_instructions
from pipeline.layouts import check_scores, lay_out
from pipeline.layouts.layout import Layout
from pipeline.layouts.selection import Selection
from pipeline.stages.task_map import TaskMap, run_here

PARTITION_QUERIES = 100_000


def lay_out_in_partitions(selection: Selection, config: LayoutConfig, seed: int, map_tasks: TaskMap = run_here,
                          size: int | None = None) -> Layout:
    check_scores(selection, config)  # once for all partitions, so the error counts every missing score
    parts = partition_selection(selection, size or PARTITION_QUERIES)
    if len(parts) == 1:
        layout = lay_out(parts[0], config, seed)
    else:
        layout = concat_layouts(map_tasks(lay_out_partition, parts, (config, seed)))
    if config.layout == "flag":  # over all the rows written: a partition cannot tell whether every row has a prompt
        layout = replace(layout, rows=complete_instructions(layout.rows))
    return layout


def lay_out_partition(part: Selection, shared: tuple[LayoutConfig, int]) -> Layout:
    return lay_out(part, *shared)


def partition_selection(selection: Selection, size: int) -> list[Selection]:
    """Partitions of about `size` queries, each with the positives, negatives and texts of its own queries. A
    partition is a run of the positives in input order (a query whose positives are scattered keeps the queries
    between them in its partition), then the queries with negatives only, as the layouts order them."""
    positions = selection.positives.select("query_id").with_row_index("position")
    spans = (positions.group_by("query_id").agg(first=pl.col("position").min(), last=pl.col("position").max())
             .sort("first"))
    # A query starts a new block unless an earlier query has a positive after its first one.
    spans = spans.with_columns(block=(pl.col("first") > pl.col("last").cum_max().shift(1, fill_value=-1)).cum_sum())
    negatives_only = (selection.negatives.select("query_id").unique(maintain_order=True)
                      .join(spans, on="query_id", how="anti"))
    order = (pl.concat([spans.select("query_id", block=pl.col("block").cast(pl.Int64)),
                        negatives_only.select("query_id", block=pl.int_range(pl.len(), dtype=pl.Int64) + 1
                                              + (spans["block"].max() or 0))])
             .with_row_index("rank").with_columns(part=pl.col("rank").min().over("block") // size))
    if order["part"].n_unique() <= 1:
        return [selection]

    def split(frame: pl.DataFrame) -> dict:
        return frame.join(order.select("query_id", "part"), on="query_id", maintain_order="left").partition_by(
            "part", as_dict=True, include_key=False, maintain_order=True)

    positives, negatives, queries = split(selection.positives), split(selection.negatives), split(selection.queries)
    parts = []
    for number in order["part"].unique().sort():
        own_positives = positives.get((number,), selection.positives.clear())
        own_negatives = negatives.get((number,), selection.negatives.clear())
        docs = pl.concat([own_positives["doc_id"], own_negatives["doc_id"]]).unique().to_frame()
        corpus = selection.corpus.join(docs, on="doc_id", how="semi", maintain_order="left")
        parts.append(Selection(queries[(number,)], corpus, own_positives, own_negatives, selection.k,
                               selection.instructions))
    return parts


def concat_layouts(layouts: list[Layout]) -> Layout:
    """The partitions' layouts as one: rows and every table concatenated in partition order, splits by name."""

    def concat(frames: list[pl.DataFrame]) -> pl.DataFrame:
        # diagonal: a partition without a bucket has no columns. Not rechunked: that copies every text into one
        # buffer (631,169 n-tuple rows: +53 MiB held); the write makes its slices one chunk each (arrow_slices).
        return pl.concat(frames, how="diagonal")

    splits = None
    if layouts[0].splits is not None:
        names = {name for layout in layouts for name in layout.splits}
        # bucket names are neg<count>: in count order, as one whole layout orders them
        splits = {name: concat([layout.splits[name] for layout in layouts if name in layout.splits])
                  for name in sorted(names, key=lambda name: (len(name), name))}
    return Layout(
        rows=concat([layout.rows for layout in layouts]),
        pairs=concat([layout.pairs for layout in layouts]),
        rejects=concat([layout.rejects for layout in layouts]),
        view=concat([layout.view for layout in layouts]),
        ids=None if layouts[0].ids is None else concat([layout.ids for layout in layouts]),
        splits=splits,
        filled=dict(sum((Counter(layout.filled) for layout in layouts), Counter())),
    )
