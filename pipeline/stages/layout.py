"""Lay out (query, positive) pairs and chosen negatives as ST's n-tuple: anchor, positive, negative_1..negative_K.

Texts are joined back by id only here, at the very end. Pairs that cannot get K negatives become rejects.
"""

from dataclasses import dataclass

import polars as pl

from pipeline.canonical import Canonical


@dataclass(frozen=True)
class Layout:
    rows: pl.DataFrame  # exactly the trainer's columns, in order
    ids: pl.DataFrame  # per row: anchor_id and text_ids (positive and negatives), for conflict checks
    rejects: pl.DataFrame  # anchor, positive, reason, detail

    def reorder(self, order: list[int]) -> "Layout":
        index = pl.Series(order, dtype=pl.UInt32)
        return Layout(self.rows[index], self.ids[index], self.rejects)


def n_tuple_columns(k: int) -> list[str]:
    return ["anchor", "positive", *(f"negative_{i}" for i in range(1, k + 1))]


def choose_positives(positives: pl.DataFrame, per_query: int | None, seed: int) -> pl.DataFrame:
    """All positives, or the first / a seeded sample of N per query, in input order."""
    if per_query is None:
        return positives
    position = pl.int_range(pl.len()).over("query_id")
    if per_query == 1:
        return positives.filter(position == 0)
    draw = pl.struct("query_id", "doc_id").hash(seed).rank("ordinal").over("query_id")
    return positives.filter(draw <= per_query)


def lay_out_n_tuple(canon: Canonical, negatives: pl.DataFrame, k: int, positives: pl.DataFrame) -> Layout:
    """One row per chosen (query, positive), in input order, with the query's K negatives hardest first."""
    texts = canon.corpus.rename({"text": "doc_text"})
    columns = n_tuple_columns(k)
    counts = negatives.group_by("query_id").len("found")
    chosen = negatives.filter(pl.col("rank") <= k).join(texts, on="doc_id", maintain_order="left")
    wide = (chosen.with_columns(column=pl.format("negative_{}", "rank"))
            .pivot("column", index="query_id", values="doc_text", on_columns=columns[2:]))
    negative_ids = chosen.sort("query_id", "rank").group_by("query_id").agg(negative_ids=pl.col("doc_id"))
    pairs = (positives.select("query_id", "doc_id")
             .join(canon.queries.rename({"text": "anchor"}), on="query_id", maintain_order="left")
             .join(texts.rename({"doc_text": "positive"}), on="doc_id", maintain_order="left")
             .join(counts, on="query_id", how="left", maintain_order="left")
             .with_columns(pl.col("found").fill_null(0)))
    complete = pl.col("found") >= k
    kept = (pairs.filter(complete).join(wide, on="query_id", maintain_order="left")
            .join(negative_ids, on="query_id", maintain_order="left"))
    rejects = pairs.filter(~complete).select(
        "anchor", "positive", reason=pl.lit("fewer_than_k_negatives"),
        detail=pl.format("{} of {} negatives left after filtering", "found", pl.lit(k)))
    ids = kept.select(anchor_id="query_id", text_ids=pl.concat_list(pl.col("doc_id"), "negative_ids"))
    return Layout(kept.select(columns), ids, rejects)
