"""positive-in-negatives: a row that lists one of its own positives (or its anchor) as a negative."""

import polars as pl

from pipeline.lint.rule import ERROR, Finding, Rule, how_equal
from pipeline.readers.files import ROW
from pipeline.wording import counted


class PositiveInNegatives(Rule):
    id = "positive-in-negatives"
    severity = ERROR
    description = "A negative of the row is its positive or anchor (exact or normalised): a contradictory label."
    fix = "`prep run DATA` removes known positives from the negatives; or drop these negatives."

    def check(self, table, context) -> list[Finding]:
        texts = table.texts.filter(pl.col("id").is_not_null())
        kept = texts.filter(pl.col("role") != "negative").select(ROW, "id", kept_raw="raw")
        clash = texts.filter(pl.col("role") == "negative").join(kept, on=[ROW, "id"])
        clash = clash.unique([ROW, "rank", "column"])
        if clash.is_empty():
            return []
        exact = int((clash["raw"] == clash["kept_raw"]).sum())
        return [self.found(clash["line"], f"{counted(clash.height, 'negative is', 'negatives are')} the row's own "
                           f"positive or anchor{how_equal(exact, clash.height)}")]
