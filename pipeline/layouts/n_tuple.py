"""ST's n-tuple: anchor, positive, negative_1..negative_K, and with scores a `label` list [positive, negatives]
for MarginMSELoss and DistillKLDivLoss. One row per (query, positive); a query short of K is rejected."""

import polars as pl

from pipeline.layouts.layout import Layout, as_list
from pipeline.layouts.selection import Selection, short_rejects


def n_tuple_columns(k: int) -> list[str]:
    return ["anchor", "positive", *(f"negative_{i}" for i in range(1, k + 1))]


def lay_out_n_tuple(selection: Selection, scores: bool) -> Layout:
    k = selection.k
    columns = n_tuple_columns(k)
    counts = selection.counts()
    complete = counts.filter(pl.col("negatives") >= k).select("query_id")
    negatives = selection.negative_texts().filter(pl.col("rank") <= k).join(complete, on="query_id", how="semi")
    wide = (negatives.with_columns(column=pl.format("negative_{}", "rank"))
            .pivot("column", index="query_id", values="text", on_columns=columns[2:]))
    per_query = negatives.group_by("query_id").agg(negative_ids=pl.col("doc_id").sort_by("rank"),
                                                   negative_scores=pl.col("score").sort_by("rank"))
    pairs = selection.pairs()
    kept = (pairs.join(complete, on="query_id", how="semi", maintain_order="left")
            .join(wide, on="query_id", maintain_order="left").join(per_query, on="query_id", maintain_order="left"))
    label = [pl.concat_list(pl.col("score"), "negative_scores").alias("label")] if scores else []
    rows = kept.select(*columns, *label)
    return Layout(
        rows=rows,
        pairs=kept.select("query_id", "doc_id"),
        rejects=short_rejects(pairs, counts, k, "fewer_than_k_negatives"),
        # over the rows, not `kept`, which it would hold whole (the negatives' ids and scores too)
        view=rows.lazy().select(query="anchor", positive=as_list("positive"), negative=as_list(*columns[2:])),
        ids=kept.select(anchor_id="query_id", text_ids=pl.concat_list("doc_id", "negative_ids")),
    )
