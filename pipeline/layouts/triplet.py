"""ST's triplet: anchor, positive, negative, one row per (query, positive, negative), for TripletLoss (and MNRL
or GISTEmbedLoss with one negative). A query without negatives cannot make a triplet and is rejected."""

import polars as pl

from pipeline.layouts.layout import Layout, as_list
from pipeline.layouts.selection import Selection, short_rejects


def lay_out_triplet(selection: Selection) -> Layout:
    pairs = selection.pairs()
    negatives = selection.negative_texts().select("query_id", negative_id="doc_id", negative="text")
    rows = pairs.join(negatives, on="query_id", maintain_order="left")
    return Layout(
        rows=rows.select("anchor", "positive", "negative"),
        pairs=rows.select("query_id", "doc_id").unique(maintain_order=True),
        rejects=short_rejects(pairs, selection.counts(), 1, "no_negatives"),
        view=rows.lazy().select(query="anchor", positive=as_list("positive"), negative=as_list("negative")),
        ids=rows.select(anchor_id="query_id", text_ids=pl.concat_list("doc_id", "negative_id")),
    )
