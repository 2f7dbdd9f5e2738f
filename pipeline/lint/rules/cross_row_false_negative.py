"""cross-row-false-negative: rows that must not share a batch, because a text of one is a positive (or the query)
of the other's query, or of a near-duplicate of it (--deep): the in-batch false negatives of MNRL and friends.

The same definition as `pipeline.stages.conflicts` (without near-duplicate positives), computed with joins over
whole columns: pairs within one query group are counted, not listed, so a query repeated in many rows stays cheap.
"""

import polars as pl

from pipeline.lint.rule import WARNING, Finding, Rule, in_batch
from pipeline.readers.files import ROW


class CrossRowFalseNegative(Rule):
    id = "cross-row-false-negative"
    severity = WARNING
    description = "A row's text is another row's positive for the same (or a near-duplicate) query."
    fix = ("`prep run DATA --batch-size B` orders rows into conflict-free batches (train with "
           "pipeline.sampler.BlockBatchSampler).")

    def applies(self, table, context) -> bool:
        return in_batch(table, context)

    def check(self, table, context) -> list[Finding]:
        texts = table.texts.filter(pl.col("id").is_not_null()).select(ROW, "role", "id")
        anchors = texts.filter(pl.col("role") == "anchor").select(ROW, query="id")
        positives = (texts.filter(pl.col("role") == "positive").join(anchors, on=ROW)
                     .select("query", forbidden="id").unique())
        related = _related_queries(table, context, anchors["query"].unique())
        forbidden = pl.concat([
            related.select("query", forbidden="related"),
            related.join(positives.rename({"query": "related"}), on="related").select("query", "forbidden"),
        ]).unique()
        hits = (texts.join(forbidden, left_on="id", right_on="forbidden").select(ROW, "query").unique()
                .join(anchors.rename({"query": "own"}), on=ROW).filter(pl.col("query") != pl.col("own")))
        cross = (hits.join(anchors.rename({ROW: "other"}), on="query")
                 .select(first=pl.min_horizontal(ROW, "other"), second=pl.max_horizontal(ROW, "other")).unique())
        groups = anchors.group_by("query").len().filter(pl.col("len") > 1)
        within = int((groups["len"] * (groups["len"] - 1) // 2).sum())
        pairs = cross.height + within
        if pairs == 0:
            return []
        rows = pl.concat([cross["first"], cross["second"], anchors.join(groups, on="query")[ROW]])
        message = (f"{pairs:,} pairs of rows conflict ({within:,} share a query, {cross.height:,} where a text of "
                   "one is a positive or the query of the other's query)")
        batch = context.options.batch_size
        if batch and table.rows > 1:
            size = min(batch, table.rows)
            expected = pairs * size * (size - 1) / (table.rows * (table.rows - 1))
            message += f"; in random batches of {batch}: {expected:.2f} conflicting pairs per batch expected"
        return [self.found(rows, message)]


def _related_queries(table, context, queries: pl.Series) -> pl.DataFrame:
    """(query, related): each query with itself and, with --deep, with its near-duplicate queries."""
    if not context.options.deep:
        return pl.DataFrame({"query": queries, "related": queries})
    from pipeline.lint.deep import query_links
    from pipeline.stages.conflicts import related

    ids, links = query_links(table, context)
    return related(ids, links).rename({"id": "query", "related_id": "related"})
