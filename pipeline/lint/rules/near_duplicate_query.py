"""near-duplicate-query (--deep): queries of different rows that the encoder places within --threshold cosine."""

import polars as pl

from pipeline.lint.deep import query_links
from pipeline.lint.rule import WARNING, Finding, Rule, in_batch
from pipeline.readers.files import ROW
from pipeline.wording import counted


class NearDuplicateQuery(Rule):
    id = "near-duplicate-query"
    severity = WARNING
    description = "Paraphrased queries (encoder cosine >= --threshold): in one batch, false in-batch negatives."
    fix = "`prep run DATA --batch-size B` keeps near-duplicate queries out of each other's batches."
    deep = True

    def applies(self, table, context) -> bool:
        return in_batch(table, context)

    def check(self, table, context) -> list[Finding]:
        ids, links = query_links(table, context)
        linked = ids.gather(links.source).unique()
        rows = table.texts.filter((pl.col("role") == "anchor") & pl.col("id").is_in(linked.implode()))
        if rows.is_empty():
            return []
        pairs = counted(len(links.source) // 2, "pair of distinct queries is", "pairs of distinct queries are")
        return [self.found(rows[ROW], f"{pairs} near-duplicate (cosine >= {context.options.threshold})")]
