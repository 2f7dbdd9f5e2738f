"""Conflict-free batches: reorder the laid-out rows into blocks that hold no in-batch false negative.

The blocks go to the dataset's description, where `pipeline.sampler.BlockBatchSampler` reads them. Full blocks of
B come first; the rows left over (a query with more rows than there are full blocks) are, by `leftover`:
- "short-blocks" (default): kept as shorter conflict-free blocks at the end;
- "reject": set aside to rejects.parquet, except the largest short block, kept as the last batch;
- "final-block": appended in blocks of B at the end, which may hold conflicts (counted in the manifest).
"""

from dataclasses import dataclass

import polars as pl

from pipeline.canonical import Canonical
from pipeline.layouts.layout import Layout
from pipeline.stages.conflicts import conflicting_pairs, count_conflicts, forbidden_ids, row_sets
from pipeline.stages.dedupe import Links
from pipeline.stages.pack import pack_blocks

SET_ASIDE = "no_conflict_free_batch"  # the reason of a row --leftover reject sets aside


@dataclass(frozen=True)
class Batched:
    layout: Layout
    blocks: list[int]  # sizes of the consecutive blocks of `layout.rows`
    rejects: pl.DataFrame
    stats: dict


def plan_batches(canon: Canonical, layout: Layout, query_links: Links, doc_links: Links, batch_size: int,
                 leftover: str, query_copies: pl.DataFrame | None = None) -> Batched:
    forbidden_by_query = forbidden_ids(canon.queries["query_id"], query_links, canon.corpus["doc_id"], doc_links,
                                       canon.positives, query_copies)
    keys, forbidden = row_sets(layout.ids, forbidden_by_query)
    rows = list(range(layout.rows.height))
    packing = pack_blocks(keys, forbidden, layout.ids["anchor_id"].to_list(), batch_size)
    blocks = packing.full + packing.short
    set_aside: list[int] = []
    if leftover == "final-block":  # every row of the shorter blocks, in blocks of B: full batches, maybe conflicts
        tail = [row for block in packing.short for row in block]
        blocks = packing.full + [tail[start:start + batch_size] for start in range(0, len(tail), batch_size)]
    elif leftover == "reject" and len(packing.short) > 1:
        set_aside = [row for block in packing.short[1:] for row in block]
        blocks = packing.full + packing.short[:1]
    order = [row for block in blocks for row in block]
    rejects = layout.rows[pl.Series(set_aside, dtype=pl.UInt32)].select(  # a triplet row is told by its negative
        "anchor", "positive", *[name for name in ("negative",) if name in layout.rows.columns],
        reason=pl.lit(SET_ASIDE),
        detail=pl.lit(f"left over after packing conflict-free batches of {batch_size}: --leftover reject sets such "
                      "rows aside (short-blocks keeps them as shorter batches)"))
    stats = {
        "batch_size": batch_size,
        "leftover": leftover,
        "conflicts_in_input_order": count_conflicts(rows, batch_size, keys, forbidden),
        "conflicts_after_layout": sum(conflicting_pairs(block, keys, forbidden) for block in blocks),
        # from the blocks written: final-block's blocks of B count as full, as the sampler yields them
        "full_blocks": sum(len(block) == batch_size for block in blocks),
        "shorter_blocks": sum(len(block) < batch_size for block in blocks),
        "rows_in_shorter_blocks": sum(len(block) for block in blocks if len(block) < batch_size),
        "rows_set_aside": len(set_aside),
        "rows_kept_share": round(len(order) / max(len(rows), 1), 4),
    }
    return Batched(layout.reorder(order), [len(block) for block in blocks], rejects, stats)

