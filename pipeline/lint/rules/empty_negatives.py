"""empty-negatives: FlagEmbedding rows with no negatives (its trainer divides by zero) or with fewer than
train_group_size - 1 (it repeats the ones there are)."""

import polars as pl

from pipeline.lint.rule import ERROR, WARNING, Finding, Rule
from pipeline.readers.files import ROW


class EmptyNegatives(Rule):
    id = "empty-negatives"
    severity = ERROR
    description = ("FlagEmbedding rows with 0 negatives (ZeroDivisionError) or fewer than train_group_size - 1 "
                   "(repeated): --group-size, else a prep output's own, else 8.")
    fix = "`prep run DATA --layout flag --group-size G` mines up to G - 1 negatives per query."
    layouts = frozenset({"flag"})

    def check(self, table, context) -> list[Finding]:
        if table.source.schema.get("neg") == pl.String:
            return []  # string-instead-of-list reports it
        need = context.options.group_size - 1
        if need == 0:  # train_group_size 1 samples no negatives: rows without any are fine
            return []
        # A neg column that is null in every row reads as text: those rows have no negatives either.
        listed = isinstance(table.frame.schema.get("neg"), pl.List)
        counts = table.frame.select(ROW, n=pl.col("neg").list.len().fill_null(0) if listed else pl.lit(0))
        none, few = counts.filter(pl.col("n") == 0), counts.filter((pl.col("n") > 0) & (pl.col("n") < need))
        findings = []
        if none.height:
            findings.append(self.found(none[ROW], "rows without negatives: FlagEmbedding's sampler divides by "
                                       "the number of negatives and fails"))
        if few.height:
            findings.append(self.found(few[ROW], f"rows with fewer than {need} negatives (train_group_size "
                                       f"{context.options.group_size}): FlagEmbedding repeats them to fill the "
                                       "group", severity=WARNING))
        return findings
