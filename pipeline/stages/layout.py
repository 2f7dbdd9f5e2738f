"""Lay out (query, positive) pairs and chosen negatives as ST's n-tuple: anchor, positive, negative_1..negative_K.

Texts are joined back by id only here, at the very end. Pairs that cannot get K negatives become rejects.
"""

from dataclasses import dataclass

import polars as pl

from pipeline.canonical import Canonical


@dataclass(frozen=True)
class Layout:
    rows: pl.DataFrame  # exactly the trainer's columns, in order
    rejects: pl.DataFrame  # anchor, positive, reason, detail


def n_tuple_columns(k: int) -> list[str]:
    return ["anchor", "positive", *(f"negative_{i}" for i in range(1, k + 1))]


def lay_out_n_tuple(canon: Canonical, negatives: pl.DataFrame, k: int) -> Layout:
    """One row per (query, positive), in input order, with the query's K negatives hardest first."""
    texts = canon.corpus.rename({"text": "doc_text"})
    counts = negatives.group_by("query_id").len("found")
    columns = n_tuple_columns(k)
    wide = (negatives.filter(pl.col("rank") <= k)
            .join(texts, on="doc_id", maintain_order="left")
            .with_columns(column=pl.format("negative_{}", "rank"))
            .pivot("column", index="query_id", values="doc_text", on_columns=columns[2:]))
    pairs = (canon.positives.select("query_id", "doc_id")
             .join(canon.queries.rename({"text": "anchor"}), on="query_id", maintain_order="left")
             .join(texts.rename({"doc_text": "positive"}), on="doc_id", maintain_order="left")
             .join(counts, on="query_id", how="left", maintain_order="left")
             .with_columns(pl.col("found").fill_null(0)))
    complete = pl.col("found") >= k
    rows = pairs.filter(complete).join(wide, on="query_id", maintain_order="left").select(columns)
    rejects = pairs.filter(~complete).select(
        "anchor", "positive", reason=pl.lit("fewer_than_k_negatives"),
        detail=pl.format("{} of {} negatives left after filtering", "found", pl.lit(k)))
    return Layout(rows, rejects)
