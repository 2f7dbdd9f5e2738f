"""Conflict-free batches: reorder the laid-out rows so that every block of B rows holds no in-batch false negative."""

from dataclasses import dataclass

import numpy as np
import polars as pl

from pipeline.canonical import Canonical
from pipeline.stages.conflicts import count_conflicts, row_sets, text_groups
from pipeline.stages.layout import Layout
from pipeline.stages.pack import pack_blocks


@dataclass(frozen=True)
class Batched:
    layout: Layout
    rejects: pl.DataFrame  # rows that fit in no conflict-free block (leftover = "reject")
    stats: dict


def plan_batches(canon: Canonical, layout: Layout, query_clusters: np.ndarray, doc_clusters: np.ndarray,
                 batch_size: int, leftover: str) -> Batched:
    groups = text_groups(canon.queries["query_id"], query_clusters, canon.corpus["doc_id"], doc_clusters)
    clusters = canon.queries.select("query_id", cluster=pl.Series(query_clusters, dtype=pl.Int64))
    keys, forbidden = row_sets(layout.ids, canon.positives, clusters, groups)
    rows = list(range(layout.rows.height))
    before = count_conflicts(rows, batch_size, keys, forbidden)
    # Rows of the biggest conflict groups first: they need the most distinct blocks.
    group_rows = layout.ids.join(groups.rename({"id": "anchor_id"}), on="anchor_id", maintain_order="left")
    weight = group_rows.select(pl.len().over("group"))["len"].to_numpy().astype(np.int64)
    priority = sorted(rows, key=lambda row: (-weight[row], row))
    packing = pack_blocks(keys, forbidden, batch_size, priority)
    order = packing.order + (packing.leftover if leftover == "final-block" else [])
    packed = layout.reorder(order)
    set_aside = layout.rows[pl.Series(packing.leftover, dtype=pl.UInt32)].select(
        "anchor", "positive", reason=pl.lit("no_conflict_free_batch"),
        detail=pl.lit(f"conflicts with a row in every batch of {batch_size}"))
    stats = {
        "batch_size": batch_size,
        "conflicts_in_input_order": before,
        "conflicts_after_layout": count_conflicts(list(range(len(packing.order))), batch_size,
                                                  [keys[r] for r in packing.order],
                                                  [forbidden[r] for r in packing.order]),
        "rows_set_aside": len(packing.leftover),
        "leftover": leftover,
        "rows_kept_share": round(len(packing.order) / max(len(rows), 1), 4),
    }
    if leftover == "final-block":
        stats["conflicts_in_final_block"] = count_conflicts(packing.leftover, len(packing.leftover) or 1,
                                                            keys, forbidden)
    return Batched(packed, set_aside if leftover == "reject" else set_aside.clear(), stats)
