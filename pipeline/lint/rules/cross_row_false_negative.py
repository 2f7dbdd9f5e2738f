"""cross-row-false-negative: rows that must not share a batch, because a text of one is a positive (or the query)
of the other's query, or of a near-duplicate of it (--deep): the in-batch false negatives of MNRL and friends.

The same definition as `pipeline.stages.conflicts` (without near-duplicate positives), computed with joins over
whole columns, never over pairs of rows: with mined data, where one passage is a positive of some queries and a
negative of many, the pairs run to tens of millions. A cross-query conflict is counted once per text that causes
it, so a pair that conflicts both ways (two queries sharing a positive) counts twice: an upper bound.
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
        sizes = anchors.group_by("query").agg(size=pl.len())
        forbidden = _forbidden(texts, anchors, _related_queries(table, context, sizes["query"])).join(sizes, on="query")
        # Each text conflicts with every row of every query that forbids it, but its own row's query.
        owned = texts.join(anchors.rename({"query": "own"}), on=ROW)
        own_size = (owned.join(forbidden, left_on=["own", "id"], right_on=["query", "forbidden"], how="left")
                    ["size"].fill_null(0))
        weight = owned.join(forbidden.group_by("forbidden").agg(weight=pl.col("size").sum()), left_on="id",
                            right_on="forbidden", how="left")["weight"].fill_null(0)
        per_row = owned.with_columns(conflicts=weight - own_size).group_by(ROW).agg(pl.col("conflicts").sum())
        cross = int(per_row["conflicts"].sum())
        groups = sizes.filter(pl.col("size") > 1)
        within = int((groups["size"] * (groups["size"] - 1) // 2).sum())
        if cross + within == 0:
            return []
        owners = owned.group_by("id").agg(owners=pl.col("own").n_unique(), owner=pl.col("own").first())
        hit = forbidden.join(owners, left_on="forbidden", right_on="id").filter(
            (pl.col("owners") > 1) | (pl.col("owner") != pl.col("query")))
        rows = pl.concat([per_row.filter(pl.col("conflicts") > 0)[ROW],
                          anchors.join(pl.concat([groups["query"], hit["query"]]).to_frame(), on="query",
                                       how="semi")[ROW]])
        message = (f"{within:,} pairs of rows share a query; {cross:,} times a text of one row is a positive or the "
                   "query of another row's query")
        batch = context.options.batch_size
        if batch and table.rows > 1:
            size = min(batch, table.rows)
            expected = (cross + within) * size * (size - 1) / (table.rows * (table.rows - 1))
            message += f"; in random batches of {batch}: about {expected:.2f} conflicts per batch"
        return [self.found(rows, message)]


def _forbidden(texts: pl.DataFrame, anchors: pl.DataFrame, related: pl.DataFrame) -> pl.DataFrame:
    """(query, forbidden): the ids that must not share a batch with a row of `query`: related queries and their
    positives."""
    positives = (texts.filter(pl.col("role") == "positive").join(anchors, on=ROW)
                 .select(related="query", forbidden="id").unique())
    return pl.concat([
        related.select("query", forbidden="related"),
        related.join(positives, on="related").select("query", "forbidden"),
    ]).unique()


def _related_queries(table, context, queries: pl.Series) -> pl.DataFrame:
    """(query, related): each query with itself and, with --deep, with its near-duplicate queries."""
    if not context.options.deep:
        return pl.DataFrame({"query": queries, "related": queries})
    from pipeline.lint.deep import query_links
    from pipeline.stages.conflicts import related

    ids, links = query_links(table, context)
    return related(ids, links).rename({"id": "query", "related_id": "related"})
