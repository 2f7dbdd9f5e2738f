"""non-finite-score: NaN or infinite scores or labels, which every loss turns into a NaN loss."""

import polars as pl

from pipeline.lint.layouts import score_columns
from pipeline.lint.rule import ERROR, Finding, Rule
from pipeline.readers.files import ROW


class NonFiniteScore(Rule):
    id = "non-finite-score"
    severity = ERROR
    description = "NaN or infinite scores or labels (pandas' missing float is NaN): the loss becomes NaN."
    fix = ("Give those texts finite numbers, or drop the rows; `prep report`, `prep run` and `prep convert` stop at "
           "the first such row.")

    def check(self, table, context) -> list[Finding]:
        findings = []
        for column in score_columns(table):
            dtype = table.frame.schema.get(column) if column else None
            if dtype not in (pl.Float64, pl.List(pl.Float64)):
                continue
            bad = pl.element().is_nan() | pl.element().is_infinite()
            value = pl.col(column).list.eval(bad).list.any() if dtype == pl.List(pl.Float64) else \
                pl.col(column).is_nan() | pl.col(column).is_infinite()
            rows = table.frame.filter(value.fill_null(False))[ROW]
            if rows.len():
                findings.append(self.found(rows, f"column '{column}' holds NaN or infinite numbers"))
        return findings
