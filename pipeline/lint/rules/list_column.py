"""list-column: a list of texts in a bi-encoder layout, where the trainer takes one text per column."""

import polars as pl

from pipeline.lint.layouts import BI_ENCODER, st_inputs
from pipeline.lint.rule import ERROR, Finding, Rule


class ListColumn(Rule):
    id = "list-column"
    severity = ERROR
    description = "A list-of-texts column in a bi-encoder layout: SentenceTransformerTrainer fails on it."
    fix = ("One text per column: `prep run DATA` (mines up to a fixed K), `prep convert DATA --to n-tuple` or "
           "`--to buckets` (every negative kept, one dataset per count).")
    layouts = BI_ENCODER

    def check(self, table, context) -> list[Finding]:
        inputs, _ = st_inputs(table.source.schema)
        findings = []
        for name in inputs:
            if table.source.schema[name] != pl.List(pl.String):
                continue
            lengths = table.frame[name].list.len()
            span = f"{lengths.min()}" if lengths.min() == lengths.max() else f"{lengths.min()} to {lengths.max()}"
            findings.append(self.found([], f"column '{name}' holds lists of {span} texts", count=table.rows))
        return findings
