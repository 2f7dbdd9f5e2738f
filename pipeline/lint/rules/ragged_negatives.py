"""ragged-negatives: negative counts that vary by row, where the trainer needs the same K in every row."""

import polars as pl

from pipeline.lint.fixes import convert_command, fixed_k_fix
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
        per_row = _given_per_row(table)
        low, high = per_row["negatives"].min(), per_row["negatives"].max()
        if low == high:
            return []
        short = per_row.filter(pl.col("negatives") < high)
        fewer = counted(short.height, "row has", "rows have")
        return [self.found(short[ROW], f"negatives per row vary from {low} to {high}; {fewer} fewer than {high}",
                           fix=f"{fixed_k_fix(table, context)}; or `{convert_command(context, 'buckets')}` keeps "
                               "every negative, one dataset per count.")]


def _given_per_row(table) -> pl.DataFrame:
    """(ROW, negatives): the negatives each row holds, an empty text counted: ST trains on "" as on any negative
    (padding-negative reports it), where a null, a negative the row lacks, is what makes the row short."""
    counts = table.texts.filter((pl.col("role") == "negative") & pl.col("text").is_not_null()).group_by(ROW).len()
    return table.frame.select(ROW).join(counts, on=ROW, how="left").select(ROW, negatives=pl.col("len").fill_null(0))
