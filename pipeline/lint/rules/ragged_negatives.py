"""ragged-negatives: negative counts that vary by row, where the trainer needs the same K in every row."""

import polars as pl

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
        texts = table.texts
        counts = (texts.filter((pl.col("role") == "negative") & pl.col("id").is_not_null())
                  .group_by(ROW).len())
        per_row = table.frame.select(ROW).join(counts, on=ROW, how="left").with_columns(pl.col("len").fill_null(0))
        low, high = per_row["len"].min(), per_row["len"].max()
        if low == high:
            return []
        short = per_row.filter(pl.col("len") < high)
        fewer = counted(short.height, "row has", "rows have")
        return [self.found(short[ROW], f"negatives per row vary from {low} to {high}; {fewer} fewer than {high}")]
