"""Labeled pairs: sentence1, sentence2, score (float) for AnglELoss, CoSENTLoss and CosineSimilarityLoss, or with
`binary` an integer label (1/0) for ContrastiveLoss, OnlineContrastiveLoss and SoftmaxLoss.

The triplet-to-pairs conversion: each (query, positive) is a pair scored 1.0 and each (query, negative) one scored
0.0, or with `scores` the scores the selection carries (the miner's, a teacher's or the input's)."""

import polars as pl

from pipeline.layouts.layout import Layout, as_list, no_rejects
from pipeline.layouts.selection import Selection


def lay_out_labeled_pair(selection: Selection, scores: bool, binary: bool) -> Layout:
    # Queries in order of their first positive, then those with only negatives (scored pairs allow them).
    order = (pl.concat([selection.positives["query_id"], selection.negatives["query_id"]]).unique(maintain_order=True)
             .to_frame().with_row_index("order"))
    pairs = selection.pairs().select("query_id", "doc_id", "anchor", text="positive", score="score", positive=True)
    negatives = selection.negative_texts().select("query_id", "doc_id", "text", "score", positive=False)
    anchors = selection.queries.rename({"text": "anchor"})
    both = (pl.concat([pairs, negatives.join(anchors, on="query_id").select(pairs.columns)])
            .join(order, on="query_id").sort("order", pl.col("positive").not_(), maintain_order=True))
    if binary:
        label = pl.col("positive").cast(pl.Int64).alias("label")
    else:
        label = (pl.col("score") if scores else pl.col("positive").cast(pl.Float64)).alias("score")
    return Layout(
        rows=both.select(pl.col("anchor").alias("sentence1"), pl.col("text").alias("sentence2"), label),
        pairs=both.filter("positive").select("query_id", "doc_id"),
        rejects=no_rejects(),
        view=both.lazy().select(query="anchor", positive=pl.when("positive").then(as_list("text")).otherwise(as_list()),
                         negative=pl.when("positive").then(as_list()).otherwise(as_list("text"))),
    )
