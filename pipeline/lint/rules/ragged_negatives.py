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
        # An empty text counted: ST trains on "" as on any negative (padding-negative reports it).
        per_row = negatives_per_row(table, empty=True)
        low, high = per_row["negatives"].min(), per_row["negatives"].max()
        if low == high:
            return []
        short = per_row.filter(pl.col("negatives") < high)
        fewer = counted(short.height, "row has", "rows have")
        return [self.found(short[ROW], f"negatives per row vary from {low} to {high}; {fewer} fewer than {high}",
                           fix=f"{_as_prep_counts(table, per_row)}{fixed_k_fix(table, context)}; or "
                               f"`{convert_command(context, 'buckets')}` keeps every negative, one dataset per count.")]


def _as_prep_counts(table, per_row: pl.DataFrame) -> str:
    """Where rows hold empty negatives, the fix's K and short rows are prep's, which drops them: said first, so that
    a fix naming other rows and counts than the message does not read as a contradiction."""
    counts = negatives_per_row(table)["negatives"]
    if counts.equals(per_row["negatives"]):
        return ""
    low, high = int(counts.min() or 0), int(counts.max() or 0)
    held = f"{low}" if low == high else f"{low} to {high}"
    return f"prep drops empty negatives, so it counts {held} per row: "
