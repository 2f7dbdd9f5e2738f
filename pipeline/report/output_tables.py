"""The output report's tables: the canonical tables of the rows a layout wrote, what `prep report` would read from the
written shards, built from the rows' ids where the layout keeps them."""

from pathlib import Path

import polars as pl

from pipeline.canonical import Canonical, InputRows, build_canonical
from pipeline.layouts.layout import Layout


def output_canonical(canon: Canonical, layout: Layout, source: Path) -> Canonical:
    """The canonical tables of the layout's rows, what `prep report` would read from the written shards. Built
    from the rows' ids where the layout keeps them (n-tuple, triplet): the same tables as `build_canonical` of
    the rows' texts, without exploding and hashing every text cell again (600,000 rows: +0.9 GiB and 3 s from
    the texts, +0.2 GiB and 0.5 s from the ids; benchmarks/RESULTS.md)."""
    if layout.ids is None:
        return build_canonical(InputRows(layout.view.collect().with_row_index("row", 1), source, {}, "row"))
    rows = layout.ids.with_row_index("row", 1)
    cells = (rows.select("row", query_id="anchor_id", doc_id="text_ids",
                         rank=pl.int_ranges(pl.col("text_ids").list.len(), dtype=pl.UInt32))
             .explode("doc_id", "rank"))  # rank 0 is the positive, 1.. the negatives (doc_id null: padding)
    texts = cells.filter(pl.col("doc_id").is_not_null())
    positives, negatives = first_pairs(texts.filter(pl.col("rank") == 0)), first_pairs(texts.filter(pl.col("rank") > 0))
    return Canonical(
        queries=canon.queries.join(rows.select(query_id="anchor_id"), on="query_id", how="semi").sort("query_id"),
        corpus=canon.corpus.join(texts.select("doc_id"), on="doc_id", how="semi").sort("doc_id"),
        positives=positives.select("query_id", "doc_id", score=pl.lit(None, pl.Float64), row="row"),
        negatives=negatives.select("query_id", "doc_id", score=pl.lit(None, pl.Float64), rank="rank",
                                   source=pl.lit("input"), row="row"),
        rows=rows.select("row", query_id="anchor_id", first_exact=pl.col("anchor_id").is_first_distinct()),
        empty=cells.filter(pl.col("doc_id").is_null()).select("row", role=pl.lit("negative"), line="row"),
        sources=(source,),
        unit="row",
    )


def first_pairs(links: pl.DataFrame) -> pl.DataFrame:
    """The first row of each (query_id, doc_id) in `links`. By one 64-bit hash of the pair: Polars' own dedupe of the
    pair took +388 MiB for 3M pairs, the hash +98 (benchmarks/RESULTS.md). Two pairs that share a hash, checked for
    among the repeats (few), fall back to it."""
    keyed = links.with_columns(key=pl.struct("query_id", "doc_id").hash())
    first = keyed["key"].is_first_distinct()
    repeats = keyed.filter(~first).select("key", "query_id", "doc_id")
    firsts = keyed.filter(first)
    if repeats.height:
        shared = firsts.join(repeats.select("key").unique(), on="key", how="semi").select("key", "query_id", "doc_id")
        if repeats.join(shared, on="key", suffix="_first").filter(
                (pl.col("query_id") != pl.col("query_id_first")) | (pl.col("doc_id") != pl.col("doc_id_first"))).height:
            return links.filter(pl.struct("query_id", "doc_id").is_first_distinct())
    return firsts.drop("key")
