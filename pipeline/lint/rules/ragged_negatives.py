"""ragged-negatives: negative counts that vary by row, where the trainer needs the same K in every row."""

import polars as pl

from pipeline.lint.fixes import convert_command, fixed_k_fix, negatives_per_row
from pipeline.lint.rule import WARNING, Finding, Rule
from pipeline.readers.files import ROW
from pipeline.wording import counted


class RaggedNegatives(Rule):
    id = "ragged-negatives"
    severity = WARNING
    description = "Rows have different numbers of negatives; n-tuple and triplet losses need a fixed K."
    fix = ("`prep run DATA` (mines short rows up to K) or `prep convert DATA --to n-tuple --fill drop|repeat` for a "
           "fixed K, or `prep convert DATA --to buckets` to keep every negative.")
    layouts = frozenset({"st", "n-tuple", "buckets"})

    def check(self, table, context) -> list[Finding]:
        if not table.roles.negatives:
            return []
        per_row = negatives_per_row(table)
        low, high = per_row["negatives"].min(), per_row["negatives"].max()
        if low == high:
            return []
        short = per_row.filter(pl.col("negatives") < high)
        fewer = counted(short.height, "row has", "rows have")
        return [self.found(short[ROW], f"negatives per row vary from {low} to {high}; {fewer} fewer than {high}",
                           fix=f"{fixed_k_fix(table, context)}; or `{convert_command(context, 'buckets')}` keeps "
                               "every negative, one dataset per count.")]
