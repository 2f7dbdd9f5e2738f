"""Labeled lists: query, docs: list[str], labels: list[float], one ragged row per query, for CrossEncoder listwise
losses (ListNetLoss, LambdaLoss, ...). Positives first (label 1.0), then negatives (0.0); with `scores` the
scores the selection carries. `docs` and `labels` are always the same length. A query without a positive has no
row: a list whose labels are all 0 teaches a listwise loss nothing."""

import polars as pl

from pipeline.layouts.layout import Layout, no_rejects
from pipeline.layouts.selection import Selection


def lay_out_labeled_list(selection: Selection, scores: bool) -> Layout:
    pairs = selection.pairs().select("query_id", "doc_id", "anchor", text="positive", score="score", positive=True)
    negatives = (selection.negative_texts().join(pairs.select("query_id").unique(), on="query_id", how="semi")
                 .select("query_id", "doc_id", "text", "score", positive=False))
    label = pl.col("score") if scores else pl.col("positive").cast(pl.Float64)
    both = pl.concat([pairs.drop("anchor"), negatives]).with_columns(label=label)
    rows = (both.group_by("query_id", maintain_order=True)
            .agg(docs="text", labels="label", positives=pl.col("text").filter("positive"),
                 negatives=pl.col("text").filter(~pl.col("positive")))
            .join(selection.queries.rename({"text": "query"}), on="query_id", maintain_order="left"))
    return Layout(
        rows=rows.select("query", "docs", "labels"),
        pairs=pairs.select("query_id", "doc_id"),
        rejects=no_rejects(),
        view=rows.select("query", positive="positives", negative="negatives"),
    )
