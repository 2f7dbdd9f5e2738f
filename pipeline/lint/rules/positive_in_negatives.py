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
        texts, key = table.keyed(context.folds_case, context.strips_accents)
        texts = texts.filter(pl.col("id").is_not_null())
        kept = texts.filter(pl.col("role") != "negative").select(ROW, key, kept_raw="raw", kept_id="id")
        clash = texts.filter(pl.col("role") == "negative").join(kept, on=[ROW, key])
        # A negative equal to the positive in one way and to the anchor in another is said the closest way.
        clash = clash.sort([clash["raw"] != clash["kept_raw"], clash["id"] != clash["kept_id"]]).unique(
            [ROW, "rank", "column"], keep="first")
        if clash.is_empty():
            return []
        exact = int((clash["raw"] == clash["kept_raw"]).sum())
        case_only = int((clash["id"] != clash["kept_id"]).sum())
        equal = how_equal(exact, clash.height, case_only, context.token_counter.name if case_only else "",
                          context.strips_accents)
        return [self.found(clash["line"], f"{counted(clash.height, 'negative is', 'negatives are')} the row's own "
                           f"positive or anchor{equal}")]
