"""Labeled lists: query, docs: list[str], labels: list[float], one ragged row per query, for CrossEncoder listwise
losses (ListNetLoss, LambdaLoss, ...). Positives first (label 1.0), then negatives (0.0); with `scores` the
scores the selection carries. `docs` and `labels` are always the same length. A list whose labels are all the
same gives RankNetLoss and LambdaLoss no pair to order: a query without a positive has no row, and the pairs of a
query whose list would hold one label value (no negatives, and no scores that tell its positives apart) are
rejected."""

import polars as pl

from pipeline.layouts.layout import Layout
from pipeline.layouts.selection import Selection


def lay_out_labeled_list(selection: Selection, scores: bool) -> Layout:
    pairs = selection.pairs().select("query_id", "doc_id", "anchor", text="positive", score="score", positive=True)
    negatives = (selection.negative_texts().join(pairs.select("query_id").unique(), on="query_id", how="semi")
                 .select("query_id", "doc_id", "text", "score", positive=False))
    label = pl.col("score") if scores else pl.col("positive").cast(pl.Float64)
    both = pl.concat([pairs.drop("anchor"), negatives]).with_columns(label=label)
    lists = (both.group_by("query_id", maintain_order=True)
             .agg(docs="text", labels="label", positives=pl.col("text").filter("positive"),
                  negatives=pl.col("text").filter(~pl.col("positive")), values=pl.col("label").n_unique())
             .join(selection.queries.rename({"text": "query"}), on="query_id", maintain_order="left"))
    rows = lists.filter(pl.col("values") > 1)
    dull = lists.filter(pl.col("values") <= 1).select("query_id", reason=pl.when(pl.col("negatives").list.len() == 0)
                                                      .then(pl.lit("no_negatives")).otherwise(pl.lit("labels_all_equal")))
    return Layout(
        rows=rows.select("query", "docs", "labels"),
        pairs=pairs.join(dull, on="query_id", how="anti", maintain_order="left").select("query_id", "doc_id"),
        rejects=pairs.join(dull, on="query_id", maintain_order="left").select(
            "anchor", positive="text", reason="reason",
            detail=pl.lit("every label of the query's list is the same: RankNetLoss and LambdaLoss find no pair to "
                          "order, and a list of one document leaves any listwise loss nothing to rank")),
        view=rows.lazy().select("query", positive="positives", negative="negatives"),
    )
