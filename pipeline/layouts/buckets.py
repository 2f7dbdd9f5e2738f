"""Buckets: a DatasetDict with one n-tuple dataset per negative count (`neg1`, `neg2`, ...), so that every row keeps
all its negatives. ST's multi-dataset training draws each batch from one bucket, where the width is fixed."""

import polars as pl

from pipeline.layouts.layout import VIEW_SCHEMA, Layout
from pipeline.layouts.n_tuple import lay_out_n_tuple
from pipeline.layouts.selection import Selection, short_rejects


def lay_out_buckets(selection: Selection) -> Layout:
    counts = selection.counts()
    no_pairs = selection.positives.select("query_id", "doc_id").clear()
    splits, parts = {}, []
    for count in sorted(c for c in counts["negatives"].unique() if c > 0):
        members = counts.filter(pl.col("negatives") == count).select("query_id")
        bucket = Selection(selection.queries, selection.corpus,
                           selection.positives.join(members, on="query_id", how="semi", maintain_order="left"),
                           selection.negatives.join(members, on="query_id", how="semi", maintain_order="left"),
                           count)
        part = lay_out_n_tuple(bucket, scores=False)
        splits[f"neg{count}"] = part.rows
        parts.append(part)
    return Layout(
        rows=pl.concat([part.rows for part in parts], how="diagonal") if parts else pl.DataFrame(),
        pairs=pl.concat([part.pairs for part in parts]) if parts else no_pairs,
        rejects=short_rejects(selection.pairs(), counts, 1, "no_negatives"),
        view=pl.concat([part.view for part in parts]) if parts else pl.LazyFrame(schema=VIEW_SCHEMA),
        splits=splits,
    )
